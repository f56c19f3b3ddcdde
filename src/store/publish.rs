//! Braid's own streams as a publishing network reads them (schema V14): the streams (the owner
//! and the published channels), their items, the events that change them, and the deliveries
//! a network's messages become.
//!
//! A stream is named in `stream_events` as `owner` or `channel:ID`; the network sees it by its
//! public name (see [`crate::site`]).

use braid_core::host::{EventKind, Outgoing};
use braid_core::{ItemId, SourceId};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::conn::{from_micros, micros};
use super::{timeline, Result, StoredItem};

/// A stream as the store names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamRef {
    Owner,
    Channel(i64),
}

impl StreamRef {
    pub fn parse(s: &str) -> Option<StreamRef> {
        if s == "owner" {
            return Some(StreamRef::Owner);
        }
        s.strip_prefix("channel:")?
            .parse()
            .ok()
            .map(StreamRef::Channel)
    }
}

/// One row of `stream_events`.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: i64,
    pub stream: StreamRef,
    pub item_id: ItemId,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
}

/// The events after `cursor`, oldest first, at most `limit`.
pub(super) fn events_after(conn: &Connection, cursor: i64, limit: usize) -> Result<Vec<EventRow>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, stream, item_id, kind, at FROM stream_events WHERE id > ?1
             ORDER BY id LIMIT ?2",
        )?
        .query_map(params![cursor, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, stream, item, kind, at)| {
            let kind = match kind.as_str() {
                "added" => EventKind::Added,
                "updated" => EventKind::Updated,
                _ => EventKind::Deleted,
            };
            Some(EventRow {
                id,
                stream: StreamRef::parse(&stream)?,
                item_id: ItemId(item),
                kind,
                at: from_micros(at),
            })
        })
        .collect())
}

/// The newest event's id (0 when there is none).
pub(super) fn last_event(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM stream_events")?
        .query_row([], |r| r.get(0))?)
}

/// Where `network` stands in the events, if it has been seen.
pub(super) fn existing_cursor(conn: &Connection, network: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT cursor FROM publish_cursors WHERE network = ?1")?
        .query_row([network], |r| r.get(0))
        .optional()?)
}

/// Where `network` stands in the events; a network seen for the first time starts at the
/// newest event (nobody follows anything yet, so nothing older is owed).
pub(super) fn cursor(conn: &mut Connection, network: &str) -> Result<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = existing_cursor(&tx, network)?;
    let cursor = match found {
        Some(c) => c,
        None => {
            let start = last_event(&tx)?;
            tx.prepare_cached("INSERT INTO publish_cursors (network, cursor) VALUES (?1, ?2)")?
                .execute(params![network, start])?;
            start
        }
    };
    tx.commit()?;
    Ok(cursor)
}

/// Deletes the events every publishing network in `networks` has read (all of them when
/// there is none: nobody can follow a stream then). Returns how many.
pub(super) fn prune_events(conn: &mut Connection, networks: &[String]) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut upto = last_event(&tx)?;
    for n in networks {
        let c: Option<i64> = tx
            .prepare_cached("SELECT cursor FROM publish_cursors WHERE network = ?1")?
            .query_row([n], |r| r.get(0))
            .optional()?;
        upto = upto.min(c.unwrap_or(0));
    }
    let n = tx
        .prepare_cached("DELETE FROM stream_events WHERE id <= ?1")?
        .execute([upto])?;
    tx.commit()?;
    Ok(n)
}

/// The lane of a network's recipient.
pub fn recipient_lane(network: &str, lane: &str) -> String {
    format!("{network}:{lane}")
}

/// Queues `outgoing` (messages of `network`, one delivery per recipient) under keys made
/// from `key`, and moves `network`'s event cursor to `event` when given, in one transaction.
/// A key already queued adds nothing, so a pass repeated after a crash queues nothing twice.
pub(super) fn queue(
    conn: &mut Connection,
    network: &str,
    key: &str,
    outgoing: &[Outgoing],
    event: Option<i64>,
    now: DateTime<Utc>,
) -> Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut queued = 0;
    for (i, out) in outgoing.iter().enumerate() {
        queued += queue_one(&tx, network, &format!("{key}-{i}"), out, now)?;
    }
    if let Some(event) = event {
        tx.prepare_cached(
            "INSERT INTO publish_cursors (network, cursor) VALUES (?1, ?2)
             ON CONFLICT (network) DO UPDATE SET cursor = max(cursor, excluded.cursor)",
        )?
        .execute(params![network, event])?;
    }
    tx.commit()?;
    Ok(queued)
}

fn queue_one(
    tx: &Transaction<'_>,
    network: &str,
    key: &str,
    out: &Outgoing,
    now: DateTime<Utc>,
) -> Result<usize> {
    let exists = tx
        .prepare_cached("SELECT 1 FROM posts WHERE key = ?1")?
        .exists([key])?;
    if exists {
        return Ok(0);
    }
    let now_us = micros(now);
    tx.prepare_cached(
        "INSERT INTO posts (key, draft, created_at, options) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        key,
        out.message.to_string(),
        now_us,
        serde_json::json!({ "summary": out.summary }).to_string()
    ])?;
    let post = tx.last_insert_rowid();
    let mut seen = std::collections::HashSet::new();
    for r in &out.recipients {
        if !seen.insert(&r.address) {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO deliveries (post_id, account_id, target, key, state, next_attempt,
                                     created_at, updated_at, lane, network, recipient)
             VALUES (?1, NULL, ?2, ?3, 'pending', ?4, ?4, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            post,
            r.address,
            format!("{key}>{}", r.address),
            now_us,
            recipient_lane(network, &r.lane),
            network,
            serde_json::to_string(r).unwrap_or_default()
        ])?;
    }
    Ok(1)
}

