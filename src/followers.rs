//! The followers of Braid's published streams, for the command line (`braid channel
//! followers|accept|refuse`) and the web (the channel edit page) alike: who follows a channel
//! or asked to, and the owner's answer to a request held for approval.
//!
//! The followers live with each network's hosted connector ([`braid_core::host::Publisher`]);
//! an answer is a message to the follower (an ActivityPub `Accept` or `Reject` of their
//! `Follow`), queued in the outbox like every other delivery so `braid run` sends it until it
//! lands.

use std::sync::Arc;

use braid_core::host::FollowerView;
use braid_core::{Connector, ConnectorError};

use crate::config::Config;
use crate::outbox::QueueError;
use crate::store::{Store, StoreError};

/// Each network's hosted connector, with its kind.
pub type Publishers = Vec<(&'static str, Arc<dyn Connector>)>;

/// Errors from listing or answering followers. Messages start with `followers:` where they
/// are this module's own.
#[derive(Debug, thiserror::Error)]
pub enum FollowersError {
    #[error(
        "followers: channels have followers only when Braid has a public address: set web.base_url"
    )]
    NoAddress,
    #[error("followers: no network here has followers")]
    NoNetwork,
    #[error("followers: the HTTP client could not be built: {0}")]
    Http(String),
    // Transparent: the connector's message already says what went wrong.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// One follower of a stream, with the network it follows on.
#[derive(Debug, Clone)]
pub struct Follower {
    pub kind: &'static str,
    pub view: FollowerView,
}

/// The hosted connectors that publish Braid's streams, built now from `config` (they exist
/// only when `web.base_url` is set: an actor needs an address others reach). For the command
/// line, which has no daemon's to use; the web uses the running daemon's
/// ([`crate::hosted::Hosted`]). Building one sends nothing ([`braid_core::host::Publisher::tidy`]
/// is the daemon's).
pub async fn publishers(config: &Config, store: &Store) -> Result<Publishers, FollowersError> {
    let site = crate::site::SiteInfo::of(config).ok_or(FollowersError::NoAddress)?;
    let http = braid_core::http::SafeClient::new(config.http_config())
        .map_err(|e| FollowersError::Http(e.to_string()))?;
    let ctx = crate::connectors::ConnectorContext {
        site: Some(site),
        ..crate::connectors::ConnectorContext::new(http)
    };
    let mut out = Vec::new();
    for factory in ctx.registry.factories() {
        if let Some(c) = crate::connectors::hosted(*factory, &ctx, store).await? {
            out.push((factory.kind(), c));
        }
    }
    Ok(out)
}

/// Who follows `stream` on each network, and who asked to, in the publishers' order.
pub async fn list(
    publishers: &[(&'static str, Arc<dyn Connector>)],
    stream: &str,
) -> Result<Vec<Follower>, FollowersError> {
    let mut out = Vec::new();
    for (kind, connector) in publishers {
        let Some(p) = connector.publisher() else {
            continue;
        };
        out.extend(
            p.followers(stream)
                .await?
                .into_iter()
                .map(|view| Follower { kind, view }),
        );
    }
    Ok(out)
}

/// Accepts or refuses `follower`'s request to follow `stream` on the first network that knows
/// it, and queues the answer in the outbox; returns that network's kind.
pub async fn answer(
    publishers: &[(&'static str, Arc<dyn Connector>)],
    store: &Store,
    stream: &str,
    follower: &str,
    accept: bool,
) -> Result<&'static str, FollowersError> {
    let mut last = None;
    for (kind, connector) in publishers {
        let Some(p) = connector.publisher() else {
            continue;
        };
        match p.answer(stream, follower, accept).await {
            Ok(messages) => {
                let key = crate::outbox::new_key()?;
                store
                    .queue_outgoing((*kind).to_owned(), key, messages, None)
                    .await?;
                tracing::info!(
                    kind,
                    stream,
                    follower,
                    accept,
                    "followers: request answered"
                );
                return Ok(*kind);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or(FollowersError::NoNetwork, FollowersError::Connector))
}
