//! The outbox: a post to N targets is N deliveries, each sent exactly once, even across
//! crashes and timeouts.
//!
//! A delivery's life (rows in `src/store/outbox.rs`):
//! 1. **Queued** `pending` with its idempotency key, in the same transaction as the post and
//!    its files, before any network call (`braid post` prints `queued post ID for …` then).
//! 2. **Claimed** `in_flight` by a conditional UPDATE, committed before anything is sent, with
//!    a deadline after which no request of this attempt can still be in progress. Of two
//!    processes (the CLI and a daemon), one wins the claim; the other leaves it.
//! 3. **Sent** through the sink the registry builds for the target account: files uploaded
//!    once (their refs kept on the row before the post goes out), the reply target resolved,
//!    then `publish` with the key.
//! 4. **Done** with where it landed; or **back** for a later attempt, with exponential backoff
//!    and jitter, never before the server's `Retry-After`: `pending` when nothing can have
//!    been created (a refusal before the send, a rate limit), `in_flight` when the outcome is
//!    unknown (a timeout, a reset connection, a 5xx); or **failed** with its reason (refused
//!    for good, credentials refused, or out of attempts).
//!
//! A delivery claimed from `in_flight` (the previous attempt's outcome is unknown, or the
//! process died holding it) is **reconciled** before it is sent again: the sink looks for the
//! post on the account ([`braid_core::Sink::reconcile`]); found, it is done without a second
//! send. What remains: a sink whose reconcile cannot see the post (the Mastodon API family
//! matches by content among the account's 40 newest statuses since two minutes before the
//! earlier send) and a server that forgot or ignores the key could post twice; the Mastodon
//! connector's notes say when.
//!
//! Outcomes are logged at INFO (the daemon's level): `braid post` prints them itself, and a
//! failed delivery stays visible with its reason in `braid outbox`.
//!
//! Deliveries in one lane keep their order: only the oldest open delivery of each lane is due
//! ([`crate::store::Store::due_deliveries`]). A lane is a target account today; with
//! ActivityPub each follower's inbox will be one, so a post fans out to thousands of inboxes
//! as independent lanes, none waiting on another.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use braid_core::connector::{MediaRef, MediaUpload, Post, Probe, Published, ReplyRef};
use braid_core::richtext::RichText;
use braid_core::{AccountId, ConnectorError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod fitting;
mod own;

pub use fitting::{describe, fit, FileInfo, Fitting, PostOptions};
pub use own::{preview as channel_preview, refusal as channel_refusal};

use crate::scheduler::PollContext;
use crate::store::{
    AccountRecord, ChannelRecord, DeliveryRecord, DeliveryState, Landed, NewMedia, NewPost,
    NewTarget, PostRecord, StoreError,
};

/// What the owner composed, as the outbox keeps it (files apart).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Draft {
    pub text: String,
    pub content_warning: Option<String>,
    pub visibility: braid_core::Visibility,
    pub language: Option<String>,
    /// An id or URL on the target's network, or an item's remote id.
    pub reply_to: Option<String>,
}

/// Why a post could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("braid: the operating system gave no random bytes for a key: {0}")]
    NoRandomness(String),
    #[error("braid: the post was not encoded: {0}")]
    Encode(String),
    /// The post breaks a rule (a channel's audience, a time to send with channels); the
    /// message says which and what to do.
    #[error("{0}")]
    Refused(String),
}

/// A fresh post key: 128 random bits from the OS, never a guessable fallback.
pub fn new_key() -> Result<String, QueueError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| QueueError::NoRandomness(e.to_string()))?;
    Ok(format!("braid-post-{}", hex::encode(random)))
}

/// The key sent to one target: the post's key hashed with the account, so the same post queued
/// again (`--key`) finds the same deliveries, and keys of different targets never meet.
pub fn delivery_key(post_key: &str, account: AccountId) -> String {
    let mut h = Sha256::new();
    h.update((post_key.len() as u64).to_le_bytes());
    h.update(post_key.as_bytes());
    h.update(account.0.to_le_bytes());
    format!("braid-{}", hex::encode(&h.finalize()[..16]))
}

