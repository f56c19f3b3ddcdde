//! Sources and their poll state (Miniflux keeps the last error on the feed row the same way, so
//! a dead feed is visible with its reason).

use braid_core::SourceId;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::conn::{from_micros, micros, opt_time};
use super::items::release_groups;
use super::own::{OWNER_KIND, OWNER_NAME};
use super::{NewSource, PollFailure, Result, SourceRecord, StoreError};

pub(super) const COLUMNS: &str =
    "id, name, kind, url, title, site_url, schedule, category, settings, \
    enabled, disabled_reason, cursor, next_poll, last_poll, last_success, error_count, \
    last_error, last_error_at, item_count, created_at, last_warning, account_id, paused";

pub(super) fn record(r: &Row<'_>) -> rusqlite::Result<SourceRecord> {
    let settings: String = r.get(8)?;
    Ok(SourceRecord {
        id: SourceId(r.get(0)?),
        name: r.get(1)?,
        kind: r.get(2)?,
        url: r.get(3)?,
        title: r.get(4)?,
        site_url: r.get(5)?,
        schedule: r.get(6)?,
        category: r.get(7)?,
        // Written by us from a `serde_json::Value`; a hand-edited bad value reads as null
        // rather than hiding the whole source list.
        settings: serde_json::from_str(&settings).unwrap_or(serde_json::Value::Null),
        enabled: r.get(9)?,
        disabled_reason: r.get(10)?,
        cursor: r.get(11)?,
        next_poll: opt_time(r.get(12)?),
        last_poll: opt_time(r.get(13)?),
        last_success: opt_time(r.get(14)?),
        error_count: r.get(15)?,
        last_error: r.get(16)?,
        last_error_at: opt_time(r.get(17)?),
        item_count: r.get(18)?,
        created_at: from_micros(r.get(19)?),
        last_warning: r.get(20)?,
        account: r.get::<_, Option<i64>>(21)?.map(braid_core::AccountId),
        paused: r.get(22)?,
    })
}

/// Turns a UNIQUE violation on `sources.name` / `sources.url` into the error the user can act on.
pub(super) fn unique_violation(e: rusqlite::Error, name: &str, url: &str) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &e {
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE {
            if msg.contains("sources.name") {
                return StoreError::DuplicateName(name.to_owned());
            }
            if msg.contains("sources.url") {
                return StoreError::DuplicateUrl(url.to_owned());
            }
        }
    }
    StoreError::Sqlite(e)
}

pub(super) fn add(conn: &mut Connection, new: &NewSource, now: DateTime<Utc>) -> Result<SourceId> {
    let settings = serde_json::to_string(&new.settings)
        .map_err(|e| StoreError::Other(format!("source settings: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO sources (name, kind, url, schedule, category, settings, created_at,
             account_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        new.name,
        new.kind,
        new.url,
        new.schedule,
        new.category,
        settings,
        micros(now),
        new.account.map(|a| a.0),
    ])
    .map_err(|e| {
        // SQLite names only the first constraint it trips; when both clash, the name is the
        // one the owner chose and can change, so report that.
        let name_taken = conn
            .prepare_cached("SELECT 1 FROM sources WHERE name = ?1")
            .and_then(|mut s| s.exists([&new.name]))
            .unwrap_or(false);
        if name_taken {
            StoreError::DuplicateName(new.name.clone())
        } else {
            unique_violation(e, &new.name, &new.url)
        }
    })?;
    Ok(SourceId(conn.last_insert_rowid()))
}

pub(super) fn by_id(conn: &Connection, id: SourceId) -> Result<Option<SourceRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM sources WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id.0], record)
        .optional()?)
}

pub(super) fn find(conn: &Connection, key: &str) -> Result<Option<SourceRecord>> {
    // Name first: a source may be named like another's URL, and the name is what the owner typed.
    let sql = format!(
        "SELECT {COLUMNS} FROM sources WHERE name = ?1 OR url = ?1 ORDER BY name = ?1 DESC LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([key], record)
        .optional()?)
}

