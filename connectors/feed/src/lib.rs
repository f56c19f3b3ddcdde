//! `braid-feed`: RSS 0.9x/1.0/2.0, Atom (RFC 4287) and JSON Feed 1.0/1.1 as a Braid source.
//!
//! The pipeline, one file per stage:
//! - [`FeedSource::poll`] (here): a conditional GET through the safe client and the HTTP status
//!   mapped to what the scheduler should do;
//! - [`parse`]: feed-rs on the raw bytes, on a blocking thread, with its panics caught; a
//!   tolerant pre-pass (`repair`, `jsonfeed`) first makes readable what feed-rs refuses and
//!   notes what it drops, and what is still lost becomes the page's warnings;
//! - [`convert`]: feed-rs's model into [`braid_core::Item`], links resolved and HTML sanitized;
//! - [`hints`]: when to poll next (`<ttl>`, `Cache-Control`, `Expires`, `Retry-After`) and the
//!   `ETag`/`Last-Modified` cursor;
//! - [`discover`]: from a site's home page to its feed (`braid source add https://site/`);
//! - [`factory`]: the registry's entry: sources by URL, no accounts.

use async_trait::async_trait;
use braid_core::http::{Response, SafeClient};
use braid_core::{Connector, ConnectorError, Cursor, Page, Source};
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use reqwest::StatusCode;
use url::Url;

pub mod convert;
mod dates;
pub mod discover;
pub mod factory;
pub mod hints;
mod jsonfeed;
pub mod parse;
mod repair;
mod text;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod live_tests;
#[cfg(test)]
mod tolerant_tests;

pub use discover::{discover, find_feed_links, Discovered, FeedLink};
pub use factory::{FeedFactory, FACTORY};
pub use hints::FeedCursor;
pub use parse::{parse_feed, ParsedFeed};

/// The `Accept` header of a feed request (RFC 9110 §12.5.1): the feed types first, generic XML
/// and JSON after (many servers label feeds `text/xml`), anything last so a server that ignores
/// the header still answers.
pub const FEED_ACCEPT: &str = "application/atom+xml, application/rss+xml, \
     application/feed+json, application/rdf+xml;q=0.9, application/xml;q=0.8, \
     text/xml;q=0.8, application/json;q=0.7, */*;q=0.1";

/// One subscribed feed.
#[derive(Debug, Clone)]
pub struct FeedSource {
    url: Url,
    client: SafeClient,
}

impl FeedSource {
    /// A source polling `url` through `client` (which enforces Braid's network policy).
    pub fn new(url: Url, client: SafeClient) -> Self {
        FeedSource { url, client }
    }

    /// The feed's URL as configured.
    pub fn url(&self) -> &Url {
        &self.url
    }
}

impl Connector for FeedSource {
    fn kind(&self) -> &'static str {
        factory::KIND
    }

    fn source(&self) -> Option<&dyn Source> {
        Some(self)
    }
}

#[async_trait]
impl Source for FeedSource {
    /// One conditional GET. The cursor holds the last `ETag` and `Last-Modified`
    /// ([`FeedCursor`]); a `304 Not Modified` (RFC 9110 §15.4.5) returns
    /// `Page { not_modified: true }` without parsing anything.
    async fn poll(&self, cursor: &Cursor) -> Result<Page, ConnectorError> {
        let validators = FeedCursor::from_cursor(cursor);
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(FEED_ACCEPT));
        // RFC 9110 §13.1.2-3: send both; a server that understands If-None-Match ignores
        // If-Modified-Since.
        if let Some(v) = validators.etag.as_deref().and_then(header_value) {
            headers.insert(IF_NONE_MATCH, v);
        }
        if let Some(v) = validators.last_modified.as_deref().and_then(header_value) {
            headers.insert(IF_MODIFIED_SINCE, v);
        }
        let resp = self
            .client
            .get(&self.url, headers)
            .await
            .map_err(|e| ConnectorError::from_http("feed", e))?;
        let now = Utc::now();
        if let Some(err) = status_error(&resp, now) {
            return Err(err);
        }
        let mut page = if resp.status == StatusCode::NOT_MODIFIED {
            not_modified_page(&resp, &validators, now)
        } else {
            parsed_page(&resp, now).await?
        };
        page.meta.moved_to = resp.permanent_redirect.as_ref().map(Url::to_string);
        tracing::debug!(url = %self.url, items = page.items.len(), not_modified = page.not_modified, "feed polled");
        Ok(page)
    }
}

fn header_value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

/// RFC 9111 §4.3.4: a 304 can update the stored validators and freshness; when it carries no
/// validators the cursor is left as it was (`next_cursor: None`).
fn not_modified_page(resp: &Response, old: &FeedCursor, now: DateTime<Utc>) -> Page {
    let fresh = FeedCursor::from_headers(&resp.headers);
    let next_cursor = (!fresh.is_empty()).then(|| {
        FeedCursor {
            etag: fresh.etag.or_else(|| old.etag.clone()),
            last_modified: fresh.last_modified.or_else(|| old.last_modified.clone()),
        }
        .to_cursor()
    });
    Page {
        not_modified: true,
        next_cursor,
        hints: hints::poll_hints(&resp.headers, None, now),
        ..Page::default()
    }
}