/// What to queue: the draft, its files, how to fit it, and when.
#[derive(Debug, Clone)]
pub struct Queued {
    pub draft: Draft,
    pub media: Vec<MediaUpload>,
    pub options: PostOptions,
    /// The post's key; a fresh one when `None`.
    pub key: Option<String>,
    /// Not sent before this time (`--at`).
    pub not_before: Option<DateTime<Utc>>,
    /// The route and item it carries, for a routed post.
    pub routed: Option<(i64, i64)>,
}

impl Queued {
    /// A post of `draft`, sent now, with a fresh key.
    pub fn new(draft: Draft) -> Queued {
        Queued {
            draft,
            media: Vec::new(),
            options: PostOptions::default(),
            key: None,
            not_before: None,
            routed: None,
        }
    }
}

/// Queues `q` for `targets`. Returns the post's id and whether it was queued now (`false`:
/// that key was queued before, and nothing new was).
pub async fn queue(
    ctx: &PollContext,
    q: Queued,
    targets: &[AccountRecord],
) -> Result<(i64, bool), QueueError> {
    queue_to(ctx, q, targets, &[]).await
}

/// [`queue`] for accounts and channels: the post becomes an item of Braid's own in each of
/// `channels` (see `own.rs`) in the same transaction that queues its deliveries, so the same
/// key queued again adds nothing anywhere. Refused as a whole when a channel may not take it.
pub async fn queue_to(
    ctx: &PollContext,
    q: Queued,
    targets: &[AccountRecord],
    channels: &[ChannelRecord],
) -> Result<(i64, bool), QueueError> {
    let targets: Vec<_> = targets.iter().map(|t| (t.clone(), None)).collect();
    queue_paced(ctx, q, &targets, channels).await
}

/// [`queue_to`], each account with its own earliest time (a route's pacing), else the post's.
pub async fn queue_paced(
    ctx: &PollContext,
    q: Queued,
    targets: &[(AccountRecord, Option<DateTime<Utc>>)],
    channels: &[ChannelRecord],
) -> Result<(i64, bool), QueueError> {
    let key = match q.key.clone() {
        Some(k) => k,
        None => new_key()?,
    };
    let own = match channels {
        [] => None,
        _ => Some(own::own_post(&ctx.config, &key, &q, channels)?),
    };
    let encode = |e: serde_json::Error| QueueError::Encode(e.to_string());
    let draft = serde_json::to_value(&q.draft).map_err(encode)?;
    let options = serde_json::to_value(&q.options).map_err(encode)?;
    let new = NewPost {
        targets: targets
            .iter()
            .map(|(a, not_before)| NewTarget {
                account: a.id,
                name: a.name.clone(),
                key: delivery_key(&key, a.id),
                not_before: *not_before,
            })
            .collect(),
        key,
        draft,
        media: q
            .media
            .into_iter()
            .map(|m| NewMedia {
                media_type: m.media_type,
                alt: m.alt,
                bytes: m.bytes.to_vec(),
            })
            .collect(),
        not_before: q.not_before,
        options,
        routed: q.routed,
        own,
    };
    match ctx.store.enqueue_post(new).await {
        Ok(queued) => Ok(queued),
        Err(StoreError::Refused(reason)) => Err(QueueError::Refused(reason)),
        Err(e) => Err(e.into()),
    }
}

/// What one target would receive, or why it cannot say.
#[derive(Debug)]
pub struct Preview {
    pub target: String,
    pub fitted: Result<Fitting, String>,
}

/// What each of `targets` would receive of `q`, asking each for its limits; nothing is queued
/// or sent. Fitting is the same function delivery uses, so this is what a delivery sends
/// (unless the server later refuses a part as too long, and it is fitted again, stricter).
pub async fn preview(ctx: &PollContext, q: &Queued, targets: &[AccountRecord]) -> Vec<Preview> {
    let files: Vec<FileInfo> = q
        .media
        .iter()
        .map(|m| FileInfo {
            media_type: m.media_type.clone(),
            bytes: m.bytes.len() as u64,
        })
        .collect();
    let mut out = Vec::with_capacity(targets.len());
    for account in targets {
        let fitted = async {
            let connector = crate::connectors::sink(account, &ctx.connectors, &ctx.store)
                .await
                .map_err(|e| e.to_string())?;
            let sink = connector
                .sink()
                .ok_or_else(|| format!("{}: this account cannot publish", account.kind))?;
            let limits = sink.limits().await.map_err(|e| e.to_string())?;
            let options = q.options.for_target(&account.name);
            Ok(fit(&q.draft, &files, &options, &limits))
        }
        .await;
        out.push(Preview {
            target: account.name.clone(),
            fitted,
        });
    }
    out
}

