//! Pure conversion of feed-rs's model into Braid's [`Item`]. No I/O here: everything is tested
//! on captured feeds (see `testdata/`). The field mapping is the table in
//! `braid_core::model`; the notes below say how each format's quirks are handled.
//!
//! - **Text constructs.** Atom (RFC 4287 §3.1) says `type="text"` is plain text, so it is
//!   escaped; `html` and `xhtml` are markup. RSS 2.0's `<description>` is entity-encoded HTML by
//!   the spec. RSS 0.9x and RSS 1.0 call it plain text, but publishers put HTML in it all the
//!   time and feed-rs reports it as `text/plain`, so for those two it is read as HTML — safe,
//!   because every HTML field is sanitized here and again by ingest.
//! - **Relative URLs** are resolved against the entry's `xml:base`, else the feed's URL: feed-rs
//!   does this for XML links (the parser's `base_uri`), JSON Feed links are done here, and links
//!   inside content are rewritten by [`clean_html_with_base`].
//! - **Ids**: the entry's own id, else its link (given to feed-rs as its `id_generator`), else a
//!   hash of what the entry says (see [`content_hash_id`]) — never feed-rs's random UUID.
//! - **What feed-rs drops** comes from the pre-pass ([`crate::repair::EntryScan`]): `dc:title`
//!   when there is no title, Dublin Core and Atom 0.3 dates when there are no others, HTML
//!   written unescaped into a description. It is applied *after* the hash, whose inputs stay
//!   what feed-rs reads, so an entry stored before keeps its id.
//! - **Atom ids as URLs**: an Atom entry with no link whose id is an http(s) URL has that URL
//!   as its page (RFC 4287 §4.2.6 makes the id an IRI, and many generators use the permalink).

use std::collections::HashSet;

use braid_core::sanitize::{clean_html_with_base, html_to_text, SafeHtml};
use braid_core::{Attachment, Author, Item, ItemKind, RemoteId, SourceMeta, Visibility};
use feed_rs::model::{Entry, Feed, FeedType, Link, Person, Text};
use sha2::{Digest, Sha256};
use url::Url;

use crate::dates;
use crate::repair::EntryScan;
use crate::text::{content_to_html, plain_text, text_to_html, text_to_plain};

/// Prefix of ids made by hashing an entry that has neither an id nor a link.
pub const HASH_ID_PREFIX: &str = "braid:sha256:";

/// How much of the body goes into a hashed id: enough to tell entries apart, little enough that
/// a typo fixed at the end of a long post does not make it a new item.
const HASH_BODY_PREFIX_CHARS: usize = 500;

/// The `id_generator` given to feed-rs for entries without an id: the entry's own page (its
/// first non-comments link), or the empty string, which [`convert_entry`] then replaces with a
/// content hash. feed-rs's default would fall back to a random UUID, a new item every poll.
pub fn id_from_links(links: &[Link], _title: &Option<Text>, _base: Option<&str>) -> String {
    entry_link(links, false)
        .map(|l| l.href.clone())
        .unwrap_or_default()
}

/// The link that is the entry's own page: `rel` absent or `alternate` (RFC 4287 §4.2.7.2), not
/// a comments link (RSS 2.0 `<comments>`) nor an enclosure.
fn entry_link(links: &[Link], json: bool) -> Option<&Link> {
    links.iter().find(|l| {
        l.target.is_none()
            && !l.href.trim().is_empty()
            && l.rel.as_deref().is_none_or(|r| r == "alternate")
            && !is_enclosure(l, json)
    })
}

/// Atom `<link rel="enclosure">` (RFC 4287 §4.2.7.2); feed-rs turns JSON Feed `attachments`
/// into links without `rel` but with the attachment's `mime_type`, while its `url` and
/// `external_url` links have no type.
fn is_enclosure(link: &Link, json: bool) -> bool {
    link.rel.as_deref() == Some("enclosure")
        || (json && link.rel.is_none() && link.media_type.is_some())
}

/// A deterministic id for an entry with no id and no link: SHA-256 of its title, date, first
/// enclosure and the start of its body. The same entry gives the same id on every poll.
pub fn content_hash_id(entry: &Entry) -> RemoteId {
    let mut h = Sha256::new();
    let title = entry.title.as_ref().map(|t| t.content.as_str());
    h.update(title.unwrap_or_default().as_bytes());
    h.update([0]);
    if let Some(date) = entry.published.or(entry.updated) {
        h.update(date.to_rfc3339().as_bytes());
    }
    h.update([0]);
    let body = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or(entry.summary.as_ref().map(|s| s.content.as_str()))
        .unwrap_or_default();
    let prefix: String = body.chars().take(HASH_BODY_PREFIX_CHARS).collect();
    h.update(prefix.as_bytes());
    h.update([0]);
    let enclosure = entry
        .media
        .iter()
        .flat_map(|m| &m.content)
        .find_map(|c| c.url.as_ref());
    if let Some(url) = enclosure {
        h.update(url.as_str().as_bytes());
    }
    RemoteId(format!("{HASH_ID_PREFIX}{}", hex::encode(h.finalize())))
}

