//! Accounts: logins on remote networks. The token is a secret: it is read only through
//! [`token`], for the connector that needs it, and no other query returns it.

use braid_core::AccountId;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::conn::{from_micros, micros, opt_time};
use super::{AccountRecord, NewAccount, Result, StoreError};

const COLUMNS: &str = "id, name, kind, instance_url, server_type, remote_id, acct, display_name, \
    profile_url, needs_login, last_error, last_error_at, last_verified, created_at";

fn record(r: &Row<'_>) -> rusqlite::Result<AccountRecord> {
    Ok(AccountRecord {
        id: AccountId(r.get(0)?),
        name: r.get(1)?,
        kind: r.get(2)?,
        instance_url: r.get(3)?,
        server_type: r.get(4)?,
        remote_id: r.get(5)?,
        acct: r.get(6)?,
        display_name: r.get(7)?,
        profile_url: r.get(8)?,
        needs_login: r.get(9)?,
        last_error: r.get(10)?,
        last_error_at: opt_time(r.get(11)?),
        last_verified: opt_time(r.get(12)?),
        created_at: from_micros(r.get(13)?),
    })
}

pub(super) fn add(conn: &Connection, new: &NewAccount, now: DateTime<Utc>) -> Result<AccountId> {
    conn.prepare_cached(
        "INSERT INTO accounts (name, kind, instance_url, server_type, remote_id, acct, display_name,
             profile_url, token, client_id, client_secret, last_verified, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
    )?
    .execute(params![
        new.name,
        new.kind,
        new.instance_url,
        new.server_type,
        new.remote_id,
        new.acct,
        new.display_name,
        new.profile_url,
        new.token,
        new.client_id,
        new.client_secret,
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
                    "{} on {} is already an account; `braid account list` shows it",
                    new.acct.as_deref().unwrap_or("this login"),
                    new.instance_url
                ))
            }
        }
        _ => StoreError::Sqlite(e),
    })?;
    Ok(AccountId(conn.last_insert_rowid()))
}

/// Replaces the token of an existing account after a new login, and clears `needs_login`.
pub(super) fn relogin(
    conn: &Connection,
    id: AccountId,
    token: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE accounts SET token = ?2, needs_login = 0, last_error = NULL, last_error_at = NULL,
             last_verified = ?3 WHERE id = ?1",
    )?
    .execute(params![id.0, token, micros(now)])?;
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
            "SELECT {COLUMNS} FROM accounts WHERE name = ?1 OR acct = ?1 ORDER BY name = ?1 DESC LIMIT 1"
        ))?
        .query_row([name], record)
        .optional()?)
}

pub(super) fn list(conn: &Connection) -> Result<Vec<AccountRecord>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts ORDER BY name"))?;
    let rows = stmt.query_map([], record)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn token(conn: &Connection, id: AccountId) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT token FROM accounts WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?)
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

/// Removes the account and every source that reads through it (with their items).
pub(super) fn remove(conn: &mut Connection, id: AccountId) -> Result<Vec<braid_core::SourceId>> {
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM sources WHERE json_extract(settings, '$.account') = ?1",
        )?;
        let rows = stmt.query_map([id.0], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    conn.prepare_cached("DELETE FROM accounts WHERE id = ?1")?
        .execute([id.0])?;
    Ok(ids.into_iter().map(braid_core::SourceId).collect())
}
