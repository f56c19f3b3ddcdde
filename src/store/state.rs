//! Each connector's own key/value store (`braid_core::state`) and refreshed credentials, over
//! the `connector_state` table (schema V6) and `accounts.credentials`. The store implements
//! the backends connectors are handed, so no connector touches the core's tables.

use async_trait::async_trait;
use braid_core::state::{CredentialBackend, Scope, ScopeOwner, StateBackend};
use braid_core::{AccountId, ConnectorError};
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::conn::micros;
use super::{Result, Store, StoreError};

/// The scope's key text and the record it goes with.
fn scope_key(scope: &Scope) -> (String, Option<i64>, Option<i64>) {
    match scope.owner {
        ScopeOwner::Network => ("network".into(), None, None),
        ScopeOwner::Account(id) => (format!("account:{}", id.0), Some(id.0), None),
        ScopeOwner::Source(id) => (format!("source:{}", id.0), None, Some(id.0)),
    }
}

fn decode(text: String) -> Result<Value> {
    serde_json::from_str(&text).map_err(|e| StoreError::Other(format!("connector state: {e}")))
}

fn get(conn: &Connection, scope: &Scope, key: &str) -> Result<Option<Value>> {
    let (owner, _, _) = scope_key(scope);
    conn.prepare_cached(
        "SELECT value FROM connector_state WHERE kind = ?1 AND scope = ?2 AND key = ?3",
    )?
    .query_row(params![scope.kind, owner, key], |r| r.get::<_, String>(0))
    .optional()?
    .map(decode)
    .transpose()
}

fn put(conn: &Connection, scope: &Scope, key: &str, value: &Value) -> Result<()> {
    let (owner, account, source) = scope_key(scope);
    conn.prepare_cached(
        "INSERT INTO connector_state (kind, scope, key, value, account_id, source_id, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (kind, scope, key) DO UPDATE SET value = excluded.value,
             updated_at = excluded.updated_at",
    )?
    .execute(params![
        scope.kind,
        owner,
        key,
        value.to_string(),
        account,
        source,
        micros(Utc::now())
    ])?;
    Ok(())
}

fn delete(conn: &Connection, scope: &Scope, key: &str) -> Result<bool> {
    let (owner, _, _) = scope_key(scope);
    Ok(conn
        .prepare_cached("DELETE FROM connector_state WHERE kind = ?1 AND scope = ?2 AND key = ?3")?
        .execute(params![scope.kind, owner, key])?
        > 0)
}

fn list(conn: &Connection, scope: &Scope, prefix: &str) -> Result<Vec<(String, Value)>> {
    let (owner, _, _) = scope_key(scope);
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM connector_state WHERE kind = ?1 AND scope = ?2
             AND substr(key, 1, length(?3)) = ?3 ORDER BY key",
    )?;
    let rows = stmt
        .query_map(params![scope.kind, owner, prefix], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|(k, v)| Ok((k, decode(v)?))).collect()
}

/// A store failure, for a connector: worth retrying.
fn transient(e: StoreError) -> ConnectorError {
    ConnectorError::Transient(format!("braid: connector state: {e}"))
}

#[async_trait]
impl StateBackend for Store {
    async fn get(
        &self,
        scope: &Scope,
        key: &str,
    ) -> std::result::Result<Option<Value>, ConnectorError> {
        let (scope, key) = (scope.clone(), key.to_owned());
        self.read(move |c| get(c, &scope, &key))
            .await
            .map_err(transient)
    }

    async fn put(
        &self,
        scope: &Scope,
        key: &str,
        value: Value,
    ) -> std::result::Result<(), ConnectorError> {
        let (scope, key) = (scope.clone(), key.to_owned());
        self.write(move |c| put(c, &scope, &key, &value))
            .await
            .map_err(transient)
    }

    async fn delete(&self, scope: &Scope, key: &str) -> std::result::Result<bool, ConnectorError> {
        let (scope, key) = (scope.clone(), key.to_owned());
        self.write(move |c| delete(c, &scope, &key))
            .await
            .map_err(transient)
    }

    async fn list(
        &self,
        scope: &Scope,
        prefix: &str,
    ) -> std::result::Result<Vec<(String, Value)>, ConnectorError> {
        let (scope, prefix) = (scope.clone(), prefix.to_owned());
        self.read(move |c| list(c, &scope, &prefix))
            .await
            .map_err(transient)
    }
}

#[async_trait]
impl CredentialBackend for Store {
    /// Refreshed credentials: replaced, and the account counts as verified now.
    async fn save(
        &self,
        account: AccountId,
        credentials: Value,
    ) -> std::result::Result<(), ConnectorError> {
        self.relogin_account(account, credentials)
            .await
            .map_err(transient)
    }
}
