//! The outbox's rows (schema V7, V8): posts, their files, one delivery per target and the
//! parts of each that landed. Every state
//! change is one statement or one transaction, and a delivery is claimed by a conditional
//! UPDATE (its state and attempt count as last seen), so two processes never both send it.

use braid_core::AccountId;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;

use super::conn::{from_micros, micros, opt_time};
use super::{Result, StoreError};

/// A post to queue: what was composed, its key, its files and its targets.
#[derive(Debug, Clone)]
pub struct NewPost {
    /// The post's idempotency key: queuing the same key again finds the first post.
    pub key: String,
    /// What the owner composed (the engine reads it back), as JSON.
    pub draft: serde_json::Value,
    pub media: Vec<NewMedia>,
    /// Not sent before this time (`--at`).
    pub not_before: Option<DateTime<Utc>>,
    /// The accounts to deliver to, with the name shown for each, and each delivery's key.
    pub targets: Vec<NewTarget>,
    /// How to fit it (the engine reads it back), as JSON.
    pub options: serde_json::Value,
    /// The route that made it and the item it carries; `None` for what the owner composed.
    pub routed: Option<(i64, i64)>,
    /// What the owner composed into channels: the item Braid stores for it, and where it
    /// goes (`own.rs`), in the same transaction as the post.
    pub own: Option<super::own::OwnPost>,
}

/// A file of a post.
#[derive(Clone)]
pub struct NewMedia {
    pub media_type: String,
    pub alt: Option<String>,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for NewMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMedia")
            .field("media_type", &self.media_type)
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// One target of a post.
#[derive(Debug, Clone)]
pub struct NewTarget {
    pub account: AccountId,
    pub name: String,
    /// The idempotency key sent to this target.
    pub key: String,
    /// Not sent before this time (a route's pacing); the post's own time when `None`.
    pub not_before: Option<DateTime<Utc>>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its time (`next_attempt`).
    Pending,
    /// Claimed and perhaps sent; its outcome is unknown until `done`, so it is reconciled
    /// before it is sent again.
    InFlight,
    Done,
    /// Given up, with the reason; `braid outbox retry` queues it again.
    Failed,
    Cancelled,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::InFlight => "in_flight",
            DeliveryState::Done => "done",
            DeliveryState::Failed => "failed",
            DeliveryState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> DeliveryState {
        match s {
            "pending" => DeliveryState::Pending,
            "in_flight" => DeliveryState::InFlight,
            "done" => DeliveryState::Done,
            "cancelled" => DeliveryState::Cancelled,
            _ => DeliveryState::Failed,
        }
    }

    /// Nothing more will happen to it on its own.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryState::Done | DeliveryState::Failed | DeliveryState::Cancelled
        )
    }
}

/// One delivery as the engine, the CLI and the API see it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub post_id: i64,
    /// `None` once the account was removed.
    pub account: Option<AccountId>,
    /// The target's name when the post was queued.
    pub target: String,
    #[serde(skip)]
    pub key: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
    /// When the attempt before the current one went out (what a reconcile looks around).
    pub last_sent_at: Option<DateTime<Utc>>,
    /// The media refs uploaded to this target, once uploaded.
    #[serde(skip)]
    pub media: Option<serde_json::Value>,
    pub remote_id: Option<String>,
    pub local_id: Option<String>,
    pub url: Option<String>,
    #[serde(skip)]
    pub reply_ref: Option<serde_json::Value>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// How the post was fitted to this target (parts, files kept, warnings), once fitted.
    pub fitted: Option<serde_json::Value>,
    /// The parts that landed so far (a thread resumes at the next).
    pub parts_done: i64,
    /// `create`, or an `edit` / `delete` of the delivery `of_delivery`.
    pub op: String,
    pub of_delivery: Option<i64>,
    /// An edit's new draft.
    #[serde(skip)]
    pub payload: Option<serde_json::Value>,
    /// Deliveries in one lane keep their order (`account:ID`).
    pub lane: String,
    /// A message of a publishing network to one of its recipients (schema V14), instead of
    /// a post to an account: the network's kind.
    pub network: Option<String>,
    /// That recipient (`braid_core::host::Recipient` as JSON), read only by the network.
    #[serde(skip)]
    pub recipient: Option<String>,
}

