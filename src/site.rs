//! The site as a hosted connector reads it ([`braid_core::host::Site`]): the public address,
//! the owner and the published channels as streams, their items, and the sources of the
//! connector's own network. Backed by the store; every call reads it fresh, so a channel made
//! or published by another process is seen at once.

use std::sync::Arc;

use async_trait::async_trait;
use braid_core::host::{Site, Stream, StreamItem, StreamKind, StreamPage};
use braid_core::{ConnectorError, ItemId, SourceView, Visibility};

use crate::config::Config;
use crate::store::{Store, StoreError, StreamChannel, StreamRef};

/// What the config says of the site.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub base_url: url::Url,
    pub title: String,
    pub owner_name: String,
}

impl SiteInfo {
    /// The site of `config`, or `None` when it has no public address (`web.base_url`).
    pub fn of(config: &Config) -> Option<SiteInfo> {
        Some(SiteInfo {
            base_url: config.web_base_url().ok().flatten()?,
            title: config.web.title.clone(),
            owner_name: config.web.owner_name.clone(),
        })
    }
}

/// The store and config behind [`Site`], for connectors of network `kind`.
pub struct StoreSite {
    store: Store,
    base_url: url::Url,
    title: String,
    owner_name: String,
    kind: String,
}

impl StoreSite {
    /// The site for connectors of network `kind`.
    pub fn shared(store: Store, info: &SiteInfo, kind: &str) -> Arc<dyn Site> {
        Arc::new(StoreSite {
            store,
            base_url: info.base_url.clone(),
            title: info.title.clone(),
            owner_name: info.owner_name.clone(),
            kind: kind.to_owned(),
        })
    }

    /// The stream the store calls `which`: `None` for a channel that is gone, not
    /// published, or has the owner's name.
    pub async fn stream_of(
        store: &Store,
        info: &SiteInfo,
        which: StreamRef,
    ) -> Result<Option<Stream>, StoreError> {
        let site = StoreSite {
            store: store.clone(),
            base_url: info.base_url.clone(),
            title: info.title.clone(),
            owner_name: info.owner_name.clone(),
            kind: String::new(),
        };
        Ok(match which {
            StreamRef::Owner => Some(site.owner()),
            StreamRef::Channel(id) => store
                .stream_channels()
                .await?
                .into_iter()
                .find(|c| c.id == id && !c.name.eq_ignore_ascii_case(&info.owner_name))
                .map(|c| site.channel(c)),
        })
    }

    fn owner(&self) -> Stream {
        Stream {
            kind: StreamKind::Owner,
            name: self.owner_name.clone(),
            title: self.title.clone(),
            description: String::new(),
            audience: Visibility::FollowersOnly,
            approve_follows: false,
            page_url: self
                .base_url
                .join(&format!("@{}", self.owner_name))
                .map(|u| u.to_string())
                .unwrap_or_else(|_| self.base_url.to_string()),
        }
    }

    fn channel(&self, c: StreamChannel) -> Stream {
        Stream {
            kind: StreamKind::Channel,
            page_url: self.page(&c.name),
            title: c.title.unwrap_or_else(|| c.name.clone()),
            name: c.name,
            description: c.description.unwrap_or_default(),
            audience: Visibility::parse(&c.audience).unwrap_or(Visibility::Public),
            approve_follows: c.approve_follows,
        }
    }

    fn page(&self, channel: &str) -> String {
        self.base_url
            .join(&format!("channels/{channel}"))
            .map(|u| u.to_string())
            .unwrap_or_else(|_| self.base_url.to_string())
    }

    /// The store's name of the stream called `name`.
    async fn resolve(&self, name: &str) -> Result<Option<StreamRef>, ConnectorError> {
        if name.eq_ignore_ascii_case(&self.owner_name) {
            return Ok(Some(StreamRef::Owner));
        }
        Ok(self
            .store
            .stream_channels()
            .await
            .map_err(transient)?
            .into_iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| StreamRef::Channel(c.id)))
    }
}

fn transient(e: StoreError) -> ConnectorError {
    ConnectorError::Transient(e.to_string())
}

#[async_trait]
impl Site for StoreSite {
    fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    fn title(&self) -> &str {
        &self.title
    }

    async fn streams(&self) -> Result<Vec<Stream>, ConnectorError> {
        let channels = self.store.stream_channels().await.map_err(transient)?;
        let mut out = vec![self.owner()];
        for c in channels {
            // The owner's name is the owner's: a channel that has it is not a stream.
            if c.name.eq_ignore_ascii_case(&self.owner_name) {
                tracing::warn!(channel = %c.name,
                    "site: this channel has the owner's name (web.owner_name); it is not published as a stream");
                continue;
            }
            out.push(self.channel(c));
        }
        Ok(out)
    }

    async fn stream(&self, name: &str) -> Result<Option<Stream>, ConnectorError> {
        Ok(self
            .streams()
            .await?
            .into_iter()
            .find(|s| s.name.eq_ignore_ascii_case(name)))
    }

    async fn items(
        &self,
        stream: &str,
        before: Option<i64>,
        limit: usize,
    ) -> Result<StreamPage, ConnectorError> {
        let Some(which) = self.resolve(stream).await? else {
            return Ok(StreamPage::default());
        };
        let (items, total) = self
            .store
            .stream_items(which, before, limit)
            .await
            .map_err(transient)?;
        let next = (items.len() == limit)
            .then(|| items.last().map(|(i, _)| i.id.0))
            .flatten();
        Ok(StreamPage {
            items: items
                .into_iter()
                .map(|(stored, added)| StreamItem {
                    id: stored.id,
                    item: stored.item,
                    added,
                })
                .collect(),
            total,
            next,
        })
    }

    async fn item(&self, stream: &str, id: ItemId) -> Result<Option<StreamItem>, ConnectorError> {
        let Some(which) = self.resolve(stream).await? else {
            return Ok(None);
        };
        Ok(self
            .store
            .stream_item(which, id)
            .await
            .map_err(transient)?
            .map(|(stored, added)| StreamItem {
                id: stored.id,
                item: stored.item,
                added,
            }))
    }

    async fn sources(&self) -> Result<Vec<SourceView>, ConnectorError> {
        Ok(self
            .store
            .sources_of_kind(self.kind.clone())
            .await
            .map_err(transient)?
            .into_iter()
            .map(|(id, name, url, settings)| SourceView {
                id,
                name,
                url,
                settings: serde_json::from_str(&settings).unwrap_or_default(),
            })
            .collect())
    }
}
