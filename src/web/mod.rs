//! The web frontend: the merged timeline as HTML, the sources' health, the feeds Braid serves
//! (Atom, RSS 2.0, JSON Feed) and a small read-only JSON API.
//!
//! One handler per file: `timeline.rs` (`/`), `item.rs` (`/items/ID`), `sources.rs`
//! (`/sources`), `feeds/` (`/feed.atom`, `/feed.rss`, `/feed.json`), `api/` (`/api/timeline`,
//! `/api/items/ID`, `/api/sources`, `/api/outbox`), `health.rs` (`/healthz`), `assets.rs` (`/static/*`).
//! `query.rs` parses the query parameters they share, `view.rs` turns store records into what
//! templates show, `preview.rs` bounds what lists carry of each item, `respond.rs` builds
//! responses and error pages.
//!
//! There is no owner login yet, so [`check_listen_addr`] refuses anything but loopback, and the
//! whole UI is read-only (GET only). `listen.rs` hosts the routes connectors' listeners mount
//! (any method), after the pages.

mod api;
mod assets;
mod feeds;
mod health;
mod item;
mod listen;
mod preview;
mod query;
mod respond;
mod sources;
mod timeline;
mod view;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use warp::http::header::{HeaderMap, HeaderName, HeaderValue};
use warp::{Filter, Reply};

use crate::store::{Store, StoreError};

/// Everything the handlers need. Cheap to clone (the store is a handle).
#[derive(Clone)]
pub struct WebContext {
    pub store: Store,
    /// Shown in the page header and as the title of the served feeds.
    pub site_title: String,
    /// The public URL of this Braid (`https://example.org/braid/`), used for absolute links in
    /// feeds. `None` derives it from the request's `Host` header.
    pub base_url: Option<url::Url>,
    /// The daemon's poll context, whose connectors' listeners this server hosts (`None`: no
    /// listener routes, as in a server that only shows the timeline).
    pub hosted: Option<Arc<crate::scheduler::PollContext>>,
}

/// Errors from the web frontend. Messages start with `web:`.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("web: refusing to listen on {0}: the web UI has no login yet, so it only listens on loopback (127.0.0.1 or [::1])")]
    NotLoopback(SocketAddr),
    /// A request the client got wrong (a malformed `before`, an unknown `source`).
    #[error("web: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("web: rendering a page: {0}")]
    Template(#[from] askama::Error),
    #[error("web: writing a feed: {0}")]
    Feed(String),
    #[error("web: {0}")]
    Io(#[from] std::io::Error),
}

/// The strict policy for every response. Item content is sanitized HTML from anywhere, so the
/// page allows no script at all, styles only from our own `/static/`, and images and media only
/// over https (remote avatars and attachments). `form-action 'self'` keeps the search form local.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; img-src https: data:; media-src https:; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Refuses to listen anywhere but loopback: the UI has no login yet (that comes with the owner
/// account), so exposing it would publish every private item of every connected account.
pub fn check_listen_addr(addr: SocketAddr) -> Result<(), WebError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(WebError::NotLoopback(addr))
    }
}

/// Every route, with the error pages and the security headers applied to all responses.
pub fn routes(
    ctx: WebContext,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone + Send + Sync + 'static {
    let ctx = Arc::new(ctx);
    let app = timeline::route(ctx.clone())
        .or(item::route(ctx.clone()))
        .or(sources::route(ctx.clone()))
        .or(feeds::routes(ctx.clone()))
        .or(api::routes(ctx.clone()))
        .or(health::route(ctx.clone()))
        .or(assets::route());
    // Read-only until the owner login exists: GET (and HEAD, whose body hyper drops) only,
    // but for listener routes; the fallback answers 405 or 404.
    let listeners = listen::route(ctx.clone());
    let fallback = warp::path::full()
        .and(warp::method())
        .map(move |path, method| respond::fallback(&ctx, &path, &method));
    // Core pages first, so no listener's mount can shadow one; then the listeners' routes
    // (any method); then the error pages.
    warp::get()
        .or(warp::head())
        .unify()
        .and(app)
        .or(listeners)
        .or(fallback)
        .with(warp::reply::with::headers(security_headers()))
}

/// Serves [`routes`] on an already bound `listener` until `shutdown` resolves, then stops
/// accepting and waits for the open requests to finish (graceful shutdown).
pub async fn serve(
    ctx: WebContext,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let addr = listener.local_addr()?;
    check_listen_addr(addr)?;
    tracing::info!(%addr, "web: listening on http://{addr}/");
    warp::serve(routes(ctx))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    tracing::info!(%addr, "web: stopped");
    Ok(())
}

/// Headers sent with every response (HTML pages mainly, but a strict policy costs nothing on
/// JSON and feeds either, and covers error pages).
fn security_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let pairs: [(&str, &'static str); 3] = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ];
    for (name, value) in pairs {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    headers
}

/// Passes the shared context into a handler.
fn with_ctx(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Arc<WebContext>,), Error = Infallible> + Clone {
    warp::any().map(move || ctx.clone())
}

/// Handlers return this; [`respond::finish`] turns errors into pages in the route's format.
type HandlerResult = Result<warp::reply::Response, WebError>;
