//! Finding the newest matches of a search, with work bounded by what the page needs.
//!
//! The timeline wants matches by `(sort_time, id)`, newest first. FTS5 yields them by rowid
//! (sqlite.org/fts5.html §5.1, "ORDER BY rowid"), and since schema V4 its rowid is the item's
//! [`search_key`], which orders like the timeline to the second. So the page comes from FTS5
//! itself, newest first: it reads matches until the page is full and the second it ends in is
//! complete, then orders those exactly ([`ordered`]). A word in every item costs a page of
//! steps, a rare word its few matches, a phrase the candidates FTS5 compares on the way.
//!
//! Two cases still start from the timeline's side:
//!
//! - **Prefix terms.** FTS5 answers a prefix without a prefix index by merging the doclists of
//!   every term it covers, whole, before the first row (fts5_index.c `fts5SetupPrefixIter`):
//!   seconds for a common prefix. So a prefix search first walks the timeline index newest
//!   first in small chunks and checks each against the query, which finds a page of a common
//!   prefix in a few hundred rows; only when the matches look rare (or the walk passes its
//!   budget) does FTS5's side take over, where the walk stopped.
//! - **One source's view.** FTS5's order is the merged timeline's; a small source's matches may
//!   sit far apart in it. The same walk runs over the source's own timeline; FTS5's side, when
//!   it takes over, lists the matches' keys when they are many and the walk goes on against
//!   them, or reads them in order when they are few.
//!
//! How a chunk is checked depends on the query. A single word is probed in the real index
//! (`rowid = key`, a seek in the term's doclist). A prefix cannot be (one probe costs the whole
//! merge), so prefixes, phrases and several words are checked by indexing the chunk's rows into
//! a small contentless FTS5 table in the connection's TEMP schema, with the same tokenizer, and
//! running the query there: the same matching rules by construction.
//!
//! The plans agree on every page: tests walk searches of every density through each forced
//! plan and compare with the naive plan, all matches sorted (`tests/read.rs`).

use std::collections::HashSet;

use rusqlite::{params, Connection};

use super::fts::Match;

/// Knobs of the planner; tests set them to force each path.
#[derive(Debug, Clone, Copy)]
pub(super) struct Knobs {
    /// Rows checked by the first chunk of the walk (for a page of 50; scaled with the limit).
    pub first_chunk: usize,
    /// Most rows the walk checks before FTS5's side takes over, whatever the estimates say.
    pub walk_budget: usize,
    /// Below this many matches FTS5's side ranks them all; from it on, it fills a bitset.
    pub few: i64,
    /// Whether the walk stops early when FTS5's side looks cheaper (off in tests that force
    /// a long walk).
    pub by_cost: bool,
    /// Whether a merged-timeline search without a prefix goes straight to FTS5's ordered side
    /// (off in tests that force the walk).
    pub ordered_first: bool,
}

/// Measured on the benchmark's databases (docs/BENCHMARKS.md, SQLite 3.50): checking one row
/// costs ~35 µs (a probe of the real index for a word, a row tokenized into the TEMP table
/// otherwise), and FTS5 lists a word's matches at ~0.08 µs each, ~450 times cheaper. A phrase
/// or several words cost FTS5 ~0.3 µs per candidate (positions compared), and a prefix a merge
/// of every covered term's positions, so for those the walk is worth more rows. Reading the
/// matches in order (the merged timeline's searches without a prefix) needs no walk at all.
pub(super) const KNOBS: Knobs = Knobs {
    first_chunk: 32,
    walk_budget: 2_000,
    few: 10_000,
    by_cost: true,
    ordered_first: true,
};

/// The low bits of a [`search_key`]: an id's place within its second.
const KEY_ID_BITS: u32 = 27;
/// Seconds of `sort_time` beyond this (either way) share the outermost key.
const KEY_MAX_SECS: i64 = (1 << 35) - 1;

/// The second a `sort_time` (µs) falls in for [`search_key`]; never decreases as time grows.
fn key_second(sort_time: i64) -> i64 {
    // `/` truncates toward zero, as SQLite's integer division does.
    (sort_time / 1_000_000).clamp(-KEY_MAX_SECS - 1, KEY_MAX_SECS)
}

/// The FTS5 rowid of an item: the generated column `items.search_key` (schema.rs V4), which
/// computes the same in SQL. Ordered by the key, items are in timeline order to the second.
pub(super) fn search_key(sort_time: i64, id: i64) -> i64 {
    (key_second(sort_time) << KEY_ID_BITS) + (id & ((1 << KEY_ID_BITS) - 1))
}

/// The smallest key of the second after `sort_time`'s: every item at or before `sort_time`
/// has a smaller key.
fn key_bound(sort_time: i64) -> i64 {
    (key_second(sort_time) + 1) << KEY_ID_BITS
}

