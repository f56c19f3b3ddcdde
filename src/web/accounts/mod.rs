//! The accounts pages: `/accounts` (each account with its health and sources, `list.rs`),
//! `/accounts/new` (choose a network, then its login form, `new.rs`), `/accounts/ID/login`
//! (log in again, `again.rs`), the login forms' submission (`start.rs`), the network sending
//! the browser back (`/accounts/callback`, `callback.rs`) and disconnecting
//! (`/accounts/ID/remove`, `remove.rs`). `form.rs` renders a factory's login fields.
//!
//! No network is named here: the networks are the daemon's registry, the form is the fields
//! each factory declares, and the logging in is `crate::accounts` (what `braid account add`
//! runs), step by step. A login the network finishes in the browser (an OAuth redirect flow)
//! waits in `WebContext::logins`, its state never leaving the server.

mod again;
mod callback;
mod form;
mod list;
mod new;
mod remove;
mod start;

use std::sync::Arc;

use braid_core::factory::LoginMethod;
use braid_core::{Factory, LoginContext};
use warp::http::StatusCode;
use warp::Filter;

use super::respond::{self, Format};
use super::{WebContext, WebError};
use crate::connectors::Registry;
use crate::scheduler::PollContext;

/// What the pages say when the server has no daemon behind it.
const NEEDS_DAEMON: &str = "adding accounts and logging in again need the daemon (`braid run`), \
                            which holds the networks and their HTTP client";

/// `GET /accounts`, `/accounts/new`, `/accounts/ID/login`, `/accounts/ID/remove` and
/// `/accounts/callback`.
pub fn pages(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    list::route(ctx.clone())
        .or(new::route(ctx.clone()))
        .unify()
        .or(again::route(ctx.clone()))
        .unify()
        .or(callback::route(ctx.clone()))
        .unify()
        .or(remove::confirm_route(ctx))
        .unify()
}

/// `POST /accounts/new`, `/accounts/ID/login` and `/accounts/ID/remove`.
pub fn forms(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    start::route(ctx.clone()).or(remove::route(ctx)).unify()
}

/// The page that says accounts need the daemon (503).
fn needs_daemon(ctx: &WebContext) -> warp::reply::Response {
    respond::error_page(
        ctx,
        Format::Html,
        StatusCode::SERVICE_UNAVAILABLE,
        NEEDS_DAEMON,
    )
}

/// The factory of `kind` among those with accounts, or a 400 that says which exist.
fn factory(registry: &Registry, kind: &str) -> Result<&'static dyn Factory, WebError> {
    registry
        .with_accounts()
        .find(|f| f.kind() == kind)
        .ok_or_else(|| {
            let kinds: Vec<&str> = registry.with_accounts().map(|f| f.kind()).collect();
            WebError::BadRequest(format!(
                "there is no network {kind:?} with accounts; there are: {}",
                kinds.join(", ")
            ))
        })
}

/// The network's name people see (its kind when the registry does not know it).
fn network_name(ctx: &WebContext, kind: &str) -> String {
    ctx.hosted
        .as_ref()
        .and_then(|h| h.connectors.registry.get(kind).ok())
        .map_or_else(|| kind.to_owned(), |f| f.display_name().to_owned())
}

/// Whether the factory can send the browser back here, so a login gets a callback.
fn redirects(factory: &dyn Factory) -> bool {
    factory
        .login()
        .is_some_and(|spec| spec.methods.contains(&LoginMethod::OAuthRedirect))
}

/// The context a login of `factory` runs with: for a network that can send the browser back,
/// our callback and the random `key` it must bring back.
fn login_context(
    ctx: &WebContext,
    hosted: &PollContext,
    factory: &dyn Factory,
    key: &str,
) -> Result<LoginContext, WebError> {
    let http = hosted.connectors.http.clone();
    if !redirects(factory) {
        return Ok(LoginContext::new(http));
    }
    let callback = url::Url::parse(&ctx.absolute("accounts/callback"))
        .map_err(|e| WebError::Config(format!("the callback URL: {e}")))?;
    Ok(LoginContext::with_callback(http, callback, key.to_owned()))
}
