//! Reading: keyset pages of the merged timeline, one source's timeline, FTS5 search, and the
//! row → [`StoredItem`] mapping.
//!
//! Keyset, not OFFSET: the next page starts strictly after the `(sort_time, id)` of the last
//! item shown, so a page costs the same at any depth and items arriving meanwhile never shift or
//! repeat what the reader sees. `id` breaks ties between equal `sort_time`s.

use std::collections::{HashMap, HashSet};

use braid_core::sanitize::SafeHtml;
use braid_core::{Attachment, Author, Item, ItemId, ItemKind, RemoteId, SourceId, Visibility};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::conn::{from_micros, micros, opt_time};
use super::{fts, search};
use super::{
    Origin, PageKey, ParentRef, Result, StoredItem, TimelinePage, TimelineQuery,
    PARENT_EXCERPT_CHARS,
};

pub(super) const MAX_LIMIT: usize = 500;

const COLUMNS: &str = "i.id, i.source_id, s.name, i.remote_id, i.kind, i.author_name, \
    i.author_handle, i.author_url, i.author_avatar, i.title, i.content_html, i.content_text, \
    i.summary, i.content_warning, i.language, i.published, i.updated, i.in_reply_to, \
    i.attachments, i.tags, i.url, i.visibility, i.first_seen, i.sort_time, i.dup_of, s.kind, i.card";

pub(super) fn page(conn: &Connection, q: &TimelineQuery) -> Result<TimelinePage> {
    page_planned(conn, q, search::KNOBS)
}

type Rows = Vec<(StoredItem, Option<i64>)>;

/// Rounds of a filtered search: each reads a page of matches and keeps those that pass the
/// filters. A rare filter on a common word stops here with a shorter page whose "Older" link
/// goes on where the reading stopped, rather than reading every match at once.
const FILTERED_SEARCH_ROUNDS: usize = 8;

/// [`page`] with the search planner's knobs as a parameter, so tests can force each plan.
pub(super) fn page_planned(
    conn: &Connection,
    q: &TimelineQuery,
    knobs: search::Knobs,
) -> Result<TimelinePage> {
    let limit = q.limit.clamp(1, MAX_LIMIT);
    let search = match q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(input) => match fts::query(input) {
            Some(m) => Some(m),
            // Nothing searchable in the input (only punctuation): nothing matches.
            None => {
                return Ok(TimelinePage {
                    items: Vec::new(),
                    next: None,
                })
            }
        },
    };
    let before = q
        .before
        .map(|k| (micros(k.sort_time), k.id.0))
        .unwrap_or((i64::MAX, i64::MAX));
    let source = q.source.map(|s| s.0);
    let run = || -> rusqlite::Result<(Rows, Option<PageKey>)> {
        let Some(m) = &search else {
            let (sql, mut values) = list_sql(q);
            values.splice(
                0..0,
                [
                    Value::Integer(before.0),
                    Value::Integer(before.1),
                    Value::Integer(limit as i64),
                ],
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows: Rows = stmt
                .query_map(params_from_iter(values), read_row)?
                .collect::<rusqlite::Result<_>>()?;
            let next = (rows.len() == limit)
                .then(|| rows.last().map(|(it, _)| key(it)))
                .flatten();
            return Ok((rows, next));
        };
        let mut scope = search::Scope {
            source,
            before,
            limit,
        };
        if !has_filters(q) {
            let rows = by_ids(conn, &search::newest(conn, m, &scope, knobs)?)?;
            let next = (rows.len() == limit)
                .then(|| rows.last().map(|(it, _)| key(it)))
                .flatten();
            return Ok((rows, next));
        }
        // Filters the search index knows nothing of: read pages of matches, keep what passes.
        let mut kept: Rows = Vec::with_capacity(limit);
        for _ in 0..FILTERED_SEARCH_ROUNDS {
            let ids = search::newest(conn, m, &scope, knobs)?;
            let read_all = ids.len() < scope.limit;
            let passing = passing(conn, &ids, q)?;
            let rows = by_ids(conn, &ids)?;
            let last = rows.last().map(|(it, _)| key(it));
            for row in rows {
                if passing.contains(&row.0.id.0) {
                    kept.push(row);
                    if kept.len() == limit {
                        let next = kept.last().map(|(it, _)| key(it));
                        return Ok((kept, next));
                    }
                }
            }
            match last {
                Some(k) if !read_all => scope.before = (micros(k.sort_time), k.id.0),
                _ => return Ok((kept, None)),
            }
        }
        // Out of rounds: "Older" goes on from the last match read.
        let next = PageKey {
            sort_time: from_micros(scope.before.0),
            id: ItemId(scope.before.1),
        };
        Ok((kept, Some(next)))
    };
    let (rows, next) = match run() {
        Ok(found) => found,
        // fts::query only emits quoted strings, so this is a bug, not the user's fault; still,
        // the owner sees "no results" rather than an SQL error.
        Err(e) if fts::is_syntax_error(&e) => {
            tracing::warn!(error = %e, "store: FTS5 rejected a generated query");
            (Vec::new(), None)
        }
        Err(e) => return Err(e.into()),
    };
    Ok(TimelinePage {
        items: annotate(conn, rows)?,
        next,
    })
}

