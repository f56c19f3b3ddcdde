//! Hosted connectors: one per network that has one ([`braid_core::Factory::hosted`]), for
//! what the network does as Braid itself (ActivityPub: the owner and each published channel
//! as an actor, with inboxes). Built when the site has a public address (`web.base_url`), and
//! again when the store's change counter moves, like the kept connectors of sources; their
//! listeners are mounted with the others ([`crate::listeners`]), their publishers fed by
//! [`crate::publish`] and their deliveries sent by [`crate::outbox`].

use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};

use braid_core::Connector;

use crate::connectors::ConnectorContext;
use crate::store::Store;

/// One network's hosted connector, with its kind.
pub type HostedOne = (&'static str, Arc<dyn Connector>);

/// Each network's hosted connector, with its kind.
pub type HostedList = Arc<Vec<HostedOne>>;

/// The hosted connectors of one process, by network kind.
#[derive(Default)]
pub struct Hosted {
    built: RwLock<Option<HostedList>>,
    /// The build whose publishers were last tidied ([`Hosted::first_sight`]); weak, so it
    /// does not outlive its replacement.
    tidied: Mutex<Weak<Vec<HostedOne>>>,
}

impl Hosted {
    /// The hosted connectors, built now if they were not yet.
    pub async fn all(&self, ctx: &ConnectorContext, store: &Store) -> HostedList {
        if let Some(built) = self.read() {
            return built;
        }
        self.rebuild(ctx, store).await
    }

    /// The hosted connector of network `kind`.
    pub async fn get(
        &self,
        kind: &str,
        ctx: &ConnectorContext,
        store: &Store,
    ) -> Option<Arc<dyn Connector>> {
        self.all(ctx, store)
            .await
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| c.clone())
    }

    /// Builds every network's hosted connector again (records changed). A network whose
    /// connector cannot be built is left out with a warning, and tried again at the next
    /// change.
    pub async fn rebuild(&self, ctx: &ConnectorContext, store: &Store) -> HostedList {
        let mut out = Vec::new();
        for factory in ctx.registry.factories() {
            match crate::connectors::hosted(*factory, ctx, store).await {
                Ok(Some(c)) => out.push((factory.kind(), c)),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(kind = factory.kind(), error = %e,
                        "hosted: the network's hosted connector could not be built");
                }
            }
        }
        let out = Arc::new(out);
        *self.built.write().unwrap_or_else(PoisonError::into_inner) = Some(out.clone());
        out
    }

    /// Whether `list` is a build not seen here before, marking it seen: true once per build,
    /// however many passes ask. The daemon's publish pass tidies each new build's publishers.
    pub fn first_sight(&self, list: &HostedList) -> bool {
        let mut tidied = self.tidied.lock().unwrap_or_else(PoisonError::into_inner);
        if tidied.ptr_eq(&Arc::downgrade(list)) {
            return false;
        }
        *tidied = Arc::downgrade(list);
        true
    }

    fn read(&self) -> Option<HostedList> {
        self.built
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
