//! `/settings`: what the owner manages about access — private links for feed readers, API
//! tokens for scripts, browser sessions, and the password. A new token or link is shown once,
//! on the page that answers the form (Braid keeps only its hash), with `Cache-Control:
//! no-store` so it stays out of caches and history.
//!
//! `page.rs` shows the page; `actions.rs` handles its forms.

mod actions;
mod page;

use std::sync::Arc;

use warp::Filter;

use super::WebContext;

/// `GET /settings`.
pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    page::route(ctx)
}

/// The forms: `POST /settings/feed-links`, `/settings/feed-links/ID/revoke`,
/// `/settings/tokens`, `/settings/tokens/NAME/revoke`, `/settings/password`.
pub fn forms(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    actions::routes(ctx)
}