/// A channel as a stream: its name, title, description, audience, and whether follows wait
/// for approval. Only published channels are streams.
#[derive(Debug, Clone)]
pub struct StreamChannel {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub audience: String,
    pub approve_follows: bool,
}

pub(super) fn stream_channels(conn: &Connection) -> Result<Vec<StreamChannel>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, title, description, audience, approve_follows FROM channels
             WHERE published ORDER BY name",
        )?
        .query_map([], |r| {
            Ok(StreamChannel {
                id: r.get(0)?,
                name: r.get(1)?,
                title: r.get(2)?,
                description: r.get(3)?,
                audience: r.get(4)?,
                approve_follows: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// The owner's built-in source, if it exists yet.
fn owner_source(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM sources WHERE url = 'braid:owner'")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Items of a stream, each with its time in the stream.
pub type StreamItems = Vec<(StoredItem, DateTime<Utc>)>;

/// A page of `stream`'s items, newest first (by item id), older than `before`, with the
/// stream's total, and each item's time in the stream.
pub(super) fn stream_items(
    conn: &Connection,
    stream: StreamRef,
    before: Option<i64>,
    limit: usize,
) -> Result<(StreamItems, u64)> {
    let before = before.unwrap_or(i64::MAX);
    let (ids, total): (Vec<(i64, i64)>, i64) = match stream {
        StreamRef::Channel(channel) => {
            let ids = conn
                .prepare_cached(
                    "SELECT item_id, added_at FROM channel_items
                     WHERE channel_id = ?1 AND item_id < ?2 ORDER BY item_id DESC LIMIT ?3",
                )?
                .query_map(params![channel, before, limit as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let total = conn
                .prepare_cached("SELECT count(*) FROM channel_items WHERE channel_id = ?1")?
                .query_row([channel], |r| r.get(0))?;
            (ids, total)
        }
        StreamRef::Owner => {
            let Some(source) = owner_source(conn)? else {
                return Ok((Vec::new(), 0));
            };
            let ids = conn
                .prepare_cached(
                    "SELECT id, first_seen FROM items WHERE source_id = ?1 AND id < ?2
                     ORDER BY id DESC LIMIT ?3",
                )?
                .query_map(params![source, before, limit as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let total = conn
                .prepare_cached("SELECT count(*) FROM items WHERE source_id = ?1")?
                .query_row([source], |r| r.get(0))?;
            (ids, total)
        }
    };
    let mut out = Vec::with_capacity(ids.len());
    for (id, added) in ids {
        if let Some(item) = timeline::item(conn, ItemId(id))? {
            out.push((item, from_micros(added)));
        }
    }
    Ok((out, total.max(0) as u64))
}

/// Item `id` when `stream` holds it, with its time in the stream.
pub(super) fn stream_item(
    conn: &Connection,
    stream: StreamRef,
    id: ItemId,
) -> Result<Option<(StoredItem, DateTime<Utc>)>> {
    let added: Option<i64> = match stream {
        StreamRef::Channel(channel) => conn
            .prepare_cached(
                "SELECT added_at FROM channel_items WHERE channel_id = ?1 AND item_id = ?2",
            )?
            .query_row(params![channel, id.0], |r| r.get(0))
            .optional()?,
        StreamRef::Owner => match owner_source(conn)? {
            Some(source) => conn
                .prepare_cached("SELECT first_seen FROM items WHERE source_id = ?1 AND id = ?2")?
                .query_row(params![source, id.0], |r| r.get(0))
                .optional()?,
            None => None,
        },
    };
    let Some(added) = added else {
        return Ok(None);
    };
    Ok(timeline::item(conn, id)?.map(|item| (item, from_micros(added))))
}

/// The sources of connector kind `kind`: id, name, URL and settings.
pub(super) fn sources_of_kind(
    conn: &Connection,
    kind: &str,
) -> Result<Vec<(SourceId, String, String, String)>> {
    Ok(conn
        .prepare_cached("SELECT id, name, url, settings FROM sources WHERE kind = ?1 ORDER BY id")?
        .query_map([kind], |r| {
            Ok((SourceId(r.get(0)?), r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// The domains blocked in the database, in order.
pub(super) fn blocked_domains(conn: &Connection) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached("SELECT domain FROM blocked_domains ORDER BY domain")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Blocks `domain`; false when it was blocked already.
pub(super) fn block(conn: &Connection, domain: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO blocked_domains (domain, created_at) VALUES (?1, ?2)",
        )?
        .execute(params![domain, micros(now)])?
        > 0)
}

/// Unblocks `domain`; false when it was not blocked.
pub(super) fn unblock(conn: &Connection, domain: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM blocked_domains WHERE domain = ?1")?
        .execute([domain])?
        > 0)
}

/// Sets whether follows of channel `name` wait for the owner; false when there is no such
/// channel.
pub(super) fn set_approve_follows(conn: &Connection, name: &str, approve: bool) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE channels SET approve_follows = ?2 WHERE name = ?1")?
        .execute(params![name, approve])?
        > 0)
}
