//! `GET /api/outbox`: the newest deliveries (default 50, `?limit=` up to 500), each with its
//! state, attempts, where it landed or why it failed. Keys and uploaded media refs are left
//! out (`DeliveryRecord` skips them).

use std::sync::Arc;

use warp::Filter;

use crate::web::respond::{self, Format};
use crate::web::{with_ctx, HandlerResult, WebContext, WebError};

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
    let limit = match query.limit.as_deref() {
        None => 50,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| {
                WebError::BadRequest(format!("limit must be a number from 1 to 500, not {raw:?}"))
            })?,
    };
    super::json(&ctx.store.list_deliveries(limit).await?)
}
