//! The owner's own posts: what the owner composes into channels becomes an item Braid itself
//! authored, in one built-in source, and is put in each chosen channel in the same transaction
//! that queues the post for its accounts (`outbox::insert_post`). So a post sent twice (the
//! same key) is one item in each channel, and a crash leaves either all of it or nothing.
//!
//! The built-in source (`kind = 'owner'`, URL `braid:owner`) is made the first time it is
//! needed. It is not a subscription: no connector has its kind, the scheduler never polls it,
//! and the source lists, the sources page, OPML export and `braid source list` leave it out
//! (`sources.rs`, `source_health.rs`); it cannot be removed, paused or rescheduled. Its items
//! are `is_own`, so retention keeps them, and routes never carry them (`crate::routes`): the
//! owner posts to every target from the compose form at once, and a route from these items to
//! an account would send the post a second time.

use braid_core::{Item, SourceId, Visibility};
use rusqlite::{params, OptionalExtension, Transaction};

use super::conn::micros;
use super::{Result, StoreError};

/// The kind of the built-in source; no connector may have it.
pub const OWNER_KIND: &str = "owner";
/// Its name, as the timeline shows it.
pub const OWNER_NAME: &str = "Your posts";
/// Its URL: a unique key, never fetched.
const OWNER_URL: &str = "braid:owner";

/// The owner's item of a post, and the channels it goes into.
#[derive(Debug, Clone)]
pub struct OwnPost {
    /// Prepared (sanitized, capped) like every item before the store.
    pub item: Item,
    /// The channels, by id.
    pub channels: Vec<i64>,
    /// The capability token of each of the post's files, in order: its address is
    /// `/files/TOKEN`, as the item's attachments say.
    pub file_tokens: Vec<String>,
}

/// Why `visibility` may not go into a channel whose audience is `audience`, if it may not: a
/// channel holds nothing more private than its audience (its feeds and, later, its followers
/// would show the post to more people than the owner chose). The item keeps the owner's own
/// visibility, so it is never more public than chosen either.
pub fn audience_refusal(visibility: Visibility, channel: &str, audience: &str) -> Option<String> {
    let audience = Visibility::parse(audience).unwrap_or(Visibility::Public);
    (visibility > audience).then(|| {
        format!(
            "the post is {}, but channel {channel:?} is {}: choose a visibility at least as public as the channel's audience, or leave the channel out",
            words(visibility),
            words(audience)
        )
    })
}

fn words(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Unlisted => "unlisted",
        Visibility::FollowersOnly => "followers-only",
        Visibility::Direct => "for the people mentioned only",
    }
}

/// The built-in source's id, made now if it does not exist. Its name is the first of
/// "Your posts", "Your posts (Braid)", … that no source has.
fn owner_source(tx: &Transaction<'_>, now: i64) -> Result<SourceId> {
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM sources WHERE url = ?1")?
        .query_row([OWNER_URL], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(SourceId(id));
    }
    let mut name = OWNER_NAME.to_owned();
    let mut n = 1;
    while tx
        .prepare_cached("SELECT 1 FROM sources WHERE name = ?1")?
        .exists([&name])?
    {
        n += 1;
        name = format!("{OWNER_NAME} ({n})");
    }
    // Enabled with no next poll, like any source; `due` leaves its kind out.
    tx.prepare_cached(
        "INSERT INTO sources (name, kind, url, settings, created_at, title)
         VALUES (?1, ?2, ?3, '{}', ?4, ?1)",
    )?
    .execute(params![name, OWNER_KIND, OWNER_URL, now])?;
    Ok(SourceId(tx.last_insert_rowid()))
}

/// The built-in source's id, if it exists yet (made by the owner's first post).
pub(super) fn source_id(conn: &rusqlite::Connection) -> Result<Option<SourceId>> {
    Ok(conn
        .prepare_cached("SELECT id FROM sources WHERE url = ?1")?
        .query_row([OWNER_URL], |r| r.get(0))
        .optional()?
        .map(SourceId))
}

/// Stores `own` as the item of post `post` and puts it in its channels, in the caller's
/// transaction (the one that queues the post). Refused, so the whole post is, when a channel
/// is gone or its audience is narrower than the item's visibility (checked here, where the
/// channel is read under the write lock, whatever the caller checked before).
pub(super) fn insert(
    tx: &Transaction<'_>,
    post: i64,
    own: &OwnPost,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64> {
    let now = micros(now);
    for channel in &own.channels {
        let found: Option<(String, String)> = tx
            .prepare_cached("SELECT name, audience FROM channels WHERE id = ?1")?
            .query_row([channel], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((name, audience)) = found else {
            return Err(StoreError::Other(format!(
                "channel {channel} no longer exists"
            )));
        };
        if let Some(reason) = audience_refusal(own.item.visibility, &name, &audience) {
            return Err(StoreError::Refused(reason));
        }
    }
    let source = owner_source(tx, now)?;
    let item = super::items::insert_own(tx, source, &own.item, now)?;
    tx.prepare_cached("UPDATE posts SET item_id = ?2 WHERE id = ?1")?
        .execute(params![post, item])?;
    for (position, token) in own.file_tokens.iter().enumerate() {
        tx.prepare_cached("UPDATE post_media SET token = ?3 WHERE post_id = ?1 AND position = ?2")?
            .execute(params![post, position as i64, token])?;
    }
    for channel in &own.channels {
        // route_id NULL: composed, not routed.
        tx.prepare_cached(
            "INSERT OR IGNORE INTO channel_items (channel_id, item_id, route_id, added_at)
             VALUES (?1, ?2, NULL, ?3)",
        )?
        .execute(params![channel, item, now])?;
    }
    Ok(item)
}

/// A file of an owner's post by its token: its type and bytes.
pub(super) fn file(conn: &rusqlite::Connection, token: &str) -> Result<Option<(String, Vec<u8>)>> {
    Ok(conn
        .prepare_cached("SELECT media_type, bytes FROM post_media WHERE token = ?1")?
        .query_row([token], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The channels post `post`'s item is in, by name.
pub(super) fn channels_of_post(conn: &rusqlite::Connection, post: i64) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT c.name FROM posts AS p
             JOIN channel_items AS ci ON ci.item_id = p.item_id
             JOIN channels AS c ON c.id = ci.channel_id
             WHERE p.id = ?1 ORDER BY c.name",
        )?
        .query_map([post], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}
