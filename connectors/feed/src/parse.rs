//! Bytes in, items out: runs feed-rs on a fetched body and converts the result. Pure and
//! synchronous (the poller runs it on a blocking thread); the ingest benchmark calls it too.

use std::borrow::Cow;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use braid_core::{ConnectorError, Item, RemoteId, SourceMeta};
use url::Url;

use crate::convert;
use crate::jsonfeed;
use crate::repair::{self, EntryScan, Prepared};

/// At most this many entries are tried one by one when feed-rs refuses a whole document (see
/// [`without_bad_entries`]): each try parses the document's head and tail again.
const MAX_ENTRIES_TRIED_ALONE: usize = 500;

/// A parsed and converted feed.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    /// One item per distinct entry id, in feed order.
    pub items: Vec<Item>,
    /// The feed's title and home page (`moved_to` is never set here).
    pub meta: SourceMeta,
    /// RSS 2.0 `<ttl>`: how long the publisher says the channel may be cached.
    pub ttl: Option<Duration>,
    /// What was lost on the way, one line each starting `feed: ` (entries skipped, content that
    /// could not be read); the poller hands them to the core in `Page::warnings`.
    pub warnings: Vec<String>,
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
    let parse = |doc: &[u8]| parser(feed_url).parse(doc);
    let mut warnings = Vec::new();
    if is_json(bytes) {
        let checked = jsonfeed::check(bytes);
        let (input, warning) = match checked {
            Some(c) => (c.json.map_or(Cow::Borrowed(bytes), Cow::Owned), c.warning),
            None => (Cow::Borrowed(bytes), None),
        };
        warnings.extend(warning);
        let feed = parse(&input).map_err(|e| read_error(bytes, feed_url, &e))?;
        return Ok(finish(&feed, feed_url, None, warnings));
    }
    let mut prepared = repair::prepare(bytes);
    let input = match &prepared {
        Some(p) if p.repaired => p.text.as_bytes(),
        _ => bytes,
    };
    let feed = match parse(input) {
        Ok(feed) => feed,
        Err(e) => match prepared
            .as_mut()
            .and_then(|p| without_bad_entries(&parse, p))
        {
            Some(feed) => feed,
            None => return Err(read_error(bytes, feed_url, &e)),
        },
    };
    Ok(finish(&feed, feed_url, prepared.as_ref(), warnings))
}

/// A fresh feed-rs parser for each document: one that failed mid-entry keeps state that makes
/// its next parse panic (feed-rs 3.0.0 `MediaRssState::entry_begin` asserts on it).
fn parser(feed_url: &Url) -> feed_rs::parser::Parser {
    feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        .id_generator(convert::id_from_links)
        // Braid sanitizes with its own policy (and resolves links while at it); feed-rs's
        // optional ammonia pass would only strip things twice.
        .sanitize_content(false)
        .build()
}

/// Converts what feed-rs read and says what was lost: entries feed-rs dropped or could not
/// read, content that could not be read, a document with entries that yielded none.
fn finish(
    feed: &feed_rs::model::Feed,
    feed_url: &Url,
    prepared: Option<&Prepared>,
    mut warnings: Vec<String>,
) -> ParsedFeed {
    // The pre-pass's notes apply only when its entries and feed-rs's match one for one.
    let kept: Option<Vec<&EntryScan>> = prepared
        .map(|p| p.kept().collect::<Vec<_>>())
        .filter(|k| k.len() == feed.entries.len());
    let (items, unread) = convert::convert_feed(feed, feed_url, kept.as_deref());
    let total = prepared.map_or(feed.entries.len(), |p| p.entries.len());
    let skipped: Vec<(usize, String)> = prepared
        .into_iter()
        .flat_map(|p| &p.entries)
        .filter_map(|e| Some((e.index, e.dropped.clone()?)))
        .collect();
    if kept.is_none() && feed.entries.len() < total {
        tracing::debug!(url = %feed_url, "pre-pass and feed-rs disagree on the entries");
        warnings.push(format!(
            "feed: {} of {total} entries could not be read",
            total - feed.entries.len()
        ));
    } else {
        warnings.extend(summarize(total, &skipped, &unread));
    }
    if items.is_empty() && total > 0 && warnings.is_empty() {
        warnings.push(format!(
            "feed: the document holds {total} entries but none could be read"
        ));
    }
    ParsedFeed {
        items: dedupe(items),
        meta: convert::feed_meta(feed, feed_url),
        ttl: feed
            .ttl
            .filter(|&m| m > 0)
            .map(|m| Duration::from_secs(u64::from(m) * 60)),
        warnings,
    }
}

/// One line for the owner: how many entries were skipped or lost their content, and the
/// first few reasons.
fn summarize(
    total: usize,
    skipped: &[(usize, String)],
    unread: &[(usize, String)],
) -> Option<String> {
    let head = match (skipped.len(), unread.len()) {
        (0, 0) => return None,
        (s, 0) => format!("{s} of {total} entries skipped"),
        (0, u) => format!("{u} of {total} entries with content that could not be read"),
        (s, u) => {
            format!("{s} of {total} entries skipped and {u} with content that could not be read")
        }
    };
    let mut all: Vec<&(usize, String)> = skipped.iter().chain(unread).collect();
    all.sort_by_key(|(n, _)| *n);
    let mut details: Vec<String> = all
        .iter()
        .take(3)
        .map(|(n, why)| format!("entry {n} {why}"))
        .collect();
    if all.len() > 3 {
        details.push(format!("and {} more", all.len() - 3));
    }
    Some(format!("feed: {head}: {}", details.join("; ")))
}

/// When feed-rs refuses a whole document, tries each entry alone (in the document's head and
/// tail) and reads the document again without those it refuses, so one entry feed-rs cannot
/// read costs that entry, not the feed. `None` when that does not help: the fault is outside
/// the entries, or there are too many to try.
fn without_bad_entries(
    parse: &dyn Fn(&[u8]) -> feed_rs::parser::ParseFeedResult<feed_rs::model::Feed>,
    p: &mut Prepared,
) -> Option<feed_rs::model::Feed> {
    if p.entries.is_empty() || p.entries.len() > MAX_ENTRIES_TRIED_ALONE {
        return None;
    }
    p.settle();
    let mut bad = Vec::new();
    for e in p.kept() {
        let alone = p.with_entries(|x| x.index == e.index)?;
        if let Err(err) = parse(alone.as_bytes()) {
            bad.push((e.index, format!("could not be read ({err})")));
        }
    }
    if bad.is_empty() {
        return None;
    }
    for (index, why) in bad {
        p.drop_entry(index, why);
    }
    let rest = p.with_entries(|x| x.dropped.is_none())?;
    parse(rest.as_bytes()).ok()
}

fn read_error(bytes: &[u8], feed_url: &Url, e: &feed_rs::parser::ParseFeedError) -> ConnectorError {
    if looks_like_html(bytes) {
        tracing::debug!(url = %feed_url, error = %e, "HTML where a feed was expected");
        return ConnectorError::Transient(not_a_feed_message(feed_url));
    }
    ConnectorError::Transient(format!("feed: could not parse the feed: {e}"))
}

/// feed-rs reads a document as JSON Feed when its first `<` or `{` is a `{`.
fn is_json(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| matches!(b, b'<' | b'{')) == Some(&b'{')
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
