//! The connector registry: one arm per kind turns a stored source into a live connector.
//! A new network is one new crate under `connectors/` and one arm here.

use braid_core::http::SafeClient;
use braid_core::{AccountId, Connector, ConnectorError};

use crate::store::{SourceRecord, Store};

/// What every connector may be built with.
#[derive(Clone, Debug)]
pub struct ConnectorContext {
    /// The safe HTTP client (private-network blocking, body caps, timeouts).
    pub http: SafeClient,
}

/// The kinds this build knows, for help texts and errors.
pub const KINDS: &[&str] = &["feed", "mastodon"];

/// Statuses fetched on a Mastodon timeline's first poll when the source does not say.
pub const DEFAULT_BACKFILL: u32 = 40;

/// Builds the connector for `source`. Sources that read through an account get its token from
/// the store here, and nowhere else.
pub async fn build(
    source: &SourceRecord,
    ctx: &ConnectorContext,
    store: &Store,
) -> Result<Box<dyn Connector>, ConnectorError> {
    match source.kind.as_str() {
        "feed" => Ok(Box::new(braid_feed::FeedSource::new(
            parse_url(&source.url)?,
            ctx.http.clone(),
        ))),
        "mastodon" => build_mastodon(source, ctx, store).await,
        other => Err(ConnectorError::Permanent(format!(
            "braid: unknown source kind {other:?}; this build knows {}",
            KINDS.join(", ")
        ))),
    }
}

async fn build_mastodon(
    source: &SourceRecord,
    ctx: &ConnectorContext,
    store: &Store,
) -> Result<Box<dyn Connector>, ConnectorError> {
    let account = account_of(source).ok_or_else(|| {
        ConnectorError::Permanent(
            "mastodon: this source names no account; add it again with `braid account add`".into(),
        )
    })?;
    let store_err = |e: crate::store::StoreError| ConnectorError::Transient(e.to_string());
    let record = store
        .account(account)
        .await
        .map_err(store_err)?
        .ok_or_else(|| {
            ConnectorError::Permanent(
                "mastodon: the account this source read through was removed".into(),
            )
        })?;
    if record.needs_login {
        return Err(ConnectorError::Auth(format!(
            "mastodon: {} must log in again: `braid account add mastodon {}`",
            record.name,
            record.server_url.as_deref().unwrap_or("SERVER")
        )));
    }
    let credentials = crate::accounts::mastodon_credentials(store, &record).await?;
    let timeline = match source.settings.get("timeline").and_then(|t| t.as_str()) {
        Some(t) => Some(
            t.parse()
                .map_err(|e: String| ConnectorError::Permanent(format!("mastodon: {e}")))?,
        ),
        None => None,
    };
    let backfill = source
        .settings
        .get("backfill")
        .and_then(|b| b.as_u64())
        .and_then(|b| u32::try_from(b).ok())
        .unwrap_or(DEFAULT_BACKFILL);
    let instance = parse_url(record.server_url.as_deref().unwrap_or_default())?;
    Ok(Box::new(braid_mastodon::MastodonConnector::new(
        instance,
        credentials.token,
        timeline,
        backfill,
        ctx.http.clone(),
    )?))
}

/// The account a source reads through, if any.
pub fn account_of(source: &SourceRecord) -> Option<AccountId> {
    source.account
}

fn parse_url(raw: &str) -> Result<url::Url, ConnectorError> {
    url::Url::parse(raw).map_err(|e| {
        ConnectorError::Permanent(format!("braid: source URL {raw:?} is not valid: {e}"))
    })
}
