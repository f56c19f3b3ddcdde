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
//! - [`api`]: authenticated calls through the safe client, and the guard in front of megalodon;
//! - [`oauth`]: logging in (app registration, authorization code) through megalodon.
//!
//! **megalodon or direct.** Polling, publishing, editing, deleting, media and limits call the
//! REST API directly through [`SafeClient`] (Braid's private-network rules, body caps and
//! timeouts; the `Link`, `X-RateLimit-*` and `Idempotency-Key` headers megalodon hides or cannot
//! send). megalodon serves the login-time calls where its per-server knowledge helps:
//! [`oauth`] (app registration, code exchange), [`verify_credentials`] and
//! [`detect_server_type`] (its nodeinfo detector). Those run behind
//! [`api::check_instance_for_megalodon`] (the private-network rule) and under a timeout, since
//! megalodon builds its own HTTP client and takes none.

use braid_core::http::SafeClient;
use braid_core::{Connector, ConnectorError, Sink, Source};
use url::Url;

pub mod api;
pub mod convert;
pub mod cursor;
pub mod error;
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

impl Connector for MastodonConnector {
    fn kind(&self) -> &'static str {
        "mastodon"
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

/// Checks `token` on `instance` (`GET /api/v1/accounts/verify_credentials`, through megalodon)
/// and says whose it is. A refused token is `ConnectorError::Auth`.
pub async fn verify_credentials(
    instance: &Url,
    token: &str,
    server_type: &str,
    client: &SafeClient,
) -> Result<AccountInfo, ConnectorError> {
    api::check_instance_for_megalodon(instance, client).await?;
    let config = client.config();
    let megalodon = megalodon::generator(
        sns(server_type)?,
        api::megalodon_base(instance),
        Some(token.to_owned()),
        Some(config.user_agent.clone()),
    )
    .map_err(error::from_megalodon)?;
    let resp = api::with_timeout(
        "verifying the token",
        config.timeout,
        megalodon.verify_account_credentials(),
    )
    .await?;
    let account = resp.json;
    let acct = if account.acct.contains('@') {
        account.acct
    } else {
        match instance.host_str() {
            Some(host) => format!("{}@{host}", account.acct),
            None => account.acct,
        }
    };
    Ok(AccountInfo {
        id: account.id,
        acct,
        display_name: Some(account.display_name).filter(|n| !n.trim().is_empty()),
        url: Some(account.url).filter(|u| !u.is_empty()),
    })
}

/// megalodon's backend for a server type (`mastodon`, `pleroma`, …): the software differs in
/// places megalodon knows (Friendica's and Firefish's login, Pleroma's entities).
pub fn sns(server_type: &str) -> Result<megalodon::SNS, ConnectorError> {
    server_type.trim().to_ascii_lowercase().parse().map_err(|_| {
        ConnectorError::Permanent(format!(
            "mastodon: unknown server type {server_type:?}; use mastodon, pleroma, friendica, gotosocial, firefish or pixelfed"
        ))
    })
}

/// The server software behind `instance`, from its nodeinfo (megalodon's detector):
/// `mastodon`, `pleroma` (Akkoma too), `friendica`, `firefish`, `gotosocial`, `pixelfed`.
pub async fn detect_server_type(
    instance: &Url,
    client: &SafeClient,
) -> Result<String, ConnectorError> {
    api::check_instance_for_megalodon(instance, client).await?;
    let base = api::megalodon_base(instance);
    let sns = api::with_timeout(
        "detecting the server type",
        client.config().timeout,
        megalodon::detector(&base),
    )
    .await?;
    Ok(sns.to_string())
}
