//! `GET /healthz`: 200 `ok` when the database answers, 503 otherwise. For monitors and the
//! service manager; plain text, no HTML.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use super::respond::{self, Format};
use super::{with_ctx, WebContext};

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("healthz")
        .and(with_ctx(ctx))
        .then(|ctx: Arc<WebContext>| async move {
            // A trivial query on a pooled read connection: it proves the database answers
            // without costing a timeline page, so monitors polling often cost nothing.
            match ctx.store.ping().await {
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