/// A queued post as the engine reads it back.
#[derive(Debug, Clone)]
pub struct PostRecord {
    pub id: i64,
    pub key: String,
    pub draft: serde_json::Value,
    pub media: Vec<NewMedia>,
    pub not_before: Option<DateTime<Utc>>,
    pub options: serde_json::Value,
    pub route_id: Option<i64>,
    pub item_id: Option<i64>,
}

/// Where a delivery landed.
#[derive(Debug, Clone, Default)]
pub struct Landed {
    pub remote_id: String,
    pub local_id: Option<String>,
    pub url: Option<String>,
    pub reply_ref: Option<serde_json::Value>,
}

const COLUMNS: &str = "id, post_id, account_id, target, key, state, attempts, next_attempt, \
    claimed_at, last_sent_at, media, remote_id, local_id, url, reply_ref, last_error, \
    created_at, updated_at, fitted, \
    (SELECT count(*) FROM delivery_parts AS p WHERE p.delivery_id = deliveries.id), \
    op, of_delivery, payload, lane, network, recipient";

fn json(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn record(r: &Row<'_>) -> rusqlite::Result<DeliveryRecord> {
    Ok(DeliveryRecord {
        id: r.get(0)?,
        post_id: r.get(1)?,
        account: r.get::<_, Option<i64>>(2)?.map(AccountId),
        target: r.get(3)?,
        key: r.get(4)?,
        state: DeliveryState::parse(&r.get::<_, String>(5)?),
        attempts: r.get(6)?,
        next_attempt: from_micros(r.get(7)?),
        claimed_at: opt_time(r.get(8)?),
        last_sent_at: opt_time(r.get(9)?),
        media: json(r.get(10)?),
        remote_id: r.get(11)?,
        local_id: r.get(12)?,
        url: r.get(13)?,
        reply_ref: json(r.get(14)?),
        last_error: r.get(15)?,
        created_at: from_micros(r.get(16)?),
        updated_at: from_micros(r.get(17)?),
        fitted: json(r.get(18)?),
        parts_done: r.get(19)?,
        op: r.get(20)?,
        of_delivery: r.get(21)?,
        payload: json(r.get(22)?),
        lane: r.get(23)?,
        network: r.get(24)?,
        recipient: r.get(25)?,
    })
}

/// Queues `new` in one transaction: the post, its files, a `pending` delivery per target.
/// A key already queued returns that post's id and `false`, and queues nothing.
pub(super) fn enqueue(
    conn: &mut Connection,
    new: &NewPost,
    now: DateTime<Utc>,
) -> Result<(i64, bool)> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let queued = insert_post(&tx, new, now)?;
    tx.commit()?;
    Ok(queued)
}

