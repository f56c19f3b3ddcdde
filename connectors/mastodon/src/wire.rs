//! The Mastodon REST API's JSON, as much of it as Braid reads (Mastodon's `Status`, `Account`,
//! `MediaAttachment`, `Poll`, `Tag` entities: <https://docs.joinmastodon.org/entities/>).
//!
//! These are wire types: they stay in this crate and are converted in [`crate::convert`]. Every
//! field Braid can live without is optional or defaulted, because Pleroma/Akkoma, GoToSocial,
//! Friendica and Firefish each omit or null a different subset.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `Status` (<https://docs.joinmastodon.org/entities/Status/>).
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    /// The instance-local id: a numeric string on Mastodon (ordered by time), opaque elsewhere.
    pub id: String,
    /// The ActivityPub id: stable across instances, Braid's `remote_id`.
    pub uri: String,
    #[serde(default)]
    pub url: Option<String>,
    pub account: Account,
    #[serde(default)]
    pub in_reply_to_id: Option<String>,
    #[serde(default)]
    pub reblog: Option<Box<Status>>,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub spoiler_text: String,
    #[serde(default)]
    pub visibility: String,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub media_attachments: Vec<MediaAttachment>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub poll: Option<Poll>,
    /// The preview of the first link, once the instance has fetched it.
    #[serde(default)]
    pub card: Option<PreviewCard>,
}

/// `PreviewCard` (<https://docs.joinmastodon.org/entities/PreviewCard/>): what Braid shows.
#[derive(Debug, Clone, Deserialize)]
pub struct PreviewCard {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub provider_name: String,
}

/// `Account` (<https://docs.joinmastodon.org/entities/Account/>).
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub username: String,
    /// `user` for accounts on the same instance, `user@domain` for remote ones.
    #[serde(default)]
    pub acct: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
}

/// `MediaAttachment` (<https://docs.joinmastodon.org/entities/MediaAttachment/>).
#[derive(Debug, Clone, Deserialize)]
pub struct MediaAttachment {
    pub id: String,
    /// `image`, `gifv`, `video`, `audio`, `unknown` — a category, not a MIME type.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `null` while the server is still processing an upload.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub remote_url: Option<String>,
    /// The alt text.
    #[serde(default)]
    pub description: Option<String>,
}

/// `Tag` as embedded in a status.
#[derive(Debug, Clone, Deserialize)]
pub struct Tag {
    pub name: String,
}

/// `Poll` (<https://docs.joinmastodon.org/entities/Poll/>).
#[derive(Debug, Clone, Deserialize)]
pub struct Poll {
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub expired: bool,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub votes_count: Option<u64>,
    #[serde(default)]
    pub options: Vec<PollOption>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PollOption {
    pub title: String,
    #[serde(default)]
    pub votes_count: Option<u64>,
}

/// The body of an API error (<https://docs.joinmastodon.org/entities/Error/>).
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// The `/.well-known/nodeinfo` index (<https://nodeinfo.diaspora.software/protocol>).
#[derive(Debug, Clone, Deserialize)]
pub struct NodeinfoIndex {
    #[serde(default)]
    pub links: Vec<NodeinfoLink>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NodeinfoLink {
    #[serde(default)]
    pub rel: String,
    #[serde(default)]
    pub href: String,
}

/// A nodeinfo document (schemas 1.0 to 2.1): only the software is read.
#[derive(Debug, Clone, Deserialize)]
pub struct Nodeinfo {
    pub software: NodeinfoSoftware,
    #[serde(default)]
    pub metadata: Option<NodeinfoMetadata>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NodeinfoSoftware {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
}

/// Forks name the software they follow here (`metadata.upstream.name`, as megalodon reads it).
#[derive(Debug, Clone, Deserialize)]
pub struct NodeinfoMetadata {
    #[serde(default)]
    pub upstream: Option<NodeinfoUpstream>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NodeinfoUpstream {
    #[serde(default)]
    pub name: String,
}

/// `GET /api/v1/instance` (<https://docs.joinmastodon.org/entities/V1_Instance/>), read only to
/// tell a Mastodon-API server from anything else: every field is optional.
#[derive(Debug, Clone, Deserialize)]
pub struct InstanceV1 {
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

/// `POST /api/v1/apps` (<https://docs.joinmastodon.org/methods/apps/#create>): only the
/// credentials; `id`, `name`, `website`, `vapid_key` are left to servers that send them.
#[derive(Debug, Clone, Deserialize)]
pub struct Application {
    pub client_id: String,
    pub client_secret: String,
}

/// `POST /oauth/token` (RFC 6749 §5.1): only the token; `scope` and `created_at`, which
/// megalodon requires, are optional in the RFC and left out by some servers.
#[derive(Debug, Clone, Deserialize)]
pub struct Token {
    pub access_token: String,
}
