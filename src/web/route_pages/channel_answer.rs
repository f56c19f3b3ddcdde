//! `POST /channels/NAME/answer`, as `braid channel accept|refuse NAME FOLLOWER`: the owner's
//! answer to a follow request held for approval (fields `follower`, the actor's id, and
//! `answer`, `accept` or `refuse`). The answer is queued in the outbox (`crate::followers`),
//! which the daemon delivers; the page comes back with a notice.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::Owner;
use super::super::respond::{self, Format};
use super::super::{HandlerResult, WebContext};
use super::{channel_path, field, form_body, named, Fields};
use crate::followers;

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("channels", "answer", ctx).and(form_body()).then(
        |name: String, ctx: Arc<WebContext>, _owner: Owner, fields: Fields| async move {
            let result = answer(&ctx, &name, &fields).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

async fn answer(ctx: &WebContext, name: &str, fields: &Fields) -> HandlerResult {
    if let Err(refused) = super::channel_edit::editable(ctx, name).await? {
        return Ok(refused);
    }
    let accept = match field(fields, "answer") {
        "accept" => true,
        "refuse" => false,
        _ => {
            return super::refuse(
                ctx,
                StatusCode::BAD_REQUEST,
                "answer a follow request with accept or refuse",
            )
        }
    };
    let follower = field(fields, "follower").trim();
    if follower.is_empty() {
        return super::refuse(
            ctx,
            StatusCode::BAD_REQUEST,
            "which follower? none was given",
        );
    }
    let Some(poll) = ctx.hosted.as_deref() else {
        return super::refuse(
            ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            "answering follow requests needs the running daemon (`braid run`)",
        );
    };
    // The running daemon's hosted connectors, the ones whose inboxes took the request.
    let publishers = poll.hosted.all(&poll.connectors, &poll.store).await;
    let answered = followers::answer(&publishers, &ctx.store, name, follower, accept).await;
    if let Err(e) = answered {
        return super::refuse(ctx, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string());
    }
    tracing::info!(channel = %name, follower, accept, "web: follow request answered");
    let done = if accept { "accepted" } else { "refused" };
    Ok(respond::see_other(&channel_path(
        name,
        &format!("/edit?done={done}"),
    )))
}