/// The fitting notes of a delivery (files left out, a thread, a truncation).
pub fn notes_of(d: &DeliveryRecord) -> Vec<String> {
    d.fitted
        .as_ref()
        .and_then(|v| serde_json::from_value::<Fitting>(v.clone()).ok())
        .map(|f| f.notes)
        .unwrap_or_default()
}

/// Reads a media file for upload, with its type guessed from the name.
pub fn read_media(path: &std::path::Path, alt: Option<String>) -> Result<MediaUpload, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let media_type = mime_guess::from_path(path)
        .first()
        .map(|m| m.essence_str().to_owned())
        .ok_or_else(|| {
            format!(
                "{}: cannot tell the media type from the file name",
                path.display()
            )
        })?;
    Ok(MediaUpload {
        bytes: bytes.into(),
        media_type,
        alt,
    })
}

/// Delivers `post` now, as `braid post` does: its deliveries that are due (and older ones to
/// the same targets, which go first), until each is finished or waits for a later time. A
/// delivery another process claimed is waited for until its claim's deadline. Returns the
/// post's deliveries as they are then.
pub async fn deliver_post(
    ctx: &Arc<PollContext>,
    post: i64,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let busy = Busy::default();
    let mut waited = Duration::ZERO;
    loop {
        let mine = ctx.store.deliveries_of_post(post).await?;
        let open: Vec<&DeliveryRecord> = mine.iter().filter(|d| !d.state.is_final()).collect();
        let lanes: HashSet<&str> = open.iter().map(|d| d.lane.as_str()).collect();
        let now = Utc::now();
        let due: Vec<DeliveryRecord> = ctx
            .store
            .due_deliveries(10_000)
            .await?
            .into_iter()
            .filter(|d| lanes.contains(d.lane.as_str()))
            .collect();
        if !due.is_empty() {
            // One delivery per target is due at a time, so they go out side by side: a post
            // to four accounts takes about as long as its slowest one.
            let attempts = due.into_iter().filter_map(|d| {
                let guard = busy.take(d.id)?;
                Some(async move {
                    let done = deliver(ctx, d).await.is_some();
                    drop(guard);
                    done
                })
            });
            let attempted = futures_util::future::join_all(attempts)
                .await
                .into_iter()
                .any(|a| a);
            if attempted {
                continue;
            }
        }
        // Nothing due: finished, waiting for a retry time, or being sent by another process
        // (in flight until its deadline).
        let elsewhere = open.iter().any(|d| {
            d.state == DeliveryState::InFlight
                && d.next_attempt > now
                && d.attempts > 0
                && d.last_error.is_none()
        });
        if !elsewhere || waited > Duration::from_secs(ctx.config.fetch.timeout_secs * 4) {
            return Ok(mine);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        waited += Duration::from_millis(200);
    }
}

/// What one attempt came to.
enum Outcome {
    /// Part `part` landed; `last`: the delivery is done.
    Landed {
        part: i64,
        last: bool,
        landed: Landed,
    },
    /// Fitted again after a refusal as too long: due again now.
    Refitted(String),
    /// An edit or delete carried out; the note says what was left as it was.
    Finished(Option<String>),
    Later {
        state: DeliveryState,
        retry_after: Option<Duration>,
        error: String,
    },
    Failed(String),
}

/// Delivers the deliveries that are due, at most `limit`, skipping those this process is
/// already sending. Returns how many it attempted.
pub async fn deliver_due(ctx: &Arc<PollContext>, busy: &Busy, limit: usize) -> usize {
    let due = match ctx.store.due_deliveries(limit).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "outbox: could not read due deliveries");
            return 0;
        }
    };
    let mut started = 0;
    let mut tasks = tokio::task::JoinSet::new();
    for delivery in due {
        let Some(guard) = busy.take(delivery.id) else {
            continue;
        };
        let ctx = ctx.clone();
        started += 1;
        tasks.spawn(async move {
            deliver(&ctx, delivery).await;
            drop(guard);
        });
    }
    while tasks.join_next().await.is_some() {}
    started
}

