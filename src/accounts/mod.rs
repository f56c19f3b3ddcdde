//! Logging in to remote accounts, in one place for the CLI and the web UI, for every network
//! alike: the network's factory runs the steps (a token, an OAuth code…) and ends with a
//! verified login; this module stores it. The CLI runs a login in one go ([`login`]); the web
//! UI step by step ([`begin`], then [`resume`] when the browser comes back), keeping what a
//! login waits with in [`pending::PendingLogins`].
//!
//! A login ends with a verified account in the store: the factory checks the credentials
//! against the server before they are kept, so a typo never becomes a silently failing source.
//! The same account logging in again (same kind and identity) updates its credentials instead
//! of adding a second account.

pub mod pending;

use braid_core::factory::{LoggedIn, LoginInput, LoginQuestion, LoginStep};
use braid_core::{ConnectorError, Factory, LoginContext};
use serde_json::Value;

use crate::store::{AccountRecord, NewAccount, NewSource, Store, StoreError};
use crate::subscribe::unique_name;

/// Why a login failed, worded for the person logging in.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    // Transparent: `{:#}` at the binary's edge would otherwise print the message twice.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// What a finished login did.
#[derive(Debug)]
pub struct LoginOutcome {
    pub account: AccountRecord,
    /// Shown beside the handle: the server software, say.
    pub detail: Option<String>,
    /// The account was already here and logged in again.
    pub relogin: bool,
    /// Names of the sources added with a new account (its home timeline).
    pub sources: Vec<String>,
    /// What the factory wants said about the login.
    pub notes: Vec<String>,
}

/// Whom a login is for.
#[derive(Debug, Clone)]
pub enum Purpose {
    /// A new account, named as the person chose (else as the factory suggests). The same
    /// identity logging in again still updates the account Braid has.
    New { name: Option<String> },
    /// An account Braid has, logging in again: only the same identity may renew it, and its
    /// sources are kept.
    Again(Box<AccountRecord>),
}

/// Where a login driven step by step stands (the web UI, whose answers arrive in later
/// requests).
#[derive(Debug)]
pub enum Progress {
    /// Logged in and stored.
    Done(Box<LoginOutcome>),
    /// The factory asks one more thing: keep `state` (server-side: it may hold a secret) and
    /// [`resume`] with the answer.
    Ask(Box<LoginQuestion>),
}

/// Starts a login on `factory` with `input`: stored when it ends at once (a token), else the
/// question it asks.
pub async fn begin(
    store: &Store,
    factory: &dyn Factory,
    ctx: &LoginContext,
    purpose: &Purpose,
    input: &LoginInput,
) -> Result<Progress, LoginError> {
    let step = factory.begin_login(ctx, input).await?;
    advance(store, factory, purpose, step).await
}

/// Goes on with a login after [`Progress::Ask`], with the question's `state` and the answer.
pub async fn resume(
    store: &Store,
    factory: &dyn Factory,
    ctx: &LoginContext,
    purpose: &Purpose,
    state: &Value,
    answer: &str,
) -> Result<Progress, LoginError> {
    let step = factory.continue_login(ctx, state, answer).await?;
    advance(store, factory, purpose, step).await
}

async fn advance(
    store: &Store,
    factory: &dyn Factory,
    purpose: &Purpose,
    step: LoginStep,
) -> Result<Progress, LoginError> {
    match step {
        LoginStep::Ask(question) => Ok(Progress::Ask(question)),
        LoginStep::Done(done) => Ok(Progress::Done(Box::new(match purpose {
            Purpose::New { name } => store_login(store, factory, name.clone(), *done).await?,
            Purpose::Again(account) => store_relogin(store, factory, account, *done).await?,
        }))),
    }
}

