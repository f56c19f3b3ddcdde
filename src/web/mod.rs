//! The web frontend: the merged timeline as HTML, the sources' health, the feeds Braid serves
//! (Atom, RSS 2.0, JSON Feed), a JSON API, and the owner's login.
//!
//! Every request passes the front door first (`front.rs`): the `Host` must be one of ours,
//! the caller is recognised by session cookie or API token, every path not on its short
//! public list needs the owner, and a state-changing request needs the same origin and the
//! session's CSRF token. Only then does warp route it. `server.rs` serves connections with
//! header and body timeouts and a bound on how many are open.
//!
//! One handler per file (a folder where a page has several): `timeline.rs` (`/`), `item.rs`
//! (`/items/ID`), `compose/` (`/compose…`), `sources/` (`/sources…`: the list, adding,
//! actions), `accounts/` (`/accounts…`: connect, log in again, disconnect), `route_pages/`
//! (`/routes…`, `/channels…`), `settings/` (`/settings…`: feed links, tokens, password),
//! `media.rs` (`/media/…`, the image proxy), `feeds/` (`/feed.atom`, `/feed.rss`,
//! `/feed.json`, channels' feeds), `streams/` (`/channels/NAME` and `/@NAME`, the public
//! pages of the published channels and the owner), `api/`
//! (`/api/…`), `owner/` (`/login`, `/logout`, `/setup`), `health.rs` (`/healthz`),
//! `assets.rs` (`/static/*`). `query.rs` parses the query parameters they share, `view.rs`
//! turns store records into what templates show, `preview.rs` bounds what lists carry of each
//! item, `respond.rs` builds responses and error pages. `listen.rs` hosts the routes
//! connectors' listeners mount (any method), after the pages.

mod accounts;
mod api;
mod assets;
mod compose;
mod feeds;
mod files;
mod forms;
mod front;
mod health;
mod item;
mod listen;
mod live;
pub mod media;
pub mod owner;
mod preview;
mod query;
mod respond;
mod route_pages;
mod server;
mod settings;
mod sources;
mod streams;
mod timeline;
mod view;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use warp::{Filter, Reply};

use crate::config::Config;
use crate::store::{Store, StoreError};

pub use owner::Owner;

/// Everything the handlers need. Cheap to clone (the store is a handle).
#[derive(Clone)]
pub struct WebContext {
    pub store: Store,
    /// Shown in the page header and as the title of the served feeds.
    pub site_title: String,
    /// The address this instance is reached at (`web.base_url`, else `http://` and the listen
    /// address): every absolute link is built from it, never from a request's `Host`.
    pub public_url: url::Url,
    /// The owner's public name (`web.owner_name`): their page is `/@NAME`.
    pub owner_name: String,
    /// `host[:port]` of `web.base_url`, the domain of the fediverse handles the public pages
    /// show (`NAME@DOMAIN`); `None` when no base URL is set, since a handle on a listen
    /// address is not one anybody else can reach.
    pub handle_domain: Option<String>,
    /// Host names requests may name (lowercase, without port): the public URL's, the loopback
    /// names and `web.allowed_hosts`.
    pub allowed_hosts: Vec<String>,
    /// Take the client address from `X-Forwarded-For` on connections from loopback.
    pub trust_proxy_headers: bool,
    /// How long a session lasts unused.
    pub session_idle: chrono::Duration,
    /// Largest form or upload body.
    pub max_upload_bytes: u64,
    /// Largest body a connector's listener accepts.
    pub max_listener_body_bytes: u64,
    /// Connections: timeouts and bound.
    pub limits: server::Limits,
    /// The first-run setup link's token (its hash), while there is no owner.
    pub setup: Arc<owner::setup::SetupToken>,
    /// Login attempts per address and overall.
    pub login_limit: Arc<owner::limit::LoginLimit>,
    /// The media proxy's signer (its key is read from the store on first use).
    pub media: Arc<std::sync::OnceLock<media::MediaSigner>>,
    /// The media proxy's client: the safe client's rules, images capped in size.
    pub media_http: braid_core::http::SafeClient,
    /// The daemon's poll context, whose connectors' listeners this server hosts (`None`: no
    /// listener routes, as in a server that only shows the timeline).
    pub hosted: Option<Arc<crate::scheduler::PollContext>>,
    /// Logins waiting for the network to send the browser back (`/accounts/callback`).
    pub logins: Arc<crate::accounts::pending::PendingLogins>,
    /// The newest stored item id for live pages, watched once the first page listens.
    pub live: std::sync::OnceLock<live::Newest>,
}

