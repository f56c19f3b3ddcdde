//! `GET /accounts/ID/login`: the login form of an account's network, to log it in again (a
//! revoked or expired token). What the network keeps from the account (its server) is filled
//! in and not asked; the account keeps its sources.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::form::{self, LoginForm, LoginPage};
use crate::store::AccountRecord;

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("accounts" / i64 / "login")
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(|id: i64, ctx: Arc<WebContext>, owner: Owner| async move {
            let result = page(&ctx, &owner, id).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

async fn page(ctx: &WebContext, owner: &Owner, id: i64) -> HandlerResult {
    let Some(hosted) = &ctx.hosted else {
        return Ok(super::needs_daemon(ctx));
    };
    let account = account(ctx, id).await?;
    let factory = super::factory(&hosted.connectors.registry, &account.kind)?;
    let page = LoginPage {
        layout: Layout::owned(
            ctx,
            &format!("Log in again: {}", account.name),
            "accounts",
            owner,
        ),
        networks: Vec::new(),
        form: LoginForm::new(
            factory,
            &Default::default(),
            &factory.login_again_input(&view(&account)),
            Some(&account),
            "",
        ),
        error: None,
    };
    form::render(&page, StatusCode::OK)
}

/// The account `id`, or a 400 that says there is none.
pub(super) async fn account(ctx: &WebContext, id: i64) -> Result<AccountRecord, WebError> {
    ctx.store
        .account(braid_core::AccountId(id))
        .await?
        .ok_or_else(|| {
            WebError::BadRequest(format!(
                "there is no account {id}; it may have been disconnected"
            ))
        })
}

/// The account as its factory sees it, without its credentials (a form needs none).
pub(super) fn view(account: &AccountRecord) -> braid_core::AccountView {
    braid_core::AccountView {
        id: account.id,
        name: account.name.clone(),
        kind: account.kind.clone(),
        identity: account.identity.clone(),
        handle: account.handle.clone(),
        server_url: account.server_url.clone(),
        credentials: serde_json::Value::Null,
    }
}