/// Parses a 2xx body on a blocking thread: a multi-megabyte feed takes a while to parse and
/// sanitize, and must not hold up the async workers other polls are running on.
async fn parsed_page(resp: &Response, now: DateTime<Utc>) -> Result<Page, ConnectorError> {
    let body = resp.body.clone();
    let base = resp.url.clone();
    let parsed = tokio::task::spawn_blocking(move || parse_feed(&body, &base))
        .await
        .map_err(|e| ConnectorError::Transient(format!("feed: the parse task failed: {e}")))??;
    Ok(Page {
        items: parsed.items,
        next_cursor: Some(FeedCursor::from_headers(&resp.headers).to_cursor()),
        hints: hints::poll_hints(&resp.headers, parsed.ttl, now),
        meta: parsed.meta,
        warnings: parsed.warnings,
        ..Page::default()
    })
}

/// Maps a response status that is neither 2xx nor 304 to what the scheduler should do
/// (RFC 9110 §15). `None` means go on and read the body.
pub(crate) fn status_error(resp: &Response, now: DateTime<Utc>) -> Option<ConnectorError> {
    let status = resp.status;
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        return None;
    }
    let url = &resp.url;
    let code = status_label(status);
    Some(match status {
        // §15.5.11: gone for good, and the server says so.
        StatusCode::GONE => ConnectorError::Permanent(
            "feed: the server says this feed is gone (HTTP 410)".to_owned(),
        ),
        // RFC 6585 §4 and RFC 9110 §15.6.4, with Retry-After (§10.2.3) when given.
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            ConnectorError::RateLimited {
                retry_after: hints::retry_after(&resp.headers, now),
                message: format!("feed: {url} asks us to slow down ({code})"),
            }
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ConnectorError::Auth(format!("feed: {url} refused access ({code})"))
        }
        StatusCode::NOT_FOUND => {
            ConnectorError::Transient(format!("feed: {url} was not found ({code})"))
        }
        _ => ConnectorError::Transient(format!("feed: {url} answered {code}")),
    })
}

fn status_label(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use bytes::Bytes;

    fn response(status: u16, headers: &[(&'static str, &str)]) -> Response {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            url: Url::parse("https://blog.example/feed.xml").unwrap(),
            headers: map,
            body: Bytes::new(),
            permanent_redirect: None,
        }
    }

    #[test]
    fn statuses_map_to_what_the_scheduler_does() {
        let now = Utc::now();
        assert!(status_error(&response(200, &[]), now).is_none());
        assert!(status_error(&response(304, &[]), now).is_none());
        let gone = status_error(&response(410, &[]), now).unwrap();
        assert_eq!(gone.kind(), "permanent");
        assert_eq!(
            gone.to_string(),
            "feed: the server says this feed is gone (HTTP 410)"
        );
        for code in [429, 503] {
            match status_error(&response(code, &[("retry-after", "90")]), now) {
                Some(ConnectorError::RateLimited { retry_after, .. }) => {
                    assert_eq!(retry_after, Some(std::time::Duration::from_secs(90)))
                }
                other => panic!("{code}: {other:?}"),
            }
        }
        assert_eq!(
            status_error(&response(401, &[]), now).unwrap().kind(),
            "auth"
        );
        assert_eq!(
            status_error(&response(403, &[]), now).unwrap().kind(),
            "auth"
        );
        let e = status_error(&response(500, &[]), now).unwrap();
        assert_eq!(e.kind(), "transient");
        assert!(e.to_string().contains("HTTP 500"), "{e}");
        assert!(status_error(&response(404, &[]), now)
            .unwrap()
            .to_string()
            .contains("HTTP 404"));
    }

    #[test]
    fn not_modified_keeps_or_updates_the_cursor() {
        let old = FeedCursor {
            etag: Some("\"a\"".into()),
            last_modified: Some("Wed, 01 May 2024 10:00:00 GMT".into()),
        };
        let page = not_modified_page(&response(304, &[]), &old, Utc::now());
        assert!(page.not_modified && page.items.is_empty());
        assert_eq!(page.next_cursor, None);
        let page = not_modified_page(&response(304, &[("etag", "\"b\"")]), &old, Utc::now());
        let next = FeedCursor::from_cursor(&page.next_cursor.unwrap());
        assert_eq!(next.etag.as_deref(), Some("\"b\""));
        assert_eq!(next.last_modified, old.last_modified);
    }

    #[test]
    fn feed_source_is_a_feed_connector() {
        let client = SafeClient::new(Default::default()).unwrap();
        let src = FeedSource::new(Url::parse("https://blog.example/feed").unwrap(), client);
        assert_eq!(src.kind(), "feed");
        assert!(src.source().is_some() && src.sink().is_none());
    }
}
