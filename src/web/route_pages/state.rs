//! `POST /routes/NAME/pause` and `POST /routes/NAME/resume`, as `braid route pause|resume`:
//! resuming starts from now (what arrived while it was paused is not carried). A route from
//! the config file may be paused too: the config says nothing about pausing, so it lasts.

use std::sync::Arc;

use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext};
use super::{name, route_path};

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let action = warp::path!("pause")
        .map(|| true)
        .or(warp::path!("resume").map(|| false))
        .unify();
    warp::path("routes")
        .and(name())
        .and(action)
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(
            |name: String, pause: bool, ctx: Arc<WebContext>, _owner: Owner| async move {
                let result = set(&ctx, &name, pause).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn set(ctx: &WebContext, name: &str, pause: bool) -> HandlerResult {
    if ctx.store.route(name.to_owned()).await?.is_none() {
        return super::not_found(ctx, "route", name);
    }
    // False when it already was: pausing twice is not an error, the page shows the state.
    ctx.store.set_route_paused(name.to_owned(), pause).await?;
    tracing::info!(route = %name, paused = pause, "web: route paused or resumed");
    let done = if pause {
        "?done=paused"
    } else {
        "?done=resumed"
    };
    Ok(respond::see_other(&route_path(name, done)))
}
