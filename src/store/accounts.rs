//! Accounts: logins on remote networks, for every network alike. The credentials are a secret:
//! they are read only through [`credentials`], for the connector that needs them, and no other
//! query returns them.

use braid_core::AccountId;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::conn::{from_micros, micros, opt_time};
use super::{AccountRecord, NewAccount, Result, StoreError};

const COLUMNS: &str = "id, name, kind, identity, handle, display_name, profile_url, server_url, \
    needs_login, last_error, last_error_at, last_verified, created_at";

fn record(r: &Row<'_>) -> rusqlite::Result<AccountRecord> {
    Ok(AccountRecord {
        id: AccountId(r.get(0)?),
        name: r.get(1)?,
        kind: r.get(2)?,
        identity: r.get(3)?,
        handle: r.get(4)?,
        display_name: r.get(5)?,
        profile_url: r.get(6)?,
        server_url: r.get(7)?,
        needs_login: r.get(8)?,
        last_error: r.get(9)?,
        last_error_at: opt_time(r.get(10)?),
        last_verified: opt_time(r.get(11)?),
        created_at: from_micros(r.get(12)?),
    })
}

fn to_text(credentials: &serde_json::Value) -> Result<String> {
    // Never the value in the message: it is a secret.
    serde_json::to_string(credentials)
        .map_err(|_| StoreError::Other("account credentials could not be encoded".into()))
}

pub(super) fn add(conn: &Connection, new: &NewAccount, now: DateTime<Utc>) -> Result<AccountId> {
    conn.prepare_cached(
        "INSERT INTO accounts (name, kind, identity, handle, display_name, profile_url,
             server_url, credentials, last_verified, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        new.name,
        new.kind,
        new.identity,
        new.handle,
        new.display_name,
        new.profile_url,
        new.server_url,
        to_text(&new.credentials)?,
        micros(now),
    ])
    .map_err(|e| match &e {
        rusqlite::Error::SqliteFailure(f, Some(msg))
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            if msg.contains("accounts.name") {
                StoreError::Other(format!("an account named {:?} already exists", new.name))
            } else {
                StoreError::Other(format!(
                    "{} is already an account; `braid account list` shows it",
                    new.handle.as_deref().unwrap_or(&new.identity),
                ))
            }
        }
        _ => StoreError::Sqlite(e),
    })?;
    Ok(AccountId(conn.last_insert_rowid()))
}

/// Replaces the credentials of an existing account after a new login, and clears
/// `needs_login`.
pub(super) fn relogin(
    conn: &Connection,
    id: AccountId,
    credentials: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE accounts SET credentials = ?2, needs_login = 0, last_error = NULL,
             last_error_at = NULL, last_verified = ?3 WHERE id = ?1",
    )?
    .execute(params![id.0, to_text(credentials)?, micros(now)])?;
    Ok(())
}

pub(super) fn by_id(conn: &Connection, id: AccountId) -> Result<Option<AccountRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"))?
        .query_row([id.0], record)
        .optional()?)
}

pub(super) fn find(conn: &Connection, name: &str) -> Result<Option<AccountRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE name = ?1 OR handle = ?1
             ORDER BY name = ?1 DESC LIMIT 1"
        ))?
        .query_row([name], record)
        .optional()?)
}

pub(super) fn list(conn: &Connection) -> Result<Vec<AccountRecord>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts ORDER BY name"))?;
    let rows = stmt.query_map([], record)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn credentials(conn: &Connection, id: AccountId) -> Result<Option<serde_json::Value>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT credentials FROM accounts WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?;
    // Written by us from a JSON value; an unreadable one (a hand edit) reads as null, which
    // the connector reports as missing credentials: log in again.
    Ok(text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::Null)))
}

/// Records an error seen while using the account; `needs_login` marks a refused token.
pub(super) fn record_error(
    conn: &Connection,
    id: AccountId,
    message: &str,
    needs_login: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE accounts SET last_error = ?2, last_error_at = ?3,
             needs_login = CASE WHEN ?4 THEN 1 ELSE needs_login END WHERE id = ?1",
    )?
    .execute(params![id.0, message, micros(now), needs_login])?;
    Ok(())
}

/// Removes the account and every source that reads through it (with their items), in one
/// transaction. Returns how many sources went.
pub(super) fn remove(conn: &mut Connection, id: AccountId) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let sources: Vec<i64> = tx
        .prepare_cached("SELECT id FROM sources WHERE account_id = ?1")?
        .query_map([id.0], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for source in &sources {
        super::sources::remove_in(&tx, braid_core::SourceId(*source))?;
    }
    let removed = tx
        .prepare_cached("DELETE FROM accounts WHERE id = ?1")?
        .execute([id.0])?;
    if removed == 0 {
        return Err(StoreError::Other(format!("there is no account {}", id.0)));
    }
    tx.commit()?;
    Ok(sources.len())
}
