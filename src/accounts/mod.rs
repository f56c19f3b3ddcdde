//! Logging in to remote accounts, in one place for the CLI now and the web UI later.
//!
//! A login ends with a verified account in the store: the token is checked against the server
//! (`verify_credentials`) before it is kept, so a typo never becomes a silently failing source.

use braid_core::http::SafeClient;
use braid_core::{AccountId, ConnectorError};
use url::Url;

use crate::store::{AccountRecord, NewAccount, NewSource, Store, StoreError};

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

/// Normalizes what a person types as an instance: `example.social` → `https://example.social/`.
pub fn instance_url(raw: &str) -> Result<Url, LoginError> {
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| {
        LoginError::Invalid(format!(
            "{raw:?} is not an instance URL ({e}); give one like https://example.social"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(LoginError::Invalid(format!(
            "{raw:?} is not an http(s) instance URL"
        )));
    }
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// What the person chose for a new Mastodon-family account.
#[derive(Debug, Clone)]
pub struct MastodonLogin {
    pub instance: Url,
    /// Local name; default `user@host`.
    pub name: Option<String>,
    /// Server software; detected from nodeinfo when `None`.
    pub server_type: Option<String>,
    /// Also add the home timeline as a source.
    pub add_home: bool,
    /// First-poll bound for the home timeline.
    pub backfill: u32,
}

/// The server software: the one the person named (checked), else what nodeinfo says; unknown
/// software that answers the Mastodon API is `mastodon`, with a note saying what was found.
pub async fn server_type(
    login: &MastodonLogin,
    http: &SafeClient,
) -> Result<braid_mastodon::ServerKind, LoginError> {
    match &login.server_type {
        Some(t) => Ok(braid_mastodon::ServerKind {
            server_type: braid_mastodon::sns(t)?.to_string(),
            software: None,
            version: None,
            known: true,
        }),
        None => Ok(braid_mastodon::detect_server_type(&login.instance, http).await?),
    }
}

/// The error for an account whose stored token is missing or empty: never a request with an
/// empty token, always the command that fixes it.
pub fn missing_token(account: &AccountRecord) -> ConnectorError {
    ConnectorError::Auth(format!(
        "{}: account {} has no access token; log in again with `braid account add {} {}`",
        account.kind,
        account.name,
        account.kind,
        account.server_url.as_deref().unwrap_or("SERVER")
    ))
}

/// The account's Mastodon-family credentials, or [`missing_token`]. A store that cannot be
/// read is transient.
pub async fn mastodon_credentials(
    store: &Store,
    account: &AccountRecord,
) -> Result<braid_mastodon::Credentials, ConnectorError> {
    let stored = store
        .account_credentials(account.id)
        .await
        .map_err(|e| ConnectorError::Transient(e.to_string()))?
        .unwrap_or_default();
    braid_mastodon::Credentials::from_value(&stored).map_err(|_| missing_token(account))
}

/// Verifies `token` on the instance, stores the account, and (unless asked not to) adds its
/// home timeline as a source. Returns the stored account.
pub async fn add_mastodon_with_token(
    store: &Store,
    http: &SafeClient,
    login: &MastodonLogin,
    token: String,
    oauth_app: Option<(String, String)>,
) -> Result<AccountRecord, LoginError> {
    let server_type = server_type(login, http).await?.server_type;
    let me = braid_mastodon::verify_credentials(&login.instance, &token, http).await?;
    let host = login.instance.host_str().unwrap_or_default().to_owned();
    let acct = if me.acct.contains('@') {
        me.acct.clone()
    } else {
        format!("{}@{host}", me.acct)
    };
    let name = login.name.clone().unwrap_or_else(|| acct.clone());
    let identity = braid_mastodon::credentials::identity(&login.instance, &me.id);
    let (client_id, client_secret) = match oauth_app {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (None, None),
    };
    let mut credentials = braid_mastodon::Credentials {
        token,
        server_type: Some(server_type),
        client_id,
        client_secret,
    };
    // Logging in again to an account Braid already has replaces its credentials; a login by
    // token keeps the OAuth app registered by an earlier login.
    let existing = store
        .list_accounts()
        .await?
        .into_iter()
        .find(|a| a.kind == "mastodon" && a.identity == identity);
    if let Some(existing) = existing {
        if credentials.client_id.is_none() {
            let old = store.account_credentials(existing.id).await?;
            if let Some(old) = old.and_then(|v| braid_mastodon::Credentials::from_value(&v).ok()) {
                credentials.client_id = old.client_id;
                credentials.client_secret = old.client_secret;
            }
        }
        store
            .relogin_account(existing.id, credentials.to_value())
            .await?;
        return store
            .account(existing.id)
            .await?
            .ok_or_else(|| LoginError::Invalid("the account vanished while logging in".into()));
    }
    let id = store
        .add_account(NewAccount {
            name: name.clone(),
            kind: "mastodon".into(),
            identity,
            handle: Some(acct.clone()),
            display_name: me.display_name.clone(),
            profile_url: me.url.clone(),
            server_url: Some(login.instance.to_string()),
            credentials: credentials.to_value(),
        })
        .await?;
    if login.add_home {
        add_timeline_source(
            store,
            id,
            &login.instance,
            &acct,
            "home",
            None,
            login.backfill,
        )
        .await?;
    }
    store
        .account(id)
        .await?
        .ok_or_else(|| LoginError::Invalid("the account vanished while it was being added".into()))
}

/// Adds one of an account's timelines (`home`, `list:ID`, `tag:NAME`, `account:ID`) as a
/// source. Its URL is a readable key (`https://host/@user/timeline/home`), unique per account
/// and timeline; the connector reads the instance and token from the account.
pub async fn add_timeline_source(
    store: &Store,
    account: AccountId,
    instance: &Url,
    acct: &str,
    timeline: &str,
    name: Option<String>,
    backfill: u32,
) -> Result<braid_core::SourceId, LoginError> {
    let parsed: braid_mastodon::Timeline = timeline
        .parse()
        .map_err(|e: String| LoginError::Invalid(e))?;
    let user = acct.split('@').next().unwrap_or(acct);
    let key = format!("{}@{user}/timeline/{parsed}", instance.as_str());
    let name = name.unwrap_or_else(|| format!("{acct} {parsed}"));
    Ok(store
        .add_source(NewSource {
            name,
            kind: "mastodon".into(),
            url: key,
            schedule: None,
            category: None,
            settings: serde_json::json!({
                "timeline": parsed.to_string(),
                "backfill": backfill,
            }),
            account: Some(account),
        })
        .await?)
}
