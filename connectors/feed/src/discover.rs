//! Feed discovery: from a web page to the feed it advertises, so `braid source add` works with
//! the address people know (`https://site.example/`) rather than the feed's.
//!
//! A page advertises feeds with `<link rel="alternate" type="application/rss+xml" href=…>`
//! (RSS Autodiscovery, rssboard.org/rss-autodiscovery; the same for Atom, RFC 4287 §7.1's
//! media type, and JSON Feed 1.1 "Discovery"). The page is read with html5ever's tokenizer — the
//! WHATWG tokenization algorithm, so comments, `<script>` bodies, odd quoting and entity-encoded
//! `&amp;` in hrefs come out as a browser sees them — without building a tree we do not need.

use std::cell::RefCell;

use braid_core::http::SafeClient;
use braid_core::ConnectorError;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    states::RawKind, BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer,
    TokenizerOpts,
};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use url::Url;

use crate::parse::{looks_like_html, parse_feed};
use crate::{status_error, FEED_ACCEPT};

/// At most this many advertised feeds are fetched before giving up on a page.
const MAX_CANDIDATES: usize = 4;

/// A feed a page links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// Absolute URL of the feed.
    pub url: Url,
    /// The declared media type, lower-cased, parameters dropped.
    pub media_type: String,
    /// The link's `title` attribute ("Comments for …", "Atom").
    pub title: Option<String>,
}

/// The feed found for a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The feed's URL: the one to subscribe to.
    pub feed_url: Url,
    /// The feed's own title, else the page link's title.
    pub title: Option<String>,
    /// The feed's home page, when it names one.
    pub site_url: Option<String>,
}

/// The feed links `html` advertises, best first: the feed types in the order Atom, RSS, JSON
/// Feed, generic JSON; comments feeds after the others; document order within each. Hrefs are
/// resolved against `<base href>` if the page has one, else `page_url`; non-http(s) dropped.
pub fn find_feed_links(html: &[u8], page_url: &Url) -> Vec<FeedLink> {
    let sink = LinkSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(&String::from_utf8_lossy(html)));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let sink = tokenizer.sink;
    let base = sink
        .base
        .borrow()
        .as_deref()
        .and_then(|b| page_url.join(b.trim()).ok())
        .unwrap_or_else(|| page_url.clone());

    let mut links: Vec<(usize, FeedLink)> = Vec::new();
    for attrs in sink.links.borrow().iter() {
        let get = |name: &str| attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
        let is_alternate = get("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("alternate"))
        });
        let media_type = get("type")
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let Some(rank) = type_rank(&media_type) else {
            continue;
        };
        let Some(url) = get("href").and_then(|h| base.join(h).ok()) else {
            continue;
        };
        if !is_alternate || !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        if links.iter().any(|(_, l)| l.url == url) {
            continue;
        }
        let title = get("title").filter(|t| !t.is_empty()).map(str::to_owned);
        let comments = title
            .as_deref()
            .is_some_and(|t| t.to_lowercase().contains("comment"));
        links.push((
            usize::from(comments) * 10 + rank,
            FeedLink {
                url,
                media_type,
                title,
            },
        ));
    }
    links.sort_by_key(|(rank, _)| *rank); // stable: document order within a rank
    links.into_iter().map(|(_, l)| l).collect()
}

fn type_rank(media_type: &str) -> Option<usize> {
    Some(match media_type {
        "application/atom+xml" => 0,
        "application/rss+xml" | "application/rdf+xml" => 1,
        "application/feed+json" => 2,
        "application/json" => 3,
        _ => return None,
    })
}

/// The name people know an advertised feed's format by, from its declared media type (as
/// [`FeedLink::media_type`] holds it): what a choice of feeds shows beside each title.
pub fn format_name(media_type: &str) -> Option<&'static str> {
    Some(match media_type {
        "application/atom+xml" => "Atom",
        "application/rss+xml" => "RSS",
        "application/rdf+xml" => "RSS 1.0",
        "application/feed+json" | "application/json" => "JSON Feed",
        _ => return None,
    })
}

/// What a URL turned out to be: a feed, or a page and the feeds it advertises (at least one).
enum Read {
    Feed(Discovered),
    Page(Vec<FeedLink>),
}