/// What the feed says about itself: title and home page (its `alternate` link).
pub fn feed_meta(feed: &Feed, feed_url: &Url) -> SourceMeta {
    let site_url = feed
        .links
        .iter()
        .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .filter_map(|l| resolve(&l.href, feed_url))
        .find(|u| u.as_str() != feed_url.as_str())
        .map(String::from);
    SourceMeta {
        title: feed
            .title
            .as_ref()
            .map(|t| text_to_plain(t, titles_are_html(feed)))
            .filter(|t| !t.is_empty()),
        site_url,
        moved_to: None,
    }
}

/// Converts every entry of `feed`. `scans` holds the pre-pass's notes for each of feed-rs's
/// entries, in the same order, when they could be matched. Duplicates are not removed here
/// (see `parse::dedupe`). Returns the items and, per entry whose content could not be read,
/// its 1-based position and why.
pub(crate) fn convert_feed(
    feed: &Feed,
    feed_url: &Url,
    scans: Option<&[&EntryScan]>,
) -> (Vec<Item>, Vec<(usize, String)>) {
    let mut unread = Vec::new();
    let items = feed
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let scan = scans.and_then(|s| s.get(i).copied());
            let (item, problem) = convert_entry(feed, e, feed_url, scan);
            if let Some(why) = problem {
                unread.push((scan.map_or(i + 1, |s| s.index), why));
            }
            item
        })
        .collect();
    (items, unread)
}

/// Converts one entry. `feed` supplies what an entry inherits: language, authors (RFC 4287
/// §4.2.1: the feed's author applies to entries without one) and the format's conventions;
/// `scan` what feed-rs left out. Also returns why the entry's content could not be read, if
/// it could not.
pub(crate) fn convert_entry(
    feed: &Feed,
    entry: &Entry,
    feed_url: &Url,
    scan: Option<&EntryScan>,
) -> (Item, Option<String>) {
    let base = entry
        .base
        .as_deref()
        .and_then(|b| resolve(b, feed_url))
        .unwrap_or_else(|| feed_url.clone());
    let json = feed.feed_type == FeedType::JSON;

    let title = entry_title(feed, entry, scan);
    let Bodies {
        content_html,
        summary,
        problem,
    } = bodies(feed, entry, &base, scan);
    let content_text = content_html
        .as_deref()
        .map(html_to_text)
        .filter(|t| !t.is_empty());

    let id = entry.id.trim();
    let remote_id = if id.is_empty() {
        content_hash_id(entry)
    } else {
        RemoteId(id.to_owned())
    };

    // feed-rs copies an RSS item's pubDate into `updated`; RSS has no update date, so an
    // `updated` equal to `published` says nothing and is dropped.
    let updated = entry
        .updated
        .filter(|u| !(is_rss(feed) && Some(*u) == entry.published))
        .or_else(|| scan.and_then(|s| dates::first_date(&s.updated)));
    let published = entry
        .published
        .or_else(|| scan.and_then(|s| dates::first_date(&s.published)));
    let url = entry_url(feed, entry, &base, json);

    let item = Item {
        remote_id,
        kind: if title.is_some() {
            ItemKind::Article
        } else {
            ItemKind::Note
        },
        author: entry
            .authors
            .first()
            .or(feed.authors.first())
            .and_then(|p| convert_person(p, &base)),
        title,
        content_html,
        content_text,
        summary,
        content_warning: None,
        language: entry
            .language
            .clone()
            .or_else(|| feed.language.clone())
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty()),
        published,
        updated,
        in_reply_to: None,
        attachments: attachments(entry, &base, json),
        tags: tags(entry),
        url,
        visibility: Visibility::Public,
        card: None,
    };
    (item, problem)
}

/// The entry's title, else its `dc:title`.
fn entry_title(feed: &Feed, entry: &Entry, scan: Option<&EntryScan>) -> Option<String> {
    entry
        .title
        .as_ref()
        .map(|t| text_to_plain(t, titles_are_html(feed)))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            let dc = scan?.dc_title.as_deref()?;
            Some(plain_text(dc, true)).filter(|t| !t.is_empty())
        })
}

struct Bodies {
    content_html: Option<SafeHtml>,
    summary: Option<SafeHtml>,
    /// Why the entry's content could not be read, if it could not.
    problem: Option<String>,
}

