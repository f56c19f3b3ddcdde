//! The connector registry: one line per kind turns a stored source into a live connector.
//! A new network is one new crate under `connectors/` and one arm here.

use braid_core::http::SafeClient;
use braid_core::{Connector, ConnectorError};

use crate::store::SourceRecord;

/// What every connector may be built with.
#[derive(Clone, Debug)]
pub struct ConnectorContext {
    /// The safe HTTP client (private-network blocking, body caps, timeouts).
    pub http: SafeClient,
}

/// The kinds this build knows, for help texts and errors.
pub const KINDS: &[&str] = &["feed"];

/// Builds the connector for `source`.
pub fn build(
    source: &SourceRecord,
    ctx: &ConnectorContext,
) -> Result<Box<dyn Connector>, ConnectorError> {
    match source.kind.as_str() {
        "feed" => Ok(Box::new(braid_feed::FeedSource::new(
            parse_url(&source.url)?,
            ctx.http.clone(),
        ))),
        other => Err(ConnectorError::Permanent(format!(
            "braid: unknown source kind {other:?}; this build knows {}",
            KINDS.join(", ")
        ))),
    }
}

fn parse_url(raw: &str) -> Result<url::Url, ConnectorError> {
    url::Url::parse(raw).map_err(|e| {
        ConnectorError::Permanent(format!("braid: source URL {raw:?} is not valid: {e}"))
    })
}
