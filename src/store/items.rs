//! Ingest: the per-poll upsert, tombstones and cross-source linking.
//!
//! One poll is one transaction (`record_poll_success`): either its items, its deletions and its
//! new cursor are all stored, or none are, so a crash never stores a cursor past items we lost.

use braid_core::canonical::canonical_url;
use braid_core::{Item, RemoteId, SourceId};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use sha2::{Digest, Sha256};

use super::conn::micros;
use super::sources::unique_violation;
use super::{IngestStats, PollSuccess, Result, StoreError};

/// A published time more than this far in the future is not believed (a wrong time zone, a
/// scheduled post): such items are ordered by when we first saw them instead.
const FUTURE_SLACK_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

/// The date an item gives itself: `published`, else `updated` (an Atom entry needs only
/// `<updated>`; without this, such entries were ordered by when Braid fetched them, all at
/// one time and in reverse order).
fn dated(item: &Item) -> Option<i64> {
    item.published.or(item.updated).map(micros)
}

/// The time the timeline orders by.
pub(super) fn sort_time(published: Option<i64>, first_seen: i64) -> i64 {
    match published {
        Some(p) if p <= first_seen.saturating_add(FUTURE_SLACK_MICROS) => p,
        _ => first_seen,
    }
}

pub(super) fn record_poll_success(
    conn: &mut Connection,
    source: SourceId,
    items: &[Item],
    deleted: &[RemoteId],
    success: &PollSuccess,
    now: DateTime<Utc>,
) -> Result<IngestStats> {
    let now = micros(now);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stats = record_items(&tx, source, items, deleted, now)?;
    let new_url = success.new_url.as_deref().unwrap_or_default();
    tx.prepare_cached(
        "UPDATE sources SET
             item_count = item_count + ?8,
             cursor = coalesce(?2, cursor), url = coalesce(?3, url),
             title = coalesce(?4, title), site_url = coalesce(?5, site_url),
             last_success = ?6, last_poll = ?6, next_poll = ?7,
             error_count = 0, last_error = NULL, last_error_at = NULL, last_warning = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        source.0,
        success.cursor,
        success.new_url,
        success.title,
        success.site_url,
        now,
        success.next_poll.map(micros),
        stats.new as i64,
        success.warning,
    ])
    .map_err(|e| unique_violation(e, "", new_url))?;
    tx.commit()?;
    Ok(stats)
}

/// Stores what a listener received: [`record_items`] and the item count, nothing of polling.
pub(super) fn record_push(
    conn: &mut Connection,
    source: SourceId,
    items: &[Item],
    deleted: &[RemoteId],
    now: DateTime<Utc>,
) -> Result<IngestStats> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stats = record_items(&tx, source, items, deleted, micros(now))?;
    tx.prepare_cached("UPDATE sources SET item_count = item_count + ?2 WHERE id = ?1")?
        .execute(params![source.0, stats.new as i64])?;
    tx.commit()?;
    Ok(stats)
}

/// The items part of a poll or a push, in the caller's transaction: tombstones for `deleted`,
/// then `items` upserted oldest first and indexed for search.
fn record_items(
    tx: &rusqlite::Transaction<'_>,
    source: SourceId,
    items: &[Item],
    deleted: &[RemoteId],
    now: i64,
) -> Result<IngestStats> {
    if !tx
        .prepare_cached("SELECT 1 FROM sources WHERE id = ?1")?
        .exists([source.0])?
    {
        return Err(StoreError::NoSuchSource(source.to_string()));
    }
    let mut stats = IngestStats::default();
    // Deletions first: an item both listed and deleted in one page stays deleted.
    for remote_id in deleted {
        stats.deleted += tombstone(tx, source, remote_id, now)?;
    }
    // Oldest first. The full-text index is keyed by time (schema V4), and FTS5 writes its
    // pending terms out as a new segment whenever a key comes lower than the one before
    // (fts5_index.c `sqlite3Fts5IndexBeginWrite`): a page of 100 entries in feed order (newest
    // first) made up to 100 segments, and ingest three times slower. The sort is stable, so
    // entries of equal time keep their order in the page.
    let mut in_time_order: Vec<&Item> = items.iter().collect();
    in_time_order.sort_by_key(|item| sort_time(dated(item), now));
    let mut unindexed = Vec::new();
    let mut new_ids = Vec::new();
    for item in in_time_order {
        match upsert(tx, source, item, now, &mut unindexed)? {
            Outcome::New => {
                stats.new += 1;
                new_ids.extend(unindexed.last().copied());
            }
            Outcome::Updated => stats.updated += 1,
            Outcome::Unchanged => stats.unchanged += 1,
            Outcome::Tombstoned => stats.tombstoned += 1,
        }
    }
    index_new(tx, &mut unindexed)?;
    // Braid's own copies, read back from where they went, join their original's group.
    super::routes::link_copies(tx, &new_ids)?;
    Ok(stats)
}

