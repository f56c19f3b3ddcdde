//! Braid as the daemon runs it, for tests that talk to it over HTTP: serving the web (with
//! the listeners of hosted connectors mounted) and running its scheduler (publish pass and
//! outbox every second), on a port chosen before it starts so `web.base_url` can name it.

use std::time::Duration;

use super::Harness;

/// A running Braid; stopped when dropped.
pub struct Braid {
    pub h: Harness,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for Braid {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Braid {
    /// With `web.base_url` set to where it listens, and deliveries retried after a second or
    /// two (not minutes), once the actors' inboxes are mounted.
    pub async fn start() -> Braid {
        Braid::start_with(true, |c| {
            c.outbox.backoff_base_secs = 1;
            c.outbox.backoff_max_secs = 2;
        })
        .await
    }

    /// With `web.base_url` set to where it listens when `with_base_url` (and then once the
    /// actors' inboxes are mounted), the owner named `owner`, and `tweak` applied last.
    pub async fn start_with(
        with_base_url: bool,
        tweak: impl FnOnce(&mut braid::config::Config),
    ) -> Braid {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let h = Harness::new(|c| {
            if with_base_url {
                c.web.base_url = format!("{base}/");
            }
            c.web.owner_name = "owner".into();
            tweak(c);
        });
        let braid = Braid::serve(h, listener);
        if with_base_url {
            braid.until_mounted("/ap/inbox").await;
        }
        braid
    }

    /// `h` serving the web on `listener` (its hosted listeners mounted) and running its
    /// scheduler, until dropped.
    pub fn serve(h: Harness, listener: tokio::net::TcpListener) -> Braid {
        let addr = listener.local_addr().expect("addr");
        h.ctx.listeners.enable();
        let ctx = h.ctx.clone();
        let (stop, rx) = tokio::sync::watch::channel(false);
        let web_ctx =
            braid::web::WebContext::new(h.store.clone(), &h.ctx.config, addr, Some(ctx.clone()))
                .expect("web context");
        let mut web_rx = rx.clone();
        tokio::spawn(braid::web::serve(web_ctx, listener, async move {
            let _ = web_rx.wait_for(|s| *s).await;
        }));
        let mut sched_rx = rx;
        tokio::spawn(braid::scheduler::run(ctx, async move {
            let _ = sched_rx.wait_for(|s| *s).await;
        }));
        Braid {
            h,
            base: format!("http://{addr}"),
            stop,
        }
    }

    /// The address of the actor of stream `name`.
    pub fn actor(&self, name: &str) -> String {
        format!("{}/ap/actors/{name}", self.base)
    }

    /// Waits (10 s at most) until a listener is mounted at `path`.
    pub async fn until_mounted(&self, path: &str) {
        for _ in 0..100 {
            if self.h.ctx.listeners.find(path).is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{path} was not mounted; mounted: {:?}",
            self.h.ctx.listeners.prefixes()
        );
    }

    /// The network's state (followers, follows), as the connector keeps it.
    pub fn state(&self) -> braid_core::state::StateStore {
        braid_core::state::StateStore::new(
            std::sync::Arc::new(self.h.store.clone()),
            braid_core::state::Scope {
                kind: braid_activitypub::KIND.into(),
                owner: braid_core::state::ScopeOwner::Network,
            },
        )
    }
}