/// [`enqueue`] in the caller's transaction (a route queues a post together with its record of
/// what it sent).
pub(super) fn insert_post(
    tx: &rusqlite::Transaction<'_>,
    new: &NewPost,
    now: DateTime<Utc>,
) -> Result<(i64, bool)> {
    let existing: Option<i64> = tx
        .prepare_cached("SELECT id FROM posts WHERE key = ?1")?
        .query_row([&new.key], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let now_us = micros(now);
    let draft = serde_json::to_string(&new.draft)
        .map_err(|e| StoreError::Other(format!("outbox: the post could not be encoded: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO posts (key, draft, not_before, created_at, options, route_id, item_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        new.key,
        draft,
        new.not_before.map(micros),
        now_us,
        new.options.to_string(),
        new.routed.map(|r| r.0),
        new.routed.map(|r| r.1)
    ])?;
    let post = tx.last_insert_rowid();
    for (i, m) in new.media.iter().enumerate() {
        tx.prepare_cached(
            "INSERT INTO post_media (post_id, position, media_type, alt, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![post, i as i64, m.media_type, m.alt, m.bytes])?;
    }
    for t in &new.targets {
        let first = micros(t.not_before.or(new.not_before).unwrap_or(now).max(now));
        tx.prepare_cached(
            "INSERT INTO deliveries (post_id, account_id, target, key, state, next_attempt,
                                     created_at, updated_at, lane)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6, ?7)",
        )?
        .execute(params![
            post,
            t.account.0,
            t.name,
            t.key,
            first,
            now_us,
            account_lane(t.account)
        ])?;
    }
    if let Some(own) = &new.own {
        super::own::insert(tx, post, own, now)?;
    }
    Ok((post, true))
}

pub(super) fn post(conn: &Connection, id: i64) -> Result<Option<PostRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT id, key, draft, not_before, options, route_id, item_id FROM posts
             WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                (r.get::<_, i64>(0)?, r.get::<_, String>(1)?),
                r.get::<_, String>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, String>(4)?,
                (r.get::<_, Option<i64>>(5)?, r.get::<_, Option<i64>>(6)?),
            ))
        })
        .optional()?;
    let Some(((id, key), draft, not_before, options, (route_id, item_id))) = row else {
        return Ok(None);
    };
    let media = conn
        .prepare_cached(
            "SELECT media_type, alt, bytes FROM post_media WHERE post_id = ?1 ORDER BY position",
        )?
        .query_map([id], |r| {
            Ok(NewMedia {
                media_type: r.get(0)?,
                alt: r.get(1)?,
                bytes: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(PostRecord {
        id,
        key,
        draft: serde_json::from_str(&draft).unwrap_or(serde_json::Value::Null),
        media,
        not_before: opt_time(not_before),
        options: serde_json::from_str(&options).unwrap_or(serde_json::Value::Null),
        route_id,
        item_id,
    }))
}

pub(super) fn delivery(conn: &Connection, id: i64) -> Result<Option<DeliveryRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1"))?
        .query_row([id], record)
        .optional()?)
}

/// The deliveries of `post`, in target order.
pub(super) fn of_post(conn: &Connection, post: i64) -> Result<Vec<DeliveryRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM deliveries WHERE post_id = ?1 ORDER BY id"
        ))?
        .query_map([post], record)?
        .collect::<rusqlite::Result<_>>()?)
}

/// The newest `limit` deliveries, newest first.
pub(super) fn list(conn: &Connection, limit: usize) -> Result<Vec<DeliveryRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM deliveries ORDER BY id DESC LIMIT ?1"
        ))?
        .query_map([limit as i64], record)?
        .collect::<rusqlite::Result<_>>()?)
}

/// Deliveries whose time has come, at most `limit`: for each lane (an account, later an
/// inbox) only its oldest open delivery (pending or in flight), so deliveries in one lane keep
/// their order. `lanes` lists the lanes with open deliveries, and each lane's head is one
/// probe of the `deliveries_lane` index: the query costs a step per busy lane, not one per
/// queued delivery (with a correlated subquery per open row, draining a backlog of thousands
/// was quadratic).
pub(super) fn due(
    conn: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DeliveryRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "WITH heads (id) AS (
                 SELECT (SELECT min(o.id) FROM deliveries AS o
                         WHERE o.lane = l.lane AND o.state IN ('pending', 'in_flight'))
                 FROM lanes AS l
             )
             SELECT {COLUMNS} FROM deliveries
             WHERE id IN (SELECT id FROM heads WHERE id IS NOT NULL) AND next_attempt <= ?1
             ORDER BY next_attempt, id LIMIT ?2"
        ))?
        .query_map(params![micros(now), limit as i64], record)?
        .collect::<rusqlite::Result<_>>()?)
}

/// The lane of a delivery to `account`.
pub fn account_lane(account: AccountId) -> String {
    format!("account:{}", account.0)
}

/// Claims `seen` for one attempt: only if it is still in the state and at the attempt count
/// it was read with (so of two processes, one wins). It becomes `in_flight` until
/// `deadline`, after which another claim may reconcile it.
pub(super) fn claim(
    conn: &Connection,
    seen: &DeliveryRecord,
    now: DateTime<Utc>,
    deadline: DateTime<Utc>,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE deliveries SET state = 'in_flight', attempts = attempts + 1,
                 last_sent_at = claimed_at, claimed_at = ?4, next_attempt = ?5, updated_at = ?4
             WHERE id = ?1 AND state = ?2 AND attempts = ?3",
        )?
        .execute(params![
            seen.id,
            seen.state.as_str(),
            seen.attempts,
            micros(now),
            micros(deadline)
        ])?
        == 1)
}

