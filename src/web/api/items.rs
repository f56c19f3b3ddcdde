//! `GET /api/items/ID`: one whole item (its stored content, not the list's preview), the same
//! shape as an entry of `/api/timeline`. 404 with `{"error": …}` for an unknown id.

use std::sync::Arc;

use braid_core::ItemId;
use warp::http::StatusCode;
use warp::Filter;

use super::ApiItem;
use crate::web::respond::{self, Format};
use crate::web::{with_ctx, HandlerResult, WebContext};

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("items" / i64)
        .and(with_ctx(ctx))
        .then(|id: i64, ctx: Arc<WebContext>| async move {
            let result = item(&ctx, id).await;
            respond::finish(&ctx, Format::Json, result)
        })
}

async fn item(ctx: &WebContext, id: i64) -> HandlerResult {
    match ctx.store.item(ItemId(id)).await? {
        Some(item) => super::json(&ApiItem {
            item,
            truncated: false,
        }),
        None => Ok(respond::error_page(
            ctx,
            Format::Json,
            StatusCode::NOT_FOUND,
            &format!("there is no item {id}"),
        )),
    }
}
