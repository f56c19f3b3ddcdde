//! The connector contract: small capability traits instead of one fat trait.
//!
//! A connector instance is built by the core's registry from its kind and config. It exposes
//! whichever capabilities it has; the defaults say "not this one", so a read-only network never
//! has to answer "not implemented" at run time.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;
use crate::ids::{RemoteId, SourceId};
use crate::model::{Item, Visibility};
use crate::richtext::RichText;

/// One configured connector instance (one feed, one account, one actor).
pub trait Connector: Send + Sync {
    /// The registry kind: `"feed"`, `"mastodon"`, ….
    fn kind(&self) -> &'static str;

    /// Reading: present when this connector can be polled.
    fn source(&self) -> Option<&dyn Source> {
        None
    }

    /// Writing: present when this connector can publish.
    fn sink(&self) -> Option<&dyn Sink> {
        None
    }

    /// Push: present when this connector receives HTTP requests (inboxes, WebSub callbacks).
    fn listener(&self) -> Option<&dyn Listener> {
        None
    }

    /// Publishing Braid's own streams (the owner, the channels) to the network's followers:
    /// present on a hosted connector ([`crate::Factory::hosted`]) that does.
    fn publisher(&self) -> Option<&dyn crate::host::Publisher> {
        None
    }
}

/// An opaque position in a source, chosen by the connector (ETag and Last-Modified for feeds,
/// `min_id` for Mastodon, a page URL for an outbox). The core persists it after a poll whose
/// items were stored, and hands it back unchanged on the next poll.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub Option<String>);

impl Cursor {
    pub fn none() -> Self {
        Cursor(None)
    }
}

/// Hints from the remote about when to poll next. The scheduler never polls earlier than the
/// latest of these and its own cron schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollHints {
    /// Do not poll again for at least this long (RSS `<ttl>`, `Cache-Control: max-age`).
    pub min_interval: Option<Duration>,
    /// Do not poll again before this instant (`Expires`, `Retry-After` as a date).
    pub not_before: Option<DateTime<Utc>>,
}

/// What a source says about itself, learnt while polling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMeta {
    /// Title of the feed or account.
    pub title: Option<String>,
    /// The human-facing home page.
    pub site_url: Option<String>,
    /// The source moved permanently (HTTP 301/308): the core stores this URL from now on.
    pub moved_to: Option<String>,
}

/// The result of one poll.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// New or changed items, in any order. May be empty.
    pub items: Vec<Item>,
    /// Remote ids the source reports as deleted; the core tombstones them.
    pub deleted: Vec<RemoteId>,
    /// The cursor to hand back on the next poll. `None` keeps the current one.
    pub next_cursor: Option<Cursor>,
    /// True when the remote said nothing changed (HTTP 304): nothing was parsed.
    pub not_modified: bool,
    pub hints: PollHints,
    pub meta: SourceMeta,
    /// Things the owner should know about a poll that otherwise succeeded: entries that were
    /// skipped or whose content could not be read, a document that holds entries but yielded
    /// none. Each starts with the component (`feed: …`). The core records them on the source,
    /// so a feed never reads as a plain "ok" when something in it was lost.
    pub warnings: Vec<String>,
}

/// A connector that can be polled for items.
#[async_trait]
pub trait Source: Send + Sync {
    /// Called by the scheduler when the source is due, never concurrently for one source.
    ///
    /// Must not store anything itself: it returns what it saw and the next cursor, and the core
    /// commits items and cursor together. Must use the safe HTTP client for every request, and
    /// must not panic on any input (a parser panic is caught by the core, but costs the poll).
    async fn poll(&self, cursor: &Cursor) -> Result<Page, ConnectorError>;
}

/// What a network accepts, so a post can be fitted before it is sent. Each capability is said
/// here once; what a sink can do to a post already sent (edit, delete) is said by its type
/// ([`Sink::editor`], [`Sink::deleter`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// How long the text may be, counted the network's way.
    pub text: TextLimit,
    /// Media files per post.
    pub max_media: usize,
    /// The media types accepted, each with its size limit. Empty: no media.
    pub media: Vec<MediaLimit>,
    /// A content warning (spoiler text) is shown before the text.
    pub content_warnings: bool,
    /// A post can reply to an earlier one, so a long text can become a thread.
    pub threads: bool,
}

