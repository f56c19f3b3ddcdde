//! `POST /accounts/new` (a new account) and `POST /accounts/ID/login` (logging one in again):
//! runs the login's first step, as `braid account add` does ([`accounts::begin`]).
//!
//! A login that ends at once (a token) is stored, and the browser goes to `/accounts`. One
//! the network finishes in the browser (OAuth with a redirect) waits server-side under a
//! random key, which travels as the `state` of the authorize link, and the browser goes to
//! that link (303); the network sends it back to `/accounts/callback`. A login that fails
//! shows the form again with the reason and what was typed (but secrets).

use std::sync::Arc;

use braid_core::factory::{LoginInput, LoginQuestion};
use braid_core::{Factory, LoginContext};
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::{safe_url, Layout};
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::form::{self, LoginForm, LoginPage};
use crate::accounts::pending::PendingLogin;
use crate::accounts::{self, LoginError, Progress, Purpose};

type Pairs = Vec<(String, String)>;

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let new = warp::path!("accounts" / "new")
        .and(with_ctx(ctx.clone()))
        .and(owner::required())
        .and(warp::body::form::<Pairs>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, pairs: Pairs| async move {
                let result = submit(&ctx, &owner, None, &pairs).await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    let again = warp::path!("accounts" / i64 / "login")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::body::form::<Pairs>())
        .then(
            |id: i64, ctx: Arc<WebContext>, owner: Owner, pairs: Pairs| async move {
                let result = submit(&ctx, &owner, Some(id), &pairs).await;
                respond::finish(&ctx, Format::Html, result)
            },
        );
    new.or(again).unify()
}

async fn submit(
    ctx: &WebContext,
    owner: &Owner,
    again: Option<i64>,
    pairs: &Pairs,
) -> HandlerResult {
    let Some(hosted) = &ctx.hosted else {
        return Ok(super::needs_daemon(ctx));
    };
    let purpose = match again {
        Some(id) => Purpose::Again(Box::new(super::again::account(ctx, id).await?)),
        None => Purpose::New {
            name: Some(form::value(pairs, "name").to_owned()).filter(|n| !n.is_empty()),
        },
    };
    let kind = match &purpose {
        Purpose::Again(a) => a.kind.as_str(),
        Purpose::New { .. } => form::value(pairs, "network"),
    };
    let factory = super::factory(&hosted.connectors.registry, kind)?;
    // Logging in again keeps what the network keeps from the account (its server), whatever
    // the form says.
    let input = match form::read_input(factory, pairs, &fixed(factory, &purpose)) {
        Ok(input) => input,
        Err(WebError::BadRequest(message)) => {
            let typed = lenient_input(factory, pairs);
            return failed(ctx, owner, factory, &purpose, &typed, message);
        }
        Err(e) => return Err(e),
    };
    let key = crate::auth::new_token()?;
    let login_ctx = super::login_context(ctx, hosted, factory, &key)?;
    match accounts::begin(&ctx.store, factory, &login_ctx, &purpose, &input).await {
        Ok(Progress::Done(outcome)) => Ok(done(&outcome)),
        Ok(Progress::Ask(question)) => {
            match ask(ctx, factory, &login_ctx, key, purpose.clone(), *question) {
                Ok(resp) => Ok(resp),
                Err(message) => failed(ctx, owner, factory, &purpose, &input, message),
            }
        }
        Err(err) => failed(
            ctx,
            owner,
            factory,
            &purpose,
            &input,
            login_error(factory, &err),
        ),
    }
}

/// The values a login of `purpose` keeps as they are: logging in again, what the network
/// keeps from the account.
fn fixed(factory: &dyn Factory, purpose: &Purpose) -> LoginInput {
    match purpose {
        Purpose::Again(account) => factory.login_again_input(&super::again::view(account)),
        Purpose::New { .. } => LoginInput::default(),
    }
}

/// A question in the middle of a login: the browser goes to the network's page (303) and the
/// login waits under `key` (the `state` `login_ctx` carries) for the callback. Only a login
/// that comes back here can go on; another question is an error, in words for the page.
pub(super) fn ask(
    ctx: &WebContext,
    factory: &dyn Factory,
    login_ctx: &LoginContext,
    key: String,
    purpose: Purpose,
    question: LoginQuestion,
) -> Result<warp::reply::Response, String> {
    let link = question.link.as_deref().and_then(safe_url);
    let (Some(link), Some(_)) = (link, &login_ctx.callback) else {
        return Err(format!(
            "this login asks “{}”, which the web pages cannot ask yet; use `braid account add \
             {}` on the server",
            question.prompt,
            factory.kind()
        ));
    };
    for note in &question.notes {
        tracing::info!(kind = factory.kind(), "web: {note}");
    }
    ctx.logins.insert(
        key,
        PendingLogin {
            kind: factory.kind().to_owned(),
            purpose,
            state: question.state,
            answer: question.answer.id,
        },
    );
    Ok(respond::see_other(&link))
}

/// The login form again, with why the login failed (400) and what was typed (but secrets).
pub(super) fn failed(
    ctx: &WebContext,
    owner: &Owner,
    factory: &dyn Factory,
    purpose: &Purpose,
    typed: &LoginInput,
    message: String,
) -> HandlerResult {
    let (title, again, name) = match purpose {
        Purpose::Again(a) => (format!("Log in again: {}", a.name), Some(a.as_ref()), ""),
        Purpose::New { name } => (
            format!("Add an account: {}", factory.display_name()),
            None,
            name.as_deref().unwrap_or(""),
        ),
    };
    let page = LoginPage {
        layout: Layout::owned(ctx, &title, "accounts", owner),
        networks: Vec::new(),
        form: LoginForm::new(factory, typed, &fixed(factory, purpose), again, name),
        error: Some(message),
    };
    form::render(&page, StatusCode::BAD_REQUEST)
}

/// Where a finished login leads: the accounts page, saying what happened.
pub(super) fn done(outcome: &accounts::LoginOutcome) -> warp::reply::Response {
    for note in &outcome.notes {
        tracing::info!(account = %outcome.account.name, "web: {note}");
    }
    let what = if outcome.relogin { "renewed" } else { "added" };
    respond::see_other(&format!("/accounts?{what}={}", outcome.account.id.0))
}

/// A failed login in words for the page. Store errors are ours and stay in the log.
pub(super) fn login_error(factory: &dyn Factory, err: &LoginError) -> String {
    match err {
        LoginError::Store(e) => {
            tracing::error!(kind = factory.kind(), error = %e, "web: storing a login");
            "the login worked, but the database could not store it; the log has the details".into()
        }
        other => other.to_string(),
    }
}

/// What was typed, for the form shown again after a refused submission.
fn lenient_input(factory: &dyn Factory, pairs: &Pairs) -> LoginInput {
    let fields = factory.login().map(|s| s.fields).unwrap_or_default();
    LoginInput::from_pairs(fields.iter().filter_map(|f| {
        let value = form::value(pairs, &form::input_name(f));
        (!value.is_empty()).then(|| (f.id, value.to_owned()))
    }))
}