fn has_filters(q: &TimelineQuery) -> bool {
    q.network.is_some()
        || q.channel.is_some()
        || q.has_media
        || q.after_id.is_some()
        || q.listed_only
}

/// The conditions of the filters besides source and search, with their values in order
/// (numbered from `?first`). Empty when there are none.
fn filter_sql(q: &TimelineQuery, first: usize) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut values = Vec::new();
    let mut n = first;
    if let Some(network) = &q.network {
        // A post seen on the network, also when the merged timeline shows another source's
        // copy of it (the copies of a primary, through `items_dups`).
        // Both subqueries are uncorrelated: SQLite runs each once into a lookup table, so
        // each row costs two probes, not a join and a search of its copies.
        sql.push_str(&format!(
            " AND (i.source_id IN (SELECT id FROM sources WHERE kind = ?{n})
                 OR i.id IN (SELECT dup_of FROM items WHERE dup_of IS NOT NULL
                     AND source_id IN (SELECT id FROM sources WHERE kind = ?{n})))"
        ));
        values.push(Value::Text(network.clone()));
        n += 1;
    }
    if let Some(channel) = q.channel {
        sql.push_str(&format!(
            " AND i.id IN (SELECT item_id FROM channel_items WHERE channel_id = ?{n})"
        ));
        values.push(Value::Integer(channel));
        n += 1;
    }
    if q.has_media {
        sql.push_str(" AND i.attachments <> '[]'");
    }
    if q.listed_only {
        // What a visitor may read; an unknown value is read as `direct` (see `read_row`),
        // so only these two are listed.
        sql.push_str(" AND i.visibility IN ('public', 'unlisted')");
    }
    if let Some(after) = q.after_id {
        sql.push_str(&format!(" AND i.id > ?{n}"));
        values.push(Value::Integer(after.0));
    }
    (sql, values)
}

/// The ids among `ids` that pass the query's filters (besides source and search).
fn passing(conn: &Connection, ids: &[i64], q: &TimelineQuery) -> rusqlite::Result<HashSet<i64>> {
    let (filters, mut values) = filter_sql(q, 2);
    values.insert(
        0,
        Value::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned())),
    );
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT i.id FROM items i JOIN sources s ON s.id = i.source_id
         WHERE i.id IN (SELECT value FROM json_each(?1)){filters}"
    ))?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
    rows.collect()
}