impl Limits {
    /// The size limit for a file of `media_type`: the exact type's, else its family's
    /// (`image/*`). `None`: the type is not accepted.
    pub fn media_bytes(&self, media_type: &str) -> Option<u64> {
        let media_type = media_type.trim().to_ascii_lowercase();
        let family = media_type.split('/').next().unwrap_or_default();
        let exact = self.media.iter().find(|m| m.media_type == media_type);
        let by_family = || {
            self.media
                .iter()
                .find(|m| m.media_type.strip_suffix("/*") == Some(family))
        };
        exact.or_else(by_family).map(|m| m.max_bytes)
    }
}

/// One accepted media type and its size limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaLimit {
    /// `image/png`, or a family: `image/*`.
    pub media_type: String,
    pub max_bytes: u64,
}

/// A text length limit and how the network counts towards it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLimit {
    pub max: usize,
    pub unit: CountUnit,
    /// Every http(s) URL counts as this many units, whatever its length (Mastodon: 23).
    pub url_length: Option<usize>,
    /// A mention of a remote account counts without its domain (`@alice@example.social` as
    /// `@alice`), as Mastodon counts.
    pub mention_without_domain: bool,
}

/// What a network counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountUnit {
    /// User-perceived characters (extended grapheme clusters, UAX #29): Mastodon, Bluesky.
    Graphemes,
    /// Unicode scalar values.
    CodePoints,
    /// UTF-8 bytes.
    Bytes,
}

impl TextLimit {
    /// The length of `text` as the network counts it.
    pub fn count(&self, text: &str) -> usize {
        split_keep_space(text)
            .into_iter()
            .map(|word| self.count_word(word))
            .sum()
    }

    fn count_word(&self, word: &str) -> usize {
        if let Some(n) = self.url_length {
            if let Some(end) = url_end(word) {
                return n + self.count_plain(&word[end..]);
            }
        }
        if self.mention_without_domain {
            if let Some(local) = mention_local_part(word) {
                return self.count_plain(local.0) + self.count_plain(local.1);
            }
        }
        self.count_plain(word)
    }

    fn count_plain(&self, s: &str) -> usize {
        match self.unit {
            CountUnit::Graphemes => {
                unicode_segmentation::UnicodeSegmentation::graphemes(s, true).count()
            }
            CountUnit::CodePoints => s.chars().count(),
            CountUnit::Bytes => s.len(),
        }
    }

    /// True when `text` fits.
    pub fn fits(&self, text: &str) -> bool {
        self.count(text) <= self.max
    }
}

/// `text` cut into runs of whitespace and runs of anything else, in order.
fn split_keep_space(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            out.push(&text[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Where an http(s) URL at the start of `word` ends: trailing punctuation that usually closes a
/// sentence is not part of it.
fn url_end(word: &str) -> Option<usize> {
    let lower = word.get(..8).unwrap_or(word).to_ascii_lowercase();
    let scheme = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return None;
    };
    // A URL is ASCII as sent (Mastodon's URL pattern stops at text glued after it, such as
    // CJK with no space): what follows counts as plain text, which never under-counts.
    let ascii = word
        .char_indices()
        .find(|(_, c)| !c.is_ascii_graphic())
        .map_or(word.len(), |(i, _)| i);
    let end = word[..ascii]
        .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\''])
        .len();
    (end > scheme).then_some(end)
}

/// `@user@domain…` split into the counted `@user` and what follows the domain.
fn mention_local_part(word: &str) -> Option<(&str, &str)> {
    let rest = word.strip_prefix('@')?;
    let at = rest.find('@')?;
    let user = &rest[..at];
    if user.is_empty()
        || !user
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        return None;
    }
    let domain_and_tail = &rest[at + 1..];
    // Mastodon's mention pattern takes ASCII domains only.
    let domain_len = domain_and_tail
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':'))
        .unwrap_or(domain_and_tail.len());
    let domain = domain_and_tail[..domain_len].trim_end_matches(['.', ':']);
    if !domain.contains('.') && !domain.contains(':') {
        return None;
    }
    Some((&word[..at + 1], &domain_and_tail[domain.len()..]))
}

/// A media file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUpload {
    pub bytes: Bytes,
    pub media_type: String,
    pub alt: Option<String>,
}

/// A file uploaded to a sink's network, referenced by the posts that carry it. The outbox keeps
/// it, so a retried publish or an edit uses the upload instead of sending the file again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// The network's reference: Mastodon's media id, a Bluesky blob (as JSON text). Opaque to
    /// the core.
    pub id: String,
    pub media_type: String,
    pub alt: Option<String>,
}

