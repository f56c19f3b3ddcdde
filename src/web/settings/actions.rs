//! The settings page's forms. A new token or link is answered with the page itself, showing
//! it once (a redirect would have to carry it in the URL); the rest redirect back.

use std::sync::Arc;

use serde::Deserialize;
use warp::Filter;

use super::super::front::ClientAddr;
use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::page::{render, Secret};
use crate::auth;

/// Longest name of a token or link.
const MAX_NAME_CHARS: usize = 64;

#[derive(Deserialize)]
struct NewLink {
    /// `""`: the merged timeline; else a channel's name.
    #[serde(default)]
    feed: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct NewToken {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RevokeLink {
    id: i64,
}

#[derive(Deserialize)]
struct NewPassword {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let base = move || with_ctx(ctx.clone()).and(owner::required());
    let new_link = warp::path!("settings" / "feed-links")
        .and(base())
        .and(warp::body::form::<NewLink>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, form: NewLink| async move {
                let result = new_link(&ctx, &owner, form).await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    let revoke_link = warp::path!("settings" / "feed-links" / "revoke")
        .and(base())
        .and(warp::body::form::<RevokeLink>())
        .then(
            |ctx: Arc<WebContext>, _: Owner, form: RevokeLink| async move {
                let result = async {
                    ctx.store.revoke_feed_token(form.id).await?;
                    Ok(respond::see_other("/settings?done=link-revoked"))
                }
                .await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    let new_token = warp::path!("settings" / "tokens")
        .and(base())
        .and(warp::body::form::<NewToken>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, form: NewToken| async move {
                let result = new_token(&ctx, &owner, form).await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    let revoke_token = warp::path!("settings" / "tokens" / "revoke")
        .and(base())
        .and(warp::body::form::<NewToken>())
        .then(
            |ctx: Arc<WebContext>, _: Owner, form: NewToken| async move {
                let result = async {
                    ctx.store.revoke_api_token(form.name).await?;
                    Ok(respond::see_other("/settings?done=token-revoked"))
                }
                .await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    let password = warp::path!("settings" / "password")
        .and(base())
        .and(warp::ext::get::<ClientAddr>())
        .and(warp::body::form::<NewPassword>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, addr: ClientAddr, form: NewPassword| async move {
                let result = change_password(&ctx, &owner, addr, form).await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    new_link
        .or(revoke_link)
        .unify()
        .or(new_token)
        .unify()
        .or(revoke_token)
        .unify()
        .or(password)
        .unify()
}

/// A trimmed name of 1 to [`MAX_NAME_CHARS`] characters, or why not.
fn name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("a name must be 1 to {MAX_NAME_CHARS} characters"));
    }
    Ok(name.to_owned())
}

async fn new_link(ctx: &WebContext, owner: &Owner, form: NewLink) -> HandlerResult {
    let name = match name(&form.name) {
        Ok(n) => n,
        Err(e) => return render(ctx, owner, None, None, Some(e)).await,
    };
    let channel = Some(form.feed.trim().to_owned()).filter(|c| !c.is_empty());
    let token = auth::new_token()?;
    if let Err(e) = ctx
        .store
        .add_feed_token(channel.clone(), name.clone(), auth::token_hash(&token))
        .await
    {
        return render(ctx, owner, None, None, Some(store_message(e))).await;
    }
    let path = channel
        .as_ref()
        .map(|c| format!("channels/{c}/"))
        .unwrap_or_default();
    let lines = ["atom", "rss", "json"]
        .iter()
        .map(|ext| ctx.absolute(&format!("{path}feed.{ext}?token={token}")))
        .collect();
    let what = match &channel {
        Some(c) => format!("Feed link “{name}” for channel {c}"),
        None => format!("Feed link “{name}” for the merged timeline"),
    };
    render(ctx, owner, None, Some(Secret { what, lines }), None).await
}

async fn new_token(ctx: &WebContext, owner: &Owner, form: NewToken) -> HandlerResult {
    let name = match name(&form.name) {
        Ok(n) => n,
        Err(e) => return render(ctx, owner, None, None, Some(e)).await,
    };
    let token = auth::new_api_token()?;
    if let Err(e) = ctx
        .store
        .add_api_token(name.clone(), auth::token_hash(&token))
        .await
    {
        return render(ctx, owner, None, None, Some(store_message(e))).await;
    }
    let secret = Secret {
        what: format!("API token “{name}” (send it as Authorization: Bearer TOKEN)"),
        lines: vec![token],
    };
    render(ctx, owner, None, Some(secret), None).await
}

/// A name taken or a channel missing is the owner's to fix; anything else is ours.
fn store_message(e: crate::store::StoreError) -> String {
    match e {
        crate::store::StoreError::Other(m) => m,
        other => {
            tracing::error!(error = %other, "web: settings");
            "the database could not answer; the log has the details".into()
        }
    }
}

/// Checks the current password (rate-limited like a login: a stolen session must not become
/// a way to guess it), sets the new one, and ends every session (this one too).
async fn change_password(
    ctx: &WebContext,
    owner: &Owner,
    addr: ClientAddr,
    form: NewPassword,
) -> HandlerResult {
    if form.password != form.confirm {
        let e = "the two new passwords differ".to_owned();
        return render(ctx, owner, None, None, Some(e)).await;
    }
    if let Err(e) = auth::check_new_password(&form.password) {
        let e = e.to_string().trim_start_matches("auth: ").to_owned();
        return render(ctx, owner, None, None, Some(e)).await;
    }
    if let Err(wait) = ctx.login_limit.take(addr.0) {
        let e = format!(
            "too many password attempts; try again in {} seconds",
            wait.as_secs().max(1)
        );
        return render(ctx, owner, None, None, Some(e)).await;
    }
    let stored = ctx.store.owner_password_hash().await?.unwrap_or_default();
    let (current, new) = (form.current, form.password);
    let hashed = tokio::task::spawn_blocking(move || {
        if !auth::verify_password(&stored, &current) {
            return Ok(None);
        }
        auth::hash_password(&new).map(Some)
    })
    .await
    .map_err(|e| WebError::Config(format!("hashing: {e}")))??;
    let Some(hash) = hashed else {
        let e = "the current password is not right".to_owned();
        return render(ctx, owner, None, None, Some(e)).await;
    };
    ctx.login_limit.give_back(addr.0);
    ctx.store.set_owner_password_hash(hash).await?;
    tracing::info!("web: the owner's password was changed; every session ended");
    Ok(respond::see_other("/login"))
}
