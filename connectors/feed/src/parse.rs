//! Bytes in, items out: runs feed-rs on a fetched body and converts the result. Pure and
//! synchronous (the poller runs it on a blocking thread); the ingest benchmark calls it too.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use braid_core::{ConnectorError, Item, RemoteId, SourceMeta};
use url::Url;

use crate::convert;

/// A parsed and converted feed.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    /// One item per distinct entry id, in feed order.
    pub items: Vec<Item>,
    /// The feed's title and home page (`moved_to` is never set here).
    pub meta: SourceMeta,
    /// RSS 2.0 `<ttl>`: how long the publisher says the channel may be cached.
    pub ttl: Option<Duration>,
}

/// Parses a feed body (RSS 0.9x/1.0/2.0, Atom, JSON Feed) fetched from `feed_url`.
///
/// Takes the raw bytes, never text decoded from the HTTP `charset`: an XML feed declares its own
/// encoding in its prolog (XML 1.0 §4.3.3), which feed-rs honours, and decoding first would
/// garble every feed whose header and prolog disagree. `feed_url` should be the URL the body
/// finally came from (after redirects): it is the base for relative links (RFC 3986 §5.1.3).
///
/// Never panics: feed-rs 3.0.0 can (an `itunes:duration` too long for a `u64`), so the parse
/// runs under `catch_unwind` and a crash becomes a [`ConnectorError::Transient`].
pub fn parse_feed(bytes: &[u8], feed_url: &Url) -> Result<ParsedFeed, ConnectorError> {
    guard_panics(|| parse_unguarded(bytes, feed_url))
}

/// Runs `f`, turning a panic into a transient error so one bad feed costs one poll, not a
/// worker. The panic message still goes to the panic hook (stderr) for the bug report.
pub(crate) fn guard_panics<T>(
    f: impl FnOnce() -> Result<T, ConnectorError>,
) -> Result<T, ConnectorError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_owned());
            tracing::warn!(panic = %why, "feed parser panicked");
            Err(ConnectorError::Transient(format!(
                "feed: could not parse the feed: the feed parser crashed on it ({why})"
            )))
        }
    }
}

fn parse_unguarded(bytes: &[u8], feed_url: &Url) -> Result<ParsedFeed, ConnectorError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ConnectorError::Transient(format!(
            "feed: {feed_url} returned an empty document"
        )));
    }
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        .id_generator(convert::id_from_links)
        // Braid sanitizes with its own policy (and resolves links while at it); feed-rs's
        // optional ammonia pass would only strip things twice.
        .sanitize_content(false)
        .build();
    let feed = match parser.parse(bytes) {
        Ok(feed) => feed,
        Err(e) if looks_like_html(bytes) => {
            tracing::debug!(url = %feed_url, error = %e, "HTML where a feed was expected");
            return Err(ConnectorError::Transient(not_a_feed_message(feed_url)));
        }
        Err(e) => {
            return Err(ConnectorError::Transient(format!(
                "feed: could not parse the feed: {e}"
            )))
        }
    };
    Ok(ParsedFeed {
        items: dedupe(convert::convert_feed(&feed, feed_url)),
        meta: convert::feed_meta(&feed, feed_url),
        ttl: feed
            .ttl
            .filter(|&m| m > 0)
            .map(|m| Duration::from_secs(u64::from(m) * 60)),
    })
}

/// What the owner sees when a feed URL serves a web page.
pub(crate) fn not_a_feed_message(url: &Url) -> String {
    format!(
        "feed: {url} is an HTML page, not a feed; try `braid source add` with the site URL to \
         discover its feed"
    )
}

/// True when the start of `bytes` is an HTML document rather than a feed. Only consulted after
/// feed-rs has failed, so a feed served as `text/html` is still read as a feed.
pub(crate) fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let is_feed = ["<rss", "<feed", "<rdf:rdf", "<channel"]
        .iter()
        .any(|t| head.contains(t));
    !is_feed && (head.contains("<!doctype html") || head.contains("<html"))
}

/// One item per remote id. A feed listing an entry twice (a republished post, a CMS bug) keeps
/// the copy with the newest date; on a tie the later one. The first copy's position is kept.
pub(crate) fn dedupe(items: Vec<Item>) -> Vec<Item> {
    let mut index: HashMap<RemoteId, usize> = HashMap::with_capacity(items.len());
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    for item in items {
        match index.get(&item.remote_id) {
            Some(&i) => {
                let date = |it: &Item| it.updated.or(it.published);
                if date(&item) >= date(&out[i]) {
                    out[i] = item;
                }
            }
            None => {
                index.insert(item.remote_id.clone(), out.len());
                out.push(item);
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
