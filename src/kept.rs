//! Connectors kept between polls: each source's connector is built once and kept while its
//! record is unchanged, so a connector can hold what outlives one poll (a session, a rate-limit
//! window, later a listener's routes).
//!
//! Whether a record changed is decided from what the connector is built from, read fresh from
//! the store at every use: the source's kind, URL and settings, and for a source that reads
//! through an account, the account's server, login state and credentials. A change made by
//! another process (`braid source edit`, `braid account add` logging in again, while `braid run`
//! is running) is therefore seen at the source's next poll, and a kept connector never outlives
//! the credentials it was built with. Only a fingerprint of the inputs is kept, never the token.
//!
//! Kept instances are light (a feed's is its URL and a handle on the shared HTTP client), so a
//! person with 10,000 feeds keeps 10,000 of them: `cargo bench --bench poll_cycle` measures it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use braid_core::{Connector, ConnectorError, SourceId};
use sha2::{Digest, Sha256};

use crate::connectors::{self, ConnectorContext};
use crate::store::{SourceRecord, Store};

type Fingerprint = [u8; 32];

struct Entry {
    fingerprint: Fingerprint,
    connector: Arc<dyn Connector>,
}

/// The kept connectors of one process, by source.
#[derive(Default)]
pub struct Kept {
    entries: Mutex<HashMap<SourceId, Entry>>,
    builds: AtomicUsize,
}

impl Kept {
    /// The connector for `source`: the kept one when its inputs are unchanged, else a new one
    /// (which replaces it). A build that fails keeps nothing, so the next poll tries again.
    pub async fn connector(
        &self,
        source: &SourceRecord,
        ctx: &ConnectorContext,
        store: &Store,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let fingerprint = fingerprint(source, store).await?;
        if let Some(entry) = self.lock().get(&source.id) {
            if entry.fingerprint == fingerprint {
                return Ok(entry.connector.clone());
            }
        }
        let connector = connectors::build(source, ctx, store).await?;
        self.builds.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(
            source.id,
            Entry {
                fingerprint,
                connector: connector.clone(),
            },
        );
        Ok(connector)
    }

    /// Drops the connectors of sources that no longer exist.
    pub fn retain(&self, live: &HashSet<SourceId>) {
        self.lock().retain(|id, _| live.contains(id));
    }

    /// How many connectors are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many connectors were built since start (tests and diagnostics).
    pub fn builds(&self) -> usize {
        self.builds.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SourceId, Entry>> {
        // A panic elsewhere while holding the lock leaves a consistent map (inserts and removes
        // are single calls), so the poison is ignored.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A hash of everything `connectors::build` reads for `source`. Length-prefixed fields, so no
/// two different inputs hash alike by concatenation.
async fn fingerprint(source: &SourceRecord, store: &Store) -> Result<Fingerprint, ConnectorError> {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(source.kind.as_bytes());
    field(source.url.as_bytes());
    field(source.settings.to_string().as_bytes());
    if let Some(account) = connectors::account_of(source) {
        let transient = |e: crate::store::StoreError| ConnectorError::Transient(e.to_string());
        // A missing account hashes as absent: the build then fails with its own message.
        if let Some(record) = store.account(account).await.map_err(transient)? {
            field(record.kind.as_bytes());
            field(record.server_url.as_deref().unwrap_or_default().as_bytes());
            field(&[u8::from(record.needs_login)]);
            let credentials = store
                .account_credentials(account)
                .await
                .map_err(transient)?;
            field(credentials.unwrap_or_default().to_string().as_bytes());
        }
    }
    Ok(h.finalize().into())
}
