//! `POST /channels/NAME/follows`, as `braid channel follows NAME --approve|--open`: whether
//! follow requests from the fediverse wait for the owner's answer (the checkbox `approve`)
//! or are accepted at once. The actor document says which (`manuallyApprovesFollowers`).

use std::sync::Arc;

use warp::Filter;

use super::super::owner::Owner;
use super::super::respond::{self, Format};
use super::super::{HandlerResult, WebContext};
use super::{channel_path, field, form_body, named, Fields};

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("channels", "follows", ctx).and(form_body()).then(
        |name: String, ctx: Arc<WebContext>, _owner: Owner, fields: Fields| async move {
            let result = set(&ctx, &name, &fields).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

async fn set(ctx: &WebContext, name: &str, fields: &Fields) -> HandlerResult {
    if let Err(refused) = super::channel_edit::editable(ctx, name).await? {
        return Ok(refused);
    }
    // An unticked checkbox sends nothing: absent means open.
    let approve = !field(fields, "approve").is_empty();
    if !ctx
        .store
        .set_channel_approve_follows(name.to_owned(), approve)
        .await?
    {
        return super::not_found(ctx, "channel", name);
    }
    tracing::info!(channel = %name, approve, "web: channel's follow requests held or not");
    let done = if approve {
        "follows-held"
    } else {
        "follows-open"
    };
    Ok(respond::see_other(&channel_path(
        name,
        &format!("/edit?done={done}"),
    )))
}
