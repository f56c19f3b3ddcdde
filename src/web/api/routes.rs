//! `GET /api/routes` (each route with its rule, state and newest log lines), `GET
//! /api/routes/NAME/log?limit=` (its log, newest first) and `GET /api/channels` (each channel
//! with its feeds' paths). Writing routes comes with the web UI's login and CSRF protection.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use crate::web::respond::{self, Format};
use crate::web::{with_ctx, HandlerResult, WebContext};

/// Log lines shown with each route in the list.
const RECENT: usize = 20;

#[derive(serde::Deserialize)]
struct Query {
    limit: Option<String>,
}

#[derive(serde::Serialize)]
struct ApiRoute {
    #[serde(flatten)]
    route: crate::store::RouteRecord,
    recent: Vec<crate::store::RouteLogEntry>,
}

#[derive(serde::Serialize)]
struct ApiChannel {
    #[serde(flatten)]
    channel: crate::store::ChannelRecord,
    feeds: [String; 3],
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let list =
        warp::path!("routes")
            .and(with_ctx(ctx.clone()))
            .then(|ctx: Arc<WebContext>| async move {
                let result = routes(&ctx).await;
                respond::finish(&ctx, Format::Json, result)
            });
    let log = warp::path!("routes" / String / "log")
        .and(warp::query::<Query>())
        .and(with_ctx(ctx.clone()))
        .then(
            |name: String, query: Query, ctx: Arc<WebContext>| async move {
                let result = log(&ctx, &name, query).await;
                respond::finish(&ctx, Format::Json, result)
            },
        );
    let channels =
        warp::path!("channels")
            .and(with_ctx(ctx))
            .then(|ctx: Arc<WebContext>| async move {
                let result = channels(&ctx).await;
                respond::finish(&ctx, Format::Json, result)
            });
    list.or(log).unify().or(channels).unify()
}

async fn routes(ctx: &WebContext) -> HandlerResult {
    let mut out = Vec::new();
    for route in ctx.store.list_routes().await? {
        let recent = ctx.store.route_log(route.id, RECENT).await?;
        out.push(ApiRoute { route, recent });
    }
    super::json(&out)
}

async fn log(ctx: &WebContext, name: &str, query: Query) -> HandlerResult {
    let limit = super::limit(query.limit.as_deref(), 100, 1000)?;
    let Some(route) = ctx.store.route(name.to_owned()).await? else {
        return Ok(respond::error_page(
            ctx,
            Format::Json,
            StatusCode::NOT_FOUND,
            &format!("there is no route named {name:?}"),
        ));
    };
    super::json(&ctx.store.route_log(route.id, limit).await?)
}

async fn channels(ctx: &WebContext) -> HandlerResult {
    let out: Vec<ApiChannel> = ctx
        .store
        .list_channels()
        .await?
        .into_iter()
        .map(|channel| ApiChannel {
            feeds: ["atom", "rss", "json"]
                .map(|ext| format!("/channels/{}/feed.{ext}", channel.name)),
            channel,
        })
        .collect();
    super::json(&out)
}