/// What FTS5's side would cost, in rows the walk could check instead, given the density seen.
/// A word: ~450 listed matches per checked row. A prefix: a merge of every covered term's
/// doclist, ~0.2 µs a posting, ~160 postings per checked row; words in real text have a few
/// forms a prefix covers in one item, so ~40 matches per checked row. (The benchmark's `w1*`,
/// a thousand synthetic terms with dozens in every item, merges 46 postings per match; at the
/// density where this estimate hands such a prefix to FTS5, a page would cost a few hundred
/// ms by that rate.) A phrase or several words: FTS5 compares positions in every candidate, and
/// the candidates of common words are most items whatever the matches, ~120 per checked row.
fn listing_cost(m: &Match, items: usize, found: usize, scanned: usize) -> usize {
    let matches = items.saturating_mul(found) / scanned.max(1);
    if m.prefix {
        matches / 40
    } else if m.single_word {
        matches / 450
    } else {
        (matches / 40).max(items / 120)
    }
}

/// Which rows a page may show and where it starts.
pub(super) struct Scope {
    /// `Some` for one source's view (its copies included), `None` for the merged timeline
    /// (primaries only).
    pub source: Option<i64>,
    /// Strictly older than this `(sort_time, id)`.
    pub before: (i64, i64),
    pub limit: usize,
}

/// The ids of the page, newest first.
pub(super) fn newest(
    conn: &Connection,
    m: &Match,
    scope: &Scope,
    k: Knobs,
) -> rusqlite::Result<Vec<i64>> {
    if k.ordered_first && scope.source.is_none() && !m.prefix {
        return ordered(conn, m, scope);
    }
    let limit = scope.limit;
    let mut found = Vec::with_capacity(limit);
    let mut pos = scope.before;
    let mut scanned = 0usize;
    let mut chunk = (k.first_chunk * limit / 50).clamp(1, k.walk_budget.max(1));
    // FTS5's side works over every item whatever the view, so its cost scales with them all.
    let items: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM items")?
        .query_row([], |r| r.get(0))?;
    let items = usize::try_from(items).unwrap_or(0);
    let in_index = m.single_word;
    if !in_index {
        ensure_probe_table(conn)?;
    }
    while k.walk_budget > scanned {
        let rows = timeline_chunk(conn, scope, pos, chunk)?;
        let hits = if in_index {
            check_in_index(conn, m, &rows)?
        } else {
            check_in_temp(conn, m, &rows)?
        };
        for &(_, id) in &rows {
            if hits.contains(&id) {
                found.push(id);
                if found.len() == limit {
                    return Ok(found);
                }
            }
        }
        if rows.len() < chunk {
            // The timeline ends here: the page is complete.
            return Ok(found);
        }
        scanned += rows.len();
        if let Some(&last) = rows.last() {
            pos = last;
        }
        // Rows still needed at the density seen so far, with a margin so one more chunk usually
        // finishes the page; and what FTS5's side would cost instead, in rows.
        let need = limit - found.len();
        let (projected, listing) = match found.len() {
            0 => (usize::MAX, 0),
            f => (
                (need * scanned / f).saturating_mul(5) / 4 + 1,
                listing_cost(m, items, f, scanned),
            ),
        };
        if projected > k.walk_budget.saturating_sub(scanned) || (k.by_cost && projected > listing) {
            break;
        }
        // Growing at most fourfold a step refines a density guessed from a few rows before
        // the walk commits hundreds of checks to it.
        chunk = projected.min(chunk.saturating_mul(4)).max(chunk);
    }
    let rest = Scope {
        source: scope.source,
        before: pos,
        limit: limit - found.len(),
    };
    found.extend(from_index(conn, m, &rest, k)?);
    Ok(found)
}

/// The next `n` rows of the scope's timeline, newest first, as `(sort_time, id)`; read from the
/// timeline indexes alone.
fn timeline_chunk(
    conn: &Connection,
    scope: &Scope,
    pos: (i64, i64),
    n: usize,
) -> rusqlite::Result<Vec<(i64, i64)>> {
    let (sql, source) = match scope.source {
        None => (
            "SELECT sort_time, id FROM items INDEXED BY items_timeline
             WHERE dup_of IS NULL AND (sort_time, id) < (?1, ?2)
             ORDER BY sort_time DESC, id DESC LIMIT ?4",
            None,
        ),
        Some(s) => (
            "SELECT sort_time, id FROM items INDEXED BY items_source_time
             WHERE source_id = ?3 AND (sort_time, id) < (?1, ?2)
             ORDER BY sort_time DESC, id DESC LIMIT ?4",
            Some(s),
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![pos.0, pos.1, source, n as i64], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect()
}

/// Which of `rows` match, probing the real index once per row.
fn check_in_index(
    conn: &Connection,
    m: &Match,
    rows: &[(i64, i64)],
) -> rusqlite::Result<HashSet<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM items_fts WHERE items_fts MATCH ?1 AND rowid = ?2")?;
    let mut hits = HashSet::new();
    for &(sort_time, id) in rows {
        if stmt.exists(params![m.expr, search_key(sort_time, id)])? {
            hits.insert(id);
        }
    }
    Ok(hits)
}

/// The TEMP table that checks prefix queries chunk by chunk. Its columns and tokenizer must be
/// those of `items_fts` (schema.rs V1), so that a query matches here exactly when it matches
/// there. Contentless: only rowids come back, and `delete-all` empties it in one step.
fn ensure_probe_table(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_probe USING fts5 (
             title, content_text, author_name,
             content = '',
             tokenize = 'unicode61 remove_diacritics 2'
         )",
    )?
    .execute([])?;
    Ok(())
}

