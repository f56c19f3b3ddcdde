//! `GET /channels/NAME/edit`: a channel's title, description and audience in a form; `POST`
//! saves them. Its name stays (it is its feeds' address, which feed readers keep). A narrower
//! audience applies to what routes put in it from then on. A channel from the config file is
//! refused (409): the config would undo the change at the next start.

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::Owner;
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{HandlerResult, WebContext, WebError};
use super::{channel_path, config_managed, field, form_body, named, Fields};
use crate::routes;
use crate::store::ChannelRecord;

#[derive(Template)]
#[template(path = "channels_edit.html")]
struct EditPage {
    layout: Layout,
    name: String,
    title: String,
    description: String,
    audience: String,
    action: String,
    error: Option<String>,
}

pub(super) fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("channels", "edit", ctx).then(
        |name: String, ctx: Arc<WebContext>, owner: Owner| async move {
            let result = show(&ctx, &owner, &name).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

pub(super) fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("channels", "edit", ctx).and(form_body()).then(
        |name: String, ctx: Arc<WebContext>, owner: Owner, fields: Fields| async move {
            let result = save(&ctx, &owner, &name, &fields).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

/// The channel if the web may change it; else the page that says why not.
pub(super) async fn editable(
    ctx: &WebContext,
    name: &str,
) -> Result<Result<ChannelRecord, warp::reply::Response>, WebError> {
    match ctx.store.channel(name.to_owned()).await? {
        None => Ok(Err(super::not_found(ctx, "channel", name)?)),
        Some(c) if c.origin == "config" => Ok(Err(super::refuse(
            ctx,
            StatusCode::CONFLICT,
            &config_managed("channel", name),
        )?)),
        Some(c) => Ok(Ok(c)),
    }
}

fn edit_page(
    ctx: &WebContext,
    owner: &Owner,
    name: &str,
    (title, description, audience): (String, String, String),
    error: Option<String>,
) -> HandlerResult {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = EditPage {
        layout: Layout::owned(ctx, &format!("Edit channel {name}"), "channels", owner),
        name: name.to_owned(),
        title,
        description,
        audience,
        action: channel_path(name, "/edit"),
        error,
    };
    super::html(&page, status)
}

async fn show(ctx: &WebContext, owner: &Owner, name: &str) -> HandlerResult {
    let c = match editable(ctx, name).await? {
        Ok(c) => c,
        Err(refused) => return Ok(refused),
    };
    let typed = (
        c.title.unwrap_or_default(),
        c.description.unwrap_or_default(),
        c.audience,
    );
    edit_page(ctx, owner, name, typed, None)
}

async fn save(ctx: &WebContext, owner: &Owner, name: &str, fields: &Fields) -> HandlerResult {
    if let Err(refused) = editable(ctx, name).await? {
        return Ok(refused);
    }
    let typed = (
        field(fields, "title").to_owned(),
        field(fields, "description").to_owned(),
        field(fields, "audience").to_owned(),
    );
    let audience = match routes::channel_audience(&typed.2) {
        Ok(a) => a,
        Err(e) => return edit_page(ctx, owner, name, typed, Some(e)),
    };
    let changed = ctx
        .store
        .update_channel(
            name.to_owned(),
            routes::nonempty(Some(typed.0)),
            routes::nonempty(Some(typed.1)),
            audience.to_owned(),
        )
        .await?;
    if !changed {
        return super::not_found(ctx, "channel made here", name);
    }
    tracing::info!(channel = %name, "web: channel changed");
    Ok(respond::see_other("/channels?done=channel-saved"))
}