/// The deliveries one process is sending, so it does not start one twice.
#[derive(Default, Clone)]
pub struct Busy(Arc<Mutex<HashSet<i64>>>);

/// Held while a delivery is being sent.
pub struct BusyGuard(Busy, i64);

impl Busy {
    fn take(&self, id: i64) -> Option<BusyGuard> {
        let fresh = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        fresh.then(|| BusyGuard(self.clone(), id))
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0
             .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.1);
    }
}

/// One attempt at `seen` (as it was read): claims it, sends or reconciles it, and records the
/// outcome. Returns the delivery as it is afterwards, or `None` when another process claimed
/// it first.
pub async fn deliver(ctx: &PollContext, seen: DeliveryRecord) -> Option<DeliveryRecord> {
    let id = seen.id;
    let post = match ctx.store.post(seen.post_id).await {
        Ok(Some(post)) => post,
        Ok(None) => return None,
        Err(e) => {
            tracing::error!(delivery = id, error = %e, "outbox: could not read the post");
            return None;
        }
    };
    // No request of this attempt can still be in progress after the deadline: each request
    // is bounded by the fetch timeout, and an attempt makes at most one per file plus three.
    let timeout = Duration::from_secs(ctx.config.fetch.timeout_secs);
    let requests = 4 + post.media.len() as u32;
    let deadline = Utc::now() + chrono_dur(timeout * requests + Duration::from_secs(1));
    match ctx.store.claim_delivery(seen.clone(), deadline).await {
        Ok(true) => {}
        Ok(false) => return None,
        Err(e) => {
            tracing::error!(delivery = id, error = %e, "outbox: could not claim");
            return None;
        }
    }
    let outcome = attempt(ctx, &seen, &post).await;
    let attempts = seen.attempts + 1;
    let recorded = match outcome {
        Outcome::Landed { part, last, landed } => {
            tracing::info!(delivery = id, target = %seen.target, part = part + 1,
                remote_id = %landed.remote_id, "outbox: delivered");
            ctx.store.land_part(id, part, last, landed).await
        }
        Outcome::Finished(note) => {
            tracing::info!(delivery = id, target = %seen.target, op = %seen.op,
                note = note.as_deref().unwrap_or(""), "outbox: done");
            ctx.store.finish_delivery(id, note).await
        }
        Outcome::Refitted(note) => {
            tracing::info!(delivery = id, target = %seen.target, %note, "outbox: fitted again");
            ctx.store
                .delivery_later(id, DeliveryState::Pending, Utc::now(), note)
                .await
        }
        Outcome::Later { error, .. } if attempts >= i64::from(ctx.config.outbox.max_attempts) => {
            let reason = format!("gave up after {attempts} attempts; last: {error}");
            tracing::info!(delivery = id, target = %seen.target, %reason, "outbox: failed");
            ctx.store.fail_delivery(id, reason).await
        }
        Outcome::Later {
            state,
            retry_after,
            error,
        } => {
            let cfg = &ctx.config.outbox;
            let mut wait = backoff(cfg.backoff_base_secs, cfg.backoff_max_secs, attempts);
            if let Some(asked) = retry_after {
                wait = wait.max(asked);
            }
            if state == DeliveryState::InFlight {
                // Reconciled next time, once the request that timed out cannot still land.
                wait = wait.max(timeout);
            }
            tracing::info!(delivery = id, target = %seen.target, %error,
                retry_in_secs = wait.as_secs(), "outbox: will retry");
            ctx.store
                .delivery_later(id, state, Utc::now() + chrono_dur(wait), error)
                .await
        }
        Outcome::Failed(reason) => {
            tracing::info!(delivery = id, target = %seen.target, %reason, "outbox: failed");
            ctx.store.fail_delivery(id, reason).await
        }
    };
    if let Err(e) = recorded {
        // The row stays in flight: the next claim after its deadline reconciles it.
        tracing::error!(delivery = id, error = %e, "outbox: could not record the outcome");
    }
    ctx.store.delivery(id).await.ok().flatten()
}

