//! `GET /compose/posts/ID`: where each account's delivery of a post stands — queued, sending,
//! delivered (with a link to the copy), failed (with the reason and a retry button) — and
//! each channel it was published in, with a link to the channel's feed. While
//! something is still on its way the page refreshes itself every few seconds (a `<meta>`
//! refresh: no script needed).

use std::sync::Arc;

use askama::Template;
use serde::Deserialize;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::{safe_url, Layout, TimeView};
use super::super::{with_ctx, HandlerResult, WebContext};
use crate::store::DeliveryState;

#[derive(Template)]
#[template(path = "compose_status.html")]
struct StatusPage {
    layout: Layout,
    post: i64,
    text: String,
    rows: Vec<Row>,
    /// The channels the post was published in, each with its feed.
    channels: Vec<ChannelRow>,
    pending: bool,
}

struct ChannelRow {
    name: String,
    feed: String,
}

struct Row {
    id: i64,
    target: String,
    state: &'static str,
    /// `ok`, `bad` or `warn`, for the badge.
    tone: &'static str,
    attempts: i64,
    error: Option<String>,
    url: Option<String>,
    /// When a waiting delivery goes out. Not while one is being sent: its `next_attempt` is
    /// then the time it was claimed for, already past.
    next: Option<TimeView>,
    retry: bool,
}

#[derive(Deserialize)]
struct Retry {
    delivery: i64,
}

pub fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("compose" / "posts" / i64)
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(|post: i64, ctx: Arc<WebContext>, owner: Owner| async move {
            let result = show(&ctx, &owner, post).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

pub fn retry(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("compose" / "deliveries" / "retry")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::body::form::<Retry>())
        .then(|ctx: Arc<WebContext>, _: Owner, form: Retry| async move {
            let result = async {
                let Some(d) = ctx.store.delivery(form.delivery).await? else {
                    return Ok(respond::see_other("/compose"));
                };
                ctx.store.retry_delivery(d.id).await?;
                if let Some(hosted) = ctx.hosted.clone() {
                    let post = d.post_id;
                    tokio::spawn(async move {
                        let _ = crate::outbox::deliver_post(&hosted, post).await;
                    });
                }
                Ok(respond::see_other(&format!("/compose/posts/{}", d.post_id)))
            }
            .await;
            respond::finish(&ctx, Format::Html, result)
        })
}

async fn show(ctx: &WebContext, owner: &Owner, post: i64) -> HandlerResult {
    let Some(record) = ctx.store.post(post).await? else {
        return Ok(respond::error_page(
            ctx,
            Format::Html,
            warp::http::StatusCode::NOT_FOUND,
            &format!("there is no post {post}"),
        ));
    };
    let text = record.draft["text"].as_str().unwrap_or_default().to_owned();
    let rows: Vec<Row> = ctx
        .store
        .deliveries_of_post(post)
        .await?
        .into_iter()
        .map(|d| {
            let (state, tone) = match d.state {
                DeliveryState::Pending if d.attempts == 0 => ("queued", "warn"),
                DeliveryState::Pending => ("waiting to retry", "warn"),
                DeliveryState::InFlight => ("sending", "warn"),
                DeliveryState::Done => ("delivered", "ok"),
                DeliveryState::Failed => ("failed", "bad"),
                DeliveryState::Cancelled => ("cancelled", "bad"),
            };
            Row {
                id: d.id,
                target: d.target.clone(),
                state,
                tone,
                attempts: d.attempts,
                error: d.last_error.clone(),
                url: d.url.as_deref().and_then(safe_url),
                next: (d.state == DeliveryState::Pending).then(|| TimeView::new(d.next_attempt)),
                retry: d.state == DeliveryState::Failed,
            }
        })
        .collect();
    // A channel is Braid's own: the post is in it from the moment it was queued.
    let channels = ctx
        .store
        .channels_of_post(post)
        .await?
        .into_iter()
        .map(|name| ChannelRow {
            feed: format!("/channels/{name}/feed.atom"),
            name,
        })
        .collect();
    let pending = rows.iter().any(|r| r.tone == "warn");
    let page = StatusPage {
        layout: Layout::owned(ctx, &format!("Post {post}"), "compose", owner),
        post,
        text,
        rows,
        channels,
        pending,
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}
