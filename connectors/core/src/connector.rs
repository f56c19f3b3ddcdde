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
use crate::ids::RemoteId;
use crate::model::{Item, Visibility};

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

/// What a network accepts, so a post can be adapted before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Maximum length of the text in grapheme clusters.
    pub max_graphemes: usize,
    pub max_media: usize,
    pub max_media_bytes: u64,
    pub media_types: Vec<String>,
    pub content_warnings: bool,
    pub threads: bool,
    pub edits: bool,
}

/// A media file to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUpload {
    pub bytes: Bytes,
    pub media_type: String,
    pub alt: Option<String>,
}

/// Something to publish through a sink, already adapted to its limits by the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub text: String,
    pub content_warning: Option<String>,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub media: Vec<MediaUpload>,
    /// Remote id, on this sink's network, of the post this one replies to.
    pub in_reply_to: Option<RemoteId>,
}

/// Where a published post landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub remote_id: RemoteId,
    pub url: Option<String>,
}

/// A connector that can publish.
#[async_trait]
pub trait Sink: Send + Sync {
    /// The network's real limits; may ask the server. Called before adapting a post.
    async fn limits(&self) -> Result<Limits, ConnectorError>;

    /// Publishes `post`. The outbox calls it at most once per `idempotency_key` unless the
    /// outcome of an earlier call is unknown; the connector must pass the key to servers that
    /// honour one, so a retried call never makes a second post.
    async fn publish(
        &self,
        post: &Post,
        idempotency_key: &str,
    ) -> Result<Published, ConnectorError>;

    /// Replaces the content of a post this sink published.
    async fn edit(&self, remote_id: &RemoteId, post: &Post) -> Result<(), ConnectorError> {
        let _ = (remote_id, post);
        Err(ConnectorError::Unsupported(
            "this network does not support edits".into(),
        ))
    }

    /// Deletes a post this sink published.
    async fn delete(&self, remote_id: &RemoteId) -> Result<(), ConnectorError>;
}

/// An HTTP request routed to a listener. Kept free of any web framework's types.
#[derive(Debug, Clone)]
pub struct ListenerRequest {
    pub method: String,
    /// Path below the listener's mount point.
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// The listener's answer.
#[derive(Debug, Clone)]
pub struct ListenerResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// A connector that receives pushes over HTTP.
#[async_trait]
pub trait Listener: Send + Sync {
    /// Path prefixes this listener is mounted at (`"/ap"`), fixed for the connector's life.
    fn mounts(&self) -> Vec<String>;

    /// Handles one request. Items that arrive are returned for the core to ingest, so the
    /// listener never touches the store.
    async fn handle(&self, request: ListenerRequest) -> (ListenerResponse, Vec<Item>);
}
