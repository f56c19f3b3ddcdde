//! `POST /sources/follow`: follows someone on the fediverse (a handle `@user@host` or a
//! profile's URL) as `braid follow` does (`crate::subscribe::follow`). Needs `web.base_url`:
//! Braid's actor and inbox must be reachable for the follow to be accepted and posts pushed.
//! Errors (not found, a blocked server, not an actor…) come back on the form.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext};
use super::add::{follow_offer, render, AddState, FollowForm, FollowOffer};
use super::notice::with_notice;
use super::{daemon, field, form, login_context, subscribe_error};
use crate::subscribe::{self, Added, Placement};

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources" / "follow")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::body::bytes())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, body: bytes::Bytes| async move {
                let result = match form::<FollowForm>(&body) {
                    Ok(f) => submit(&ctx, &owner, f).await,
                    Err(e) => Err(e),
                };
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn submit(ctx: &WebContext, owner: &Owner, f: FollowForm) -> HandlerResult {
    match follow(ctx, &f).await {
        Ok(added) => Ok(respond::see_other(&with_notice(
            &format!("/sources/{}", added.id),
            "followed",
            &added.name,
        ))),
        Err(message) => {
            let state = AddState {
                follow: f,
                follow_error: Some(message),
                ..AddState::default()
            };
            render(ctx, owner, state, StatusCode::BAD_REQUEST).await
        }
    }
}

async fn follow(ctx: &WebContext, f: &FollowForm) -> Result<Added, String> {
    let poll = daemon(ctx)?;
    match follow_offer(ctx) {
        FollowOffer::Ready => {}
        FollowOffer::NeedsBaseUrl => {
            return Err(
                "following needs web.base_url: the address others reach this Braid \
                 at, where its actor and inbox live"
                    .into(),
            )
        }
        FollowOffer::None => return Err("no network here follows accounts".into()),
    }
    let target = field(&f.target).ok_or("give a handle (@user@host) or a profile's address")?;
    let placement = Placement {
        name: field(&f.name),
        ..Placement::default()
    };
    subscribe::follow(
        &ctx.store,
        &poll.connectors.registry,
        &login_context(poll),
        &target,
        placement,
    )
    .await
    .map_err(|e| subscribe_error(&e))
}
