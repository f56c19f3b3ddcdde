//! `GET /`: the merged timeline, newest first, 30 items a page. `?before=` pages back (keyset
//! pagination: stable while new items arrive, unlike offsets), `?source=` filters on one
//! source, `?q=` searches (FTS5 in the store).

use std::sync::Arc;

use askama::Template;
use warp::Filter;

use super::owner::{self, Owner};
use super::query::{self, ListParams, RawQuery};
use super::respond::{self, Format};
use super::view::{ItemView, Layout};
use super::{with_ctx, HandlerResult, WebContext};

/// Items per page: enough to scroll, few enough to render fast with media.
const PAGE_SIZE: usize = 30;

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelinePage {
    layout: Layout,
    source: Option<SourceLink>,
    search: Option<String>,
    items: Vec<ItemView>,
    is_later_page: bool,
    newest_href: String,
    older_href: Option<String>,
}

struct SourceLink {
    id: i64,
    name: String,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path::end()
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(query::raw())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, raw: RawQuery| async move {
                let result = page(&ctx, &owner, &raw).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn page(ctx: &WebContext, owner: &Owner, raw: &RawQuery) -> HandlerResult {
    let mut params = ListParams::parse(ctx, raw).await?;
    // The page has a fixed size; `limit` is for the API.
    params.limit = None;
    let timeline = ctx.store.timeline(params.timeline_query(PAGE_SIZE)).await?;
    let signer = ctx.media_signer().await?;

    let filters = params.filter_query();
    let mut layout = Layout::owned(ctx, "", "timeline", owner);
    layout.q = params.search.clone().unwrap_or_default();
    layout.feed_query = filters.clone();
    if let Some(q) = &params.search {
        layout.page_title = format!("Search: {q}");
    } else if let Some(source) = &params.source {
        layout.page_title = source.name.clone();
    }

    let page = TimelinePage {
        layout,
        source: params.source.as_ref().map(|s| SourceLink {
            id: s.id.0,
            name: s.name.clone(),
        }),
        search: params.search.clone(),
        items: timeline
            .items
            .into_iter()
            .map(|i| ItemView::listed(i, &signer))
            .collect(),
        is_later_page: params.before.is_some(),
        newest_href: query::with_query("/", &filters),
        older_href: timeline
            .next
            .map(|key| query::with_query("/", &params.query_with(Some(&key)))),
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}