/// Keeps the media refs uploaded for a delivery.
pub(super) fn save_media(conn: &Connection, id: i64, refs: &serde_json::Value) -> Result<()> {
    conn.prepare_cached("UPDATE deliveries SET media = ?2 WHERE id = ?1")?
        .execute(params![id, refs.to_string()])?;
    Ok(())
}

/// Keeps how a delivery was fitted, before its first part is sent.
pub(super) fn save_fitted(conn: &Connection, id: i64, fitted: &serde_json::Value) -> Result<()> {
    conn.prepare_cached("UPDATE deliveries SET fitted = ?2 WHERE id = ?1")?
        .execute(params![id, fitted.to_string()])?;
    Ok(())
}

/// Records where part `part` of a delivery landed, in one transaction. The first part's place
/// is the delivery's own; the last part finishes it (`done`); a part before the last puts it
/// back as due now, for the next part, with a fresh count of attempts.
pub(super) fn land_part(
    conn: &mut Connection,
    id: i64,
    part: i64,
    last: bool,
    landed: &Landed,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let reply_ref = landed.reply_ref.as_ref().map(|v| v.to_string());
    tx.prepare_cached(
        "INSERT OR REPLACE INTO delivery_parts (delivery_id, part, remote_id, local_id, url,
                                                reply_ref)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id,
        part,
        landed.remote_id,
        landed.local_id,
        landed.url,
        reply_ref
    ])?;
    // A copy read back before its delivery was recorded joins its original now.
    let copies = super::routes::copies_read_back(&tx, id, &landed.remote_id)?;
    super::routes::link_copies(&tx, &copies)?;
    if part == 0 {
        tx.prepare_cached(
            "UPDATE deliveries SET remote_id = ?2, local_id = ?3, url = ?4 WHERE id = ?1",
        )?
        .execute(params![id, landed.remote_id, landed.local_id, landed.url])?;
    }
    if last {
        tx.prepare_cached(
            "UPDATE deliveries SET state = 'done', reply_ref = ?2, last_error = NULL,
                 updated_at = ?3
             WHERE id = ?1",
        )?
        .execute(params![id, reply_ref, micros(now)])?;
    } else {
        tx.prepare_cached(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt = ?2,
                 last_error = NULL, updated_at = ?2
             WHERE id = ?1",
        )?
        .execute(params![id, micros(now)])?;
    }
    tx.commit()?;
    Ok(())
}

/// The parts of a delivery that landed, in order.
pub(super) fn parts(conn: &Connection, id: i64) -> Result<Vec<Landed>> {
    Ok(conn
        .prepare_cached(
            "SELECT remote_id, local_id, url, reply_ref FROM delivery_parts
             WHERE delivery_id = ?1 ORDER BY part",
        )?
        .query_map([id], |r| {
            Ok(Landed {
                remote_id: r.get(0)?,
                local_id: r.get(1)?,
                url: r.get(2)?,
                reply_ref: json(r.get(3)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// The delivery that made the post `remote_id` (any part of it), if Braid made it.
pub(super) fn copy_of(conn: &Connection, remote_id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT delivery_id FROM delivery_parts WHERE remote_id = ?1 LIMIT 1")?
        .query_row([remote_id], |r| r.get(0))
        .optional()?)
}

/// Puts a delivery back for another attempt at `next`: `pending` when nothing can have been
/// created, `in_flight` when the outcome is unknown (reconciled first next time).
pub(super) fn later(
    conn: &Connection,
    id: i64,
    state: DeliveryState,
    next: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE deliveries SET state = ?2, next_attempt = ?3, last_error = ?4, updated_at = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        state.as_str(),
        micros(next),
        error,
        micros(now)
    ])?;
    Ok(())
}

/// Gives a delivery up with `reason`.
pub(super) fn fail(conn: &Connection, id: i64, reason: &str, now: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE deliveries SET state = 'failed', last_error = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, reason, micros(now)])?;
    Ok(())
}

/// Queues a failed or cancelled delivery again, now. In flight or done: refused.
pub(super) fn retry(conn: &Connection, id: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE deliveries SET state = 'pending', next_attempt = ?2, updated_at = ?2
             WHERE id = ?1 AND state IN ('failed', 'cancelled')",
        )?
        .execute(params![id, micros(now)])?
        == 1)
}

