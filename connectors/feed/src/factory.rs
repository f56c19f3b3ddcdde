//! The feed network's factory: a source is a URL (a feed, or a page that links to one), there
//! are no accounts, and nothing is published.

use std::sync::Arc;

use async_trait::async_trait;
use braid_core::factory::{
    BuildContext, Factory, LoginContext, NewSourceSpec, SourceChoice, SourceView,
};
use braid_core::{AccountView, Connector, ConnectorError};
use url::Url;

use crate::discover::advertised;
use crate::{discover, FeedSource};

/// The registry's entry for feeds.
pub static FACTORY: FeedFactory = FeedFactory;

/// See the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct FeedFactory;

/// The kind stored in source rows.
pub const KIND: &str = "feed";

#[async_trait]
impl Factory for FeedFactory {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn display_name(&self) -> &'static str {
        "RSS, Atom and JSON Feed"
    }

    fn short_name(&self) -> &'static str {
        "Feed"
    }

    fn about(&self) -> &'static str {
        "a feed, subscribed to by its URL or the URL of a page that links to it"
    }

    fn subscribes_by_url(&self) -> bool {
        true
    }

    /// Finds the feed at `url` or on the page there (see [`discover`]).
    async fn subscribe(
        &self,
        ctx: &LoginContext,
        url: &Url,
    ) -> Result<NewSourceSpec, ConnectorError> {
        let found = discover(&ctx.http, url).await?;
        let feed_url = found.feed_url.to_string();
        Ok(NewSourceSpec {
            name: found.title.unwrap_or_default(),
            found_from: (feed_url != url.as_str()).then(|| url.to_string()),
            url: feed_url,
            settings: serde_json::json!({}),
        })
    }

    /// The feeds a page advertises, when it advertises more than one.
    async fn choices(
        &self,
        ctx: &LoginContext,
        url: &Url,
    ) -> Result<Vec<SourceChoice>, ConnectorError> {
        let links = advertised(&ctx.http, url).await?;
        if links.len() < 2 {
            return Ok(Vec::new());
        }
        Ok(links
            .into_iter()
            .map(|l| SourceChoice {
                url: l.url,
                title: l.title,
                kind: crate::discover::format_name(&l.media_type)
                    .map(str::to_owned)
                    .or_else(|| Some(l.media_type).filter(|t| !t.is_empty())),
            })
            .collect())
    }

    async fn connector(
        &self,
        ctx: &BuildContext,
        source: &SourceView,
        _account: Option<&AccountView>,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let url = Url::parse(&source.url).map_err(|e| {
            ConnectorError::Permanent(format!(
                "feed: source URL {:?} is not valid: {e}",
                source.url
            ))
        })?;
        Ok(Arc::new(FeedSource::new(url, ctx.http.clone())))
    }
}