/// Stores `item` as one of the owner's own (`is_own`, kept by retention) in `source`, in the
/// caller's transaction, indexed for search. Returns its id: the existing one when the same
/// remote id is stored already (the post was queued before).
pub(super) fn insert_own(
    tx: &Transaction<'_>,
    source: SourceId,
    item: &Item,
    now: i64,
) -> Result<i64> {
    let mut unindexed = Vec::new();
    if let Outcome::New = upsert(tx, source, item, now, &mut unindexed)? {
        tx.prepare_cached("UPDATE sources SET item_count = item_count + 1 WHERE id = ?1")?
            .execute([source.0])?;
    }
    index_new(tx, &mut unindexed)?;
    let id: i64 = tx
        .prepare_cached("SELECT id FROM items WHERE source_id = ?1 AND remote_id = ?2")?
        .query_row(params![source.0, item.remote_id.as_str()], |r| r.get(0))?;
    tx.prepare_cached("UPDATE items SET is_own = 1, keep = 1 WHERE id = ?1")?
        .execute([id])?;
    Ok(id)
}

enum Outcome {
    New,
    Updated,
    Unchanged,
    Tombstoned,
}

/// Adds the items `ids` (just inserted) to the full-text index, in one statement and in key
/// order, so FTS5 writes them as one segment (schema.rs V4). Every insert must reach this
/// before its transaction commits, and before anything updates or deletes the row: the
/// index's triggers remove what they assume was indexed.
fn index_new(tx: &Transaction<'_>, ids: &mut Vec<i64>) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_string(&ids).map_err(|e| StoreError::Other(format!("ids: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO items_fts (rowid, title, content_text, author_name)
         SELECT search_key, title, content_text, author_name FROM items
         WHERE id IN (SELECT value FROM json_each(?1))
         ORDER BY search_key",
    )?
    .execute([json])?;
    ids.clear();
    Ok(())
}