/// One page of the merged timeline, one source's (`q.source`) or one channel's, with the
/// other filters: `?1, ?2` the page key to start after, `?3` the limit, then the values
/// returned (the source first, then [`filter_sql`]'s).
pub(super) fn list_sql(q: &TimelineQuery) -> (String, Vec<Value>) {
    // A source's or a channel's own view shows its copies even when another source holds the
    // primary; the merged timeline shows each post once.
    let (scope, mut values) = match q.source {
        Some(s) => ("i.source_id = ?4", vec![Value::Integer(s.0)]),
        None if q.channel.is_some() => ("1", Vec::new()),
        None => ("i.dup_of IS NULL", Vec::new()),
    };
    let (filters, more) = filter_sql(q, 4 + values.len());
    values.extend(more);
    // CROSS JOIN keeps items the outer loop, walked newest first by the timeline's index,
    // whatever the planner guesses about a filter on sources.
    let sql = format!(
        "SELECT {COLUMNS} FROM items i CROSS JOIN sources s ON s.id = i.source_id
         WHERE (i.sort_time, i.id) < (?1, ?2) AND {scope}{filters}
         ORDER BY i.sort_time DESC, i.id DESC LIMIT ?3"
    );
    (sql, values)
}

/// The rows of `ids`, in timeline order (the order the search found them in).
fn by_ids(conn: &Connection, ids: &[i64]) -> rusqlite::Result<Rows> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned());
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM items i JOIN sources s ON s.id = i.source_id
         WHERE i.id IN (SELECT value FROM json_each(?1))
         ORDER BY i.sort_time DESC, i.id DESC"
    ))?;
    let rows = stmt.query_map([json], read_row)?;
    rows.collect()
}

pub(super) fn item(conn: &Connection, id: ItemId) -> Result<Option<StoredItem>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = ?1"
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id.0], read_row)
        .optional()?;
    Ok(annotate(conn, row.into_iter().collect())?.pop())
}

fn key(it: &StoredItem) -> PageKey {
    PageKey {
        sort_time: it.sort_time,
        id: it.id,
    }
}

/// The connector kinds that have at least one source, sorted.
pub(super) fn source_kinds(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT kind FROM sources ORDER BY kind")?;
    let kinds = stmt.query_map([], |r| r.get(0))?;
    Ok(kinds.collect::<rusqlite::Result<_>>()?)
}

/// Fills what a page shows around each item: `also_in` and `origins`, the other sources
/// through which its group (same canonical URL) was seen, each copy with its link (two
/// queries for the whole page, whatever its size); and `parent`, the item a reply answers when
/// its source holds it (one probe of the `(source_id, remote_id)` index per reply).
fn annotate(conn: &Connection, rows: Vec<(StoredItem, Option<i64>)>) -> Result<Vec<StoredItem>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // group id → every member's (item id, origin).
    let mut groups: HashMap<i64, Vec<(i64, Origin)>> = HashMap::new();
    let mut group_ids = Vec::with_capacity(rows.len());
    let mut foreign_primaries = Vec::new();
    for (it, dup_of) in &rows {
        let g = dup_of.unwrap_or(it.id.0);
        group_ids.push(g);
        if dup_of.is_some() {
            foreign_primaries.push(g);
        }
        groups.entry(g).or_default().push((it.id.0, origin_of(it)));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT i.dup_of, i.id, i.source_id, s.name, s.kind, i.url FROM items i
             JOIN sources s ON s.id = i.source_id
         WHERE i.dup_of IN (SELECT value FROM json_each(?1))
         UNION ALL
         SELECT i.id, i.id, i.source_id, s.name, s.kind, i.url FROM items i
             JOIN sources s ON s.id = i.source_id
         WHERE i.id IN (SELECT value FROM json_each(?2))",
    )?;
    let ids = |v: &[i64]| serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned());
    let page_ids: HashSet<i64> = rows.iter().map(|(it, _)| it.id.0).collect();
    let members = stmt.query_map(params![ids(&group_ids), ids(&foreign_primaries)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            Origin {
                source: SourceId(r.get(2)?),
                source_name: r.get(3)?,
                network: r.get(4)?,
                url: r.get(5)?,
            },
        ))
    })?;
    for m in members {
        let (g, id, origin) = m?;
        // Page items are in the map already.
        if !page_ids.contains(&id) {
            groups.entry(g).or_default().push((id, origin));
        }
    }
    let mut parents = conn.prepare_cached(
        "SELECT id, coalesce(author_name, author_handle), coalesce(title, content_text, '')
         FROM items WHERE source_id = ?1 AND remote_id = ?2",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (mut it, dup_of) in rows {
        let g = dup_of.unwrap_or(it.id.0);
        let mut origins: Vec<Origin> = groups
            .get(&g)
            .into_iter()
            .flatten()
            .filter(|(_, o)| o.source != it.source)
            .map(|(_, o)| o.clone())
            .collect();
        origins.sort_by(|a, b| (&a.source_name, a.source).cmp(&(&b.source_name, b.source)));
        origins.dedup_by_key(|o| o.source);
        it.also_in = origins.iter().map(|o| o.source_name.clone()).collect();
        it.also_in.dedup();
        it.origins = origins;
        if let Some(parent) = it.item.in_reply_to.as_deref() {
            it.parent = parents
                .query_row(params![it.source.0, parent], |r| {
                    Ok(ParentRef {
                        id: ItemId(r.get(0)?),
                        author: r.get(1)?,
                        excerpt: excerpt(&r.get::<_, String>(2)?),
                    })
                })
                .optional()?;
        }
        out.push(it);
    }
    Ok(out)
}