/// Sends (or, after an unknown outcome, first looks for) one delivery.
async fn attempt(ctx: &PollContext, seen: &DeliveryRecord, post: &PostRecord) -> Outcome {
    // Claimed from in flight: an earlier attempt may have landed.
    let unknown = seen.state == DeliveryState::InFlight;
    let before_send = |e: ConnectorError| classify(e, unknown);
    if let Some(network) = &seen.network {
        return attempt_hosted(ctx, seen, post, network).await;
    }
    let Some(account_id) = seen.account else {
        return Outcome::Failed(format!("{}: the account was removed", seen.target));
    };
    let account = match ctx.store.account(account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Outcome::Failed(format!("{}: the account was removed", seen.target)),
        Err(e) => return before_send(ConnectorError::Transient(e.to_string())),
    };
    let connector = match crate::connectors::sink(&account, &ctx.connectors, &ctx.store).await {
        Ok(c) => c,
        Err(e) => return refused(ctx, &account, e, unknown).await,
    };
    let Some(sink) = connector.sink() else {
        return Outcome::Failed(format!("{}: this account cannot publish", account.kind));
    };
    let draft: Draft = match serde_json::from_value(post.draft.clone()) {
        Ok(d) => d,
        Err(e) => return Outcome::Failed(format!("braid: the queued post is unreadable: {e}")),
    };
    let options: PostOptions = serde_json::from_value::<PostOptions>(post.options.clone())
        .unwrap_or_default()
        .for_target(&seen.target);
    if seen.op != "create" {
        return match operate(ctx, seen, &draft, &options, sink).await {
            Ok(outcome) => outcome,
            Err(e) => refused(ctx, &account, e, false).await,
        };
    }
    // Fitted once, before the first part goes out, and kept: every attempt sends the same.
    let (fitted, limits) = match fitted_for(ctx, seen, post, &draft, &options, sink).await {
        Ok(f) => f,
        Err(e) => return refused(ctx, &account, e, unknown).await,
    };
    let index = seen.parts_done.max(0) as usize;
    let Some(text) = fitted.parts.get(index) else {
        return Outcome::Failed(format!("braid: delivery has no part {}", index + 1));
    };
    let last = index + 1 == fitted.parts.len();
    let reply_to: Option<ReplyRef> = if index == 0 {
        match &draft.reply_to {
            Some(target) => match sink.reply_ref(target).await {
                Ok(r) => Some(r),
                Err(e) => return refused(ctx, &account, e, unknown).await,
            },
            None => None,
        }
    } else {
        // A thread's next part replies to the part before it.
        match ctx.store.delivery_parts(seen.id).await {
            Ok(parts) => parts
                .get(index - 1)
                .and_then(|p| p.reply_ref.clone())
                .map(ReplyRef),
            Err(e) => return before_send(ConnectorError::Transient(e.to_string())),
        }
    };
    let media = if index == 0 {
        match uploaded(ctx, seen, post, &fitted.media, sink).await {
            Ok(m) => m,
            Err(e) => return refused(ctx, &account, e, unknown).await,
        }
    } else {
        Vec::new()
    };
    let body = Post {
        body: RichText::from_plain(text),
        content_warning: fitted.content_warning.clone(),
        visibility: draft.visibility,
        language: draft.language,
        media,
        reply_to,
    };
    let key = part_key(&seen.key, index);
    let landed_part = |published: Published| Outcome::Landed {
        part: index as i64,
        last,
        landed: landed(published),
    };
    if unknown {
        let probe = Probe {
            key: &key,
            post: &body,
            sent_at: seen.claimed_at.unwrap_or(seen.updated_at),
        };
        match sink.reconcile(&probe).await {
            Ok(Some(found)) => {
                tracing::info!(
                    delivery = seen.id,
                    "outbox: found the earlier attempt's post"
                );
                return landed_part(found);
            }
            Ok(None) => {}
            Err(e) => return refused(ctx, &account, e, true).await,
        }
    }
    match sink.publish(&body, &key).await {
        Ok(published) => landed_part(published),
        Err(ConnectorError::TooLong(message)) => {
            // Refused before anything was created: fit again by the strictest count, once.
            let mut fitted = fitted;
            let limits = match limits {
                Some(l) => l,
                None => match sink.limits().await {
                    Ok(l) => l,
                    Err(e) => return refused(ctx, &account, e, false).await,
                },
            };
            if !fitting::refit(&mut fitted, index, &options, &limits) {
                return Outcome::Failed(format!(
                    "{message} (also when fitted by the strictest count)"
                ));
            }
            let value = serde_json::to_value(&fitted).unwrap_or_default();
            if let Err(e) = ctx.store.save_fitted(seen.id, value).await {
                return before_send(ConnectorError::Transient(e.to_string()));
            }
            Outcome::Refitted(message)
        }
        Err(e) => refused(ctx, &account, e, true).await,
    }
}

