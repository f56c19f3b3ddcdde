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
//! Deliveries to one target keep their order: only the oldest open delivery of each target is
//! due ([`crate::store::Store::due_deliveries`]).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use braid_core::connector::{MediaRef, MediaUpload, Post, Probe, Published, ReplyRef};
use braid_core::richtext::RichText;
use braid_core::{AccountId, ConnectorError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::scheduler::PollContext;
use crate::store::{
    AccountRecord, DeliveryRecord, DeliveryState, Landed, NewMedia, NewPost, NewTarget, PostRecord,
    StoreError,
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

/// Queues `draft` with its files for `targets` under `key` (a fresh one when `None`). Returns
/// the post's id and whether it was queued now (`false`: that key was queued before, and
/// nothing new was).
pub async fn queue(
    ctx: &PollContext,
    draft: &Draft,
    media: Vec<MediaUpload>,
    targets: &[AccountRecord],
    key: Option<String>,
    not_before: Option<DateTime<Utc>>,
) -> Result<(i64, bool), QueueError> {
    let key = match key {
        Some(k) => k,
        None => new_key()?,
    };
    let draft = serde_json::to_value(draft).map_err(|e| QueueError::Encode(e.to_string()))?;
    let new = NewPost {
        targets: targets
            .iter()
            .map(|a| NewTarget {
                account: a.id,
                name: a.name.clone(),
                key: delivery_key(&key, a.id),
            })
            .collect(),
        key,
        draft,
        media: media
            .into_iter()
            .map(|m| NewMedia {
                media_type: m.media_type,
                alt: m.alt,
                bytes: m.bytes.to_vec(),
            })
            .collect(),
        not_before,
    };
    Ok(ctx.store.enqueue_post(new).await?)
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
        let targets: HashSet<Option<AccountId>> = open.iter().map(|d| d.account).collect();
        let now = Utc::now();
        let due: Vec<DeliveryRecord> = ctx
            .store
            .due_deliveries(10_000)
            .await?
            .into_iter()
            .filter(|d| targets.contains(&d.account))
            .collect();
        if !due.is_empty() {
            let mut attempted = false;
            for d in due {
                if let Some(guard) = busy.take(d.id) {
                    attempted |= deliver(ctx, d).await.is_some();
                    drop(guard);
                }
            }
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
    Landed(Landed),
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
    let requests = 3 + post.media.len() as u32;
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
        Outcome::Landed(landed) => {
            tracing::info!(delivery = id, target = %seen.target, remote_id = %landed.remote_id,
                "outbox: delivered");
            ctx.store.land_delivery(id, landed).await
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
    let reply_to: Option<ReplyRef> = match &draft.reply_to {
        Some(target) => match sink.reply_ref(target).await {
            Ok(r) => Some(r),
            Err(e) => return refused(ctx, &account, e, unknown).await,
        },
        None => None,
    };
    let media = match uploaded(ctx, seen, post, sink).await {
        Ok(m) => m,
        Err(e) => return refused(ctx, &account, e, unknown).await,
    };
    let body = Post {
        body: RichText::from_plain(&draft.text),
        content_warning: draft.content_warning,
        visibility: draft.visibility,
        language: draft.language,
        media,
        reply_to,
    };
    if unknown {
        let probe = Probe {
            key: &seen.key,
            post: &body,
            sent_at: seen.claimed_at.unwrap_or(seen.updated_at),
        };
        match sink.reconcile(&probe).await {
            Ok(Some(found)) => {
                tracing::info!(
                    delivery = seen.id,
                    "outbox: found the earlier attempt's post"
                );
                return Outcome::Landed(landed(found));
            }
            Ok(None) => {}
            Err(e) => return refused(ctx, &account, e, true).await,
        }
    }
    match sink.publish(&body, &seen.key).await {
        Ok(published) => Outcome::Landed(landed(published)),
        Err(e) => refused(ctx, &account, e, true).await,
    }
}

/// The media refs of this delivery: uploaded before (kept on the row), or uploaded now and
/// kept before the post goes out, so no retry uploads them again.
async fn uploaded(
    ctx: &PollContext,
    seen: &DeliveryRecord,
    post: &PostRecord,
    sink: &dyn braid_core::Sink,
) -> Result<Vec<MediaRef>, ConnectorError> {
    if let Some(refs) = seen
        .media
        .as_ref()
        .and_then(|v| serde_json::from_value::<Vec<MediaRef>>(v.clone()).ok())
    {
        return Ok(refs);
    }
    let mut refs = Vec::with_capacity(post.media.len());
    for m in &post.media {
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
        ConnectorError::Auth(m) | ConnectorError::Permanent(m) | ConnectorError::Unsupported(m) => {
            Outcome::Failed(m)
        }
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
