//! Hosted connectors: one per network that has one ([`braid_core::Factory::hosted`]), for
//! what the network does as Braid itself (ActivityPub: the owner and each published channel
//! as an actor, with inboxes). Built when the site has a public address (`web.base_url`), and
//! again when the store's change counter moves, like the kept connectors of sources; their
//! listeners are mounted with the others ([`crate::listeners`]), their publishers fed by
//! [`crate::publish`] and their deliveries sent by [`crate::outbox`].

use std::sync::{Arc, PoisonError, RwLock};

use braid_core::Connector;

use crate::connectors::ConnectorContext;
use crate::store::Store;

/// Each network's hosted connector, with its kind.
pub type HostedList = Arc<Vec<(&'static str, Arc<dyn Connector>)>>;

/// The hosted connectors of one process, by network kind.
#[derive(Default)]
pub struct Hosted {
    built: RwLock<Option<HostedList>>,
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

    fn read(&self) -> Option<HostedList> {
        self.built
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