/// Fetches `url` and tells a feed from a page that advertises feeds; anything else (a page
/// advertising none, a document that is neither) is the error `discover` reports.
async fn read(client: &SafeClient, url: &Url) -> Result<Read, ConnectorError> {
    let (final_url, body) = fetch(client, url, true).await?;
    let html = match parse_feed(&body, &final_url) {
        Ok(parsed) => {
            return Ok(Read::Feed(Discovered {
                feed_url: final_url,
                title: parsed.meta.title,
                site_url: parsed.meta.site_url,
            }))
        }
        Err(e) if !looks_like_html(&body) => return Err(e),
        Err(_) => body,
    };
    let candidates = find_feed_links(&html, &final_url);
    if candidates.is_empty() {
        return Err(ConnectorError::Permanent(format!(
            "feed: {url} is a web page that does not advertise a feed (no <link rel=\"alternate\" \
             type=\"application/rss+xml\"> or Atom/JSON Feed equivalent); give the feed's own URL"
        )));
    }
    Ok(Read::Page(candidates))
}

/// Finds the feed for `url`: the URL itself when it serves a feed, else the first feed its page
/// advertises that fetches and parses. Every fetch goes through `client`, so the network policy
/// holds for discovered URLs too.
pub async fn discover(client: &SafeClient, url: &Url) -> Result<Discovered, ConnectorError> {
    let candidates = match read(client, url).await? {
        Read::Feed(found) => return Ok(found),
        Read::Page(candidates) => candidates,
    };
    let mut errors = Vec::new();
    for link in candidates.into_iter().take(MAX_CANDIDATES) {
        let outcome = match fetch(client, &link.url, false).await {
            Ok((feed_url, body)) => parse_feed(&body, &feed_url).map(|p| (feed_url, p)),
            Err(e) => Err(e),
        };
        match outcome {
            Ok((feed_url, parsed)) => {
                return Ok(Discovered {
                    feed_url,
                    title: parsed.meta.title.or(link.title),
                    site_url: parsed.meta.site_url,
                })
            }
            Err(e) => {
                tracing::debug!(url = %link.url, error = %e, "advertised feed did not work");
                errors.push(e.to_string());
            }
        }
    }
    Err(ConnectorError::Transient(format!(
        "feed: {url} advertises feeds, but none could be read: {}",
        errors.join("; ")
    )))
}

/// The feeds the page at `url` advertises, best first (see [`find_feed_links`]); empty when
/// `url` is itself a feed. One fetch, of the page only: the feeds are read when one is chosen.
pub async fn advertised(client: &SafeClient, url: &Url) -> Result<Vec<FeedLink>, ConnectorError> {
    Ok(match read(client, url).await? {
        Read::Feed(_) => Vec::new(),
        Read::Page(links) => links,
    })
}

/// GETs `url`; returns the URL to keep (the target of a permanent redirect, else `url` itself —
/// RFC 9110 §15.4.2/§15.4.9) and the body.
async fn fetch(
    client: &SafeClient,
    url: &Url,
    page: bool,
) -> Result<(Url, bytes::Bytes), ConnectorError> {
    let mut headers = HeaderMap::new();
    let accept = if page {
        // The page itself may be a feed or HTML.
        HeaderValue::from_static(
            "application/atom+xml, application/rss+xml, application/feed+json, \
             text/html;q=0.9, application/xhtml+xml;q=0.9, application/xml;q=0.8, */*;q=0.1",
        )
    } else {
        HeaderValue::from_static(FEED_ACCEPT)
    };
    headers.insert(ACCEPT, accept);
    let resp = client
        .get(url, headers)
        .await
        .map_err(|e| ConnectorError::from_http("feed", e))?;
    if let Some(err) = status_error(&resp, chrono::Utc::now()) {
        return Err(err);
    }
    let keep = resp
        .permanent_redirect
        .clone()
        .unwrap_or_else(|| url.clone());
    Ok((keep, resp.body))
}

/// Collects the attributes of every `<link>` and the first `<base href>`.
#[derive(Default)]
struct LinkSink {
    links: RefCell<Vec<Vec<(String, String)>>>,
    base: RefCell<Option<String>>,
}

impl TokenSink for LinkSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != TagKind::StartTag {
            return TokenSinkResult::Continue;
        }
        let attrs = || {
            tag.attrs
                .iter()
                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                .collect::<Vec<_>>()
        };
        match &*tag.name {
            "link" => self.links.borrow_mut().push(attrs()),
            "base" => {
                let mut base = self.base.borrow_mut();
                if base.is_none() {
                    *base = attrs()
                        .into_iter()
                        .find(|(k, _)| k == "href")
                        .map(|(_, v)| v);
                }
            }
            // What the tree builder would tell the tokenizer (WHATWG HTML §13.2.6.4.4), so a
            // `<link>` written inside a script or a style is not mistaken for a real one.
            "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                return TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "textarea" | "title" => return TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => return TokenSinkResult::Plaintext,
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
#[path = "discover_tests.rs"]
mod tests;
