//! Routes and channels (schema V8): the rules that carry items to accounts and channels, what
//! each carried (fingerprints), its log, and the channels' items. The rule itself (`spec`) is
//! JSON that only `crate::routes` reads.
//!
//! A route's batch is applied in one transaction: the posts it queues, the items it puts in
//! channels, the fingerprints of what it carried, its log and its cursor. A crash before the
//! commit leaves nothing of the batch; the next pass decides again, and the posts' keys (the
//! route and the item) make a second queueing find the first.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;

use super::conn::{from_micros, micros};
use super::outbox::{insert_post, NewPost};
use super::{Result, StoreError};

/// A route as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RouteRecord {
    pub id: i64,
    pub name: String,
    /// The rule, read by `crate::routes::RouteSpec`.
    pub spec: serde_json::Value,
    pub paused: bool,
    /// `cli` (made with `braid route add` or the API) or `config` (a `[[route]]` table).
    pub origin: String,
    /// Items older than this are never carried.
    pub since: DateTime<Utc>,
    /// The last item id considered.
    pub cursor: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ROUTE_COLUMNS: &str = "id, name, spec, paused, origin, since, cursor, created_at, updated_at";

fn route(r: &Row<'_>) -> rusqlite::Result<RouteRecord> {
    Ok(RouteRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        spec: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or(serde_json::Value::Null),
        paused: r.get(3)?,
        origin: r.get(4)?,
        since: from_micros(r.get(5)?),
        cursor: r.get(6)?,
        created_at: from_micros(r.get(7)?),
        updated_at: from_micros(r.get(8)?),
    })
}

pub(super) fn newest_item(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM items")?
        .query_row([], |r| r.get(0))?)
}

fn unique(e: rusqlite::Error, what: &str, name: &str) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            StoreError::Other(format!("a {what} named {name:?} already exists"))
        }
        _ => StoreError::Sqlite(e),
    }
}

/// Adds a route that carries only items newer than now: its cursor starts at the newest item.
pub(super) fn add(
    conn: &Connection,
    name: &str,
    spec: &serde_json::Value,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let cursor = newest_item(conn)?;
    conn.prepare_cached(
        "INSERT INTO routes (name, spec, origin, since, cursor, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?4)",
    )?
    .execute(params![name, spec.to_string(), origin, micros(now), cursor])
    .map_err(|e| unique(e, "route", name))?;
    Ok(conn.last_insert_rowid())
}

/// What applying a configured route did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigApplied {
    Added,
    Updated,
    Unchanged,
    /// A route of that name was made with the CLI: the config's is not applied.
    NameTaken,
}

/// A `[[route]]` of the config: added when new, its rule replaced when changed (its cursor and
/// log kept). A route of the same name made with the CLI is left alone.
pub(super) fn apply_config(
    conn: &Connection,
    name: &str,
    spec: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<ConfigApplied> {
    let existing = by_name(conn, name)?;
    match existing {
        None => {
            add(conn, name, spec, "config", now)?;
            Ok(ConfigApplied::Added)
        }
        Some(r) if r.origin != "config" => Ok(ConfigApplied::NameTaken),
        Some(r) if &r.spec == spec => Ok(ConfigApplied::Unchanged),
        Some(r) => {
            conn.prepare_cached("UPDATE routes SET spec = ?2, updated_at = ?3 WHERE id = ?1")?
                .execute(params![r.id, spec.to_string(), micros(now)])?;
            Ok(ConfigApplied::Updated)
        }
    }
}

pub(super) fn by_name(conn: &Connection, name: &str) -> Result<Option<RouteRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ROUTE_COLUMNS} FROM routes WHERE name = ?1"
        ))?
        .query_row([name], route)
        .optional()?)
}

pub(super) fn list(conn: &Connection) -> Result<Vec<RouteRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {ROUTE_COLUMNS} FROM routes ORDER BY name"))?
        .query_map([], route)?
        .collect::<rusqlite::Result<_>>()?)
}

