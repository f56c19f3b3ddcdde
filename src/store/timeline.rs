//! Reading: keyset pages of the merged timeline, one source's timeline, FTS5 search, and the
//! row → [`StoredItem`] mapping.
//!
//! Keyset, not OFFSET: the next page starts strictly after the `(sort_time, id)` of the last
//! item shown, so a page costs the same at any depth and items arriving meanwhile never shift or
//! repeat what the reader sees. `id` breaks ties between equal `sort_time`s.

use std::collections::HashMap;

use braid_core::sanitize::SafeHtml;
use braid_core::{Attachment, Author, Item, ItemId, ItemKind, RemoteId, SourceId, Visibility};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::conn::{from_micros, micros, opt_time};
use super::{fts, search};
use super::{PageKey, Result, StoredItem, TimelinePage, TimelineQuery};

pub(super) const MAX_LIMIT: usize = 500;

const COLUMNS: &str = "i.id, i.source_id, s.name, i.remote_id, i.kind, i.author_name, \
    i.author_handle, i.author_url, i.author_avatar, i.title, i.content_html, i.content_text, \
    i.summary, i.content_warning, i.language, i.published, i.updated, i.in_reply_to, \
    i.attachments, i.tags, i.url, i.visibility, i.first_seen, i.sort_time, i.dup_of";

pub(super) fn page(conn: &Connection, q: &TimelineQuery) -> Result<TimelinePage> {
    page_planned(conn, q, search::KNOBS)
}

type Rows = Vec<(StoredItem, Option<i64>)>;

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
    let run = || -> rusqlite::Result<Rows> {
        let Some(m) = &search else {
            let mut stmt = conn.prepare_cached(&list_sql(q.source.is_some()))?;
            let rows =
                stmt.query_map(params![before.0, before.1, source, limit as i64], read_row)?;
            return rows.collect();
        };
        let scope = search::Scope {
            source,
            before,
            limit,
        };
        let ids = search::newest(conn, m, &scope, knobs)?;
        by_ids(conn, &ids)
    };
    let rows = match run() {
        Ok(rows) => rows,
        // fts::query only emits quoted strings, so this is a bug, not the user's fault; still,
        // the owner sees "no results" rather than an SQL error.
        Err(e) if fts::is_syntax_error(&e) => {
            tracing::warn!(error = %e, "store: FTS5 rejected a generated query");
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let next = (rows.len() == limit)
        .then(|| rows.last().map(|(it, _)| key(it)))
        .flatten();
    Ok(TimelinePage {
        items: with_also_in(conn, rows)?,
        next,
    })
}

/// One page of the merged timeline, or of one source's (`?3`): `?1, ?2` the page key to start
/// after, `?4` the limit.
pub(super) fn list_sql(by_source: bool) -> String {
    // A source's own view shows its copies even when another source holds the primary.
    let filter = match by_source {
        true => "i.source_id = ?3",
        false => "i.dup_of IS NULL",
    };
    format!(
        "SELECT {COLUMNS} FROM items i JOIN sources s ON s.id = i.source_id
         WHERE (i.sort_time, i.id) < (?1, ?2) AND {filter}
         ORDER BY i.sort_time DESC, i.id DESC LIMIT ?4"
    )
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
    Ok(with_also_in(conn, row.into_iter().collect())?.pop())
}

fn key(it: &StoredItem) -> PageKey {
    PageKey {
        sort_time: it.sort_time,
        id: it.id,
    }
}

/// Fills `also_in`: for each item, the other sources through which its group (same canonical
/// URL) was seen. Two queries for the whole page, whatever its size.
fn with_also_in(
    conn: &Connection,
    rows: Vec<(StoredItem, Option<i64>)>,
) -> Result<Vec<StoredItem>> {
    // group id → (source, name) of every member.
    let mut groups: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    let mut group_ids = Vec::with_capacity(rows.len());
    let mut foreign_primaries = Vec::new();
    for (it, dup_of) in &rows {
        let g = dup_of.unwrap_or(it.id.0);
        group_ids.push(g);
        if dup_of.is_some() {
            foreign_primaries.push(g);
        }
        groups
            .entry(g)
            .or_default()
            .push((it.source.0, it.source_name.clone()));
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT i.dup_of, i.id, i.source_id, s.name FROM items i
             JOIN sources s ON s.id = i.source_id
         WHERE i.dup_of IN (SELECT value FROM json_each(?1))
         UNION ALL
         SELECT i.id, i.id, i.source_id, s.name FROM items i
             JOIN sources s ON s.id = i.source_id
         WHERE i.id IN (SELECT value FROM json_each(?2))",
    )?;
    let ids = |v: &[i64]| serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned());
    let page_ids: Vec<i64> = rows.iter().map(|(it, _)| it.id.0).collect();
    let members = stmt.query_map(params![ids(&group_ids), ids(&foreign_primaries)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for m in members {
        let (g, id, source, name) = m?;
        // Page items are in the map already.
        if !page_ids.contains(&id) {
            groups.entry(g).or_default().push((source, name));
        }
    }
    Ok(rows
        .into_iter()
        .map(|(mut it, dup_of)| {
            let g = dup_of.unwrap_or(it.id.0);
            let mut names: Vec<String> = groups
                .get(&g)
                .into_iter()
                .flatten()
                .filter(|(s, _)| *s != it.source.0)
                .map(|(_, n)| n.clone())
                .collect();
            names.sort();
            names.dedup();
            it.also_in = names;
            it
        })
        .collect())
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
    };
    Ok((
        StoredItem {
            id: ItemId(r.get(0)?),
            source: SourceId(r.get(1)?),
            source_name: r.get(2)?,
            item,
            first_seen: from_micros(r.get(22)?),
            sort_time: from_micros(r.get(23)?),
            also_in: Vec::new(),
        },
        r.get(24)?,
    ))
}
