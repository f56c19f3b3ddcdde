//! First run: while there is no owner, `braid run` prints a one-time link with a random token
//! (as Jupyter does); `/setup?token=…` asks for the owner's password, sets it, and logs the
//! browser in. The token lives only in this process (its hash, in memory): a restart prints a
//! new one, and once an owner exists no token works.

use std::sync::{Arc, Mutex};

use askama::Template;
use serde::Deserialize;
use warp::http::header::{HeaderValue, SET_COOKIE, USER_AGENT};

pub(super) use super::super::respond::see_other;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;

use super::super::front::ClientAddr;
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext};
use crate::auth;

/// The setup token's hash while setup is open.
#[derive(Debug, Default)]
pub struct SetupToken {
    hash: Mutex<Option<String>>,
}

impl SetupToken {
    /// Opens setup with a new random token, returned for the console (the only place it is
    /// shown).
    pub fn begin(&self) -> Result<String, auth::AuthError> {
        let token = auth::new_token()?;
        *self.hash.lock().unwrap_or_else(|p| p.into_inner()) = Some(auth::token_hash(&token));
        Ok(token)
    }

    fn matches(&self, token: &str) -> bool {
        let hash = auth::token_hash(token);
        self.hash
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_deref()
            .is_some_and(|h| auth::same_secret(h, &hash))
    }

    fn close(&self) {
        *self.hash.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// The link `braid run` prints: `{public URL}setup?token=…`.
pub fn link(ctx: &WebContext, token: &str) -> String {
    ctx.absolute(&format!("setup?token={token}"))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    layout: Layout,
    token: &'a str,
    error: Option<&'a str>,
    min_chars: usize,
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let show = warp::path!("setup")
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .and(warp::query::<TokenQuery>())
        .then(|ctx: Arc<WebContext>, q: TokenQuery| async move {
            let result = show(&ctx, &q.token, None).await;
            respond::finish(&ctx, Format::Html, result)
        });
    let submit = warp::path!("setup")
        .and(warp::post())
        .and(with_ctx(ctx))
        .and(warp::body::form::<SetupForm>())
        .and(warp::ext::get::<ClientAddr>())
        .and(warp::header::optional::<String>(USER_AGENT.as_str()))
        .then(
            |ctx: Arc<WebContext>, form: SetupForm, addr: ClientAddr, agent: Option<String>| async move {
                let result = submit(&ctx, form, addr, agent).await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    show.or(submit).unify()
}

async fn show(ctx: &WebContext, token: &str, error: Option<&str>) -> HandlerResult {
    if ctx.store.owner_password_hash().await?.is_some() {
        return Ok(see_other("/login"));
    }
    if !ctx.setup.matches(token) {
        return Ok(respond::error_page(
            ctx,
            Format::Html,
            StatusCode::FORBIDDEN,
            "this setup link is not valid: use the one the running `braid run` printed last, or set the password with `braid owner set-password`",
        ));
    }
    let page = SetupPage {
        layout: Layout::new(ctx, "Set up", ""),
        token,
        error,
        min_chars: auth::MIN_PASSWORD_CHARS,
    };
    let mut resp = respond::no_store(respond::ok(page.render()?, respond::HTML));
    if error.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

async fn submit(
    ctx: &WebContext,
    form: SetupForm,
    addr: ClientAddr,
    agent: Option<String>,
) -> HandlerResult {
    if ctx.store.owner_password_hash().await?.is_some() || !ctx.setup.matches(&form.token) {
        return show(ctx, &form.token, None).await;
    }
    if form.password != form.confirm {
        return show(ctx, &form.token, Some("the two passwords differ")).await;
    }
    if let Err(e) = auth::check_new_password(&form.password) {
        let message = e.to_string();
        let message = message.trim_start_matches("auth: ");
        return show(ctx, &form.token, Some(message)).await;
    }
    let password = form.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| super::super::WebError::Config(format!("hashing: {e}")))??;
    // One transaction decides: two setup requests racing make one owner.
    if !ctx.store.create_owner(hash).await? {
        return Ok(see_other("/login"));
    }
    ctx.setup.close();
    tracing::info!("web: the owner's password was set through the setup link");
    super::login::start_session(ctx, addr, agent, "/").await
}

/// A response that sets a cookie.
pub(super) fn with_cookie(mut resp: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        resp.headers_mut().append(SET_COOKIE, c);
    }
    resp
}
