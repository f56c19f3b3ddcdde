//! `GET /routes/NAME/remove` asks (a page with one button, so removing needs no script and
//! never happens from a single stray click); `POST` removes the route, as `braid route
//! remove`: what it queued stays in the outbox. A route from the config file is refused (409).

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::Owner;
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{HandlerResult, WebContext};
use super::{config_managed, describe, named, route_path};
use crate::routes::RouteSpec;

#[derive(Template)]
#[template(path = "routes_remove.html")]
struct ConfirmPage {
    layout: Layout,
    name: String,
    path: String,
    action: String,
    cancel: String,
}

pub(super) fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("routes", "remove", ctx).then(
        |name: String, ctx: Arc<WebContext>, owner: Owner| async move {
            let result = confirm(&ctx, &owner, &name).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

pub(super) fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("routes", "remove", ctx).then(
        |name: String, ctx: Arc<WebContext>, _owner: Owner| async move {
            let result = remove(&ctx, &name).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

async fn confirm(ctx: &WebContext, owner: &Owner, name: &str) -> HandlerResult {
    let Some(route) = ctx.store.route(name.to_owned()).await? else {
        return super::not_found(ctx, "route", name);
    };
    if route.origin == "config" {
        return super::refuse(ctx, StatusCode::CONFLICT, &config_managed("route", name));
    }
    let page = ConfirmPage {
        layout: Layout::owned(ctx, &format!("Remove route {name}"), "routes", owner),
        path: RouteSpec::from_value(&route.spec)
            .map(|s| describe::path(&s))
            .unwrap_or_default(),
        name: route.name,
        action: route_path(name, "/remove"),
        cancel: route_path(name, ""),
    };
    super::html(&page, StatusCode::OK)
}

async fn remove(ctx: &WebContext, name: &str) -> HandlerResult {
    let Some(route) = ctx.store.route(name.to_owned()).await? else {
        return super::not_found(ctx, "route", name);
    };
    if route.origin == "config" {
        return super::refuse(ctx, StatusCode::CONFLICT, &config_managed("route", name));
    }
    ctx.store.remove_route(name.to_owned()).await?;
    tracing::info!(route = %name, "web: route removed");
    Ok(respond::see_other("/routes?done=removed"))
}
