//! The query parameters the timeline page, the feeds and the API share: `before` (a keyset
//! page key), `source` (a source id, or its exact name), `q` (full-text search), `network` (a
//! connector kind), `channel` (a channel's name), `media=1` (items with files), `after` (an
//! item id: what arrived since) and, for the API, `limit`.
//!
//! Parameters arrive as raw pairs (`warp::query::<Vec<(String, String)>>()` never rejects), so
//! every mistake gets our own 400 with a sentence saying what was wrong, not warp's generic
//! "Invalid query string".

use braid_core::SourceId;
use warp::Filter;

use super::{WebContext, WebError};
use crate::store::{ChannelRecord, PageKey, SourceRecord, TimelineQuery};

/// The raw `?a=b&c=d` pairs of a request, decoded.
pub type RawQuery = Vec<(String, String)>;

/// Longest search accepted; FTS5 queries are cheap, but a megabyte of terms is not a search.
const MAX_SEARCH_CHARS: usize = 500;
/// Largest `limit` the API serves in one page.
pub const MAX_LIMIT: usize = 200;

/// Extracts the raw query pairs; an absent query string is an empty list.
pub fn raw() -> impl Filter<Extract = (RawQuery,), Error = std::convert::Infallible> + Clone {
    warp::query::<RawQuery>()
        .or_else(|_| async { Ok::<_, std::convert::Infallible>((Vec::new(),)) })
}

/// Validated list parameters.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub before: Option<PageKey>,
    /// The source to filter on, looked up so pages can show its name.
    pub source: Option<SourceRecord>,
    /// The trimmed search, `None` when empty.
    pub search: Option<String>,
    /// Requested page size (API only); `None` leaves the route's default.
    pub limit: Option<usize>,
    /// Only this network (a connector kind with sources).
    pub network: Option<String>,
    /// Only this channel, looked up so pages can show its name.
    pub channel: Option<ChannelRecord>,
    /// Only items with files.
    pub has_media: bool,
    /// Only items stored after this item id.
    pub after: Option<i64>,
}

impl ListParams {
    /// Checks every parameter; a bad one is a 400 with a clear message. Unknown parameters are
    /// ignored (feed readers and browsers add their own).
    pub async fn parse(ctx: &WebContext, raw: &RawQuery) -> Result<ListParams, WebError> {
        let mut params = ListParams::default();
        for (key, value) in raw {
            let value = value.trim();
            match key.as_str() {
                // An empty value is what an empty form field submits: treat it as absent.
                _ if value.is_empty() => {}
                "before" => {
                    params.before = Some(PageKey::decode(value).ok_or_else(|| {
                        WebError::BadRequest(format!(
                            "the `before` parameter {value:?} is not a page key; use the \"Older\" link or the `next` value from /api/timeline"
                        ))
                    })?);
                }
                "source" => params.source = Some(find_source(ctx, value).await?),
                "network" => {
                    if !ctx.store.source_kinds().await?.iter().any(|k| k == value) {
                        return Err(WebError::BadRequest(format!(
                            "there are no sources of the network {value:?}"
                        )));
                    }
                    params.network = Some(value.to_owned());
                }
                "channel" => {
                    let channel = ctx.store.channel(value.to_owned()).await?;
                    params.channel = Some(channel.ok_or_else(|| {
                        WebError::BadRequest(format!("there is no channel {value:?}"))
                    })?);
                }
                "media" => {
                    params.has_media = match value {
                        "1" | "true" | "on" | "yes" => true,
                        "0" | "false" | "off" | "no" => false,
                        _ => {
                            return Err(WebError::BadRequest(format!(
                                "the `media` parameter {value:?} must be 1 or 0"
                            )))
                        }
                    }
                }
                "after" => {
                    params.after = Some(value.parse::<i64>().map_err(|_| {
                        WebError::BadRequest(format!(
                            "the `after` parameter {value:?} is not an item id"
                        ))
                    })?);
                }
                "q" => {
                    if value.chars().count() > MAX_SEARCH_CHARS {
                        return Err(WebError::BadRequest(format!(
                            "the search is longer than {MAX_SEARCH_CHARS} characters"
                        )));
                    }
                    params.search = Some(value.to_owned());
                }
                "limit" => {
                    let limit = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            WebError::BadRequest(format!(
                                "the `limit` parameter {value:?} must be a number from 1 to {MAX_LIMIT}"
                            ))
                        })?;
                    params.limit = Some(limit);
                }
                _ => {}
            }
        }
        Ok(params)
    }

    /// The store query for one page of `limit` items.
    pub fn timeline_query(&self, default_limit: usize) -> TimelineQuery {
        TimelineQuery {
            before: self.before,
            limit: self.limit.unwrap_or(default_limit),
            source: self.source.as_ref().map(|s| s.id),
            search: self.search.clone(),
            network: self.network.clone(),
            channel: self.channel.as_ref().map(|c| c.id),
            has_media: self.has_media,
            after_id: self.after.map(braid_core::ItemId),
            // The owner's views: everything.
            listed_only: false,
        }
    }

    /// Whether any filter narrows the timeline (search included).
    pub fn is_filtered(&self) -> bool {
        self.source.is_some()
            || self.search.is_some()
            || self.network.is_some()
            || self.channel.is_some()
            || self.has_media
    }

    /// `source=…&q=…` (the filters, without `before`), URL-encoded, possibly empty. Used to
    /// build "Older" links and feed links that keep the current filter.
    pub fn filter_query(&self) -> String {
        self.query_with(None)
    }

    /// The filters plus `before=<key>`: the link to the page after `key`.
    pub fn query_with(&self, before: Option<&PageKey>) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Some(source) = &self.source {
            out.append_pair("source", &source.id.to_string());
        }
        if let Some(q) = &self.search {
            out.append_pair("q", q);
        }
        if let Some(network) = &self.network {
            out.append_pair("network", network);
        }
        if let Some(channel) = &self.channel {
            out.append_pair("channel", &channel.name);
        }
        if self.has_media {
            out.append_pair("media", "1");
        }
        if let Some(limit) = self.limit {
            out.append_pair("limit", &limit.to_string());
        }
        if let Some(key) = before {
            out.append_pair("before", &key.encode());
        }
        out.finish()
    }
}

/// `?source=` takes a numeric id (what links use) or a source's exact name or URL (what a
/// person types). Either way the source must exist: filtering on a typo would silently show
/// an empty timeline.
async fn find_source(ctx: &WebContext, value: &str) -> Result<SourceRecord, WebError> {
    let found = match value.parse::<i64>() {
        Ok(id) => ctx.store.source(SourceId(id)).await?,
        Err(_) => ctx.store.find_source(value).await?,
    };
    found.ok_or_else(|| WebError::BadRequest(format!("there is no source {value:?}")))
}

/// `path?query`, or just `path` when the query is empty.
pub fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}
