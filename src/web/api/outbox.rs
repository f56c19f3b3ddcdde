//! `GET /api/outbox`: the newest deliveries (default 50, `?limit=` up to 500), each with its
//! state, attempts, where it landed or why it failed. Keys and uploaded media refs are left
//! out (`DeliveryRecord` skips them).

use std::sync::Arc;

use warp::Filter;

use crate::web::respond::{self, Format};
use crate::web::{with_ctx, HandlerResult, WebContext};

#[derive(serde::Deserialize)]
struct Query {
    limit: Option<String>,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("outbox")
        .and(warp::query::<Query>())
        .and(with_ctx(ctx))
        .then(|query: Query, ctx: Arc<WebContext>| async move {
            let result = list(&ctx, query).await;
            respond::finish(&ctx, Format::Json, result)
        })
}

async fn list(ctx: &WebContext, query: Query) -> HandlerResult {
    let limit = super::limit(query.limit.as_deref(), 50, 500)?;
    super::json(&ctx.store.list_deliveries(limit).await?)
}
