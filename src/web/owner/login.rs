//! `/login`, `/logout`, `/logout/everywhere`.
//!
//! The login form has its own CSRF guard (there is no session yet): a random token in a
//! short-lived `SameSite=Strict` cookie and the same in the form (double submit), so another
//! site cannot log the browser into this Braid. Attempts are rate-limited per address and
//! overall (`limit.rs`); the password is checked with Argon2 off the async threads.

use std::sync::Arc;

use askama::Template;
use serde::Deserialize;
use warp::http::header::{HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;

use super::super::front::ClientAddr;
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::setup::{see_other, with_cookie};
use super::{cookie, set_cookie, Owner, Via, SESSION_COOKIE};
use crate::auth;

/// The login form's CSRF cookie, scoped to `/login`.
const LOGIN_COOKIE: &str = "braid_login";
/// How long a login form stays valid.
const LOGIN_FORM_SECS: i64 = 3600;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    layout: Layout,
    has_owner: bool,
    csrf: &'a str,
    next: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    password: String,
}

pub(super) fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let show = warp::path!("login")
        .and(warp::get().or(warp::head()).unify())
        .and(with_ctx(ctx.clone()))
        .and(warp::query::<NextQuery>())
        .then(|ctx: Arc<WebContext>, q: NextQuery| async move {
            let result = form_page(&ctx, &q.next, None, StatusCode::OK).await;
            respond::finish(&ctx, Format::Html, result)
        });
    let submit = warp::path!("login")
        .and(warp::post())
        .and(with_ctx(ctx.clone()))
        .and(warp::body::form::<LoginForm>())
        .and(warp::ext::get::<ClientAddr>())
        .and(warp::header::headers_cloned())
        .then(
            |ctx: Arc<WebContext>, form: LoginForm, addr: ClientAddr, headers: HeaderMap| async move {
                let result = submit(&ctx, form, addr, &headers).await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    let one = warp::path!("logout")
        .and(warp::post())
        .and(with_ctx(ctx.clone()))
        .and(super::required())
        .then(|ctx: Arc<WebContext>, owner: Owner| async move {
            let result = logout(&ctx, owner, false).await;
            respond::finish(&ctx, Format::Html, result)
        });
    let everywhere = warp::path!("logout" / "everywhere")
        .and(warp::post())
        .and(with_ctx(ctx))
        .and(super::required())
        .then(|ctx: Arc<WebContext>, owner: Owner| async move {
            let result = logout(&ctx, owner, true).await;
            respond::finish(&ctx, Format::Html, result)
        });
    show.or(submit)
        .unify()
        .or(one)
        .unify()
        .or(everywhere)
        .unify()
}

/// Only a path of ours: `/x`, never `//host` or `/\host` (which browsers read as another
/// host), so the login page cannot be used to send people elsewhere.
fn safe_next(next: &str) -> &str {
    let ours = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if ours {
        next
    } else {
        "/"
    }
}

async fn form_page(
    ctx: &WebContext,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HandlerResult {
    let has_owner = ctx.store.owner_password_hash().await?.is_some();
    let token = auth::new_token()?;
    let page = LoginPage {
        layout: Layout::new(ctx, "Log in", ""),
        has_owner,
        csrf: &token,
        next: safe_next(next),
        error,
    };
    let mut resp = respond::no_store(respond::ok(page.render()?, respond::HTML));
    *resp.status_mut() = status;
    Ok(with_cookie(
        resp,
        set_cookie(
            ctx,
            LOGIN_COOKIE,
            &token,
            "/login",
            "Strict",
            LOGIN_FORM_SECS,
        ),
    ))
}

async fn submit(
    ctx: &WebContext,
    form: LoginForm,
    addr: ClientAddr,
    headers: &HeaderMap,
) -> HandlerResult {
    let sent = cookie(headers, LOGIN_COOKIE).unwrap_or_default();
    if sent.is_empty() || !auth::same_secret(&sent, &form.csrf) {
        return form_page(
            ctx,
            &form.next,
            Some("the form expired; please try again"),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    if let Err(wait) = ctx.login_limit.take(addr.0) {
        let secs = wait.as_secs().max(1);
        tracing::warn!(address = %addr.0, "web: login attempts over the limit");
        let mut resp = form_page(
            ctx,
            &form.next,
            Some(&format!(
                "too many login attempts; try again in {secs} seconds"
            )),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await?;
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
        return Ok(resp);
    }
    let Some(stored) = ctx.store.owner_password_hash().await? else {
        return form_page(ctx, &form.next, None, StatusCode::OK).await;
    };
    let password = form.password;
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&stored, &password))
        .await
        .map_err(|e| WebError::Config(format!("checking the password: {e}")))?;
    if !ok {
        tracing::info!(address = %addr.0, "web: a login failed");
        return form_page(
            ctx,
            &form.next,
            Some("that is not the password"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    ctx.login_limit.give_back(addr.0);
    let agent = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect());
    let mut resp = start_session(ctx, addr, agent, safe_next(&form.next)).await?;
    // The login form's cookie has done its work.
    if let Some(c) = set_cookie(ctx, LOGIN_COOKIE, "", "/login", "Strict", 0) {
        resp.headers_mut().append(warp::http::header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// A new session for this browser, and a redirect to `next`.
pub(super) async fn start_session(
    ctx: &WebContext,
    addr: ClientAddr,
    agent: Option<String>,
    next: &str,
) -> HandlerResult {
    let token = auth::new_token()?;
    ctx.store
        .add_session(auth::token_hash(&token), Some(addr.0.to_string()), agent)
        .await?;
    tracing::info!(address = %addr.0, "web: the owner logged in");
    Ok(with_cookie(
        see_other(next),
        super::session_cookie(ctx, &token),
    ))
}

async fn logout(ctx: &WebContext, owner: Owner, everywhere: bool) -> HandlerResult {
    match (&owner.via, everywhere) {
        (_, true) => {
            let n = ctx.store.end_all_sessions().await?;
            tracing::info!(sessions = n, "web: the owner logged out everywhere");
        }
        (Via::Session { hash, .. }, false) => ctx.store.end_session(hash.clone()).await?,
        // An API token has no session to end.
        (Via::Token { .. }, false) => {}
    }
    Ok(with_cookie(
        see_other("/login"),
        set_cookie(ctx, SESSION_COOKIE, "", "/", "Lax", 0),
    ))
}
