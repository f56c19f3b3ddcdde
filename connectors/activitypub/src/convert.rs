//! ActivityStreams objects into Braid items. Pure: no network, no clock. The inbox and the
//! outbox reader fetch (and check, with [`check_object_origin`]); this module only decides
//! what Braid keeps of what arrived.
//!
//! | `Item` field      | from the object (ActivityStreams 2.0 vocabulary, Mastodon's extensions) |
//! |-------------------|--------------------------------------------------------------------|
//! | `remote_id`       | `id`; for a boost, the `Announce`'s `id`                           |
//! | `kind`            | `Share` for an `Announce`, `Reply` when `inReplyTo`, `Article` for an `Article` or `Page` with a `name`, else `Note` |
//! | `author`          | the actor: `name`, `@preferredUsername@host`, `url` (else `id`), `icon` |
//! | `title`           | `name`, for `Article` and `Page`                                   |
//! | `content_html`    | `content` (else `contentMap` in the `@context`'s `@language`, else its first), sanitized with the object's `url` (else `id`) as base; a `Video`/`Audio`/`Image`/`Event` `name` leads as a paragraph; a `Question`'s options and an `Event`'s times follow as paragraphs; a boost note first |
//! | `summary`         | `summary` as HTML, for `Article` and `Page`                        |
//! | `content_warning` | `summary` as text for every other type (Mastodon's CW); `"Sensitive media"` when only `sensitive` is set and there is media |
//! | `language`        | the `contentMap` key whose text is `content`, else `@language` in the `@context`, else the map's first key |
//! | `published`       | `published`; for a boost, the `Announce`'s `published`             |
//! | `updated`         | `updated` (Mastodon sets it on edits only)                         |
//! | `in_reply_to`     | the id of `inReplyTo` (a string, a `Link` or an object)            |
//! | `attachments`     | `attachment` of type `Document`/`Image`/`Video`/`Audio`: `url` (a string, a `Link` or an array of them; http(s) only), `mediaType`, `name` as alt (else `summary` as text); for a top-level `Image`/`Video`/`Audio`, its own media links too; at most [`MAX_ATTACHMENTS`] |
//! | `tags`            | `tag` entries of type `Hashtag`: `name` without `#`; at most [`MAX_TAGS`] |
//! | `url`             | `url` (a string, a `Link` or an array: the `text/html` one first), else `id` |
//! | `visibility`      | the addressing ([`visibility`]): public in `to`, public in `cc` only → unlisted, the followers → followers only, else direct |
//!
//! **Boosts** ([`item_from_announce`]) are the boosted object's content, author, attachments
//! and `url`, with `kind = Share`, the `Announce`'s id and date, and a first paragraph
//! "Boosted by NAME (@handle)" as the Mastodon connector writes it. The visibility is the
//! narrower of the object's and the `Announce`'s. Unlike the Mastodon connector (which
//! names a reblog by the boosted status), the item is named by the `Announce`: the `Undo`
//! that takes a boost back names the `Announce`, and must find the item to remove.
//!
//! Dropped on purpose: custom emoji (`Emoji` tags: shown as their `:shortcode:`), `Mention`
//! tags (the mentions stay links in the content), `Link` and other attachment types, counts
//! (`likes`, `shares`, `replies`), `conversation`/`context`, `source` (the author's markup
//! before rendering), quotes, an article's cover (`icon`), `bto`/`bcc`/`audience`, link
//! previews (the fediverse sends none: each server builds its own).

mod audience;
mod media;
mod text;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;

use braid_core::model::{Author, Item, ItemKind};
use braid_core::sanitize::{clean_html, clean_html_with_base, html_to_text};
use braid_core::RemoteId;
use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use crate::remote::{id_of, origin, RemoteActor};

pub use audience::{followers_collection, visibility};

/// At most this many attachments are kept of an object (Mastodon allows 4; a few servers
/// more): a hostile object with thousands costs nothing.
pub const MAX_ATTACHMENTS: usize = 16;
/// At most this many hashtags are kept of an object.
pub const MAX_TAGS: usize = 64;

/// The object types shown as items. Others (`Tombstone`, `Collection`, actors, activities,
/// `Link`, …) are refused with [`ConvertError::NotShown`].
const SHOWN: &[&str] = &[
    "Note", "Article", "Page", "Question", "Video", "Image", "Audio", "Event",
];