/// A publishing network's message to one recipient ([`crate::publish`]): handed to the
/// network's hosted connector as it was queued. Messages are safe to receive twice (an
/// ActivityPub activity keeps its id), so an unknown outcome is simply sent again.
async fn attempt_hosted(
    ctx: &PollContext,
    seen: &DeliveryRecord,
    post: &PostRecord,
    network: &str,
) -> Outcome {
    let Some(connector) = ctx.hosted.get(network, &ctx.connectors, &ctx.store).await else {
        return classify(
            ConnectorError::Transient(format!(
                "{network}: not publishing here (it needs web.base_url, and a network that publishes)"
            )),
            false,
        );
    };
    let Some(publisher) = connector.publisher() else {
        return Outcome::Failed(format!("{network}: this network does not publish"));
    };
    let recipient = match seen
        .recipient
        .as_deref()
        .map(serde_json::from_str::<braid_core::host::Recipient>)
    {
        Some(Ok(r)) => r,
        _ => return Outcome::Failed("braid: the delivery's recipient is unreadable".into()),
    };
    match publisher.deliver(&recipient, &post.draft).await {
        Ok(()) => Outcome::Finished(None),
        Err(e) => classify(e, false),
    }
}

/// An edit or a delete of every part of the delivery it names. Both can be repeated without
/// harm (an edit sets the same text again; a post already gone counts as deleted), so an
/// unknown outcome is simply tried again.
async fn operate(
    ctx: &PollContext,
    seen: &DeliveryRecord,
    original: &Draft,
    options: &PostOptions,
    sink: &dyn braid_core::Sink,
) -> Result<Outcome, ConnectorError> {
    let transient = |e: StoreError| ConnectorError::Transient(e.to_string());
    let of = match seen.of_delivery {
        Some(id) => ctx.store.delivery(id).await.map_err(transient)?,
        None => None,
    };
    let Some(of) = of else {
        return Ok(Outcome::Finished(Some(
            "the post it acts on is gone".into(),
        )));
    };
    let parts: Vec<Published> = ctx
        .store
        .delivery_parts(of.id)
        .await
        .map_err(transient)?
        .into_iter()
        .map(|p| Published {
            remote_id: braid_core::RemoteId(p.remote_id),
            local_id: p.local_id,
            url: p.url,
            reply_ref: ReplyRef(p.reply_ref.unwrap_or_default()),
        })
        .collect();
    if parts.is_empty() {
        return Ok(Outcome::Finished(Some(format!(
            "nothing to {}: the post was never delivered",
            seen.op
        ))));
    }
    if seen.op == "delete" {
        let Some(deleter) = sink.deleter() else {
            return Ok(Outcome::Failed(
                "this network cannot delete posts: the copy stays; delete it there by hand".into(),
            ));
        };
        // The last part first, so a thread is never left without its start.
        for part in parts.iter().rev() {
            deleter.delete(part).await?;
        }
        return Ok(Outcome::Finished(None));
    }
    let Some(editor) = sink.editor() else {
        return Ok(Outcome::Failed(
            "this network cannot edit posts: the copy stays as it was".into(),
        ));
    };
    let draft: Draft = match seen.payload.clone().map(serde_json::from_value) {
        Some(Ok(d)) => d,
        _ => {
            return Ok(Outcome::Failed(
                "braid: the edit's text is unreadable".into(),
            ))
        }
    };
    let limits = sink.limits().await?;
    let mut fitted = fit(&draft, &[], options, &limits);
    let mut note = None;
    if fitted.parts.len() > parts.len() {
        // No new parts are added to a thread by an edit: the last one takes the rest, cut.
        let keep = parts.len() - 1;
        let rest = fitted.parts.split_off(keep).join("\n\n");
        let last = Draft {
            text: rest,
            ..draft.clone()
        };
        let cut = PostOptions {
            long: Some(braid_core::fit::LongText::Truncate),
            ..options.clone()
        };
        fitted
            .parts
            .extend(fit(&last, &[], &cut, &limits).parts.into_iter().take(1));
        note = Some("the edit is longer than the thread: its last part was truncated".to_owned());
    }
    let media: Vec<MediaRef> = of
        .media
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    for (i, (part, text)) in parts.iter().zip(&fitted.parts).enumerate() {
        let body = Post {
            body: RichText::from_plain(text),
            content_warning: fitted.content_warning.clone(),
            visibility: original.visibility,
            language: draft.language.clone(),
            media: if i == 0 { media.clone() } else { Vec::new() },
            reply_to: None,
        };
        editor.edit(part, &body).await?;
    }
    if fitted.parts.len() < parts.len() {
        let extra = &parts[fitted.parts.len()..];
        match sink.deleter() {
            Some(deleter) => {
                for part in extra.iter().rev() {
                    deleter.delete(part).await?;
                }
                ctx.store
                    .forget_parts(of.id, fitted.parts.len() as i64)
                    .await
                    .map_err(transient)?;
            }
            None => {
                note = Some(format!(
                    "the edit is shorter than the thread: {} part(s) stay as they were",
                    extra.len()
                ))
            }
        }
    }
    Ok(Outcome::Finished(note))
}