impl WebContext {
    /// The context for `config`, serving on `local` (the bound address: the public URL when
    /// `web.base_url` is empty, so port 0 in tests gives the real port).
    pub fn new(
        store: Store,
        config: &Config,
        local: SocketAddr,
        hosted: Option<Arc<crate::scheduler::PollContext>>,
    ) -> Result<WebContext, WebError> {
        let web = &config.web;
        let base_url = config
            .web_base_url()
            .map_err(|e| WebError::Config(e.to_string()))?;
        let handle_domain = base_url.as_ref().and_then(handle_domain);
        let public_url = match base_url {
            Some(url) => url,
            None => url::Url::parse(&format!("http://{local}/"))
                .map_err(|e| WebError::Config(format!("listen address {local}: {e}")))?,
        };
        let mut allowed_hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .map(|h| (*h).to_owned())
            .collect();
        if let Some(host) = public_url.host_str() {
            allowed_hosts.push(host.to_ascii_lowercase());
        }
        allowed_hosts.extend(web.allowed_hosts.iter().map(|h| h.to_ascii_lowercase()));
        if !local.ip().is_unspecified() {
            allowed_hosts.push(match local {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            });
        }
        allowed_hosts.sort();
        allowed_hosts.dedup();
        Ok(WebContext {
            store,
            site_title: web.title.clone(),
            public_url,
            owner_name: web.owner_name.clone(),
            handle_domain,
            allowed_hosts,
            trust_proxy_headers: web.trust_proxy_headers,
            session_idle: chrono::Duration::days(web.session_days.min(3650) as i64),
            max_upload_bytes: web.max_upload_bytes,
            max_listener_body_bytes: web.max_listener_body_bytes,
            limits: server::Limits {
                max_connections: web.max_connections as usize,
                header_timeout: std::time::Duration::from_secs(web.header_timeout_secs),
                body_timeout: std::time::Duration::from_secs(web.body_timeout_secs),
            },
            setup: Arc::new(owner::setup::SetupToken::default()),
            media: Arc::new(std::sync::OnceLock::new()),
            media_http: braid_core::http::SafeClient::new(braid_core::http::HttpConfig {
                max_body_bytes: media::MAX_IMAGE_BYTES,
                ..config.http_config()
            })
            .map_err(|e| WebError::Config(format!("the media proxy's client: {e}")))?,
            login_limit: Arc::new(owner::limit::LoginLimit::default()),
            hosted,
            logins: Arc::default(),
            live: std::sync::OnceLock::new(),
        })
    }

    /// Cookies carry `Secure` when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// `path` (relative, no leading slash) as an absolute URL on the public address.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path.trim_start_matches('/'))
    }
}

/// The domain of a handle on `base`: its host, with the port when the URL names one (`url`
/// leaves a scheme's default port out), as WebFinger's `acct:` URIs write it (RFC 7565).
fn handle_domain(base: &url::Url) -> Option<String> {
    let host = base.host_str()?;
    Some(match base.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Errors from the web frontend. Messages start with `web:`.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("web: {0}")]
    Config(String),
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
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
}

