//! Logging in to remote accounts, in one place for the CLI now and the web UI later, for every
//! network alike: the network's factory runs the steps (a token, an OAuth code…) and ends with
//! a verified login; this module stores it.
//!
//! A login ends with a verified account in the store: the factory checks the credentials
//! against the server before they are kept, so a typo never becomes a silently failing source.
//! The same account logging in again (same kind and identity) updates its credentials instead
//! of adding a second account.

use braid_core::factory::{LoggedIn, LoginInput, LoginQuestion, LoginStep};
use braid_core::{ConnectorError, Factory, LoginContext};

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
    let mut step = factory.begin_login(ctx, input).await?;
    let done = loop {
        match step {
            LoginStep::Done(done) => break done,
            LoginStep::Ask(question) => {
                question.notes.iter().for_each(|n| note(n));
                let answer = ask(&question)?;
                step = factory
                    .continue_login(ctx, &question.state, &answer)
                    .await?;
            }
        }
    };
    done.notes.iter().for_each(|n| note(n));
    store_login(store, factory, name, *done).await
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
    })
}
