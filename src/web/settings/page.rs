//! `GET /settings`: feed links, API tokens, sessions, password.

use std::sync::Arc;

use askama::Template;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::{Layout, TimeView};
use super::super::{with_ctx, HandlerResult, WebContext};

#[derive(Template)]
#[template(path = "settings.html")]
pub(super) struct SettingsPage {
    pub layout: Layout,
    /// A notice from the form that led here (`?done=`).
    pub notice: Option<String>,
    /// A token or link just made, shown this once.
    pub secret: Option<Secret>,
    pub error: Option<String>,
    pub feeds: Vec<FeedChoice>,
    pub links: Vec<LinkRow>,
    pub tokens: Vec<TokenRow>,
    pub sessions: Vec<SessionRow>,
}

/// What was just made: its label and the lines to copy (a link's three feed addresses, or a
/// token).
pub(super) struct Secret {
    pub what: String,
    pub lines: Vec<String>,
}

pub(super) struct FeedChoice {
    /// `""` for the merged timeline, else the channel's name.
    pub value: String,
    pub label: String,
}

pub(super) struct LinkRow {
    pub id: i64,
    pub feed: String,
    pub name: String,
    pub created: TimeView,
    pub used: Option<TimeView>,
}

pub(super) struct TokenRow {
    pub name: String,
    pub created: TimeView,
    pub used: Option<TimeView>,
}

pub(super) struct SessionRow {
    pub created: TimeView,
    pub seen: TimeView,
    pub address: String,
    pub agent: String,
}

#[derive(serde::Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("settings")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::query::<DoneQuery>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, q: DoneQuery| async move {
                let notice = notice(&q.done).map(str::to_owned);
                let result = render(&ctx, &owner, notice, None, None).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

/// The notices the forms' redirects name (a fixed list: nothing from the URL is echoed).
fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "link-revoked" => "The feed link was revoked: readers using it get 401 from now on.",
        "token-revoked" => "The API token was revoked.",
        _ => return None,
    })
}

/// The page, with what a form just made or why it failed.
pub(super) async fn render(
    ctx: &WebContext,
    owner: &Owner,
    notice: Option<String>,
    secret: Option<Secret>,
    error: Option<String>,
) -> HandlerResult {
    let channels = ctx.store.list_channels().await?;
    let mut feeds = vec![FeedChoice {
        value: String::new(),
        label: "The merged timeline".into(),
    }];
    feeds.extend(channels.iter().map(|c| FeedChoice {
        value: c.name.clone(),
        label: format!("Channel {}", c.name),
    }));
    let links = ctx
        .store
        .list_feed_tokens()
        .await?
        .into_iter()
        .map(|l| LinkRow {
            id: l.id,
            feed: l
                .channel
                .map(|c| format!("channel {c}"))
                .unwrap_or_else(|| "timeline".into()),
            name: l.name,
            created: TimeView::new(l.created_at),
            used: TimeView::maybe(l.used_at),
        })
        .collect();
    let tokens = ctx
        .store
        .list_api_tokens()
        .await?
        .into_iter()
        .map(|t| TokenRow {
            name: t.name,
            created: TimeView::new(t.created_at),
            used: TimeView::maybe(t.used_at),
        })
        .collect();
    let sessions = ctx
        .store
        .list_sessions()
        .await?
        .into_iter()
        .map(|s| SessionRow {
            created: TimeView::new(s.created_at),
            seen: TimeView::new(s.seen_at),
            address: s.address.unwrap_or_default(),
            agent: s.user_agent.unwrap_or_default(),
        })
        .collect();
    let failed = error.is_some();
    let page = SettingsPage {
        layout: Layout::owned(ctx, "Settings", "settings", owner),
        notice,
        secret,
        error,
        feeds,
        links,
        tokens,
        sessions,
    };
    let mut resp = respond::ok(page.render()?, respond::HTML);
    resp.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("no-store"),
    );
    if failed {
        *resp.status_mut() = warp::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}