pub(super) fn remove(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM routes WHERE name = ?1")?
        .execute([name])?
        == 1)
}

/// Replaces the rule of a route made with the CLI or the web (a configured route is the
/// config's to change). Its cursor and `since` stay as they are, so the changed rule applies
/// to what arrives from now on: nothing already weighed is weighed again, and what it carried
/// (its fingerprints) still keeps an entry from being carried twice.
pub(super) fn update_spec(
    conn: &Connection,
    name: &str,
    spec: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE routes SET spec = ?2, updated_at = ?3 WHERE name = ?1 AND origin <> 'config'",
        )?
        .execute(params![name, spec.to_string(), micros(now)])?
        == 1)
}

/// Pauses or resumes a route. Resuming starts it again from now: what arrived while it was
/// paused is not carried (a backfill may carry some of it on purpose).
pub(super) fn set_paused(
    conn: &Connection,
    name: &str,
    paused: bool,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = if paused {
        conn.prepare_cached(
            "UPDATE routes SET paused = 1, updated_at = ?2 WHERE name = ?1 AND paused = 0",
        )?
        .execute(params![name, micros(now)])?
    } else {
        let cursor = newest_item(conn)?;
        conn.prepare_cached(
            "UPDATE routes SET paused = 0, since = ?2, cursor = max(cursor, ?3), updated_at = ?2
             WHERE name = ?1 AND paused = 1",
        )?
        .execute(params![name, micros(now), cursor])?
    };
    Ok(changed == 1)
}

/// An item as a route weighs it, with its source.
#[derive(Debug, Clone)]
pub struct RouteItem {
    pub id: i64,
    pub source_id: i64,
    pub source_name: String,
    pub source_kind: String,
    pub source_created_at: DateTime<Utc>,
    /// The account whose timeline the source is, if any.
    pub account_id: Option<i64>,
    pub sort_time: DateTime<Utc>,
    pub kind: String,
    pub visibility: String,
    pub remote_id: String,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub title: Option<String>,
    pub content_text: Option<String>,
    pub content_warning: Option<String>,
    pub author_name: Option<String>,
    pub author_handle: Option<String>,
    pub author_url: Option<String>,
    pub language: Option<String>,
    pub in_reply_to: Option<String>,
    pub tags: Vec<String>,
    pub attachments: Vec<braid_core::Attachment>,
}

const ITEM_COLUMNS: &str = "i.id, i.source_id, s.name, s.kind, s.created_at, s.account_id, \
    i.sort_time, i.kind, i.visibility, i.remote_id, i.url, i.canonical_url, i.title, \
    i.content_text, i.content_warning, i.author_name, i.author_handle, i.author_url, \
    i.language, i.in_reply_to, i.tags, i.attachments";

fn route_item(r: &Row<'_>) -> rusqlite::Result<RouteItem> {
    Ok(RouteItem {
        id: r.get(0)?,
        source_id: r.get(1)?,
        source_name: r.get(2)?,
        source_kind: r.get(3)?,
        source_created_at: from_micros(r.get(4)?),
        account_id: r.get(5)?,
        sort_time: from_micros(r.get(6)?),
        kind: r.get(7)?,
        visibility: r.get(8)?,
        remote_id: r.get(9)?,
        url: r.get(10)?,
        canonical_url: r.get(11)?,
        title: r.get(12)?,
        content_text: r.get(13)?,
        content_warning: r.get(14)?,
        author_name: r.get(15)?,
        author_handle: r.get(16)?,
        author_url: r.get(17)?,
        language: r.get(18)?,
        in_reply_to: r.get(19)?,
        tags: serde_json::from_str(&r.get::<_, String>(20)?).unwrap_or_default(),
        attachments: serde_json::from_str(&r.get::<_, String>(21)?).unwrap_or_default(),
    })
}

