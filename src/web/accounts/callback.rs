//! `GET /accounts/callback?code=…&state=…`: the network sends the browser back after the
//! person authorized Braid (OAuth 2 authorization code with a redirect, RFC 6749 §4.1.2); the
//! code finishes the login that `state` names, as `braid account add` finishes one with a
//! pasted code ([`accounts::resume`]).
//!
//! `state` is the random key of a login this server started and still keeps (for 15 minutes,
//! once): a callback with any other is refused, so a link made elsewhere cannot attach an
//! account of someone else's choosing (§10.12). Like every private page it needs the owner's
//! session; the session cookie is `SameSite=Lax`, which a top-level GET from the network's page
//! still carries.

use std::collections::HashMap;
use std::sync::Arc;

use braid_core::factory::LoginInput;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::start;
use crate::accounts::{self, Progress, Purpose};

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("accounts" / "callback")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::query::<HashMap<String, String>>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, query: HashMap<String, String>| async move {
                let result = finish(&ctx, &owner, &query).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn finish(ctx: &WebContext, owner: &Owner, query: &HashMap<String, String>) -> HandlerResult {
    let Some(hosted) = &ctx.hosted else {
        return Ok(super::needs_daemon(ctx));
    };
    let key = query.get("state").map_or("", |s| s.trim());
    let pending = Some(key)
        .filter(|k| !k.is_empty())
        .and_then(|k| ctx.logins.take(k))
        .ok_or_else(|| {
            WebError::BadRequest(
                "this login is not one Braid is waiting for: it was not started here, it was \
                 finished already, or it started more than 15 minutes ago. Start again from \
                 Accounts → Add an account"
                    .into(),
            )
        })?;
    let factory = super::factory(&hosted.connectors.registry, &pending.kind)?;
    let purpose = match pending.purpose {
        // The account may have been disconnected while the person was away.
        Purpose::Again(account) => {
            Purpose::Again(Box::new(super::again::account(ctx, account.id.0).await?))
        }
        new => new,
    };
    let no_input = LoginInput::default();
    // RFC 6749 §4.1.2.1: a refusal comes back as `error`, maybe with a description.
    if let Some(error) = query.get("error") {
        let why = query.get("error_description").unwrap_or(error);
        return start::failed(
            ctx,
            owner,
            factory,
            &purpose,
            &no_input,
            format!("the server did not authorize Braid: {why}"),
        );
    }
    let Some(answer) = query.get(pending.answer).filter(|a| !a.trim().is_empty()) else {
        return start::failed(
            ctx,
            owner,
            factory,
            &purpose,
            &no_input,
            format!(
                "the server sent the browser back without the {}; try again",
                pending.answer
            ),
        );
    };
    let login_ctx = super::login_context(ctx, hosted, factory, key)?;
    let progress = accounts::resume(
        &ctx.store,
        factory,
        &login_ctx,
        &purpose,
        &pending.state,
        answer,
    )
    .await;
    let message = match progress {
        Ok(Progress::Done(outcome)) => return Ok(start::done(&outcome)),
        Ok(Progress::Ask(question)) => {
            match start::ask(
                ctx,
                factory,
                &login_ctx,
                key.to_owned(),
                purpose.clone(),
                *question,
            ) {
                Ok(resp) => return Ok(resp),
                Err(message) => message,
            }
        }
        Err(err) => start::login_error(factory, &err),
    };
    start::failed(ctx, owner, factory, &purpose, &no_input, message)
}
