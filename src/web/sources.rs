//! `GET /sources`: every source with its health, so a dead feed or a revoked token is visible
//! with its reason (the store keeps the last error on the source row).

use std::sync::Arc;

use askama::Template;
use warp::Filter;

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
        .then(|ctx: Arc<WebContext>| async move {
            let result = page(&ctx).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

async fn page(ctx: &WebContext) -> HandlerResult {
    let sources: Vec<SourceView> = ctx
        .store
        .list_sources()
        .await?
        .iter()
        .map(SourceView::new)
        .collect();
    let page = SourcesPage {
        layout: Layout::new(ctx, "Sources", "sources"),
        unhealthy: sources.iter().filter(|s| s.unhealthy()).count(),
        sources,
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}
