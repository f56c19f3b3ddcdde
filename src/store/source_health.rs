//! The sources page's reads: one page of sources in name order (keyset, `name > after`), the
//! counts of its summary line, and each source's items per day for its chart.

use std::collections::HashMap;

use braid_core::SourceId;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::conn::micros;
use super::own::OWNER_KIND;
use super::sources::{record, COLUMNS};
use super::{Result, SourceCounts, SourceFilter, SourceRecord};

/// Microseconds in a day: days are counted in UTC, as the page shows times.
const DAY_MICROS: i64 = 86_400_000_000;

impl SourceFilter {
    /// The condition on a `sources` row; constant SQL, never built from input.
    fn sql(self) -> &'static str {
        match self {
            SourceFilter::All => "1",
            SourceFilter::Failing => "enabled = 1 AND error_count > 0",
            SourceFilter::Disabled => "enabled = 0",
            SourceFilter::Paused => "paused = 1",
        }
    }
}

/// Up to `limit` sources named after `after` (all from the first when `None`), by name. Names
/// are unique, so the name alone is a stable key for the next page.
pub(super) fn page(
    conn: &Connection,
    filter: SourceFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<SourceRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sources WHERE (?1 IS NULL OR name > ?1) AND {} \
             AND kind <> '{OWNER_KIND}' \
         ORDER BY name LIMIT ?2",
        filter.sql()
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![after, limit], record)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many sources there are, and how many fail, are disabled, paused or read in part: one scan of the
/// sources table (thousands of rows, no items).
pub(super) fn counts(conn: &Connection) -> Result<SourceCounts> {
    // The owner's posts (own.rs) are no subscription: not counted.
    Ok(conn
        .prepare_cached(&format!(
            "SELECT count(*), coalesce(sum(enabled = 1 AND error_count > 0), 0),
                    coalesce(sum(enabled = 0), 0), coalesce(sum(paused = 1), 0),
                    coalesce(sum(enabled = 1 AND error_count = 0
                                 AND last_warning IS NOT NULL), 0)
             FROM sources WHERE kind <> '{OWNER_KIND}'",
        ))?
        .query_row([], |r| {
            Ok(SourceCounts {
                total: r.get(0)?,
                failing: r.get(1)?,
                disabled: r.get(2)?,
                paused: r.get(3)?,
                partial: r.get(4)?,
            })
        })?)
}

/// For each of `ids`, its items per UTC day for `days` days from `start` (a midnight), oldest
/// first; a source with none has all zeros. One query for the whole page.
///
/// Counted by `first_seen`, when Braid stored the item, not by `published`: the chart tells
/// whether a source is alive and how much it brings into the timeline now. A feed that
/// re-sends or backfills old entries is busy today (and a "published" date can be missing,
/// wrong, or years back), while a feed that stopped publishing shows empty days even if its
/// last entries claim to be recent. Deleted and pruned items no longer count.
pub(super) fn per_day(
    conn: &Connection,
    ids: &[SourceId],
    start: DateTime<Utc>,
    days: usize,
) -> Result<HashMap<SourceId, Vec<u32>>> {
    let mut out: HashMap<SourceId, Vec<u32>> = ids.iter().map(|id| (*id, vec![0; days])).collect();
    if ids.is_empty() || days == 0 {
        return Ok(out);
    }
    let list = serde_json::to_string(&ids.iter().map(|id| id.0).collect::<Vec<_>>())
        .map_err(|e| super::StoreError::Other(format!("source ids: {e}")))?;
    let from = micros(start);
    let until = from.saturating_add(DAY_MICROS.saturating_mul(days as i64));
    // The ids come as one JSON array, so the page is one statement whatever its size;
    // `items_source_seen` turns each id into a range scan of its recent items.
    let mut stmt = conn.prepare_cached(
        "SELECT source_id, (first_seen - ?2) / ?4 AS day, count(*)
         FROM items
         WHERE source_id IN (SELECT value FROM json_each(?1))
           AND first_seen >= ?2 AND first_seen < ?3
         GROUP BY source_id, day",
    )?;
    let rows = stmt.query_map(params![list, from, until, DAY_MICROS], |r| {
        Ok((
            SourceId(r.get(0)?),
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (id, day, n) = row?;
        if let (Some(counts), Ok(day)) = (out.get_mut(&id), usize::try_from(day)) {
            if let Some(slot) = counts.get_mut(day) {
                *slot = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
    }
    Ok(out)
}
