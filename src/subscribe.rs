//! Adding sources, for every network alike: by URL through the network that subscribes by URL
//! (a feed, or a page that links to one), or as one of an account's timelines. The factory
//! says what the source is; this module checks for duplicates, picks a free name and stores it.

mod opml;

pub use opml::{import_outlines, Imported, Skip, Skipped};

use braid_core::factory::{NewSourceSpec, SourceChoice};
use braid_core::{ConnectorError, LoginContext, SourceId};

use crate::connectors::Registry;
use crate::store::{AccountRecord, NewSource, Store, StoreError};

/// Why a source was not added, worded for the person adding it.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    // Transparent: `{:#}` at the binary's edge would otherwise print the message twice.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("already subscribed to {url} as {name:?}")]
    Already { url: String, name: String },
    #[error("a source named {0:?} already exists; choose another with --name")]
    NameTaken(String),
}

/// A source that was added.
#[derive(Debug, Clone)]
pub struct Added {
    pub id: SourceId,
    pub name: String,
    pub url: String,
    /// The URL the person gave, when the source was found from it (a page linking a feed).
    pub found_from: Option<String>,
}

/// Where a new source goes and how it is polled, besides what its network says.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub name: Option<String>,
    pub schedule: Option<String>,
    pub category: Option<String>,
}

/// Subscribes to `url` through the network that subscribes by URL (feeds: discovery finds the
/// feed a page links to). The URL must already have passed the caller's address rules.
pub async fn by_url(
    store: &Store,
    registry: &Registry,
    ctx: &LoginContext,
    url: &url::Url,
    placement: Placement,
) -> Result<Added, SubscribeError> {
    already(store, url.as_str()).await?;
    let factory = registry.by_url()?;
    let spec = factory.subscribe(ctx, url).await?;
    add(store, factory.kind(), spec, None, placement).await
}

/// Follows an account by its handle (`@user@host`, `user@host`) or its profile's URL, through
/// the network whose sources are followed accounts: a source that the network's connector
/// follows and reads.
pub async fn follow(
    store: &Store,
    registry: &Registry,
    ctx: &LoginContext,
    target: &str,
    placement: Placement,
) -> Result<Added, SubscribeError> {
    let url = follow_target(target)?;
    let factory = registry.by_follow()?;
    let spec = factory.subscribe(ctx, &url).await?;
    add(store, factory.kind(), spec, None, placement).await
}

/// `target` as a URL: an http(s) URL as it is, a handle as `acct:user@host`.
pub fn follow_target(target: &str) -> Result<url::Url, ConnectorError> {
    let target = target.trim();
    let bad = || {
        ConnectorError::Permanent(format!(
            "{target:?} is neither a handle (@user@host) nor a profile's http(s) URL"
        ))
    };
    if target.starts_with("https://") || target.starts_with("http://") {
        return url::Url::parse(target).map_err(|_| bad());
    }
    let handle = target.trim_start_matches('@');
    let (user, host) = handle.split_once('@').ok_or_else(bad)?;
    if user.is_empty() || host.is_empty() || host.contains('@') || host.contains('/') {
        return Err(bad());
    }
    url::Url::parse(&format!("acct:{user}@{host}")).map_err(|_| bad())
}

/// The sources `url` offers when there is a choice to make (a page advertising several
/// feeds), for a front end that can ask which; empty when [`by_url`] with `url` can go ahead.
/// Checks first that `url` is not already a source, so nothing is fetched for it then.
pub async fn choices(
    store: &Store,
    registry: &Registry,
    ctx: &LoginContext,
    url: &url::Url,
) -> Result<Vec<SourceChoice>, SubscribeError> {
    already(store, url.as_str()).await?;
    Ok(registry.by_url()?.choices(ctx, url).await?)
}

/// Adds `timeline` of `account` as a source; `backfill` bounds its first poll.
pub async fn timeline(
    store: &Store,
    registry: &Registry,
    account: &AccountRecord,
    timeline: &str,
    backfill: Option<u32>,
    placement: Placement,
) -> Result<Added, SubscribeError> {
    let factory = registry.get(&account.kind)?;
    // Credentials are not needed to name a timeline; the view carries none.
    let view = braid_core::AccountView {
        id: account.id,
        name: account.name.clone(),
        kind: account.kind.clone(),
        identity: account.identity.clone(),
        handle: account.handle.clone(),
        server_url: account.server_url.clone(),
        credentials: serde_json::Value::Null,
    };
    let spec = factory.timeline_source(&view, timeline, backfill)?;
    add(store, factory.kind(), spec, Some(account.id), placement).await
}

async fn already(store: &Store, url: &str) -> Result<(), SubscribeError> {
    match store.find_source(url).await? {
        Some(existing) => Err(SubscribeError::Already {
            url: url.to_owned(),
            name: existing.name,
        }),
        None => Ok(()),
    }
}

async fn add(
    store: &Store,
    kind: &str,
    spec: NewSourceSpec,
    account: Option<braid_core::AccountId>,
    placement: Placement,
) -> Result<Added, SubscribeError> {
    already(store, &spec.url).await?;
    let name = match placement.name {
        Some(n) => n,
        None => unique_name(store, &spec.name, &spec.url).await?,
    };
    let id = store
        .add_source(NewSource {
            name: name.clone(),
            kind: kind.to_owned(),
            url: spec.url.clone(),
            schedule: placement.schedule,
            category: placement.category,
            settings: spec.settings,
            account,
        })
        .await
        .map_err(|e| match e {
            StoreError::DuplicateName(n) => SubscribeError::NameTaken(n),
            other => other.into(),
        })?;
    tracing::debug!(source_id = %id, "source added");
    Ok(Added {
        id,
        name,
        url: spec.url,
        found_from: spec.found_from,
    })
}

/// The name a source gets before any clash: the title with its spaces tidied, else the host.
pub fn base_name(title: &str, url: &str) -> String {
    if title.trim().is_empty() {
        url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| url.to_owned())
    } else {
        title.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// A name not yet taken: the title, else the host, with " (2)", " (3)" … when needed.
pub async fn unique_name(store: &Store, title: &str, url: &str) -> Result<String, StoreError> {
    let base = base_name(title, url);
    let mut candidate = base.clone();
    let mut n = 2;
    while store.find_source(&candidate).await?.is_some() {
        candidate = format!("{base} ({n})");
        n += 1;
    }
    Ok(candidate)
}
