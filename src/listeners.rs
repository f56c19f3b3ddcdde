//! Hosted listeners: connectors that receive pushes over HTTP (an ActivityPub inbox, a WebSub
//! callback) get their routes mounted on the web server.
//!
//! The mounts come from the kept connectors ([`crate::kept`]) of the sources whose network
//! listens ([`braid_core::Factory::listens`]). They are built when the web server starts and
//! again whenever the store's change counter moves (a source or account added, removed or
//! changed, by this process or by `braid source`/`braid account` in another one): the
//! scheduler checks it every [`CHECK_EVERY`]. A request whose path falls under a mount goes to
//! its listener with its method, full path, query, headers and body (capped at
//! `web.max_listener_body_bytes`) as received; what the listener hands back is ingested exactly
//! like a poll's page, and a store failure answers 503 so the sender retries.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use braid_core::connector::{ListenerRequest, ListenerResponse};
use braid_core::{Connector, SourceId};
use futures_util::FutureExt;

use crate::scheduler::PollContext;
use crate::store::StoreError;

/// How often a running daemon looks for changes made elsewhere.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// One mounted path prefix.
#[derive(Clone)]
pub struct Mount {
    pub prefix: String,
    /// The source whose connector listens here; `None` for a network's hosted connector.
    pub source: Option<SourceId>,
    pub kind: &'static str,
    connector: Arc<dyn Connector>,
}

/// The mounted listeners of one process.
#[derive(Default)]
pub struct Listeners {
    /// Only a process with a web server mounts anything (`braid run --no-web` does not).
    enabled: AtomicBool,
    /// The change counter the mounts and kept connectors reflect.
    seen: Mutex<Option<i64>>,
    mounts: RwLock<Arc<Vec<Mount>>>,
}

