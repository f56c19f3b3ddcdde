//! Compose once, deliver to many: `/compose` (the form: text, a checkbox per account, content
//! warning, visibility, reply, schedule, files with alt text; "Preview" shows what each
//! account will receive — the thread's parts, the truncation, the files left out — from the
//! same fitting the delivery uses), and `/compose/posts/ID` (each account's delivery status,
//! with retry). Works without script; `/static/compose.js` adds a live counter and preview.
//!
//! The form carries a fresh post key, so sending it twice (a double click, a reload of the
//! answer) queues the post once.

mod form;
mod status;

use std::sync::Arc;

use warp::Filter;

use super::WebContext;

/// `GET /compose`, `GET /compose/posts/ID`.
pub fn pages(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    form::page(ctx.clone()).or(status::page(ctx)).unify()
}

/// `POST /compose`, `POST /compose/deliveries/retry`.
pub fn forms(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    form::submit(ctx.clone()).or(status::retry(ctx)).unify()
}