/// Inserts or updates one item. New rows are added to `unindexed`, for [`index_new`].
fn upsert(
    tx: &Transaction<'_>,
    source: SourceId,
    item: &Item,
    now: i64,
    unindexed: &mut Vec<i64>,
) -> Result<Outcome> {
    let hash = content_hash(item)?;
    let existing = tx
        .prepare_cached(
            "SELECT id, updated, content_hash, first_seen FROM items
             WHERE source_id = ?1 AND remote_id = ?2",
        )?
        .query_row(params![source.0, item.remote_id.as_str()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    if let Some((id, stored_updated, stored_hash, first_seen)) = existing {
        // Newer `updated` wins. Without a stored `updated` there is no clock to compare, so a
        // content change is the only evidence of an edit.
        let newer = match (item.updated.map(micros), stored_updated) {
            (Some(incoming), Some(stored)) => incoming > stored,
            (_, None) => stored_hash != hash,
            (None, Some(_)) => false,
        };
        if !newer {
            // A preview the origin made after the fact is kept, but is no edit.
            if let Some(card) = &item.card {
                tx.prepare_cached("UPDATE items SET card = ?1 WHERE id = ?2 AND card IS NOT ?1")?
                    .execute(params![to_json(card)?, id])?;
            }
            return Ok(Outcome::Unchanged);
        }
        // The same entry twice in one page: the first copy must be in the index before the
        // update trigger takes it out.
        if unindexed.contains(&id) {
            index_new(tx, unindexed)?;
        }
        write_item(tx, Write::Update { id, first_seen }, source, item, &hash)?;
        return Ok(Outcome::Updated);
    }
    // Only a missing row can be tombstoned, so the common "seen it already" path above skips
    // this lookup.
    let reason: Option<String> = tx
        .prepare_cached("SELECT reason FROM tombstones WHERE source_id = ?1 AND remote_id = ?2")?
        .query_row(params![source.0, item.remote_id.as_str()], |r| r.get(0))
        .optional()?;
    match reason.as_deref() {
        Some("deleted") => Ok(Outcome::Tombstoned),
        // Pruned by retention: the feed still lists it, nothing new to show.
        Some(_) => Ok(Outcome::Unchanged),
        None => {
            write_item(tx, Write::Insert { first_seen: now }, source, item, &hash)?;
            unindexed.push(tx.last_insert_rowid());
            Ok(Outcome::New)
        }
    }
}

enum Write {
    Insert { first_seen: i64 },
    Update { id: i64, first_seen: i64 },
}

fn write_item(
    tx: &Transaction<'_>,
    how: Write,
    source: SourceId,
    item: &Item,
    hash: &[u8],
) -> Result<()> {
    let attachments = to_json(&item.attachments)?;
    let tags = to_json(&item.tags)?;
    let card = item.card.as_ref().map(to_json).transpose()?;
    let canonical = item.url.as_deref().and_then(canonical_url);
    let author = item.author.as_ref();
    let published = item.published.map(micros);
    let first_seen = match how {
        Write::Insert { first_seen } | Write::Update { first_seen, .. } => first_seen,
    };
    // ?1..?22 are the same for insert and update.
    let fields = params![
        item.kind.as_str(),
        author.and_then(|a| a.name.as_deref()),
        author.and_then(|a| a.handle.as_deref()),
        author.and_then(|a| a.url.as_deref()),
        author.and_then(|a| a.avatar.as_deref()),
        item.title,
        item.content_html.as_deref(),
        item.content_text,
        item.summary.as_deref(),
        item.content_warning,
        item.language,
        published,
        item.updated.map(micros),
        item.in_reply_to,
        attachments,
        tags,
        item.url,
        canonical,
        item.visibility.as_str(),
        sort_time(dated(item), first_seen),
        hash,
        card,
    ];
    match how {
        Write::Update { id, .. } => {
            // The cross-source link is decided when an item is first seen and kept on edits.
            let mut stmt = tx.prepare_cached(
                "UPDATE items SET kind = ?1, author_name = ?2, author_handle = ?3,
                     author_url = ?4, author_avatar = ?5, title = ?6, content_html = ?7,
                     content_text = ?8, summary = ?9, content_warning = ?10, language = ?11,
                     published = ?12, updated = ?13, in_reply_to = ?14, attachments = ?15,
                     tags = ?16, url = ?17, canonical_url = ?18, visibility = ?19,
                     sort_time = ?20, content_hash = ?21, card = ?22
                 WHERE id = ?23",
            )?;
            for (i, v) in fields.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, v)?;
            }
            stmt.raw_bind_parameter(23, id)?;
            stmt.raw_execute()?;
        }
        Write::Insert { first_seen } => {
            // Link to the earliest primary with the same canonical URL from *another* source;
            // two entries of one feed sharing a URL are two items, not one post seen twice.
            let dup_of: Option<i64> = match &canonical {
                Some(c) => tx
                    .prepare_cached(
                        "SELECT id FROM items INDEXED BY items_canonical
                         WHERE canonical_url = ?1 AND dup_of IS NULL AND source_id <> ?2
                         ORDER BY id LIMIT 1",
                    )?
                    .query_row(params![c, source.0], |r| r.get(0))
                    .optional()?,
                None => None,
            };
            let mut stmt = tx.prepare_cached(
                "INSERT INTO items (kind, author_name, author_handle, author_url, author_avatar,
                     title, content_html, content_text, summary, content_warning, language,
                     published, updated, in_reply_to, attachments, tags, url, canonical_url,
                     visibility, sort_time, content_hash, card,
                     source_id, remote_id, first_seen, dup_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
            )?;
            for (i, v) in fields.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, v)?;
            }
            stmt.raw_bind_parameter(23, source.0)?;
            stmt.raw_bind_parameter(24, item.remote_id.as_str())?;
            stmt.raw_bind_parameter(25, first_seen)?;
            stmt.raw_bind_parameter(26, dup_of)?;
            stmt.raw_execute()?;
        }
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Other(format!("item json: {e}")))
}