/// Items stored after `cursor`, in the order they were stored, at most `limit`.
pub(super) fn items_after(conn: &Connection, cursor: i64, limit: usize) -> Result<Vec<RouteItem>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM items AS i JOIN sources AS s ON s.id = i.source_id
             WHERE i.id > ?1 ORDER BY i.id LIMIT ?2"
        ))?
        .query_map(params![cursor, limit as i64], route_item)?
        .collect::<rusqlite::Result<_>>()?)
}

/// The newest `limit` items of the sources `sources`, newest first (a backfill).
pub(super) fn newest_items(
    conn: &Connection,
    sources: &[i64],
    limit: usize,
) -> Result<Vec<RouteItem>> {
    let ids = serde_json::to_string(sources).unwrap_or_else(|_| "[]".into());
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM items AS i JOIN sources AS s ON s.id = i.source_id
             WHERE i.source_id IN (SELECT value FROM json_each(?1))
             ORDER BY i.sort_time DESC, i.id DESC LIMIT ?2"
        ))?
        .query_map(params![ids, limit as i64], route_item)?
        .collect::<rusqlite::Result<_>>()?)
}

pub(super) fn item(conn: &Connection, id: i64) -> Result<Option<RouteItem>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM items AS i JOIN sources AS s ON s.id = i.source_id
             WHERE i.id = ?1"
        ))?
        .query_row([id], route_item)
        .optional()?)
}

/// The item a route carried earlier from `source` under one of `fingerprints`, if any.
pub(super) fn sent_as(
    conn: &Connection,
    route: i64,
    source: i64,
    fingerprints: &[String],
) -> Result<Option<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT item_id FROM route_sent
         WHERE route_id = ?1 AND source_id = ?2 AND fingerprint = ?3",
    )?;
    for f in fingerprints {
        if let Some(item) = stmt
            .query_row(params![route, source, f], |r| r.get(0))
            .optional()?
        {
            return Ok(Some(item));
        }
    }
    Ok(None)
}

/// When this route's last post to `account` was sent or is due (its pacing).
pub(super) fn last_slot(
    conn: &Connection,
    route: i64,
    account: i64,
) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> = conn
        .prepare_cached(
            "SELECT max(CASE WHEN d.state = 'done' THEN d.updated_at ELSE d.next_attempt END)
             FROM deliveries AS d JOIN posts AS p ON p.id = d.post_id
             WHERE p.route_id = ?1 AND d.account_id = ?2 AND d.op = 'create'",
        )?
        .query_row(params![route, account], |r| r.get(0))?;
    Ok(at.map(from_micros))
}

/// One line of a route's log.
#[derive(Debug, Clone, Serialize)]
pub struct RouteLogEntry {
    /// Its place in the log (newer lines have larger ids): the key of a page of the log.
    pub id: i64,
    pub at: DateTime<Utc>,
    pub item_id: Option<i64>,
    /// The account or channel, when the decision was about one target.
    pub target: Option<String>,
    /// `queued`, `channel`, `skipped`, `edited`, `deleted`.
    pub decision: String,
    pub reason: String,
    pub post_id: Option<i64>,
    /// The item's title or the start of its text, for reading the log.
    pub item: Option<String>,
}

/// What a route decided about one item.
#[derive(Debug, Clone)]
pub struct RouteDecision {
    pub item_id: i64,
    pub source_id: i64,
    /// Recorded when anything was carried, so the entry is known again.
    pub fingerprints: Vec<String>,
    /// The post to queue, for the accounts it goes to.
    pub post: Option<NewPost>,
    /// The channels it goes into.
    pub channels: Vec<i64>,
    /// `(target, decision, reason)`; a `queued` line gets the post's id.
    pub log: Vec<(Option<String>, String, String)>,
}

/// Log lines kept per route.
const LOG_KEPT: i64 = 5000;