/// Runs a login on `factory` with `input`. `ask` answers a question the login asks in the
/// middle (the CLI prints it and reads a line); `note` shows what the factory wants said.
pub async fn login(
    store: &Store,
    factory: &dyn Factory,
    ctx: &LoginContext,
    name: Option<String>,
    input: &LoginInput,
    mut note: impl FnMut(&str),
    mut ask: impl FnMut(&LoginQuestion) -> Result<String, LoginError>,
) -> Result<LoginOutcome, LoginError> {
    let purpose = Purpose::New { name };
    let mut progress = begin(store, factory, ctx, &purpose, input).await?;
    loop {
        match progress {
            Progress::Done(outcome) => {
                outcome.notes.iter().for_each(|n| note(n));
                return Ok(*outcome);
            }
            Progress::Ask(question) => {
                question.notes.iter().for_each(|n| note(n));
                let answer = ask(&question)?;
                progress = resume(store, factory, ctx, &purpose, &question.state, &answer).await?;
            }
        }
    }
}

/// [`login`] where nobody can answer a question (scripts, tests): a login that asks one fails
/// with the question, and what it would say is dropped.
pub async fn login_unattended(
    store: &Store,
    factory: &dyn Factory,
    ctx: &LoginContext,
    name: Option<String>,
    input: &LoginInput,
) -> Result<LoginOutcome, LoginError> {
    login(
        store,
        factory,
        ctx,
        name,
        input,
        |_| {},
        |question| {
            Err(LoginError::Invalid(format!(
                "{}: this login needs an answer ({}); give --{} up front",
                factory.kind(),
                question.prompt,
                question.answer.id
            )))
        },
    )
    .await
}

/// Stores a verified login of `account` logging in again: its new credentials, its sources
/// kept. A login as someone else changes nothing and says so.
pub async fn store_relogin(
    store: &Store,
    factory: &dyn Factory,
    account: &AccountRecord,
    done: LoggedIn,
) -> Result<LoginOutcome, LoginError> {
    if account.kind != factory.kind() || account.identity != done.identity {
        let who = done.handle.as_deref().unwrap_or(&done.default_name);
        let expected = account.handle.as_deref().unwrap_or(&account.name);
        return Err(LoginError::Invalid(format!(
            "{}: that login is {who}, not {expected}; nothing was changed. Log in as {expected} \
             to renew this account, or add {who} as a new one",
            factory.kind()
        )));
    }
    store_login(store, factory, None, done).await
}

/// Stores a verified login: a new account with its sources, or new credentials for the
/// account Braid already has with that identity.
pub async fn store_login(
    store: &Store,
    factory: &dyn Factory,
    name: Option<String>,
    done: LoggedIn,
) -> Result<LoginOutcome, LoginError> {
    let existing = store
        .list_accounts()
        .await?
        .into_iter()
        .find(|a| a.kind == factory.kind() && a.identity == done.identity);
    if let Some(existing) = existing {
        let old = store
            .account_credentials(existing.id)
            .await?
            .unwrap_or_default();
        let credentials = factory.merge_credentials(&old, done.credentials);
        store.relogin_account(existing.id, credentials).await?;
        let account = store
            .account(existing.id)
            .await?
            .ok_or_else(|| LoginError::Invalid("the account vanished while logging in".into()))?;
        return Ok(LoginOutcome {
            account,
            detail: done.detail,
            relogin: true,
            sources: Vec::new(),
            notes: done.notes,
        });
    }
    let id = store
        .add_account(NewAccount {
            name: name.unwrap_or_else(|| done.default_name.clone()),
            kind: factory.kind().into(),
            identity: done.identity,
            handle: done.handle,
            display_name: done.display_name,
            profile_url: done.profile_url,
            server_url: done.server_url,
            credentials: done.credentials,
        })
        .await?;
    let mut sources = Vec::new();
    for spec in done.sources {
        let name = unique_name(store, &spec.name, &spec.url).await?;
        store
            .add_source(NewSource {
                name: name.clone(),
                kind: factory.kind().into(),
                url: spec.url,
                schedule: None,
                category: None,
                settings: spec.settings,
                account: Some(id),
            })
            .await?;
        sources.push(name);
    }
    let account = store.account(id).await?.ok_or_else(|| {
        LoginError::Invalid("the account vanished while it was being added".into())
    })?;
    Ok(LoginOutcome {
        account,
        detail: done.detail,
        relogin: false,
        sources,
        notes: done.notes,
    })
}
