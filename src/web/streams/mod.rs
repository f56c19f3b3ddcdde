//! The public pages of Braid's streams, where a browser that asks for an actor is sent (the
//! `url` of each ActivityPub actor, see `crate::site`): `/channels/NAME` for a published
//! channel (`channel.rs`) and `/@NAME` for the owner (`owner.rs`).
//!
//! Anyone may read them, so they show only what anyone may read: public and unlisted items
//! (never followers-only or direct ones, filtered in the store's query), and nothing of the
//! owner's (no sources, no navigation, no CSRF token) unless the owner is the one reading.
//! Items come from anywhere, so they are rendered like the timeline's (sanitized HTML under
//! the same CSP), and since the media proxy is the owner's, a visitor's page embeds no
//! remote image at all: only our own composed files (`/files/…`), the rest stays a link.

mod channel;
mod owner;

use std::sync::Arc;

use askama::Template;
use warp::http::header::{HeaderValue, CACHE_CONTROL, VARY};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;

use super::media::MediaSigner;
use super::owner::Owner;
use super::query::{self, RawQuery};
use super::respond::{self, Format};
use super::view::{ItemView, Layout};
use super::{with_ctx, HandlerResult, WebContext, WebError};
use crate::store::{PageKey, StoredItem, TimelinePage, TimelineQuery};

/// Items per page, as on the timeline.
const PAGE_SIZE: usize = 30;

/// `GET /channels/NAME` and `GET /@NAME` (and HEAD).
pub fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let read = warp::get().or(warp::head()).unify();
    read.and(channel::route(ctx.clone()).or(owner::route(ctx)).unify())
}