/// Cancels a delivery that is waiting or failed. One in flight may be on its way: refused.
pub(super) fn cancel(conn: &Connection, id: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE deliveries SET state = 'cancelled', updated_at = ?2
             WHERE id = ?1 AND state IN ('pending', 'failed')",
        )?
        .execute(params![id, micros(now)])?
        == 1)
}

/// Queues an `edit` (with its new draft) or a `delete` of every copy of `post`, each after
/// what is already queued to its target. `tag` makes the deliveries' keys (queuing the same
/// tag again queues nothing). A delete cancels the copies never sent instead. Returns the new
/// deliveries' ids.
pub(super) fn queue_op(
    conn: &mut Connection,
    post: i64,
    op: &str,
    payload: Option<&serde_json::Value>,
    tag: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now_us = micros(now);
    struct Create {
        id: i64,
        account: Option<i64>,
        target: String,
        key: String,
        state: String,
        attempts: i64,
        parts: i64,
        lane: String,
    }
    let creates: Vec<Create> = tx
        .prepare_cached(
            "SELECT d.id, d.account_id, d.target, d.key, d.state, d.attempts,
                    (SELECT count(*) FROM delivery_parts AS p WHERE p.delivery_id = d.id),
                    d.lane
             FROM deliveries AS d WHERE d.post_id = ?1 AND d.op = 'create' ORDER BY d.id",
        )?
        .query_map([post], |r| {
            Ok(Create {
                id: r.get(0)?,
                account: r.get(1)?,
                target: r.get(2)?,
                key: r.get(3)?,
                state: r.get(4)?,
                attempts: r.get(5)?,
                parts: r.get(6)?,
                lane: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut queued = Vec::new();
    for Create {
        id,
        account,
        target,
        key,
        state,
        attempts,
        parts,
        lane,
    } in creates
    {
        if state == "cancelled" || (state == "failed" && parts == 0) {
            continue;
        }
        // `pending` with no part landed: nothing of it can exist on the network (a delivery
        // whose outcome is unknown stays `in_flight`), so it is cancelled, not sent and
        // deleted. The write lock of this transaction keeps any claim out meanwhile.
        if op == "delete" && state == "pending" && parts == 0 {
            tx.prepare_cached(
                "UPDATE deliveries SET state = 'cancelled', last_error = 'deleted before it was sent',
                     updated_at = ?2
                 WHERE id = ?1 AND state = 'pending' AND attempts = ?3",
            )?
            .execute(params![id, now_us, attempts])?;
            continue;
        }
        let inserted = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO deliveries (post_id, account_id, target, key, state,
                     next_attempt, created_at, updated_at, op, of_delivery, payload, lane)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                post,
                account,
                target,
                format!("{key}-{tag}"),
                now_us,
                op,
                id,
                payload.map(|p| p.to_string()),
                lane
            ])?;
        if inserted == 1 {
            queued.push(tx.last_insert_rowid());
        }
    }
    tx.commit()?;
    Ok(queued)
}

/// Finishes an edit or delete: `done`, with a note on what was left as it was.
pub(super) fn finish(
    conn: &Connection,
    id: i64,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE deliveries SET state = 'done', last_error = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, note, micros(now)])?;
    Ok(())
}

/// Forgets the parts of `delivery` from `from` on: an edit that shortened a thread deleted
/// them, and a later edit must not try to edit them.
pub(super) fn forget_parts(conn: &Connection, delivery: i64, from: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM delivery_parts WHERE delivery_id = ?1 AND part >= ?2")?
        .execute(params![delivery, from])?;
    Ok(())
}
