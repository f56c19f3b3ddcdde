//! The owner in the browser: who a request is ([`identify`]: an API token or the session
//! cookie), the cookies, and the pages that make and end sessions — `/setup` (first run),
//! `/login`, `/logout` and `/logout/everywhere`.
//!
//! The session cookie is `HttpOnly` (no script reads it), `SameSite=Lax` (other sites' forms
//! do not carry it), `Secure` when the public URL is https, and holds a random token whose
//! hash is the session's key in the store.

pub mod limit;
mod login;
pub mod setup;

use std::sync::Arc;

use warp::http::header::{HeaderMap, HeaderValue, AUTHORIZATION, COOKIE};
use warp::Filter;

use super::WebContext;
use crate::auth;
use crate::store::StoreError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "braid_session";

/// The owner, as the front door recognised them; attached to the request for the handlers.
#[derive(Debug, Clone)]
pub struct Owner {
    pub via: Via,
}

#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session: its stored hash, and the CSRF token its forms carry.
    Session { hash: String, csrf: String },
    /// An API token, by name.
    Token { name: String },
}

impl Owner {
    /// The CSRF token forms of this session carry (empty for an API token, which needs none).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token { .. } => "",
        }
    }
}

/// The owner behind these headers, and whether the session's cookie should be sent again (it
/// was marked used, so its lifetime starts over). An `Authorization` header decides alone: a
/// wrong token is no one, whatever cookie comes with it.
pub async fn identify(
    ctx: &WebContext,
    headers: &HeaderMap,
) -> Result<Option<(Owner, bool)>, StoreError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        return Ok(ctx
            .store
            .check_api_token(auth::token_hash(token))
            .await?
            .map(|name| {
                (
                    Owner {
                        via: Via::Token { name },
                    },
                    false,
                )
            }));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = auth::token_hash(&token);
    Ok(ctx
        .store
        .touch_session(hash.clone(), ctx.session_idle)
        .await?
        .map(|refreshed| {
            (
                Owner {
                    via: Via::Session {
                        hash,
                        csrf: auth::csrf_token(&token),
                    },
                },
                refreshed,
            )
        }))
}

/// The value of cookie `name` (the first, across every `Cookie` header).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite`, `Path`, and `Secure` on https.
pub fn set_cookie(
    ctx: &WebContext,
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age_secs: i64,
) -> Option<HeaderValue> {
    let secure = if ctx.secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; SameSite={same_site}{secure}"
    ))
    .ok()
}

/// The session cookie for a new session's token.
pub fn session_cookie(ctx: &WebContext, token: &str) -> Option<HeaderValue> {
    set_cookie(
        ctx,
        SESSION_COOKIE,
        token,
        "/",
        "Lax",
        ctx.session_idle.num_seconds(),
    )
}

/// The same session cookie sent again with its lifetime starting over (the session was used).
pub fn session_cookie_refresh(ctx: &WebContext, headers: &HeaderMap) -> Option<HeaderValue> {
    cookie(headers, SESSION_COOKIE).and_then(|token| session_cookie(ctx, &token))
}

/// The public pages of this module and the logout actions.
pub fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    setup::routes(ctx.clone()).or(login::routes(ctx)).unify()
}

/// Passes the owner the front door attached; rejects (404) when there is none, so a private
/// route reached without the front door's check still shows nothing.
pub fn required() -> impl Filter<Extract = (Owner,), Error = warp::Rejection> + Clone {
    warp::ext::get::<Owner>()
}

/// The owner when there is one (public routes that show more to the owner: served feeds).
pub fn optional(
) -> impl Filter<Extract = (Option<Owner>,), Error = std::convert::Infallible> + Clone {
    warp::ext::optional::<Owner>()
}