/// 128 bits of SHA-256 over the normalized item: enough to tell edits apart, half the bytes.
///
/// The link card is left out: origins add it after the fact (Mastodon fetches the preview
/// once the post is out), and a preview arriving is not an edit to carry to copies.
fn content_hash(item: &Item) -> Result<Vec<u8>> {
    let bytes = match item.card {
        None => serde_json::to_vec(item),
        Some(_) => serde_json::to_vec(&Item {
            card: None,
            ..item.clone()
        }),
    }
    .map_err(|e| StoreError::Other(format!("item json: {e}")))?;
    Ok(Sha256::digest(&bytes)[..16].to_vec())
}

/// Tombstones `(source, remote_id)` and removes the item if we have it. Returns rows removed.
fn tombstone(
    tx: &Transaction<'_>,
    source: SourceId,
    remote_id: &RemoteId,
    now: i64,
) -> Result<usize> {
    // A 'pruned' marker becomes 'deleted': the origin's word is final.
    tx.prepare_cached(
        "INSERT INTO tombstones (source_id, remote_id, reason, at) VALUES (?1, ?2, 'deleted', ?3)
         ON CONFLICT (source_id, remote_id) DO UPDATE SET reason = 'deleted', at = excluded.at",
    )?
    .execute(params![source.0, remote_id.as_str(), now])?;
    tx.prepare_cached(
        "INSERT INTO temp.doomed (id)
         SELECT id FROM items WHERE source_id = ?1 AND remote_id = ?2",
    )?
    .execute(params![source.0, remote_id.as_str()])?;
    delete_doomed(tx)
}

/// Deletes every item listed in `temp.doomed` (re-homing their groups first) and empties it.
/// The delete trigger removes each row's FTS entry and decrements its source's item count.
pub(super) fn delete_doomed(tx: &Transaction<'_>) -> Result<usize> {
    release_groups(tx)?;
    let n = tx
        .prepare_cached("DELETE FROM items WHERE id IN (SELECT id FROM temp.doomed)")?
        .execute([])?;
    tx.prepare_cached("DELETE FROM temp.doomed")?.execute([])?;
    Ok(n)
}

/// Before the items in `temp.doomed` go: each cross-source group whose primary is doomed gets
/// its earliest surviving member as the new primary. Members from the new primary's own source
/// become primaries of their own, keeping the rule that a link is always across sources.
pub(super) fn release_groups(tx: &Transaction<'_>) -> Result<()> {
    let heirs: Vec<(i64, i64, i64)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT m.dup_of, m.id, m.source_id FROM items m
             WHERE m.id = (SELECT min(x.id) FROM items x
                           WHERE x.dup_of = m.dup_of AND x.id NOT IN temp.doomed)
               AND m.dup_of IN temp.doomed",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut stmt = tx.prepare_cached(
        "UPDATE items SET dup_of = CASE WHEN source_id = ?3 THEN NULL ELSE ?2 END
         WHERE dup_of = ?1 AND id NOT IN temp.doomed",
    )?;
    for (old, heir, heir_source) in heirs {
        stmt.execute(params![old, heir, heir_source])?;
    }
    Ok(())
}
