//! `GET /healthz`: 200 `ok` when the database answers, 503 otherwise. For monitors and the
//! service manager; plain text, no HTML.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use super::respond::{self, Format};
use super::{with_ctx, WebContext};
use crate::store::TimelineQuery;

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("healthz")
        .and(with_ctx(ctx))
        .then(|ctx: Arc<WebContext>| async move {
            // The cheapest real read: one timeline row (it touches the items table and the
            // reader pool, which is what the pages need).
            let probe = TimelineQuery {
                limit: 1,
                ..TimelineQuery::default()
            };
            match ctx.store.timeline(probe).await {
                Ok(_) => respond::no_store(respond::ok("ok\n", respond::TEXT)),
                Err(err) => {
                    tracing::error!(error = %err, "web: health check failed");
                    respond::error_page(
                        &ctx,
                        Format::Text,
                        StatusCode::SERVICE_UNAVAILABLE,
                        "database unavailable",
                    )
                }
            }
        })
}
