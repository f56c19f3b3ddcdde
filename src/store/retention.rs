//! The retention policy: per source, drop items older than `max_age_days` (by `sort_time`) and
//! items beyond the newest `max_items`.
//!
//! Never removed:
//! - the owner's own posts (`is_own = 1`);
//! - rows with `keep <> 0`. This is the hook for the outbox: while a delivery references an item
//!   (pending, in flight, or done and still needed for edit/delete propagation) it sets `keep`, or
//!   the queries below grow `AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.item_id = i.id)`
//!   once that table exists.
//!
//! Pruning is not deleting: the origin did not delete the entry, and a feed usually lists its
//! last N entries for months. Without a memory of what was pruned, every poll would re-add the
//! entries retention just removed (and a date-less entry would come back at the top of the
//! timeline with a fresh `first_seen`). So each pruned `(source, remote_id)` is recorded in
//! `tombstones` with `reason = 'pruned'`; ingest skips it (counted as unchanged, not as
//! tombstoned). The marker costs one small row per pruned item and goes with its source; an
//! origin's later delete turns it into a real tombstone.
//!
//! `max_items` counts every item of the source, kept ones included, and then removes only the
//! removable ones among those past the limit.
//!
//! Each source is pruned in its own transaction, so the writer is released between sources and
//! polls are not held up behind one long retention pass.

use std::collections::HashMap;

use braid_core::SourceId;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, TransactionBehavior};

use super::conn::{micros, Pool};
use super::items::delete_doomed;
use super::{Result, Retention};

const DAY_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

pub(super) fn apply(
    pool: &Pool,
    global: Retention,
    per_source: &HashMap<SourceId, Retention>,
    now: DateTime<Utc>,
) -> Result<usize> {
    let sources: Vec<i64> = pool.with_reader(|c| {
        let mut stmt = c.prepare_cached("SELECT id FROM sources ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    })?;
    let mut removed = 0;
    for id in sources {
        let rule = per_source.get(&SourceId(id)).copied().unwrap_or(global);
        if rule == Retention::default() {
            continue;
        }
        removed += pool.with_writer(|c| prune_source(c, id, rule, micros(now)))?;
    }
    Ok(removed)
}

fn prune_source(conn: &mut Connection, source: i64, rule: Retention, now: i64) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(days) = rule.max_age_days {
        let cutoff = now.saturating_sub(i64::from(days).saturating_mul(DAY_MICROS));
        tx.prepare_cached(
            "INSERT OR IGNORE INTO temp.doomed (id)
             SELECT id FROM items
             WHERE source_id = ?1 AND sort_time < ?2 AND is_own = 0 AND keep = 0",
        )?
        .execute(params![source, cutoff])?;
    }
    if let Some(max) = rule.max_items {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO temp.doomed (id)
             SELECT id FROM (SELECT id, is_own, keep FROM items WHERE source_id = ?1
                             ORDER BY sort_time DESC, id DESC LIMIT -1 OFFSET ?2)
             WHERE is_own = 0 AND keep = 0",
        )?
        .execute(params![source, i64::from(max)])?;
    }
    tx.prepare_cached(
        "INSERT INTO tombstones (source_id, remote_id, reason, at)
         SELECT source_id, remote_id, 'pruned', ?1 FROM items WHERE id IN temp.doomed
         ON CONFLICT (source_id, remote_id) DO NOTHING",
    )?
    .execute([now])?;
    let removed = delete_doomed(&tx)?;
    tx.commit()?;
    Ok(removed)
}