/// The body and the summary, sanitized. RSS: content:encoded, else description. Atom:
/// content, else summary (table in the model). Failing both, a Media RSS description
/// (YouTube's feeds carry their text only there).
fn bodies(feed: &Feed, entry: &Entry, base: &Url, scan: Option<&EntryScan>) -> Bodies {
    let html_descriptions = matches!(feed.feed_type, FeedType::RSS0 | FeedType::RSS1);
    let clean =
        |h: String| Some(clean_html_with_base(&h, base).trimmed()).filter(|h| !h.is_empty());
    // Markup written unescaped into <description> or <content:encoded>: feed-rs reads none of
    // it, or only the text before the first tag; the pre-pass kept it.
    let summary_html = match scan.and_then(|s| s.description_markup.clone()) {
        Some(markup) => Some(markup),
        None => entry
            .summary
            .as_ref()
            .map(|t| text_to_html(t, html_descriptions)),
    }
    .and_then(clean);
    let mut problem = scan
        .and_then(|s| s.unreadable_content.as_deref())
        .map(|t| format!("has content of type {t}"));
    let body_html = match scan.and_then(|s| s.content_markup.clone()) {
        Some(markup) => Some(markup),
        None => entry.content.as_ref().and_then(|c| {
            content_to_html(c).unwrap_or_else(|why| {
                problem = Some(why);
                None
            })
        }),
    }
    .and_then(clean);
    let (content_html, summary) = match body_html {
        Some(body) => (Some(body), summary_html),
        None => match summary_html {
            Some(s) => (Some(s), None),
            None => (media_description_html(entry, base), None),
        },
    };
    Bodies {
        content_html,
        summary,
        problem,
    }
}

/// The entry's own page: its link, else (Atom, no link at all) its id when that is an
/// http(s) URL.
fn entry_url(feed: &Feed, entry: &Entry, base: &Url, json: bool) -> Option<String> {
    entry_link(&entry.links, json)
        .and_then(|l| resolve(&l.href, base))
        .or_else(|| {
            (feed.feed_type == FeedType::Atom && entry.links.is_empty())
                .then(|| Url::parse(entry.id.trim()).ok())
                .flatten()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
        })
        .map(String::from)
}

/// RSS titles are "plain text" by the letter of every RSS spec and carry entity-encoded HTML in
/// practice; read as HTML they come out right either way.
fn is_rss(feed: &Feed) -> bool {
    matches!(
        feed.feed_type,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2
    )
}

fn convert_person(p: &Person, base: &Url) -> Option<Author> {
    let name = p
        .name
        .as_deref()
        .map(|n| {
            // RSS 2.0 `<author>` is "email (Name)"; feed-rs leaves the parentheses on.
            let n = n.trim();
            n.strip_prefix('(')
                .and_then(|n| n.strip_suffix(')'))
                .unwrap_or(n)
                .trim()
        })
        .filter(|n| !n.is_empty())
        .or(p.email.as_deref().map(str::trim).filter(|e| !e.is_empty()))
        .map(str::to_owned);
    let url = p
        .uri
        .as_deref()
        .and_then(|u| resolve(u, base))
        .map(String::from);
    if name.is_none() && url.is_none() {
        return None;
    }
    Some(Author {
        name,
        handle: None,
        url,
        avatar: None,
    })
}

/// Enclosures (RSS `<enclosure>`, Media RSS `media:content`, which feed-rs both puts in
/// `media`), Atom `<link rel="enclosure">` and JSON Feed `attachments` (feed-rs: links).
fn attachments(entry: &Entry, base: &Url, json: bool) -> Vec<Attachment> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for media in &entry.media {
        let alt = media
            .description
            .as_ref()
            .or(media.title.as_ref())
            // Media RSS and iTunes descriptions are plain text by spec and HTML in practice.
            .map(|t| text_to_plain(t, true))
            .filter(|a| !a.is_empty());
        for c in &media.content {
            let Some(url) = c.url.as_ref().and_then(|u| resolve(u.as_str(), base)) else {
                continue;
            };
            if seen.insert(url.to_string()) {
                out.push(Attachment {
                    url: url.into(),
                    media_type: c.content_type.as_ref().map(|m| m.to_string()),
                    alt: alt.clone(),
                    size: c.size.filter(|&n| n > 0),
                });
            }
        }
    }
    for link in entry.links.iter().filter(|l| is_enclosure(l, json)) {
        let Some(url) = resolve(&link.href, base) else {
            continue;
        };
        if seen.insert(url.to_string()) {
            out.push(Attachment {
                url: url.into(),
                media_type: link.media_type.clone(),
                alt: link.title.clone().filter(|t| !t.trim().is_empty()),
                size: link.length.filter(|&n| n > 0),
            });
        }
    }
    out
}

fn media_description_html(entry: &Entry, base: &Url) -> Option<SafeHtml> {
    let text = entry.media.iter().find_map(|m| m.description.as_ref())?;
    let html = clean_html_with_base(&text_to_html(text, false), base).trimmed();
    Some(html).filter(|h| !h.is_empty())
}

fn tags(entry: &Entry) -> Vec<String> {
    let mut seen = HashSet::new();
    entry
        .categories
        .iter()
        .map(|c| c.term.trim().to_owned())
        .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
        .collect()
}

/// Resolves `href` against `base`; only http(s) results are kept (a `javascript:` or `data:`
/// link is no use as an item URL and a hazard in one).
pub(crate) fn resolve(href: &str, base: &Url) -> Option<Url> {
    let url = base.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// RSS titles are HTML in practice (the RSS 2.0 spec is silent and publishers escape markup
/// into them), and JSON Feed titles, though plain text by the spec, often carry HTML entities
/// from the blog engine that wrote them (`Blog &#8211; Name`): both are read as HTML.
fn titles_are_html(feed: &Feed) -> bool {
    is_rss(feed) || feed.feed_type == FeedType::JSON
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