/// Why an object was not made into an item, or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// Not a JSON object with a `type`.
    #[error("activitypub: not an ActivityStreams object (no JSON object with a type)")]
    NotAnObject,

    /// A type Braid does not show (only `Note`, `Article`, `Page`, `Question`, `Video`,
    /// `Image`, `Audio` and `Event` are).
    #[error("activitypub: {0} objects are not shown")]
    NotShown(String),

    /// No `id`: nothing to name the item by, nothing to check the origin of.
    #[error("activitypub: the {0} has no id")]
    NoId(String),

    /// The object's `id` is on another server than its actor's: a server may only speak
    /// for its own objects.
    #[error("activitypub: {id} is not on the server of {actor}; refused")]
    CrossOrigin { id: String, actor: String },

    /// `attributedTo` names someone else (or no one) than the actor it came from.
    #[error("activitypub: {id} is attributed to {claimed}, not to {actor}; refused")]
    NotAttributed {
        id: String,
        claimed: String,
        actor: String,
    },

    /// The `Announce` is not by the booster it came with.
    #[error("activitypub: the Announce {id} is by {claimed}, not by {booster}; refused")]
    NotTheBooster {
        id: String,
        claimed: String,
        booster: String,
    },

    /// The `Announce` boosts another object than the one it came with.
    #[error("activitypub: the Announce {id} boosts {announced}, not {object}")]
    NotTheObject {
        id: String,
        announced: String,
        object: String,
    },
}