/// Where a reply goes, in the terms of one network: Mastodon's status id, Bluesky's root and
/// parent (each a URI and CID). Made by [`Sink::reply_ref`] or returned in [`Published`]; opaque
/// to the core, which stores it as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReplyRef(pub serde_json::Value);

/// Something to publish through a sink, already fitted to its limits by the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The text, with its structure (paragraphs, links, mentions, hashtags); each sink renders
    /// it for its network ([`RichText::plain`], [`RichText::html`]).
    pub body: RichText,
    pub content_warning: Option<String>,
    pub visibility: Visibility,
    pub language: Option<String>,
    /// Files uploaded through this sink beforehand ([`Sink::upload`]).
    pub media: Vec<MediaRef>,
    pub reply_to: Option<ReplyRef>,
}

impl Post {
    /// A public post of plain text and nothing else.
    pub fn text(text: &str) -> Post {
        Post {
            body: RichText::from_plain(text),
            content_warning: None,
            visibility: Visibility::Public,
            language: None,
            media: Vec::new(),
            reply_to: None,
        }
    }
}

/// Where a published post landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The post's stable id at its origin, with the same meaning as [`Item::remote_id`] (a
    /// status's `uri`, an `at://` URI), so the copy is recognised when it comes back through a
    /// source.
    pub remote_id: RemoteId,
    /// The network-local handle that edits and deletes take, where the network needs one
    /// beside the remote id (Mastodon's instance-local status id).
    pub local_id: Option<String>,
    /// The post's page.
    pub url: Option<String>,
    /// How a later post replies to this one (a thread's next post).
    pub reply_ref: ReplyRef,
}

/// What a reconcile looks for: a post sent with `key` at about `sent_at` whose outcome is
/// unknown (a timeout, a reset connection, a crash).
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    pub key: &'a str,
    pub post: &'a Post,
    /// When the request went out (the network's clock may differ by a little).
    pub sent_at: DateTime<Utc>,
}

/// A connector that can publish.
///
/// The delivery engine calls, for one post: [`Sink::limits`] to fit it, [`Sink::upload`] for
/// each file (once; the refs are kept), [`Sink::publish`] with the delivery's idempotency key,
/// and after an unknown outcome [`Sink::reconcile`] before any retry.
#[async_trait]
pub trait Sink: Send + Sync {
    /// The network's real limits; may ask the server. Called before fitting a post.
    async fn limits(&self) -> Result<Limits, ConnectorError>;

    /// Uploads one file, for posts to reference.
    async fn upload(&self, media: &MediaUpload) -> Result<MediaRef, ConnectorError>;

    /// The reply reference for a post a person names (`--reply-to`): an id on the network, a
    /// post's URL, or the remote id of an item Braid read.
    async fn reply_ref(&self, target: &str) -> Result<ReplyRef, ConnectorError>;

    /// Publishes `post`. The outbox calls it at most once per `idempotency_key` unless the
    /// outcome of an earlier call is unknown and [`Sink::reconcile`] found nothing; the
    /// connector passes the key to servers that honour one.
    async fn publish(
        &self,
        post: &Post,
        idempotency_key: &str,
    ) -> Result<Published, ConnectorError>;

