//! What a connector may keep beyond one call, through handles the core gives it when it is
//! built ([`crate::factory::BuildContext`]):
//! - [`StateStore`]: a small key/value store of its own (followers, keys, sessions), never the
//!   core's tables. Values are JSON. The core removes an account's or a source's state with it.
//! - [`CredentialSaver`]: saves refreshed credentials of the account the connector was built
//!   with (Bluesky rotates its refresh token on every refresh). The core then rebuilds the
//!   connector from the saved credentials at its next use, like after any change of the account.
//!
//! The core implements the backends over its database; [`StateStore::in_memory`] is for tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use serde_json::Value;

use crate::error::ConnectorError;
use crate::ids::{AccountId, SourceId};

/// Whose state a [`StateStore`] holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// The network (`kind`); every scope is within one.
    pub kind: String,
    pub owner: ScopeOwner,
}

/// The record a scope belongs to, removed with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeOwner {
    /// Shared by every connector of the network.
    Network,
    Account(AccountId),
    Source(SourceId),
}

/// Where state is kept: the core's database, or memory in tests.
#[async_trait]
pub trait StateBackend: Send + Sync {
    async fn get(&self, scope: &Scope, key: &str) -> Result<Option<Value>, ConnectorError>;
    async fn put(&self, scope: &Scope, key: &str, value: Value) -> Result<(), ConnectorError>;
    /// True when the key was there.
    async fn delete(&self, scope: &Scope, key: &str) -> Result<bool, ConnectorError>;
    /// Keys starting with `prefix`, in key order.
    async fn list(
        &self,
        scope: &Scope,
        prefix: &str,
    ) -> Result<Vec<(String, Value)>, ConnectorError>;
}

/// A connector's key/value store, bound to its scope.
#[derive(Clone)]
pub struct StateStore {
    backend: Arc<dyn StateBackend>,
    scope: Scope,
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StateStore").field(&self.scope).finish()
    }
}

impl StateStore {
    pub fn new(backend: Arc<dyn StateBackend>, scope: Scope) -> Self {
        StateStore { backend, scope }
    }

    /// A store in memory, for tests of a connector.
    pub fn in_memory(kind: &str) -> Self {
        StateStore::new(
            Arc::new(MemoryState::default()),
            Scope {
                kind: kind.to_owned(),
                owner: ScopeOwner::Network,
            },
        )
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub async fn get(&self, key: &str) -> Result<Option<Value>, ConnectorError> {
        self.backend.get(&self.scope, key).await
    }

    pub async fn put(&self, key: &str, value: Value) -> Result<(), ConnectorError> {
        self.backend.put(&self.scope, key, value).await
    }

    pub async fn delete(&self, key: &str) -> Result<bool, ConnectorError> {
        self.backend.delete(&self.scope, key).await
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, Value)>, ConnectorError> {
        self.backend.list(&self.scope, prefix).await
    }
}

/// State in memory.
#[derive(Default)]
pub struct MemoryState {
    map: Mutex<BTreeMap<(Scope, String), Value>>,
}

impl MemoryState {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(Scope, String), Value>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl StateBackend for MemoryState {
    async fn get(&self, scope: &Scope, key: &str) -> Result<Option<Value>, ConnectorError> {
        Ok(self.lock().get(&(scope.clone(), key.to_owned())).cloned())
    }

    async fn put(&self, scope: &Scope, key: &str, value: Value) -> Result<(), ConnectorError> {
        self.lock().insert((scope.clone(), key.to_owned()), value);
        Ok(())
    }

    async fn delete(&self, scope: &Scope, key: &str) -> Result<bool, ConnectorError> {
        Ok(self
            .lock()
            .remove(&(scope.clone(), key.to_owned()))
            .is_some())
    }

    async fn list(
        &self,
        scope: &Scope,
        prefix: &str,
    ) -> Result<Vec<(String, Value)>, ConnectorError> {
        Ok(self
            .lock()
            .iter()
            .filter(|((s, k), _)| s == scope && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// Where refreshed credentials are saved: the core's accounts table.
#[async_trait]
pub trait CredentialBackend: Send + Sync {
    async fn save(&self, account: AccountId, credentials: Value) -> Result<(), ConnectorError>;
}

/// Saves the credentials of the one account a connector was built with.
#[derive(Clone)]
pub struct CredentialSaver {
    backend: Arc<dyn CredentialBackend>,
    account: AccountId,
}

impl CredentialSaver {
    pub fn new(backend: Arc<dyn CredentialBackend>, account: AccountId) -> Self {
        CredentialSaver { backend, account }
    }

    pub fn account(&self) -> AccountId {
        self.account
    }

    /// Replaces the account's stored credentials with `credentials`.
    pub async fn save(&self, credentials: Value) -> Result<(), ConnectorError> {
        self.backend.save(self.account, credentials).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn memory_state_is_scoped_and_lists_by_prefix() {
        let backend: Arc<dyn StateBackend> = Arc::new(MemoryState::default());
        let scope = |owner| Scope {
            kind: "x".into(),
            owner,
        };
        let a = StateStore::new(backend.clone(), scope(ScopeOwner::Account(AccountId(1))));
        let b = StateStore::new(backend, scope(ScopeOwner::Account(AccountId(2))));
        a.put("follower:1", Value::from(1)).await.unwrap();
        a.put("follower:2", Value::from(2)).await.unwrap();
        a.put("key", Value::from("k")).await.unwrap();
        assert_eq!(b.get("key").await.unwrap(), None);
        let followers = a.list("follower:").await.unwrap();
        assert_eq!(
            followers,
            vec![
                ("follower:1".to_owned(), Value::from(1)),
                ("follower:2".to_owned(), Value::from(2))
            ]
        );
        assert!(a.delete("key").await.unwrap());
        assert!(!a.delete("key").await.unwrap());
        assert_eq!(a.get("key").await.unwrap(), None);
    }
}
