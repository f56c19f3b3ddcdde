//! `braid-mastodon`: the Mastodon API family (Mastodon, Pleroma/Akkoma, Friendica, GoToSocial,
//! Firefish) as a Braid source and sink, through an account the person already has.
//!
//! The pipeline, one file per stage:
//! - [`source`]: polling a timeline ([`timeline`]: home, list, hashtag, account) with `min_id`
//!   cursors ([`cursor`], [`ids`]) and `Link` pagination, paced by the rate-limit headers,
//!   deletions found by re-fetching statuses that left the newest page;
//! - [`wire`] and [`convert`]: the API's JSON and its pure conversion into [`braid_core::Item`];
//! - [`sink`]: publishing (with `Idempotency-Key`), editing, deleting; [`media`] uploads,
//!   [`limits`] from the instance document;
//! - [`error`]: HTTP answers and megalodon failures mapped to what the scheduler should do;
//! - [`hints`]: rate-limit, `Retry-After` and `Link` headers;
//! - [`api`]: authenticated calls through the safe client;
//! - [`detect`] and [`oauth`]: logging in (which software, app registration, authorization
//!   code) and [`verify_credentials`];
//! - [`factory`]: the registry's entry: the login steps, an account's timelines as sources,
//!   connectors built from an account's [`Credentials`].
//!
//! **Every call goes through [`SafeClient`]** (Braid's private-network rules on every hop,
//! no environment proxy, body caps and timeouts; the `Link`, `X-RateLimit-*` and
//! `Idempotency-Key` headers megalodon hides or cannot send). megalodon 1.3 builds its own
//! reqwest client for each call and takes none, so it honours `HTTP_PROXY` and friends and
//! follows redirects unchecked; and its entities require fields some servers leave out. It
//! keeps what needs no network: the names of the server types ([`sns`]). The login calls it
//! made (nodeinfo detection, app registration, token exchange, `verify_credentials`) are here,
//! decoding leniently into [`wire`] types.

use braid_core::http::SafeClient;
use braid_core::{Connector, ConnectorError, Sink, Source};
use url::Url;

pub mod api;
pub mod convert;
pub mod credentials;
pub mod cursor;
pub mod detect;
pub mod error;
pub mod factory;
pub mod hints;
pub mod ids;
pub mod limits;
pub mod media;
pub mod oauth;
pub mod sink;
pub mod source;
pub mod timeline;
pub mod wire;

#[cfg(test)]
mod golden;

pub use credentials::Credentials;
pub use detect::ServerKind;
pub use factory::{MastodonFactory, FACTORY};
pub use sink::MastodonSink;
pub use source::MastodonSource;
pub use timeline::Timeline;

/// One account on one instance: a timeline to read (when configured) and a place to publish.
#[derive(Debug, Clone)]
pub struct MastodonConnector {
    source: Option<MastodonSource>,
    sink: MastodonSink,
}

impl MastodonConnector {
    /// `timeline: None` makes a publish-only connector (an account used only as a target).
    /// `backfill` is how many of the newest entries the first poll reads.
    pub fn new(
        instance: Url,
        token: String,
        timeline: Option<Timeline>,
        backfill: u32,
        client: SafeClient,
    ) -> Result<Self, ConnectorError> {
        let api = api::Api::new(instance, token, client)?;
        Ok(MastodonConnector {
            source: timeline.map(|t| MastodonSource::with_api(api.clone(), t, backfill)),
            sink: MastodonSink::with_api(api),
        })
    }
}

impl MastodonConnector {
    /// Keeps the instance's limits in `state` (the account's) between deliveries.
    pub fn with_limits_cache(mut self, state: braid_core::state::StateStore) -> Self {
        self.sink = self.sink.with_limits_cache(state);
        self
    }
}

impl Connector for MastodonConnector {
    fn kind(&self) -> &'static str {
        factory::KIND
    }

    fn source(&self) -> Option<&dyn Source> {
        self.source.as_ref().map(|s| s as &dyn Source)
    }

    fn sink(&self) -> Option<&dyn Sink> {
        Some(&self.sink)
    }
}

/// The account a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// Instance-local account id (what `account:ID` timelines take).
    pub id: String,
    /// `user@host`.
    pub acct: String,
    pub display_name: Option<String>,
    pub url: Option<String>,
}

/// Checks `token` on `instance` (`GET /api/v1/accounts/verify_credentials`) and says whose it
/// is. A refused token is `ConnectorError::Auth`. The account is decoded leniently
/// ([`wire::Account`]: an `id` and what Braid shows), since servers leave out fields
/// (`fields`, `group`, `discoverable`, `role`, …) that megalodon's `Account` requires.
pub async fn verify_credentials(
    instance: &Url,
    token: &str,
    client: &SafeClient,
) -> Result<AccountInfo, ConnectorError> {
    let api = api::Api::new(instance.clone(), token.to_owned(), client.clone())?;
    let url = api.url("api/v1/accounts/verify_credentials")?;
    let (account, _): (wire::Account, _) = api.get_json(url, error::Target::Other).await?;
    Ok(account_info(account, instance))
}

/// What Braid keeps of the account a token belongs to; `acct` made `user@host`.
fn account_info(account: wire::Account, instance: &Url) -> AccountInfo {
    let local = if account.acct.trim().is_empty() {
        account.username
    } else {
        account.acct
    };
    let acct = match instance.host_str() {
        Some(host) if !local.contains('@') => format!("{local}@{host}"),
        _ => local,
    };
    AccountInfo {
        id: account.id,
        acct,
        display_name: Some(account.display_name).filter(|n| !n.trim().is_empty()),
        url: account.url.filter(|u| !u.is_empty()),
    }
}

/// Checks a server type the person named (`mastodon`, `pleroma`, …) against megalodon's list
/// of the Mastodon API family, and returns it in its canonical spelling.
pub fn sns(server_type: &str) -> Result<megalodon::SNS, ConnectorError> {
    server_type.trim().to_ascii_lowercase().parse().map_err(|_| {
        ConnectorError::Permanent(format!(
            "mastodon: unknown server type {server_type:?}; use mastodon, pleroma, friendica, gotosocial, firefish or pixelfed"
        ))
    })
}

/// The server software behind `instance`, from its nodeinfo; unknown software that answers
/// the Mastodon API counts as `mastodon` (see [`detect`]).
pub async fn detect_server_type(
    instance: &Url,
    client: &SafeClient,
) -> Result<ServerKind, ConnectorError> {
    detect::detect(&api::normalize_instance(instance.clone())?, client).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// An account as a server that leaves out most of Mastodon's fields sends it.
    #[test]
    fn a_sparse_account_still_says_whose_token_it_is() {
        let json = r#"{"id":"7","username":"alice","acct":"alice","display_name":"","url":"https://social.example/@alice"}"#;
        let account: wire::Account = serde_json::from_str(json).unwrap();
        let instance = Url::parse("https://social.example/").unwrap();
        let info = account_info(account, &instance);
        assert_eq!(info.acct, "alice@social.example");
        assert_eq!(info.id, "7");
        assert_eq!(info.display_name, None);
        let bare: wire::Account = serde_json::from_str(r#"{"id":"8","username":"bob"}"#).unwrap();
        assert_eq!(account_info(bare, &instance).acct, "bob@social.example");
    }
}
