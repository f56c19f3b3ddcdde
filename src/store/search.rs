//! Finding the newest matches of a search, with work bounded by what the page needs.
//!
//! The timeline wants matches by `(sort_time, id)`, newest first; FTS5 yields them by rowid
//! (sqlite.org/fts5.html §5.1, "ORDER BY rowid"), and `sort_time` (the published date) does not
//! follow insertion order: a new source back-fills years of entries. So neither side can stop
//! early on its own, and the cost of a search depends on how dense its matches are:
//!
//! - **Dense** (a word in most items): walk the timeline index newest first and check each
//!   chunk of rows against the query; a page of 50 needs about `50 / density` rows.
//! - **Sparse** (a rare word): let FTS5 list the matches, which is cheap when they are few, and
//!   rank them by `(sort_time, id)` through the narrow `items_search` index.
//! - **In between** (thousands of matches): FTS5 lists the match rowids into a bitset (no
//!   wide rows touched, ~0.08 µs a match) and the timeline index is walked against it.
//!
//! Every search starts as a walk over a small chunk of the newest rows, which is also the
//! density probe: after each chunk, the matches found so far project how many more rows the
//! page needs and how many matches FTS5 would list, and as soon as listing looks cheaper (or
//! the walk passes its budget) the rest of the page comes from FTS5's side, starting where the
//! walk stopped. So a dense search costs a few dozen checks, a sparse one one small chunk of
//! wasted checks, and no search ranks or holds hundreds of thousands of rows.
//!
//! How a chunk is checked depends on the query. A single word is probed in the real index
//! (`rowid = ?`, a seek in the term's doclist). A prefix term cannot be: FTS5 answers a prefix
//! without a prefix index by merging the doclists of every term it covers, whole, before the
//! first row (fts5_index.c `fts5SetupPrefixIter`), so one probe costs as much as the full query
//! (seconds for a common prefix). So prefixes, phrases and several words are checked by
//! indexing the chunk's rows into a small contentless FTS5 table in the connection's TEMP
//! schema, with the same tokenizer, and running the query there: the same matching rules by
//! construction, at the cost of tokenizing the chunk (cheaper than a phrase probe).
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
}

/// Measured on the benchmark's databases (docs/BENCHMARKS.md, SQLite 3.50): checking one row
/// costs ~35 µs (a probe of the real index for a word, a row tokenized into the TEMP table
/// otherwise), and FTS5 lists a word's matches at ~0.08 µs each, ~450 times cheaper. A phrase
/// or several words cost FTS5 ~0.3 µs per candidate (positions compared), and a prefix a merge
/// of every covered term's positions, so for those the walk is worth more rows.
pub(super) const KNOBS: Knobs = Knobs {
    first_chunk: 32,
    walk_budget: 2_000,
    few: 10_000,
    by_cost: true,
};

/// What FTS5's side would cost, in rows the walk could check instead, given the density seen.
/// A word: ~450 listed matches per checked row. A prefix: its whole merge, assume the walk's
/// budget. A phrase or several words: FTS5 compares positions in every candidate, and the
/// candidates of common words are most items whatever the matches, ~120 per checked row.
fn listing_cost(m: &Match, items: usize, found: usize, scanned: usize) -> usize {
    let matches = items.saturating_mul(found) / scanned.max(1);
    if m.prefix {
        usize::MAX
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
        chunk = projected.max(chunk);
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
    for &(_, id) in rows {
        if stmt.exists(params![m.expr, id])? {
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

/// The page from FTS5's side: all matches ranked when they are few, else a bitset of them
/// against the timeline index.
fn from_index(conn: &Connection, m: &Match, scope: &Scope, k: Knobs) -> rusqlite::Result<Vec<i64>> {
    if scope.limit == 0 {
        return Ok(Vec::new());
    }
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ?1 LIMIT ?2)",
        )?
        .query_row(params![m.expr, k.few], |r| r.get(0))?;
    if n < k.few {
        return ranked(conn, m, scope);
    }
    let mut bits: Vec<u64> = Vec::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT rowid FROM items_fts WHERE items_fts MATCH ?1")?;
        let mut rows = stmt.query([&m.expr])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            // Item ids are positive (INTEGER PRIMARY KEY from 1); anything else cannot be an item.
            let Ok(id) = usize::try_from(id) else {
                continue;
            };
            let word = id / 64;
            if word >= bits.len() {
                bits.resize(word + 1, 0);
            }
            bits[word] |= 1 << (id % 64);
        }
    }
    let matches = |id: i64| {
        usize::try_from(id)
            .ok()
            .and_then(|id| bits.get(id / 64).map(|w| (w & (1 << (id % 64))) != 0))
            .unwrap_or(false)
    };
    let mut found = Vec::with_capacity(scope.limit);
    let mut pos = scope.before;
    // Density is at least `few` matches over the whole timeline, so chunks of this size
    // usually finish the page in one or two steps.
    let chunk = 4_096;
    loop {
        let rows = timeline_chunk(conn, scope, pos, chunk)?;
        for &(_, id) in &rows {
            if matches(id) {
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

/// All matches ranked by `(sort_time, id)` through the narrow `items_search` index; the wide
/// rows are not read.
fn ranked(conn: &Connection, m: &Match, scope: &Scope) -> rusqlite::Result<Vec<i64>> {
    let filter = match scope.source {
        Some(_) => "i.source_id = ?3",
        None => "i.dup_of IS NULL",
    };
    let sql = format!(
        "SELECT i.id FROM items_fts f JOIN items i INDEXED BY items_search ON i.id = f.rowid
         WHERE f.items_fts MATCH ?4 AND (i.sort_time, i.id) < (?1, ?2) AND {filter}
         ORDER BY i.sort_time DESC, i.id DESC LIMIT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            scope.before.0,
            scope.before.1,
            scope.source,
            m.expr,
            scope.limit as i64
        ],
        |r| r.get(0),
    )?;
    rows.collect()
}