/// Applies a pass of `route` in one transaction: its decisions, then its cursor.
pub(super) fn apply(
    conn: &mut Connection,
    route: i64,
    cursor: i64,
    decisions: &[RouteDecision],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now_us = micros(now);
    let mut posts = Vec::new();
    for d in decisions {
        let post = match &d.post {
            Some(new) => {
                let (id, _) = insert_post(&tx, new, now)?;
                posts.push(id);
                Some(id)
            }
            None => None,
        };
        if post.is_some() {
            // Kept by retention while copies of it may need an edit or a delete.
            tx.prepare_cached("UPDATE items SET keep = 1 WHERE id = ?1")?
                .execute([d.item_id])?;
        }
        if post.is_some() || !d.channels.is_empty() {
            for f in &d.fingerprints {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO route_sent (route_id, source_id, fingerprint, item_id)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![route, d.source_id, f, d.item_id])?;
            }
        }
        for c in &d.channels {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO channel_items (channel_id, item_id, route_id, added_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![c, d.item_id, route, now_us])?;
        }
        for (target, decision, reason) in &d.log {
            let post = (decision == "queued").then_some(post).flatten();
            tx.prepare_cached(
                "INSERT INTO route_log (route_id, item_id, target, decision, reason, post_id, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                route, d.item_id, target, decision, reason, post, now_us
            ])?;
        }
    }
    tx.prepare_cached("UPDATE routes SET cursor = max(cursor, ?2) WHERE id = ?1")?
        .execute(params![route, cursor])?;
    // The log keeps each route's newest lines; a busy feed behind a narrow filter would
    // otherwise grow it without end.
    tx.prepare_cached(
        "DELETE FROM route_log WHERE route_id = ?1 AND id <= (
             SELECT id FROM route_log WHERE route_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![route, LOG_KEPT])?;
    tx.commit()?;
    Ok(posts)
}

/// One log line outside a pass (an edit or delete carried, a note).
pub(super) fn log(
    conn: &Connection,
    route: i64,
    item: Option<i64>,
    entry: (Option<&str>, &str, &str),
    post: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO route_log (route_id, item_id, target, decision, reason, post_id, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        route,
        item,
        entry.0,
        entry.1,
        entry.2,
        post,
        micros(now)
    ])?;
    Ok(())
}

