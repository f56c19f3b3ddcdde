//! `GET /channels/NAME/remove` asks (naming the routes that fill it, which will skip it from
//! then on); `POST` removes the channel and what routes put in it, as `braid channel remove`:
//! the items stay in the timeline. A channel from the config file is refused (409).

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::Owner;
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{HandlerResult, WebContext};
use super::{channel_path, named};

#[derive(Template)]
#[template(path = "channels_remove.html")]
struct ConfirmPage {
    layout: Layout,
    name: String,
    items: i64,
    routes: Vec<(String, String)>,
    action: String,
}

pub(super) fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("channels", "remove", ctx).then(
        |name: String, ctx: Arc<WebContext>, owner: Owner| async move {
            let result = confirm(&ctx, &owner, &name).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

pub(super) fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("channels", "remove", ctx).then(
        |name: String, ctx: Arc<WebContext>, _owner: Owner| async move {
            let result = remove(&ctx, &name).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

async fn confirm(ctx: &WebContext, owner: &Owner, name: &str) -> HandlerResult {
    let c = match super::channel_edit::editable(ctx, name).await? {
        Ok(c) => c,
        Err(refused) => return Ok(refused),
    };
    let routes = ctx.store.list_routes().await?;
    let accounts = ctx.store.list_accounts().await?;
    let page = ConfirmPage {
        layout: Layout::owned(ctx, &format!("Remove channel {name}"), "channels", owner),
        routes: super::channels::routes_into(&c, &routes, &accounts),
        items: c.items,
        name: c.name,
        action: channel_path(name, "/remove"),
    };
    super::html(&page, StatusCode::OK)
}

async fn remove(ctx: &WebContext, name: &str) -> HandlerResult {
    if let Err(refused) = super::channel_edit::editable(ctx, name).await? {
        return Ok(refused);
    }
    if !ctx.store.remove_channel(name.to_owned()).await? {
        return super::not_found(ctx, "channel", name);
    }
    tracing::info!(channel = %name, "web: channel removed");
    Ok(respond::see_other("/channels?done=channel-removed"))
}