impl Listeners {
    /// Turns mounting on (the web server is about to start).
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    /// The mount for `path`: the longest prefix that `path` equals or continues with `/`.
    pub fn find(&self, path: &str) -> Option<Mount> {
        let mounts = self.snapshot();
        mounts
            .iter()
            .filter(|m| {
                path == m.prefix
                    || path
                        .strip_prefix(m.prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/') || m.prefix.ends_with('/'))
            })
            .max_by_key(|m| m.prefix.len())
            .cloned()
    }

    /// The mounted prefixes, sorted (diagnostics and tests).
    pub fn prefixes(&self) -> Vec<String> {
        let mut all: Vec<String> = self.snapshot().iter().map(|m| m.prefix.clone()).collect();
        all.sort();
        all
    }

    fn snapshot(&self) -> Arc<Vec<Mount>> {
        self.mounts
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Brings kept connectors and mounts up to date when the store changed since the last call
/// (or on the first). Returns whether it did.
pub async fn refresh_if_changed(ctx: &PollContext) -> Result<bool, StoreError> {
    let counter = ctx.store.change_counter().await?;
    let seen = *ctx
        .listeners
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if seen == Some(counter) {
        return Ok(false);
    }
    refresh(ctx).await?;
    *ctx.listeners
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(counter);
    Ok(true)
}

/// Drops the kept connectors of removed sources and, when mounting is on, rebuilds the mounts
/// from the connectors of enabled sources whose network listens. A connector that cannot be
/// built is left out with a warning; its source's next poll records why.
pub async fn refresh(ctx: &PollContext) -> Result<usize, StoreError> {
    apply_blocks(ctx).await?;
    let sources = ctx.store.list_sources().await?;
    ctx.kept.retain(&sources.iter().map(|s| s.id).collect());
    if !ctx.listeners.enabled.load(Ordering::Relaxed) {
        return Ok(0);
    }
    let mut mounts = Vec::new();
    for source in sources.iter().filter(|s| s.enabled) {
        let Ok(factory) = ctx.connectors.registry.get(&source.kind) else {
            continue;
        };
        if !factory.listens() {
            continue;
        }
        let connector = match ctx
            .kept
            .connector(source, &ctx.connectors, &ctx.store)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(source_id = %source.id, error = %e, "listeners: not mounted");
                continue;
            }
        };
        let Some(listener) = connector.listener() else {
            continue;
        };
        for prefix in listener.mounts() {
            if !prefix.starts_with('/') {
                tracing::warn!(source_id = %source.id, %prefix,
                    "listeners: a mount must be an absolute path; left out");
                continue;
            }
            if crate::web::is_core_path(&prefix) {
                tracing::warn!(source_id = %source.id, %prefix,
                    "listeners: a mount may not cover the web UI's own paths; left out");
                continue;
            }
            mounts.push(Mount {
                prefix,
                source: Some(source.id),
                kind: factory.kind(),
                connector: connector.clone(),
            });
        }
    }
    // Each network's hosted connector (Braid's own streams: discovery, actors, inboxes),
    // built again now that records changed.
    for (kind, connector) in ctx.hosted.rebuild(&ctx.connectors, &ctx.store).await.iter() {
        let Some(listener) = connector.listener() else {
            continue;
        };
        for prefix in listener.mounts() {
            if !prefix.starts_with('/') || crate::web::is_core_path(&prefix) {
                tracing::warn!(kind, %prefix,
                    "listeners: a mount must be an absolute path outside the web UI's own; left out");
                continue;
            }
            if mounts.iter().any(|m: &Mount| m.prefix == prefix) {
                tracing::warn!(kind, %prefix, "listeners: this path is mounted already; left out");
                continue;
            }
            mounts.push(Mount {
                prefix,
                source: None,
                kind,
                connector: connector.clone(),
            });
        }
    }
    let count = mounts.len();
    tracing::info!(mounts = count, "listeners: mounted");
    *ctx.listeners
        .mounts
        .write()
        .unwrap_or_else(PoisonError::into_inner) = Arc::new(mounts);
    Ok(count)
}

/// The blocked domains in force: the config's and those blocked with `braid block`, applied
/// to the shared HTTP client (every clone sees them at once).
pub async fn apply_blocks(ctx: &PollContext) -> Result<(), StoreError> {
    let mut all = ctx.config.fetch.blocked_domains.clone();
    all.extend(ctx.store.blocked_domains().await?);
    ctx.connectors.http.config().blocked.replace(all);
    Ok(())
}

/// Hands `request` to the listener at `mount` and ingests what it returns. A listener that
/// panics, or pushes what the core refuses, answers 500; a store that fails answers 503, so
/// the sender retries and nothing is lost.
pub async fn handle(
    ctx: &PollContext,
    mount: &Mount,
    request: ListenerRequest,
) -> ListenerResponse {
    let Some(listener) = mount.connector.listener() else {
        return ListenerResponse::status(404);
    };
    let handled = match AssertUnwindSafe(listener.handle(request))
        .catch_unwind()
        .await
    {
        Ok(handled) => handled,
        Err(_) => {
            tracing::error!(source_id = ?mount.source, kind = mount.kind,
                "listeners: the listener crashed on a request");
            return ListenerResponse::status(500);
        }
    };
    if !handled.send.is_empty() {
        // Queued before the answer: a sender that hears 2xx can rely on the reply.
        let queued = match crate::outbox::new_key() {
            Ok(key) => {
                ctx.store
                    .queue_outgoing(mount.kind.to_owned(), key, handled.send, None)
                    .await
            }
            Err(e) => Err(crate::store::StoreError::Other(e.to_string())),
        };
        if let Err(e) = queued {
            tracing::error!(kind = mount.kind, error = %e, "listeners: queueing a reply failed");
            return ListenerResponse::status(503);
        }
    }
    for pushed in handled.pushed {
        let source = pushed.source;
        if let Err(e) = crate::scheduler::poll::ingest_pushed(ctx, mount.kind, pushed).await {
            tracing::error!(source_id = %source, error = %e, "listeners: storing a push failed");
            // A store that failed may work on a retry; a push the core refuses never will.
            let code = match e {
                braid_core::ConnectorError::Transient(_) => 503,
                _ => 500,
            };
            return ListenerResponse::status(code);
        }
    }
    handled.response
}