/// Which of `rows` match, by indexing their text into the TEMP table and querying it.
fn check_in_temp(
    conn: &Connection,
    m: &Match,
    rows: &[(i64, i64)],
) -> rusqlite::Result<HashSet<i64>> {
    let ids: Vec<i64> = rows.iter().map(|&(_, id)| id).collect();
    let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
    conn.prepare_cached(
        "INSERT INTO temp.search_probe (rowid, title, content_text, author_name)
         SELECT id, title, content_text, author_name FROM items
         WHERE id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([ids])?;
    let hits: rusqlite::Result<HashSet<i64>> = conn
        .prepare_cached("SELECT rowid FROM temp.search_probe WHERE search_probe MATCH ?1")?
        .query_map([&m.expr], |r| r.get(0))?
        .collect();
    // Emptied even when the query failed, so the next chunk starts clean.
    conn.prepare_cached("INSERT INTO temp.search_probe (search_probe) VALUES ('delete-all')")?
        .execute([])?;
    hits
}

/// The page from FTS5's side: the matches in timeline order when they are few or the view is
/// the merged timeline; else (one source's view of a common query) their keys, sorted, against
/// which the source's timeline index is walked.
fn from_index(conn: &Connection, m: &Match, scope: &Scope, k: Knobs) -> rusqlite::Result<Vec<i64>> {
    if scope.limit == 0 {
        return Ok(Vec::new());
    }
    if scope.source.is_none() {
        return ordered(conn, m, scope);
    }
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ?1 LIMIT ?2)",
        )?
        .query_row(params![m.expr, k.few], |r| r.get(0))?;
    if n < k.few {
        return ordered(conn, m, scope);
    }
    // Ascending: FTS5 yields rowids in order, so the list is sorted as it is read.
    let keys: Vec<i64> = conn
        .prepare_cached("SELECT rowid FROM items_fts WHERE items_fts MATCH ?1 ORDER BY rowid")?
        .query_map([&m.expr], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let matches = |sort_time: i64, id: i64| keys.binary_search(&search_key(sort_time, id)).is_ok();
    let mut found = Vec::with_capacity(scope.limit);
    let mut pos = scope.before;
    // Density is at least `few` matches over the whole timeline, so chunks of this size
    // usually finish the page in one or two steps.
    let chunk = 4_096;
    loop {
        let rows = timeline_chunk(conn, scope, pos, chunk)?;
        for &(sort_time, id) in &rows {
            if matches(sort_time, id) {
                found.push(id);
                if found.len() == scope.limit {
                    return Ok(found);
                }
            }
        }
        match rows.last() {
            Some(&last) if rows.len() == chunk => pos = last,
            _ => return Ok(found),
        }
    }
}

/// [`ordered`]'s query: `?1` the MATCH expression, `?2` the key bound, `?3, ?4` the page key,
/// `?5` the source of a source's view.
pub(super) fn ordered_sql(by_source: bool) -> String {
    let filter = match by_source {
        true => "i.source_id = ?5",
        false => "i.dup_of IS NULL",
    };
    // CROSS JOIN keeps FTS5 the outer loop, whose order is the page's.
    format!(
        "SELECT i.sort_time, i.id FROM items_fts f
             CROSS JOIN items i INDEXED BY items_search_key ON i.search_key = f.rowid
         WHERE f.items_fts MATCH ?1 AND f.rowid < ?2 AND (i.sort_time, i.id) < (?3, ?4)
           AND {filter}
         ORDER BY f.rowid DESC"
    )
}

/// The page straight from FTS5, in its rowid order (the timeline's, to the second): matches
/// are read newest first until the page is full and the second it ends in is complete, then
/// ordered exactly by `(sort_time, id)`. Each match's row is found through `items_search_key`
/// and its filter columns read from the row's first page (the short columns come first).
fn ordered(conn: &Connection, m: &Match, scope: &Scope) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(&ordered_sql(scope.source.is_some()))?;
    let bound = key_bound(scope.before.0);
    let (time, id) = scope.before;
    let mut rows = match scope.source {
        Some(source) => stmt.query(params![m.expr, bound, time, id, source])?,
        None => stmt.query(params![m.expr, bound, time, id])?,
    };
    let mut found: Vec<(i64, i64)> = Vec::with_capacity(scope.limit + 1);
    while let Some(r) = rows.next()? {
        let (sort_time, id): (i64, i64) = (r.get(0)?, r.get(1)?);
        if found.len() >= scope.limit
            && found
                .last()
                .is_some_and(|&(last, _)| key_second(last) != key_second(sort_time))
        {
            break;
        }
        found.push((sort_time, id));
    }
    found.sort_unstable_by(|a, b| b.cmp(a));
    found.truncate(scope.limit);
    Ok(found.into_iter().map(|(_, id)| id).collect())
}