/// The newest `limit` lines of a route's log older than line `before` (all when `None`),
/// newest first. Paged by line id rather than offset, so lines written meanwhile do not shift
/// a page.
pub(super) fn log_of(
    conn: &Connection,
    route: i64,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<RouteLogEntry>> {
    Ok(conn
        .prepare_cached(
            "SELECT l.at, l.item_id, l.target, l.decision, l.reason, l.post_id,
                    coalesce(i.title, substr(i.content_text, 1, 80)), l.id
             FROM route_log AS l LEFT JOIN items AS i ON i.id = l.item_id
             WHERE l.route_id = ?1 AND (?3 IS NULL OR l.id < ?3)
             ORDER BY l.id DESC LIMIT ?2",
        )?
        .query_map(params![route, limit as i64, before], |r| {
            Ok(RouteLogEntry {
                at: from_micros(r.get(0)?),
                item_id: r.get(1)?,
                target: r.get(2)?,
                decision: r.get(3)?,
                reason: r.get(4)?,
                post_id: r.get(5)?,
                item: r.get(6)?,
                id: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// A channel: a Braid-hosted target with its own feeds.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelRecord {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// The most private items it may hold: `public` (the default), `unlisted` or
    /// `followers_only`.
    pub audience: String,
    pub origin: String,
    /// Published: its public items are served without a feed token (schema V10).
    pub published: bool,
    pub items: i64,
    pub created_at: DateTime<Utc>,
}

const CHANNEL_COLUMNS: &str = "c.id, c.name, c.title, c.description, c.audience, c.origin, \
    (SELECT count(*) FROM channel_items AS ci WHERE ci.channel_id = c.id), c.created_at, \
    c.published";

fn channel(r: &Row<'_>) -> rusqlite::Result<ChannelRecord> {
    Ok(ChannelRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        title: r.get(2)?,
        description: r.get(3)?,
        audience: r.get(4)?,
        origin: r.get(5)?,
        items: r.get(6)?,
        created_at: from_micros(r.get(7)?),
        published: r.get(8)?,
    })
}

/// A channel to create.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub audience: String,
    /// Its public items are served without a token.
    pub published: bool,
    pub origin: String,
}

pub(super) fn add_channel(conn: &Connection, new: &NewChannel, now: DateTime<Utc>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO channels (name, title, description, audience, origin, created_at, published)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        new.name,
        new.title,
        new.description,
        new.audience,
        new.origin,
        micros(now),
        new.published
    ])
    .map_err(|e| unique(e, "channel", &new.name))?;
    Ok(conn.last_insert_rowid())
}

/// A `[[channel]]` of the config: added when new, updated when it came from the config.
pub(super) fn apply_config_channel(
    conn: &Connection,
    new: &NewChannel,
    now: DateTime<Utc>,
) -> Result<ConfigApplied> {
    match channel_by_name(conn, &new.name)? {
        None => {
            add_channel(conn, new, now)?;
            Ok(ConfigApplied::Added)
        }
        Some(c) if c.origin != "config" => Ok(ConfigApplied::NameTaken),
        Some(c)
            if c.title == new.title
                && c.description == new.description
                && c.audience == new.audience
                && c.published == new.published =>
        {
            Ok(ConfigApplied::Unchanged)
        }
        Some(c) => {
            conn.prepare_cached(
                "UPDATE channels SET title = ?2, description = ?3, audience = ?4, published = ?5
                 WHERE id = ?1",
            )?
            .execute(params![
                c.id,
                new.title,
                new.description,
                new.audience,
                new.published
            ])?;
            Ok(ConfigApplied::Updated)
        }
    }
}

pub(super) fn channel_by_name(conn: &Connection, name: &str) -> Result<Option<ChannelRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels AS c WHERE c.name = ?1"
        ))?
        .query_row([name], channel)
        .optional()?)
}

pub(super) fn channels(conn: &Connection) -> Result<Vec<ChannelRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels AS c ORDER BY c.name"
        ))?
        .query_map([], channel)?
        .collect::<rusqlite::Result<_>>()?)
}

/// Each channel's name and title, by name: what a filter offers, without counting items.
pub(super) fn channel_names(conn: &Connection) -> Result<Vec<(String, Option<String>)>> {
    Ok(conn
        .prepare_cached("SELECT name, title FROM channels ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

pub(super) fn remove_channel(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM channels WHERE name = ?1")?
        .execute([name])?
        == 1)
}

/// The item ids of a channel, newest added first, at most `limit`; with `public_only`, only
/// its items whose visibility is public (what a published channel shows without a token).
pub(super) fn channel_item_ids(
    conn: &Connection,
    channel: i64,
    limit: usize,
    public_only: bool,
) -> Result<Vec<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT ci.item_id FROM channel_items AS ci JOIN items AS i ON i.id = ci.item_id
             WHERE ci.channel_id = ?1 AND (NOT ?3 OR i.visibility = 'public')
             ORDER BY ci.added_at DESC, ci.item_id DESC LIMIT ?2",
        )?
        .query_map(params![channel, limit as i64, public_only], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Changes a channel's title, description and audience; a configured channel is the
/// config's to change. A narrower audience applies to what routes put in it from now on.
pub(super) fn update_channel(
    conn: &Connection,
    name: &str,
    title: Option<&str>,
    description: Option<&str>,
    audience: &str,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE channels SET title = ?2, description = ?3, audience = ?4
             WHERE name = ?1 AND origin <> 'config'",
        )?
        .execute(params![name, title, description, audience])?
        == 1)
}

/// Publishes a channel (its public items served without a token) or stops.
pub(super) fn set_channel_published(
    conn: &Connection,
    name: &str,
    published: bool,
) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE channels SET published = ?2 WHERE name = ?1")?
        .execute(params![name, published])?
        == 1)
}