/// The idempotency key of part `index`: the delivery's own for the first, so a single post's
/// key is the delivery key as before.
fn part_key(key: &str, index: usize) -> String {
    if index == 0 {
        key.to_owned()
    } else {
        format!("{key}-{}", index + 1)
    }
}

/// How this delivery is fitted: as kept, or fitted now from the sink's limits and kept before
/// anything is sent. Returns the limits when it asked for them (a refit needs them; a later
/// part of a thread does not ask again).
async fn fitted_for(
    ctx: &PollContext,
    seen: &DeliveryRecord,
    post: &PostRecord,
    draft: &Draft,
    options: &PostOptions,
    sink: &dyn braid_core::Sink,
) -> Result<(Fitting, Option<braid_core::connector::Limits>), ConnectorError> {
    if let Some(kept) = seen
        .fitted
        .as_ref()
        .and_then(|v| serde_json::from_value::<Fitting>(v.clone()).ok())
    {
        return Ok((kept, None));
    }
    let limits = sink.limits().await?;
    let fitted = fit(draft, &files_of(post), options, &limits);
    for note in &fitted.notes {
        tracing::info!(delivery = seen.id, target = %seen.target, %note, "outbox: fitting");
    }
    let value = serde_json::to_value(&fitted).unwrap_or_default();
    ctx.store
        .save_fitted(seen.id, value)
        .await
        .map_err(|e| ConnectorError::Transient(e.to_string()))?;
    Ok((fitted, Some(limits)))
}

/// The post's files as fitting sees them.
pub fn files_of(post: &PostRecord) -> Vec<FileInfo> {
    post.media
        .iter()
        .map(|m| FileInfo {
            media_type: m.media_type.clone(),
            bytes: m.bytes.len() as u64,
        })
        .collect()
}

