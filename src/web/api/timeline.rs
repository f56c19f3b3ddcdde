//! `GET /api/timeline?before=&source=&q=&limit=`: one page of the timeline, newest first.
//! `next` is the `before` value for the following page, `null` at the end. Long bodies are cut
//! to a preview (`truncated: true`); `/api/items/ID` has the whole item.

use std::sync::Arc;

use serde::Serialize;
use warp::Filter;

use super::ApiItem;
use crate::web::preview;
use crate::web::query::{self, ListParams, RawQuery};
use crate::web::respond::{self, Format};
use crate::web::{with_ctx, HandlerResult, WebContext};

const DEFAULT_LIMIT: usize = 50;

#[derive(Serialize)]
struct Page {
    items: Vec<ApiItem>,
    next: Option<String>,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("timeline")
        .and(with_ctx(ctx))
        .and(query::raw())
        .then(|ctx: Arc<WebContext>, raw: RawQuery| async move {
            let result = page(&ctx, &raw).await;
            respond::finish(&ctx, Format::Json, result)
        })
}

async fn page(ctx: &WebContext, raw: &RawQuery) -> HandlerResult {
    let params = ListParams::parse(ctx, raw).await?;
    let page = ctx
        .store
        .timeline(params.timeline_query(DEFAULT_LIMIT))
        .await?;
    super::json(&Page {
        items: page
            .items
            .into_iter()
            .map(|stored| {
                let (item, truncated) = preview::bounded(stored);
                ApiItem { item, truncated }
            })
            .collect(),
        next: page.next.map(|key| key.encode()),
    })
}
