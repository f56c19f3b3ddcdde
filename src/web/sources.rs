//! `GET /sources`: every source with its health, so a dead feed or a revoked token is visible
//! with its reason (the store keeps the last error on the source row).

use std::sync::Arc;

use askama::Template;
use warp::Filter;

use super::owner::{self, Owner};
use super::respond::{self, Format};
use super::view::{Layout, SourceView};
use super::{with_ctx, HandlerResult, WebContext};

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    layout: Layout,
    sources: Vec<SourceView>,
    unhealthy: usize,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources")
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(|ctx: Arc<WebContext>, owner: Owner| async move {
            let result = page(&ctx, &owner).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

async fn page(ctx: &WebContext, owner: &Owner) -> HandlerResult {
    let sources: Vec<SourceView> = ctx
        .store
        .list_sources()
        .await?
        .iter()
        .map(SourceView::new)
        .collect();
    let page = SourcesPage {
        layout: Layout::owned(ctx, "Sources", "sources", owner),
        unhealthy: sources.iter().filter(|s| s.unhealthy()).count(),
        sources,
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}
