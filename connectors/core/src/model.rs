//! The normalized item: every network's posts, entries and statuses are converted into [`Item`].
//!
//! Field mapping (what fills each field; see each connector's `convert.rs` for the code):
//!
//! | field          | RSS 2.0 / 0.9x / 1.0            | Atom (RFC 4287)               | JSON Feed 1.1          |
//! |----------------|---------------------------------|-------------------------------|------------------------|
//! | `remote_id`    | `<guid>`, else `<link>`, else hash | `<id>`, else `<link>`, else hash | `id`, else `url`, else hash |
//! | `kind`         | `Article` if a title, else `Note` | same                       | same                   |
//! | `author`       | `<author>`/`dc:creator`         | `<author>`                    | `authors[0]`           |
//! | `title`        | `<title>`                       | `<title>`                     | `title`                |
//! | `content_html` | `content:encoded`, else `<description>` | `<content>`, else `<summary>` | `content_html`, else `content_text` |
//! | `summary`      | `<description>` when `content:encoded` exists | `<summary>`     | `summary`              |
//! | `language`     | channel `<language>`            | `xml:lang`                    | `language`             |
//! | `published`    | `<pubDate>`/`dc:date`           | `<published>`                 | `date_published`       |
//! | `updated`      | —                               | `<updated>`                   | `date_modified`        |
//! | `attachments`  | `<enclosure>`, `media:content`  | `<link rel="enclosure">`      | `attachments`          |
//! | `tags`         | `<category>`                    | `<category term>`             | `tags`                 |
//! | `url`          | `<link>`                        | `<link rel="alternate">`      | `url`                  |
//!
//! Deliberately dropped for now: comments URLs, source/via elements, iTunes episode metadata
//! other than the enclosure, feed-level images.
//!
//! Social networks add: `content_warning` (Mastodon `spoiler_text`, AP `summary` on notes),
//! `visibility`, `in_reply_to`, `kind = Share` for boosts/reposts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::RemoteId;
use crate::sanitize::SafeHtml;

/// What sort of thing an item is. Drives how it is shown and how a sink adapts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A short post without a title (a toot, a skeet, a title-less feed entry).
    #[default]
    Note,
    /// A titled piece (a blog post, a news article).
    Article,
    /// A boost, repost or reblog of someone else's item.
    Share,
    /// A reply to another item (`in_reply_to` is set).
    Reply,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Note => "note",
            ItemKind::Article => "article",
            ItemKind::Share => "share",
            ItemKind::Reply => "reply",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "note" => ItemKind::Note,
            "article" => ItemKind::Article,
            "share" => ItemKind::Share,
            "reply" => ItemKind::Reply,
            _ => return None,
        })
    }
}

/// Who may see an item. A bridge never makes an item more public than its author did:
/// ordering is from most to least public, and a sink must refuse or narrow, never widen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone, listed in public timelines. Every feed entry is public.
    #[default]
    Public,
    /// Anyone with the link, not listed.
    Unlisted,
    /// The author's followers only.
    FollowersOnly,
    /// Only the people mentioned.
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::FollowersOnly => "followers_only",
            Visibility::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "public" => Visibility::Public,
            "unlisted" => Visibility::Unlisted,
            "followers_only" => Visibility::FollowersOnly,
            "direct" => Visibility::Direct,
            _ => return None,
        })
    }
}

/// The person or account behind an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Author {
    /// Display name ("Jane Doe").
    pub name: Option<String>,
    /// Network handle (`@jane@example.social`, `jane.bsky.social`); `None` for feed authors.
    pub handle: Option<String>,
    /// Profile or home page.
    pub url: Option<String>,
    /// Avatar image URL.
    pub avatar: Option<String>,
}

impl Author {
    /// The best single label for this author.
    pub fn label(&self) -> Option<&str> {
        self.name
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(self.handle.as_deref())
    }
}

/// A media file or enclosure attached to an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Attachment {
    /// Absolute URL of the file.
    pub url: String,
    /// MIME type as the origin declared it (`image/jpeg`, `audio/mpeg`), if it did.
    pub media_type: Option<String>,
    /// Alternative text / description for people who cannot see it.
    pub alt: Option<String>,
    /// Size in bytes as declared by the origin.
    pub size: Option<u64>,
}

/// One normalized item as a connector produces it. The store adds the local id, the source and
/// bookkeeping (first seen, tombstone) around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Item {
    /// Identity at the origin, unique within the source.
    pub remote_id: RemoteId,
    pub kind: ItemKind,
    pub author: Option<Author>,
    pub title: Option<String>,
    /// The body as HTML, sanitized by construction ([`SafeHtml`]).
    pub content_html: Option<SafeHtml>,
    /// The body as plain text (for search, previews and networks without HTML).
    /// Ingest derives it from `content_html` when a connector leaves it empty.
    pub content_text: Option<String>,
    /// A short summary or excerpt, sanitized by construction.
    pub summary: Option<SafeHtml>,
    /// A content warning / spoiler text shown before the body.
    pub content_warning: Option<String>,
    /// BCP 47 language tag (`en`, `de-AT`).
    pub language: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Remote id or URL of the item this one replies to.
    pub in_reply_to: Option<String>,
    pub attachments: Vec<Attachment>,
    pub tags: Vec<String>,
    /// The item's own web page (absolute URL); used to link copies across networks.
    pub url: Option<String>,
    pub visibility: Visibility,
    /// A preview of the page the item links to, as the origin built it. Not part of what
    /// makes an item changed: origins add it after the fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<LinkCard>,
}

/// A link's preview (Mastodon's "card"): plain text fields and absolute URLs, which pages
/// escape and proxy like everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LinkCard {
    /// The page linked to (absolute).
    pub url: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A preview image (absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The site's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}