pub(super) fn list(conn: &Connection) -> Result<Vec<SourceRecord>> {
    // The owner's posts are Braid's own, not a subscription (own.rs): not listed, exported or
    // polled.
    let sql =
        format!("SELECT {COLUMNS} FROM sources WHERE kind <> '{OWNER_KIND}' ORDER BY name, id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], record)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn due(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<SourceRecord>> {
    // NULLs sort first: a never-polled source is the most overdue.
    let sql = format!(
        "SELECT {COLUMNS} FROM sources
         WHERE enabled = 1 AND paused = 0 AND (next_poll IS NULL OR next_poll <= ?1)
             AND kind <> '{OWNER_KIND}'
         ORDER BY next_poll, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([micros(now)], record)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn expect_one(changed: usize, id: SourceId) -> Result<()> {
    if changed == 0 {
        return Err(StoreError::NoSuchSource(id.to_string()));
    }
    Ok(())
}

pub(super) fn remove(conn: &mut Connection, id: SourceId) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    remove_in(&tx, id)?;
    tx.commit()?;
    Ok(())
}

/// Removes a source inside the caller's transaction (an account's removal takes its sources
/// with it in one).
pub(super) fn remove_in(tx: &rusqlite::Transaction<'_>, id: SourceId) -> Result<()> {
    refuse_owner(tx, id)?;
    // Other sources' copies linked to this source's items must get a new primary first, or
    // they would vanish from the merged timeline along with it.
    tx.execute(
        "INSERT INTO temp.doomed (id) SELECT id FROM items WHERE source_id = ?1",
        [id.0],
    )?;
    release_groups(tx)?;
    // Items and tombstones go by ON DELETE CASCADE; the items triggers keep FTS in step.
    let changed = tx.execute("DELETE FROM sources WHERE id = ?1", [id.0])?;
    tx.execute("DELETE FROM temp.doomed", [])?;
    expect_one(changed, id)
}

/// The owner's posts cannot be removed, paused, re-enabled or rescheduled: nothing polls
/// them, and removing them would take what the owner composed out of the channels.
fn refuse_owner(conn: &Connection, id: SourceId) -> Result<()> {
    let owner = conn
        .prepare_cached("SELECT 1 FROM sources WHERE id = ?1 AND kind = ?2")?
        .exists(params![id.0, OWNER_KIND])?;
    if owner {
        return Err(StoreError::Other(format!(
            "{OWNER_NAME:?} holds what you composed into channels: it is Braid's own, never polled, and cannot be changed or removed"
        )));
    }
    Ok(())
}

pub(super) fn enable(conn: &mut Connection, id: SourceId) -> Result<()> {
    refuse_owner(conn, id)?;
    let changed = conn
        .prepare_cached(
            "UPDATE sources SET enabled = 1, disabled_reason = NULL, error_count = 0,
                 next_poll = NULL
             WHERE id = ?1",
        )?
        .execute([id.0])?;
    expect_one(changed, id)
}

pub(super) fn set_next_poll(conn: &mut Connection, id: SourceId, at: DateTime<Utc>) -> Result<()> {
    let changed = conn
        .prepare_cached("UPDATE sources SET next_poll = ?2 WHERE id = ?1")?
        .execute(params![id.0, micros(at)])?;
    expect_one(changed, id)
}

pub(super) fn record_failure(
    conn: &mut Connection,
    id: SourceId,
    failure: &PollFailure,
    now: DateTime<Utc>,
) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE sources SET
                 last_error = ?2, last_error_at = ?3, last_poll = ?3, next_poll = ?4,
                 error_count = error_count + ?5,
                 enabled = CASE WHEN ?6 IS NULL THEN enabled ELSE 0 END,
                 disabled_reason = coalesce(?6, disabled_reason)
             WHERE id = ?1",
        )?
        .execute(params![
            id.0,
            failure.message,
            micros(now),
            failure.next_poll.map(micros),
            i64::from(failure.counts_as_failure),
            failure.disable,
        ])?;
    expect_one(changed, id)
}

/// Pauses or resumes a source. Resuming clears `next_poll`, so the source is due at once: the
/// owner who resumes it expects news, not the rest of a schedule that ran while it slept.
pub(super) fn set_paused(conn: &mut Connection, id: SourceId, paused: bool) -> Result<()> {
    refuse_owner(conn, id)?;
    let changed = conn
        .prepare_cached(
            "UPDATE sources SET paused = ?2,
                 next_poll = CASE WHEN ?2 THEN next_poll ELSE NULL END
             WHERE id = ?1",
        )?
        .execute(params![id.0, paused])?;
    expect_one(changed, id)
}

/// Sets the schedule (`None`: the configured default) and the next poll it gives.
pub(super) fn set_schedule(
    conn: &mut Connection,
    id: SourceId,
    schedule: Option<&str>,
    next_poll: Option<DateTime<Utc>>,
) -> Result<()> {
    refuse_owner(conn, id)?;
    let changed = conn
        .prepare_cached("UPDATE sources SET schedule = ?2, next_poll = ?3 WHERE id = ?1")?
        .execute(params![id.0, schedule, next_poll.map(micros)])?;
    expect_one(changed, id)
}
