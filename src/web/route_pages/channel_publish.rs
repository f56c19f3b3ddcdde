//! `POST /channels/NAME/publish` and `/unpublish`, as `braid channel publish|unpublish`: a
//! published channel's public items are served to anyone without a token (never anything
//! less public); unpublished, its feeds need a private link again. A channel from the config
//! file is refused (409): its `public` setting is the config's.

use std::sync::Arc;

use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext};
use super::name;

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let action = warp::path!("publish")
        .map(|| true)
        .or(warp::path!("unpublish").map(|| false))
        .unify();
    warp::path("channels")
        .and(name())
        .and(action)
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(
            |name: String, publish: bool, ctx: Arc<WebContext>, _owner: Owner| async move {
                let result = set(&ctx, &name, publish).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn set(ctx: &WebContext, name: &str, publish: bool) -> HandlerResult {
    if let Err(refused) = super::channel_edit::editable(ctx, name).await? {
        return Ok(refused);
    }
    if !ctx
        .store
        .set_channel_published(name.to_owned(), publish)
        .await?
    {
        return super::not_found(ctx, "channel", name);
    }
    tracing::info!(channel = %name, published = publish, "web: channel published or not");
    let done = if publish { "published" } else { "unpublished" };
    Ok(respond::see_other(&format!("/channels?done={done}")))
}