fn origin_of(it: &StoredItem) -> Origin {
    Origin {
        source: it.source,
        source_name: it.source_name.clone(),
        network: it.network.clone(),
        url: it.item.url.clone(),
    }
}

/// The first [`PARENT_EXCERPT_CHARS`] characters of `text`, whitespace folded, with "…" when
/// cut.
fn excerpt(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(PARENT_EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", folded[..at].trim_end()),
        None => folded,
    }
}

/// Maps one row of [`COLUMNS`]; also returns `dup_of` for grouping.
fn read_row(r: &Row<'_>) -> rusqlite::Result<(StoredItem, Option<i64>)> {
    let author = Author {
        name: r.get(5)?,
        handle: r.get(6)?,
        url: r.get(7)?,
        avatar: r.get(8)?,
    };
    let author = (author != Author::default()).then_some(author);
    let kind: String = r.get(4)?;
    let visibility: String = r.get(21)?;
    let attachments: String = r.get(18)?;
    let tags: String = r.get(19)?;
    let item = Item {
        remote_id: RemoteId(r.get(3)?),
        // The store wrote these from the enums; unknown values (a newer Braid's) degrade to the
        // defaults rather than failing the whole page.
        kind: ItemKind::parse(&kind).unwrap_or_default(),
        author,
        title: r.get(9)?,
        content_html: r.get::<_, Option<String>>(10)?.map(SafeHtml::from_store),
        content_text: r.get(11)?,
        summary: r.get::<_, Option<String>>(12)?.map(SafeHtml::from_store),
        content_warning: r.get(13)?,
        language: r.get(14)?,
        published: opt_time(r.get(15)?),
        updated: opt_time(r.get(16)?),
        in_reply_to: r.get(17)?,
        attachments: serde_json::from_str::<Vec<Attachment>>(&attachments).unwrap_or_default(),
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        url: r.get(20)?,
        visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Direct),
        card: r
            .get::<_, Option<String>>(26)?
            .and_then(|c| serde_json::from_str(&c).ok()),
    };
    Ok((
        StoredItem {
            id: ItemId(r.get(0)?),
            source: SourceId(r.get(1)?),
            source_name: r.get(2)?,
            item,
            first_seen: from_micros(r.get(22)?),
            sort_time: from_micros(r.get(23)?),
            network: r.get(25)?,
            also_in: Vec::new(),
            origins: Vec::new(),
            parent: None,
        },
        r.get(24)?,
    ))
}