/// What both pages do once `name` has taken the stream's name from the path: the end of the
/// path, the context, the owner when signed in (who sees more) and the query, handed to
/// `page`, whose answer or error becomes the HTML page.
fn stream_route<N, P, F>(
    name: N,
    ctx: Arc<WebContext>,
    page: P,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone
where
    N: Filter<Extract = (String,), Error = warp::Rejection> + Clone + Send + Sync + 'static,
    P: Fn(Arc<WebContext>, String, Option<Owner>, RawQuery) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = HandlerResult> + Send + 'static,
{
    name.and(warp::path::end())
        .and(with_ctx(ctx))
        .and(super::owner::optional())
        .and(query::raw())
        .then(
            move |name: String, ctx: Arc<WebContext>, owner: Option<Owner>, raw: RawQuery| {
                let answer = page(ctx.clone(), name, owner, raw);
                async move { respond::finish(&ctx, Format::Html, answer.await) }
            },
        )
}

/// A stream's page.
#[derive(Template)]
#[template(path = "stream.html")]
struct StreamPage {
    layout: Layout,
    title: String,
    description: Option<String>,
    /// `NAME@DOMAIN`, when the stream is an actor others can follow.
    handle: Option<String>,
    /// The stream's feeds, linked in the page and in `<head>`.
    feeds: Vec<FeedLink>,
    /// For the owner only: why visitors do not see this page.
    private_note: Option<String>,
    /// Why there are no items, when there are none.
    empty_note: String,
    items: Vec<ItemView>,
    is_later_page: bool,
    newest_href: String,
    older_href: Option<String>,
}

struct FeedLink {
    label: &'static str,
    media_type: &'static str,
    href: String,
}

impl FeedLink {
    /// The Atom, RSS and JSON feeds under `dir` (`/channels/NAME/`).
    fn all(dir: &str) -> Vec<FeedLink> {
        [
            ("Atom", "application/atom+xml", "feed.atom"),
            ("RSS", "application/rss+xml", "feed.rss"),
            ("JSON Feed", "application/feed+json", "feed.json"),
        ]
        .into_iter()
        .map(|(label, media_type, file)| FeedLink {
            label,
            media_type,
            href: format!("{dir}{file}"),
        })
        .collect()
    }
}

/// What a stream's handler found, for [`render`].
struct Shown {
    title: String,
    description: Option<String>,
    handle: Option<String>,
    feeds: Vec<FeedLink>,
    private_note: Option<String>,
    /// Said when the first page is empty.
    empty_note: String,
    /// The page's own path, for its paging links.
    path: String,
    page: TimelinePage,
}

/// The page key asked for (`?before=`); other parameters are ignored (the timeline's
/// filters are the owner's, and would tell visitors of the owner's sources).
fn before(raw: &RawQuery) -> Result<Option<PageKey>, WebError> {
    let Some((_, value)) = raw.iter().rev().find(|(k, _)| k == "before") else {
        return Ok(None);
    };
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    PageKey::decode(value).map(Some).ok_or_else(|| {
        WebError::BadRequest(format!(
            "the `before` parameter {value:?} is not a page key; use the \"Older\" link"
        ))
    })
}

/// The store query for a page of what anyone may read of a stream.
fn listed(before: Option<PageKey>) -> TimelineQuery {
    TimelineQuery {
        before,
        limit: PAGE_SIZE,
        listed_only: true,
        ..TimelineQuery::default()
    }
}

/// The page, for the owner (`owner`) or a visitor.
async fn render(
    ctx: &WebContext,
    owner: Option<&Owner>,
    raw: &RawQuery,
    shown: Shown,
) -> Result<Response, WebError> {
    let signer = ctx.media_signer().await?;
    let layout = match owner {
        Some(owner) => Layout::owned(ctx, &shown.title, "", owner),
        None => Layout::new(ctx, &shown.title, ""),
    };
    let is_later_page = before(raw)?.is_some();
    let page = StreamPage {
        layout,
        title: shown.title,
        description: shown.description.filter(|d| !d.trim().is_empty()),
        handle: shown.handle,
        feeds: shown.feeds,
        private_note: shown.private_note,
        empty_note: if is_later_page {
            "No older posts.".to_owned()
        } else {
            shown.empty_note
        },
        items: shown
            .page
            .items
            .into_iter()
            .map(|i| item_view(i, &signer, owner.is_some()))
            .collect(),
        is_later_page,
        newest_href: shown.path.clone(),
        older_href: shown.page.next.map(|key| {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("before", &key.encode())
                .finish();
            query::with_query(&shown.path, &query)
        }),
    };
    let mut resp = respond::ok(page.render()?, respond::HTML);
    // The owner's answer carries their CSRF token: never kept by any cache. A visitor's may
    // be, briefly, but only for requests without the session cookie (RFC 9110 §12.5.5).
    let cache = if owner.is_some() {
        "private, no-store"
    } else {
        "no-cache"
    };
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    resp.headers_mut()
        .insert(VARY, HeaderValue::from_static("Cookie"));
    Ok(resp)
}

/// One item as the page shows it. The owner's browser may use the media proxy; a visitor's
/// may not (it is the owner's), so for visitors only our own files are embedded and remote
/// images become their alt text in the body and links among the attachments.
fn item_view(stored: StoredItem, signer: &MediaSigner, for_owner: bool) -> ItemView {
    if for_owner {
        return ItemView::listed(stored, signer);
    }
    let (stored, truncated) = super::preview::bounded(stored);
    let mut view = ItemView {
        truncated,
        ..ItemView::new(&stored)
    };
    for a in &mut view.attachments {
        if a.is_image() {
            a.src = signer.own_file(&a.url);
        }
    }
    if let Some(html) = &view.content_html {
        let signer = signer.clone();
        view.content_html = Some(html.with_local_images(move |u| signer.own_file(u)));
    }
    view
}

/// The 404 of a page that is not there, or not there for this reader: the same answer as
/// an address with no page at all, so an unpublished channel's name is not given away.
fn not_found(ctx: &WebContext) -> Response {
    respond::error_page(
        ctx,
        Format::Html,
        StatusCode::NOT_FOUND,
        "there is no page at this address",
    )
}