/// The strict policy for every response. Item content is sanitized HTML from anywhere, so the
/// page runs only our own script from `/static/` (no inline script, no `eval`), styles only
/// from `/static/`, and images only from us (remote ones come through the media proxy, so
/// the browser never talks to third parties) or `data:`; no audio or video is embedded.
/// `form-action 'self'` keeps every form local; `frame-ancestors 'none'` forbids framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Every route behind the front door, with the error pages. The front door (`front.rs`) has
/// already checked the host, the owner and CSRF; private routes still ask for the [`Owner`]
/// the front door attached, so a route the front door let through by mistake answers 404.
pub fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone + Send + Sync + 'static {
    let public = health::route(ctx.clone())
        .or(assets::route())
        .or(owner::routes(ctx.clone()))
        .or(feeds::routes(ctx.clone()))
        .or(streams::routes(ctx.clone()))
        .or(files::route(ctx.clone()));
    // The owner's pages and API reads (GET and HEAD).
    let pages = timeline::route(ctx.clone())
        .or(live::routes(ctx.clone()))
        .or(item::route(ctx.clone()))
        .or(sources::route(ctx.clone()))
        .or(settings::route(ctx.clone()))
        .or(media::route(ctx.clone()))
        .or(compose::pages(ctx.clone()))
        .or(route_pages::pages(ctx.clone()))
        .or(accounts::pages(ctx.clone()))
        .or(api::routes(ctx.clone()));
    // The owner's forms and API writes (POST): the front door has checked the owner, the
    // origin and the CSRF token, and read the body.
    let forms = api::writes(ctx.clone())
        .or(settings::forms(ctx.clone()))
        .or(compose::forms(ctx.clone()))
        .or(route_pages::forms(ctx.clone()))
        .or(accounts::forms(ctx.clone()))
        .or(sources::forms(ctx.clone()));
    let read = warp::get().or(warp::head()).unify();
    let listeners = listen::route(ctx.clone());
    let fallback = warp::path::full()
        .and(warp::method())
        .map(move |path, method| respond::fallback(&ctx, &path, &method));
    // Core pages first, so no listener's mount can shadow one (mounts under core paths are
    // refused anyway); then the listeners' routes (any method); then the error pages.
    public
        .or(read.and(pages))
        .or(warp::post().and(forms))
        .or(listeners)
        .or(fallback)
}

/// Serves [`routes`] on an already bound `listener` until `shutdown` resolves, then stops
/// accepting and waits for the open requests to finish (graceful shutdown).
pub async fn serve(
    ctx: WebContext,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "web: listening on http://{addr}/");
    server::run(Arc::new(ctx), listener, shutdown).await;
    tracing::info!(%addr, "web: stopped");
    Ok(())
}

/// The first path segments the web UI owns (and may come to own). A connector's listener may
/// not mount under them: its routes are public, and must never cover a private page.
const CORE_SEGMENTS: &[&str] = &[
    "",
    "api",
    "login",
    "logout",
    "setup",
    "static",
    "sources",
    "items",
    "timeline",
    "channels",
    "feed.atom",
    "feed.rss",
    "feed.json",
    "healthz",
    "settings",
    "compose",
    "accounts",
    "routes",
    "media",
    "events",
    "outbox",
    "posts",
    "tokens",
    "feeds",
];

/// Whether a listener's mount `prefix` would cover a path of the web UI: a first segment in
/// [`CORE_SEGMENTS`], or one starting with `@` (the owner's public page, `/@NAME`).
pub fn is_core_path(prefix: &str) -> bool {
    let first = prefix
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    CORE_SEGMENTS.contains(&first) || first.starts_with('@')
}

/// Passes the shared context into a handler.
fn with_ctx(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Arc<WebContext>,), Error = Infallible> + Clone {
    warp::any().map(move || ctx.clone())
}

/// Handlers return this; [`respond::finish`] turns errors into pages in the route's format.
type HandlerResult = Result<warp::reply::Response, WebError>;

#[cfg(test)]
mod tests {
    use super::is_core_path;

    #[test]
    fn no_listener_mounts_over_a_page() {
        for core in [
            "/",
            "/channels",
            "/channels/news",
            "/@me",
            "/@anyone/inbox",
            "/api/x",
        ] {
            assert!(is_core_path(core), "{core}");
        }
        for free in ["/ap", "/ap/inbox", "/.well-known/webfinger", "/me"] {
            assert!(!is_core_path(free), "{free}");
        }
    }
}
