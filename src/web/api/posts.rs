//! `POST /api/posts`: compose once, queue for many accounts and channels — the fields of
//! `braid post`, as JSON (`"to"`: account names, `"channels"`: channel names). A channel
//! takes the post at once, in the same transaction as the accounts' deliveries
//! (`crate::outbox::queue_to`). The post is durably queued (and the answer given) before anything is sent; the
//! daemon's outbox delivers it, exactly once per account. An `Idempotency-Key` header is the
//! post's key: a request sent again with the same key (a retry after a lost answer) finds the
//! post it queued before and queues nothing (200 instead of 201). With `"preview": true`
//! nothing is queued: the answer is what each account would receive (the thread's parts, the
//! truncation, the files left out), from the same fitting the delivery uses.
//!
//! Behind the front door: the owner's session with its CSRF token (`X-CSRF-Token`), or an API
//! token.

use std::collections::BTreeMap;
use std::sync::Arc;

use braid_core::fit::LongText;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use warp::http::StatusCode;
use warp::Filter;

use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use crate::outbox::{self, Draft, PostOptions, Queued};
use crate::store::{AccountRecord, ChannelRecord};

/// Longest `Idempotency-Key` taken (the IETF draft sets none; keys are UUIDs in practice).
const MAX_KEY_CHARS: usize = 128;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPost {
    text: String,
    /// Account names.
    #[serde(default)]
    to: Vec<String>,
    /// Channel names: the post becomes an item of Braid's own in each.
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    content_warning: Option<String>,
    #[serde(default = "public")]
    visibility: braid_core::Visibility,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    reply_to: Option<String>,
    /// Not sent before this time (RFC 3339).
    #[serde(default)]
    at: Option<DateTime<Utc>>,
    /// `thread` or `truncate` a text longer than one post.
    #[serde(default)]
    long: Option<LongText>,
    /// The same, per account.
    #[serde(default)]
    long_for: BTreeMap<String, LongText>,
    /// Number a thread's parts.
    #[serde(default)]
    number: bool,
    /// The original's address, linked from a truncation.
    #[serde(default)]
    link: Option<String>,
    /// Only show what each account would receive.
    #[serde(default)]
    preview: bool,
}

fn public() -> braid_core::Visibility {
    braid_core::Visibility::Public
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("posts")
        .and(warp::post())
        .and(with_ctx(ctx))
        .and(warp::header::optional::<String>("idempotency-key"))
        .and(warp::body::bytes())
        .then(
            |ctx: Arc<WebContext>, key: Option<String>, body: bytes::Bytes| async move {
                let result = create(&ctx, key, &body).await;
                respond::finish(&ctx, Format::Json, result)
            },
        )
}

async fn create(ctx: &WebContext, key: Option<String>, body: &[u8]) -> HandlerResult {
    let Some(hosted) = ctx.hosted.clone() else {
        return Ok(respond::error_page(
            ctx,
            Format::Json,
            StatusCode::SERVICE_UNAVAILABLE,
            "posting needs the daemon (`braid run`), which delivers the outbox",
        ));
    };
    let new: NewPost = serde_json::from_slice(body)
        .map_err(|e| WebError::BadRequest(format!("the post is not valid JSON: {e}")))?;
    if let Some(key) = &key {
        let printable = key.bytes().all(|b| b.is_ascii_graphic());
        if key.is_empty() || key.len() > MAX_KEY_CHARS || !printable {
            return Err(WebError::BadRequest(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_CHARS} printable ASCII characters"
            )));
        }
    }
    if new.text.trim().is_empty() {
        return Err(WebError::BadRequest("the post has no text".into()));
    }
    let mut targets: Vec<AccountRecord> = Vec::new();
    for name in new.to.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let account = ctx
            .store
            .find_account(name)
            .await?
            .ok_or_else(|| WebError::BadRequest(format!("no account named {name:?}")))?;
        if !targets.iter().any(|t| t.id == account.id) {
            targets.push(account);
        }
    }
    let mut channels: Vec<ChannelRecord> = Vec::new();
    for name in new
        .channels
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let channel = ctx
            .store
            .channel(name.to_owned())
            .await?
            .ok_or_else(|| WebError::BadRequest(format!("no channel named {name:?}")))?;
        if !channels.iter().any(|c| c.id == channel.id) {
            channels.push(channel);
        }
    }
    if targets.is_empty() && channels.is_empty() {
        return Err(WebError::BadRequest(
            "`to` names no account and `channels` no channel".into(),
        ));
    }
    let queued = Queued {
        draft: Draft {
            text: new.text,
            content_warning: new.content_warning.filter(|c| !c.trim().is_empty()),
            visibility: new.visibility,
            language: new.language,
            reply_to: new.reply_to,
        },
        media: Vec::new(),
        options: PostOptions {
            long: new.long,
            number: new.number,
            link: new.link,
            long_for: new.long_for,
        },
        key,
        not_before: new.at,
        routed: None,
    };
    if new.preview {
        let mut previews = outbox::preview(&hosted, &queued, &targets).await;
        previews.extend(channels.iter().map(|c| outbox::Preview {
            target: format!("channel {}", c.name),
            fitted: outbox::channel_preview(&queued, c),
        }));
        let previews: Vec<serde_json::Value> = previews
            .into_iter()
            .map(|p| match p.fitted {
                Ok(fitting) => serde_json::json!({ "target": p.target, "fitting": fitting }),
                Err(error) => serde_json::json!({ "target": p.target, "error": error }),
            })
            .collect();
        return super::json(&serde_json::json!({ "previews": previews }));
    }
    let (post, fresh) = match outbox::queue_to(&hosted, queued, &targets, &channels).await {
        Ok(queued) => queued,
        Err(outbox::QueueError::Refused(reason)) => {
            return Ok(respond::error_page(
                ctx,
                Format::Json,
                StatusCode::UNPROCESSABLE_ENTITY,
                &reason,
            ))
        }
        Err(e) => return Err(WebError::Config(e.to_string())),
    };
    let record = ctx.store.post(post).await?;
    let deliveries = ctx.store.deliveries_of_post(post).await?;
    let published: Vec<serde_json::Value> = ctx
        .store
        .channels_of_post(post)
        .await?
        .into_iter()
        .map(|name| {
            let feed = ctx.absolute(&format!("channels/{name}/feed.atom"));
            serde_json::json!({ "name": name, "feed_url": feed })
        })
        .collect();
    let mut resp = super::json(&serde_json::json!({
        "post": post,
        "key": record.map(|r| r.key),
        "queued_now": fresh,
        "deliveries": deliveries,
        "channels": published,
    }))?;
    if fresh {
        *resp.status_mut() = StatusCode::CREATED;
    }
    Ok(resp)
}