/// Routed items that changed or were deleted at their origin since event `after`, oldest
/// first: `(event id, item id, kind)`.
pub(super) fn item_events(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<(i64, i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, item_id, kind FROM item_events WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?
        .query_map(params![after, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// Forgets the item events up to `last` (handled).
pub(super) fn done_item_events(conn: &Connection, last: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM item_events WHERE id <= ?1")?
        .execute([last])?;
    Ok(())
}

/// When the oldest delivery in flight to `account` was claimed, if one is: a copy it made may
/// be read back before its outcome is known.
pub(super) fn in_flight_since(conn: &Connection, account: i64) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> = conn
        .prepare_cached(
            "SELECT min(coalesce(claimed_at, updated_at)) FROM deliveries
             WHERE account_id = ?1 AND state = 'in_flight'",
        )?
        .query_row([account], |r| r.get(0))?;
    Ok(at.map(from_micros))
}

/// The posts made from item `item` (by any route), with their route.
pub(super) fn posts_of_item(conn: &Connection, item: i64) -> Result<Vec<(i64, Option<i64>)>> {
    Ok(conn
        .prepare_cached("SELECT id, route_id FROM posts WHERE item_id = ?1 ORDER BY id")?
        .query_map([item], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Links each of `items` that is a copy Braid made (its remote id is a delivered part) to its
/// original: the routed item the post carried, else another copy of the same post already
/// stored. The copy joins the original's group (`dup_of`), so the timeline shows it once with
/// every copy linked. An item that already heads a group of its own is left as it is.
pub(super) fn link_copies(tx: &rusqlite::Transaction<'_>, items: &[i64]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(items).unwrap_or_else(|_| "[]".into());
    tx.prepare_cached(
        "UPDATE items SET dup_of = (
             SELECT coalesce(
                 (SELECT coalesce(o.dup_of, o.id)
                  FROM delivery_parts AS dp
                  JOIN deliveries AS d ON d.id = dp.delivery_id
                  JOIN posts AS p ON p.id = d.post_id
                  JOIN items AS o ON o.id = p.item_id
                  WHERE dp.remote_id = items.remote_id),
                 (SELECT coalesce(o.dup_of, o.id)
                  FROM delivery_parts AS dp
                  JOIN deliveries AS d ON d.id = dp.delivery_id
                  JOIN deliveries AS d2 ON d2.post_id = d.post_id AND d2.id <> d.id
                  JOIN delivery_parts AS dp2 ON dp2.delivery_id = d2.id AND dp2.part = dp.part
                  JOIN sources AS s ON s.account_id = d2.account_id
                  JOIN items AS o ON o.source_id = s.id AND o.remote_id = dp2.remote_id
                  WHERE dp.remote_id = items.remote_id AND o.id <> items.id
                  ORDER BY o.id LIMIT 1)))
         WHERE id IN (SELECT value FROM json_each(?1))
             AND dup_of IS NULL
             AND remote_id IN (SELECT remote_id FROM delivery_parts)
             AND NOT EXISTS (SELECT 1 FROM items AS m WHERE m.dup_of = items.id)",
    )?
    .execute([ids])?;
    // A copy whose original is not stored keeps dup_of NULL (the coalesce gave NULL).
    Ok(())
}

/// The items read through the target account of `delivery` whose remote id is `remote_id`
/// (a part that just landed), for [`link_copies`]. Each is one probe of the items' unique
/// (source, remote id) index per source of that account.
pub(super) fn copies_read_back(
    conn: &Connection,
    delivery: i64,
    remote_id: &str,
) -> Result<Vec<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT i.id FROM sources AS s
             JOIN items AS i ON i.source_id = s.id AND i.remote_id = ?2
             WHERE s.account_id = (SELECT account_id FROM deliveries WHERE id = ?1)",
        )?
        .query_map(params![delivery, remote_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Whether any routed item changed or was deleted since the last pass.
pub(super) fn has_item_events(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM item_events LIMIT 1")?
        .exists([])?)
}