/// A value from elsewhere, cut short for an error message (an id may be megabytes).
fn short(s: &str) -> String {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// The object's type: a string, or the first shown type of an array (JSON-LD allows
/// several, as `["Note", "sc:Thing"]`).
pub(crate) fn type_of(v: &Value) -> Option<&str> {
    match &v["type"] {
        Value::String(s) => Some(s),
        Value::Array(a) => {
            let names = a.iter().take(16).filter_map(Value::as_str);
            let mut first = None;
            for name in names {
                if SHOWN.contains(&name) || name == "Announce" || name == "Person" {
                    return Some(name);
                }
                first = first.or(Some(name));
            }
            first
        }
        _ => None,
    }
}

/// The object's `id`, when it has a non-empty one.
fn id_str(v: &Value) -> Option<&str> {
    v["id"].as_str().filter(|s| !s.trim().is_empty())
}

/// A reference that may also be an array of them (`inReplyTo`, `object`): the first.
fn first_id(v: &Value) -> Option<&str> {
    match v {
        Value::Array(a) => a.first().and_then(id_of),
        v => id_of(v),
    }
    .filter(|s| !s.trim().is_empty())
}

/// An RFC 3339 time (`xsd:dateTime` as the fediverse writes it, with or without
/// fractional seconds).
fn time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `s` as an absolute http(s) URL.
pub(crate) fn web_url(s: &str) -> Option<Url> {
    Url::parse(s.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// A plain-text field: trimmed, `None` when empty.
fn plain(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The author of an item, as the Mastodon connector names one: the handle is
/// `@user@host`, so a person reached both ways has one handle.
pub fn author(actor: &RemoteActor) -> Author {
    Author {
        name: actor
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        handle: actor.handle().map(|h| format!("@{h}")),
        url: actor
            .url
            .as_deref()
            .and_then(web_url)
            .or_else(|| web_url(&actor.id))
            .map(String::from),
        avatar: actor.icon.as_deref().and_then(web_url).map(String::from),
    }
}

/// Converts a `Note`, `Article`, `Page`, `Question`, `Video`, `Image`, `Audio` or `Event`
/// by `author` into an item (see the module documentation for each field). Does not check
/// that `author` wrote it: the caller has ([`check_object_origin`]).
pub fn item_from_object(object: &Value, author: &RemoteActor) -> Result<Item, ConvertError> {
    let kind = type_of(object).ok_or(ConvertError::NotAnObject)?;
    if !SHOWN.contains(&kind) {
        return Err(ConvertError::NotShown(short(kind)));
    }
    let id = id_str(object).ok_or_else(|| ConvertError::NoId(kind.to_owned()))?;
    let article = matches!(kind, "Article" | "Page");
    let url = media::page_url(&object["url"]);
    let base = url.as_deref().and_then(web_url).or_else(|| web_url(id));
    let sanitize = |html: &str| match &base {
        Some(base) => clean_html_with_base(html, base).trimmed(),
        None => clean_html(html).trimmed(),
    };
    let (body, language) = text::content(object);
    let name = plain(&object["name"]);
    let mut html = String::new();
    if !article && matches!(kind, "Video" | "Audio" | "Image" | "Event") {
        if let Some(name) = &name {
            html.push_str(&text::heading(name, url.as_deref()));
        }
    }
    html.push_str(body.unwrap_or_default());
    match kind {
        "Question" => html.push_str(&text::poll_html(object)),
        "Event" => html.push_str(&text::event_html(object)),
        _ => {}
    }
    let content_html = Some(sanitize(&html)).filter(|h| !h.is_blank());

    let mut attachments = media::attachments(&object["attachment"]);
    if matches!(kind, "Image" | "Video" | "Audio") {
        media::add_own_media(&object["url"], &mut attachments);
    }
    let summary = object["summary"].as_str().filter(|s| !s.trim().is_empty());
    let sensitive = object["sensitive"].as_bool() == Some(true);
    let (summary_html, content_warning) = if article {
        let cw = sensitive.then(|| {
            summary
                .map(html_to_text)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "Sensitive content".to_owned())
        });
        (summary.map(&sanitize).filter(|h| !h.is_blank()), cw)
    } else {
        let cw = summary
            .map(html_to_text)
            .filter(|s| !s.is_empty())
            .or_else(|| {
                (sensitive && !attachments.is_empty()).then(|| "Sensitive media".to_owned())
            });
        (None, cw)
    };
    let in_reply_to = first_id(&object["inReplyTo"]).map(str::to_owned);
    let title = if article { name } else { None };
    Ok(Item {
        remote_id: RemoteId(id.to_owned()),
        kind: if in_reply_to.is_some() {
            ItemKind::Reply
        } else if title.is_some() {
            ItemKind::Article
        } else {
            ItemKind::Note
        },
        author: Some(self::author(author)),
        title,
        content_html,
        content_text: None,
        summary: summary_html,
        content_warning,
        language,
        published: time(&object["published"]),
        updated: time(&object["updated"]),
        in_reply_to,
        attachments,
        tags: text::hashtags(&object["tag"]),
        url: url.or_else(|| web_url(id).map(String::from)),
        visibility: visibility(object, author),
        card: None,
    })
}

/// Converts a boost: `announce` by `booster` of `object` by `author` (see the module
/// documentation). The `Announce` must be by `booster` and name `object`.
pub fn item_from_announce(
    announce: &Value,
    booster: &RemoteActor,
    object: &Value,
    author: &RemoteActor,
) -> Result<Item, ConvertError> {
    let kind = type_of(announce).ok_or(ConvertError::NotAnObject)?;
    if kind != "Announce" {
        return Err(ConvertError::NotShown(format!(
            "{} (as a boost)",
            short(kind)
        )));
    }
    let id = id_str(announce).ok_or_else(|| ConvertError::NoId("Announce".into()))?;
    let by = first_id(&announce["actor"]).unwrap_or_default();
    if by != booster.id {
        return Err(ConvertError::NotTheBooster {
            id: short(id),
            claimed: short(by),
            booster: short(&booster.id),
        });
    }
    let announced = first_id(&announce["object"]).unwrap_or_default();
    let object_id = id_str(object).unwrap_or_default();
    if announced != object_id || announced.is_empty() {
        return Err(ConvertError::NotTheObject {
            id: short(id),
            announced: short(announced),
            object: short(object_id),
        });
    }
    let mut item = item_from_object(object, author)?;
    item.remote_id = RemoteId(id.to_owned());
    item.kind = ItemKind::Share;
    let note = text::boost_note(&self::author(booster));
    let body = item
        .content_html
        .take()
        .map(|h| h.into_string())
        .unwrap_or_default();
    // Both parts are sanitized already (the note escapes every text it holds); cleaning the
    // whole again keeps `SafeHtml` made only by the sanitizer.
    item.content_html = Some(clean_html(&format!("{note}{body}")).trimmed());
    item.published = time(&announce["published"]).or(item.published);
    // A boost of a public object, boosted to followers only, is followers only.
    item.visibility = item.visibility.max(visibility(announce, booster));
    Ok(item)
}

/// The inbox's check that `object` is `actor`'s to send: its `id` is on the actor's server
/// (same scheme, host and port: a server speaks only for its own objects, as FEP-fe34 puts
/// it) and its `attributedTo` (a string, an object, or an array: the first `Person` in it,
/// else its first entry) is the actor. Refuses a spoofed `attributedTo` and an object
/// relayed from another server, which must be fetched from its origin instead.
pub fn check_object_origin(object: &Value, actor: &RemoteActor) -> Result<(), ConvertError> {
    let kind = type_of(object).unwrap_or("object");
    let id = id_str(object).ok_or_else(|| ConvertError::NoId(short(kind)))?;
    // An id that is no web URL has an opaque origin ("null"), equal to any other.
    let here = web_url(id).and_then(|_| origin(id));
    if here.is_none() || here != origin(&actor.id) {
        return Err(ConvertError::CrossOrigin {
            id: short(id),
            actor: short(&actor.id),
        });
    }
    let claimed = attributed_to(&object["attributedTo"]);
    if claimed != Some(actor.id.as_str()) {
        return Err(ConvertError::NotAttributed {
            id: short(id),
            claimed: claimed.map_or_else(|| "no one".to_owned(), short),
            actor: short(&actor.id),
        });
    }
    Ok(())
}

/// Who `object` says wrote it (its `attributedTo`), to fetch that actor.
pub fn author_of(object: &Value) -> Option<String> {
    attributed_to(&object["attributedTo"]).map(str::to_owned)
}

/// Who `attributedTo` names: a string, an object's `id`, or in an array the first `Person`
/// (PeerTube lists the account and its channel), else the first entry.
fn attributed_to(v: &Value) -> Option<&str> {
    match v {
        Value::Array(a) => a
            .iter()
            .take(64)
            .find(|e| type_of(e) == Some("Person"))
            .or_else(|| a.first())
            .and_then(id_of),
        v => id_of(v),
    }
}
