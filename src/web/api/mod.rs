//! The JSON API: `POST /api/posts` (compose, `posts.rs`), and to read: `/api/timeline` (one page: `{items, next}`, each item's bodies cut
//! to a preview), `/api/items/ID` (one whole item), `/api/sources`, `/api/outbox` (the newest
//! deliveries), `/api/routes` (with `/api/routes/NAME/log`) and `/api/channels`. Same query
//! parameters as the pages; errors are `{"error": "…"}` with a 4xx/5xx status.

mod items;
mod outbox;
mod posts;
mod routes;
mod sources;
mod timeline;

use std::sync::Arc;

use warp::Filter;

use super::WebContext;

pub fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    // The front door lets no one here without the owner; asking again costs nothing.
    warp::path("api")
        .and(super::owner::required())
        .map(|_| ())
        .untuple_one()
        .and(
            timeline::route(ctx.clone())
                .or(items::route(ctx.clone()))
                .unify()
                .or(sources::route(ctx.clone()))
                .unify()
                .or(outbox::route(ctx.clone()))
                .unify()
                .or(routes::route(ctx))
                .unify(),
        )
}

/// The API's state-changing routes (`POST /api/posts`).
pub fn writes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path("api")
        .and(super::owner::required())
        .map(|_| ())
        .untuple_one()
        .and(posts::route(ctx))
}

/// An item as the API shows it: the stored item, and whether its bodies were cut to a preview
/// (`/api/timeline`; `/api/items/ID` has the whole item).
#[derive(serde::Serialize)]
struct ApiItem {
    #[serde(flatten)]
    item: crate::store::StoredItem,
    truncated: bool,
}

/// Serializes `value` as a 200 JSON response.
fn json<T: serde::Serialize>(value: &T) -> super::HandlerResult {
    let body =
        serde_json::to_vec(value).map_err(|e| super::WebError::Feed(format!("json: {e}")))?;
    Ok(super::respond::no_store(super::respond::ok(
        body,
        super::respond::JSON,
    )))
}

/// A `?limit=` from 1 to `max`, `default` when absent; anything else is a 400 that says so.
fn limit(raw: Option<&str>, default: usize, max: usize) -> Result<usize, super::WebError> {
    match raw {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                super::WebError::BadRequest(format!(
                    "limit must be a number from 1 to {max}, not {raw:?}"
                ))
            }),
    }
}