/// The media refs of this delivery: uploaded before (kept on the row), or uploaded now and
/// kept before the post goes out, so no retry uploads them again.
async fn uploaded(
    ctx: &PollContext,
    seen: &DeliveryRecord,
    post: &PostRecord,
    kept: &[usize],
    sink: &dyn braid_core::Sink,
) -> Result<Vec<MediaRef>, ConnectorError> {
    if let Some(refs) = seen
        .media
        .as_ref()
        .and_then(|v| serde_json::from_value::<Vec<MediaRef>>(v.clone()).ok())
    {
        return Ok(refs);
    }
    let mut refs = Vec::with_capacity(kept.len());
    for m in kept.iter().filter_map(|&i| post.media.get(i)) {
        refs.push(
            sink.upload(&MediaUpload {
                bytes: m.bytes.clone().into(),
                media_type: m.media_type.clone(),
                alt: m.alt.clone(),
            })
            .await?,
        );
    }
    if !refs.is_empty() {
        let value = serde_json::to_value(&refs).unwrap_or_default();
        ctx.store
            .save_delivery_media(seen.id, value)
            .await
            .map_err(|e| ConnectorError::Transient(e.to_string()))?;
    }
    Ok(refs)
}

fn landed(p: Published) -> Landed {
    Landed {
        remote_id: p.remote_id.0,
        local_id: p.local_id,
        url: p.url,
        reply_ref: Some(p.reply_ref.0),
    }
}

/// An error of an attempt, recorded: refused credentials also mark the account.
async fn refused(
    ctx: &PollContext,
    account: &AccountRecord,
    e: ConnectorError,
    maybe_sent: bool,
) -> Outcome {
    if matches!(e, ConnectorError::Auth(_)) {
        if let Err(err) = ctx
            .store
            .record_account_error(account.id, e.to_string(), true)
            .await
        {
            tracing::error!(error = %err, "outbox: could not mark the account");
        }
    }
    classify(e, maybe_sent)
}

/// What an error means for the delivery. `maybe_sent`: a request that could have created the
/// post went out (or an earlier one did), so the next attempt reconciles first.
fn classify(e: ConnectorError, maybe_sent: bool) -> Outcome {
    let state = if maybe_sent {
        DeliveryState::InFlight
    } else {
        DeliveryState::Pending
    };
    match e {
        // A rate limit refused this request, but an earlier one may have landed.
        ConnectorError::RateLimited {
            retry_after,
            message,
        } => Outcome::Later {
            state,
            retry_after,
            error: message,
        },
        ConnectorError::Transient(message) => Outcome::Later {
            state,
            retry_after: None,
            error: message,
        },
        ConnectorError::Auth(m)
        | ConnectorError::Permanent(m)
        | ConnectorError::Unsupported(m)
        | ConnectorError::TooLong(m) => Outcome::Failed(m),
    }
}

/// `base · 2^(attempts-1)`, at most `max`, plus up to a quarter more at random (so many
/// deliveries that failed together do not retry together).
pub fn backoff(base_secs: u64, max_secs: u64, attempts: i64) -> Duration {
    let exp = (attempts.max(1) - 1).min(30) as u32;
    let secs = base_secs.saturating_mul(1u64 << exp).min(max_secs);
    let mut random = [0u8; 2];
    let spread = match getrandom::fill(&mut random) {
        Ok(()) => u64::from(u16::from_le_bytes(random)),
        Err(_) => 0,
    };
    Duration::from_millis(secs * 1000 + secs * 250 * spread / u64::from(u16::MAX))
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_spreads_by_at_most_a_quarter() {
        for (attempts, base) in [(1, 30), (2, 60), (3, 120), (10, 3600), (200, 3600)] {
            let d = backoff(30, 3600, attempts).as_millis() as u64;
            assert!(
                (base * 1000..=base * 1250).contains(&d),
                "{attempts}: {d} ms"
            );
        }
    }

    #[test]
    fn delivery_keys_are_stable_per_target_and_differ_between_targets() {
        let a = delivery_key("k", AccountId(1));
        assert_eq!(a, delivery_key("k", AccountId(1)));
        assert_ne!(a, delivery_key("k", AccountId(2)));
        assert_ne!(a, delivery_key("k2", AccountId(1)));
        assert!(a.starts_with("braid-") && a.len() == 6 + 32, "{a}");
    }
}
