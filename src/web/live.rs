//! New items without a reload. `GET /api/timeline/events` is a server-sent event stream that
//! names the newest stored item id (event `items`) whenever it changes; `GET /timeline/new?after=ID`
//! (with the page's filters) answers the items stored since, as the timeline's own HTML, for
//! `/static/timeline.js` to put on top. The page works without them: the script only adds.
//!
//! One watcher per server reads the newest id once a second, and only while a stream is open
//! (`SELECT max(id)`, an index's last entry), so a hundred open tabs cost one query a second.
//! It sees what any process stored — `braid sync` in a terminal included — because it asks
//! the database, not the daemon's memory.

use std::convert::Infallible;
use std::sync::{Arc, Weak};
use std::time::Duration;

use askama::Template;
use tokio::sync::watch;
use warp::Filter;

use super::owner::{self, Owner};
use super::query::{self, ListParams, RawQuery};
use super::respond::{self, Format};
use super::view::ItemView;
use super::{with_ctx, HandlerResult, WebContext, WebError};

/// How often the watcher asks for the newest id while someone listens.
const POLL: Duration = Duration::from_secs(1);
/// Most new items one fetch returns; beyond, the page says to reload.
const MAX_NEW: usize = 50;
/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(20);

/// The newest stored item id, as the watcher last read it (0 until its first read).
pub type Newest = watch::Sender<i64>;

#[derive(Template)]
#[template(path = "timeline_new.html")]
struct NewItems {
    items: Vec<ItemView>,
}

pub fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let events = warp::path!("api" / "timeline" / "events")
        .and(with_ctx(ctx.clone()))
        .and(owner::required())
        .map(|ctx: Arc<WebContext>, _owner: Owner| events(&ctx));
    let new = warp::path!("timeline" / "new")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(query::raw())
        .then(
            |ctx: Arc<WebContext>, _owner: Owner, raw: RawQuery| async move {
                let result = new_items(&ctx, &raw).await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    events.or(new).unify()
}

/// The event stream: the current newest id at once, then each change.
fn events(ctx: &Arc<WebContext>) -> warp::reply::Response {
    use warp::Reply;
    let rx = subscribe(ctx);
    let stream = futures_util::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let newest = *rx.borrow_and_update();
        let event = warp::sse::Event::default()
            .event("items")
            .data(newest.to_string());
        Some((Ok::<_, Infallible>(event), (rx, false)))
    });
    let mut resp = warp::sse::reply(warp::sse::keep_alive().interval(KEEP_ALIVE).stream(stream))
        .into_response();
    resp.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("no-store"),
    );
    resp
}

/// A receiver of the newest id, starting the server's watcher on first use.
fn subscribe(ctx: &Arc<WebContext>) -> watch::Receiver<i64> {
    ctx.live
        .get_or_init(|| {
            let (tx, _) = watch::channel(0);
            tokio::spawn(watch_newest(Arc::downgrade(ctx)));
            tx
        })
        .subscribe()
}

/// Reads the newest id each [`POLL`] while anyone listens; ends with the server's context.
async fn watch_newest(ctx: Weak<WebContext>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(ctx) = ctx.upgrade() else { return };
        let Some(tx) = ctx.live.get() else { return };
        if tx.receiver_count() == 0 {
            continue;
        }
        match ctx.store.newest_item_id().await {
            Ok(newest) => {
                tx.send_if_modified(|current| std::mem::replace(current, newest) != newest);
            }
            Err(e) => tracing::warn!(error = %e, "web: reading the newest item for live pages"),
        }
    }
}

/// The items stored after `after` that pass the page's filters, newest first, as HTML; the
/// `X-Braid-Newest` header is the id to ask after next time, `X-Braid-More` says more arrived
/// than one answer shows.
async fn new_items(ctx: &WebContext, raw: &RawQuery) -> HandlerResult {
    let mut params = ListParams::parse(ctx, raw).await?;
    if params.after.is_none() {
        return Err(WebError::BadRequest(
            "`after` (the newest item id the page has) is required".into(),
        ));
    }
    params.before = None;
    params.limit = None;
    // Read first: whatever is stored meanwhile is after it, and comes next time.
    let newest = ctx.store.newest_item_id().await?;
    let page = ctx.store.timeline(params.timeline_query(MAX_NEW)).await?;
    let signer = ctx.media_signer().await?;
    let newest = page
        .items
        .iter()
        .map(|i| i.id.0)
        .chain([newest, params.after.unwrap_or(0)])
        .max()
        .unwrap_or(0);
    let more = page.next.is_some();
    let html = NewItems {
        items: page
            .items
            .into_iter()
            .map(|i| ItemView::listed(i, &signer))
            .collect(),
    }
    .render()?;
    let mut resp = respond::no_store(respond::ok(html, respond::HTML));
    let headers = resp.headers_mut();
    headers.insert("x-braid-newest", newest.into());
    if more {
        headers.insert("x-braid-more", warp::http::HeaderValue::from_static("1"));
    }
    Ok(resp)
}