    /// Finds out whether a post whose outcome is unknown exists on the account: by its key
    /// where the server remembers keys, else by a marker the network keeps, else by its exact
    /// content among the account's posts since shortly before `sent_at`. `Ok(None)`: it is not
    /// there, and publishing again makes no second copy. Each connector documents which of
    /// these it uses.
    async fn reconcile(&self, probe: &Probe<'_>) -> Result<Option<Published>, ConnectorError>;

    /// Present when posts can be edited after publishing.
    fn editor(&self) -> Option<&dyn Editor> {
        None
    }

    /// Present when posts can be deleted.
    fn deleter(&self) -> Option<&dyn Deleter> {
        None
    }
}

/// Replacing the content of a post a sink published.
#[async_trait]
pub trait Editor: Send + Sync {
    /// Replaces the content of `published` with `post` (whose media are refs uploaded before;
    /// its visibility and reply target stay as they were on networks that cannot change them).
    async fn edit(&self, published: &Published, post: &Post) -> Result<(), ConnectorError>;
}

/// Deleting a post a sink published.
#[async_trait]
pub trait Deleter: Send + Sync {
    /// Deletes `published`; a post already gone counts as deleted.
    async fn delete(&self, published: &Published) -> Result<(), ConnectorError>;
}

/// An HTTP request routed to a listener, as it was received. Kept free of any web framework's
/// types.
#[derive(Debug, Clone)]
pub struct ListenerRequest {
    pub method: String,
    /// The full request path, percent-encoding as received (HTTP Signatures sign it).
    pub path: String,
    /// The query string without the `?`, as received.
    pub query: Option<String>,
    /// Every header, in order, names lower-cased; values that are not UTF-8 are left out.
    pub headers: Vec<(String, String)>,
    /// The body, at most the configured cap (a larger body is refused before the listener).
    pub body: Bytes,
}

impl ListenerRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The listener's answer.
#[derive(Debug, Clone)]
pub struct ListenerResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl ListenerResponse {
    /// An empty response with `status`.
    pub fn status(status: u16) -> Self {
        ListenerResponse {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
}

/// What arrived for one source: new or changed items, and remote ids deleted there. The core
/// ingests it exactly as a poll's page (sanitized, de-duplicated, tombstones honoured).
#[derive(Debug, Clone)]
pub struct Pushed {
    pub source: SourceId,
    pub items: Vec<Item>,
    pub deleted: Vec<RemoteId>,
}

/// A listener's answer and what the core should store.
#[derive(Debug, Clone)]
pub struct Handled {
    pub response: ListenerResponse,
    /// Items and deletions, per source; only sources of the listener's own network are
    /// accepted.
    pub pushed: Vec<Pushed>,
    /// Messages to send, queued in the outbox before the response goes out and delivered
    /// through the connector's [`crate::host::Publisher`] (an `Accept` of a follow). Only a
    /// hosted connector's listener may send.
    pub send: Vec<crate::host::Outgoing>,
}

impl Handled {
    /// `response`, with nothing to store or send.
    pub fn respond(response: ListenerResponse) -> Self {
        Handled {
            response,
            pushed: Vec::new(),
            send: Vec::new(),
        }
    }
}

/// A connector that receives pushes over HTTP (an inbox, a WebSub callback). The web server
/// mounts it while its connector is kept (`braid run` without `--no-web`).
#[async_trait]
pub trait Listener: Send + Sync {
    /// Absolute path prefixes this listener answers (`/ap/inbox`), fixed for the connector's
    /// life. A request's path matches a prefix when it equals it or continues it with `/`.
    fn mounts(&self) -> Vec<String>;

    /// Handles one request, any method. Items that arrive are returned for the core to
    /// ingest, so the listener never touches the store.
    async fn handle(&self, request: ListenerRequest) -> Handled;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn mastodon_like(max: usize) -> TextLimit {
        TextLimit {
            max,
            unit: CountUnit::Graphemes,
            url_length: Some(23),
            mention_without_domain: true,
        }
    }

    #[test]
    fn text_is_counted_the_networks_way() {
        let m = mastodon_like(500);
        // A family emoji is one grapheme, five code points, 18 bytes.
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(m.count(family), 1);
        let by_points = TextLimit {
            unit: CountUnit::CodePoints,
            ..m.clone()
        };
        assert_eq!(by_points.count(family), 5);
        let by_bytes = TextLimit {
            unit: CountUnit::Bytes,
            ..m.clone()
        };
        assert_eq!(by_bytes.count(family), 18);
        // Every URL is 23, whatever its length; the full stop after it counts.
        let url = format!("https://example.com/{}", "a".repeat(200));
        assert_eq!(m.count(&format!("see {url}.")), 4 + 23 + 1);
        // A remote mention counts without its domain, a local one as typed.
        assert_eq!(m.count("@alice@social.example hi"), 6 + 3);
        assert_eq!(m.count("@bob"), 4);
        // Without those rules, everything counts.
        let plain = TextLimit {
            url_length: None,
            mention_without_domain: false,
            ..m.clone()
        };
        assert_eq!(plain.count("@alice@social.example"), 21);
        assert!(mastodon_like(3).fits("abc") && !mastodon_like(3).fits("abcd"));
    }

    #[test]
    fn media_limits_by_type_then_family() {
        let limits = Limits {
            text: mastodon_like(500),
            max_media: 4,
            media: vec![
                MediaLimit {
                    media_type: "image/*".into(),
                    max_bytes: 10,
                },
                MediaLimit {
                    media_type: "image/gif".into(),
                    max_bytes: 20,
                },
            ],
            content_warnings: true,
            threads: true,
        };
        assert_eq!(limits.media_bytes("image/png"), Some(10));
        assert_eq!(limits.media_bytes("Image/GIF"), Some(20));
        assert_eq!(limits.media_bytes("video/mp4"), None);
    }
}
