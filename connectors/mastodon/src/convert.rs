//! Mastodon statuses into Braid items. Pure: no network, no clock.
//!
//! | `Item` field      | from the status (`wire::Status`)                                   |
//! |-------------------|--------------------------------------------------------------------|
//! | `remote_id`       | `uri` (the ActivityPub id, the same on every instance)             |
//! | `kind`            | `Share` for a reblog, `Reply` when `in_reply_to_id`, else `Note`   |
//! | `author`          | `account`: `display_name`, `@acct@host`, `url`, `avatar`           |
//! | `content_html`    | `content`, sanitized; a poll appended as a list; a boost note first |
//! | `content_warning` | `spoiler_text`; `"Sensitive media"` when only `sensitive` is set   |
//! | `language`        | `language`                                                         |
//! | `published`       | `created_at`                                                       |
//! | `updated`         | `edited_at` (so the store's newer-updated-wins applies an edit)    |
//! | `in_reply_to`     | the parent's `uri` when it was in the same poll, else the parent's API URL `{instance}/api/v1/statuses/{id}` |
//! | `attachments`     | `media_attachments`: `url` (or `remote_url`), `description` as alt, MIME guessed from the file extension (Mastodon gives only a category) |
//! | `tags`            | `tags[].name`                                                      |
//! | `url`             | `url`, else `uri`                                                  |
//! | `visibility`      | `public`, `unlisted`, `private` → followers only, `direct`; anything else (Pleroma `local`, Akkoma `list`, …) → `Direct`, so an unknown scope is never widened |
//! | `card`            | `card` (the link preview) when it has an absolute http(s) `url` and a title: `title`, `description`, `image`, `provider_name`, as plain text |
//!
//! **Boosts.** The item is the *boosted* status (its `uri`, author, content and date), with
//! `kind = Share` and a first paragraph "Boosted by NAME (@handle)". So a status boosted by
//! three people one follows is one timeline entry, not three, and the original author is the
//! author. The booster is kept only in that note. If the same status arrives unboosted later,
//! the upsert keeps one row.
//!
//! Dropped on purpose: custom emoji (shown as their `:shortcode:`), mentions' account ids,
//! counts (favourites, boosts, replies), filters, quotes.

use std::collections::HashMap;

use braid_core::model::{Attachment, Author, Item, ItemKind, LinkCard, Visibility};
use braid_core::sanitize::clean_html_with_base;
use braid_core::RemoteId;
use url::Url;

use crate::wire::{Account, MediaAttachment, Poll, PreviewCard, Status};

/// What a conversion needs besides the status itself.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The instance the status was read from: resolves relative URLs and local handles.
    pub instance: &'a Url,
    /// Instance-local status id → `uri`, for the statuses seen in the same poll, so a reply's
    /// `in_reply_to` can name its parent's `remote_id` when the parent is known.
    pub uris: &'a HashMap<String, String>,
}

/// Converts one status (a boost included) into an item.
pub fn status_to_item(status: &Status, ctx: &Context<'_>) -> Item {
    match &status.reblog {
        Some(original) => {
            let mut item = own_status_to_item(original, ctx);
            item.kind = ItemKind::Share;
            let booster = author(&status.account, ctx.instance);
            let note = boost_note(&booster);
            let body = item
                .content_html
                .take()
                .map(|h| h.into_string())
                .unwrap_or_default();
            item.content_html =
                Some(clean_html_with_base(&format!("{note}{body}"), ctx.instance).trimmed());
            // A boost of a public status is shown with the boost's own scope when narrower.
            item.visibility = item.visibility.max(visibility(&status.visibility));
            item
        }
        None => own_status_to_item(status, ctx),
    }
}

fn own_status_to_item(status: &Status, ctx: &Context<'_>) -> Item {
    let mut html = status.content.clone();
    if let Some(poll) = &status.poll {
        html.push_str(&poll_html(poll));
    }
    let content_warning = if !status.spoiler_text.trim().is_empty() {
        Some(status.spoiler_text.trim().to_owned())
    } else if status.sensitive && !status.media_attachments.is_empty() {
        Some("Sensitive media".to_owned())
    } else {
        None
    };
    let in_reply_to = status.in_reply_to_id.as_ref().map(|id| {
        ctx.uris
            .get(id)
            .cloned()
            .unwrap_or_else(|| api_status_url(ctx.instance, id))
    });
    Item {
        remote_id: RemoteId(status.uri.clone()),
        kind: if in_reply_to.is_some() {
            ItemKind::Reply
        } else {
            ItemKind::Note
        },
        author: Some(author(&status.account, ctx.instance)),
        title: None,
        content_html: Some(clean_html_with_base(&html, ctx.instance).trimmed()),
        content_text: None,
        summary: None,
        content_warning,
        language: status.language.clone().filter(|l| !l.trim().is_empty()),
        published: status.created_at,
        updated: status.edited_at,
        in_reply_to,
        attachments: status
            .media_attachments
            .iter()
            .filter_map(attachment)
            .collect(),
        tags: status.tags.iter().map(|t| t.name.clone()).collect(),
        url: status.url.clone().or_else(|| Some(status.uri.clone())),
        visibility: visibility(&status.visibility),
        card: status.card.as_ref().and_then(card),
    }
}

/// The link preview, when it names a web page and has a title; its texts are plain.
fn card(card: &PreviewCard) -> Option<LinkCard> {
    let web = |u: &str| {
        Url::parse(u.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from)
    };
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Some(LinkCard {
        url: web(&card.url)?,
        title: text(&card.title)?,
        description: text(&card.description),
        image: card.image.as_deref().and_then(web),
        provider: text(&card.provider_name),
    })
}

/// The API URL of a status on `instance`: what a reply names when its parent's `uri` is not
/// known (`GET` on it answers the parent, `uri` included).
pub fn api_status_url(instance: &Url, id: &str) -> String {
    let base = instance.as_str().trim_end_matches('/');
    format!("{base}/api/v1/statuses/{id}")
}

/// Mastodon's four scopes; an unknown one is treated as the narrowest (never widen).
pub fn visibility(scope: &str) -> Visibility {
    match scope {
        "public" => Visibility::Public,
        "unlisted" => Visibility::Unlisted,
        "private" => Visibility::FollowersOnly,
        _ => Visibility::Direct,
    }
}

/// The `visibility` parameter for publishing.
pub fn scope(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public => "public",
        Visibility::Unlisted => "unlisted",
        Visibility::FollowersOnly => "private",
        Visibility::Direct => "direct",
    }
}

fn author(account: &Account, instance: &Url) -> Author {
    Author {
        name: Some(account.display_name.trim().to_owned()).filter(|n| !n.is_empty()),
        handle: handle(account, instance),
        url: account.url.clone(),
        avatar: account.avatar.clone().filter(|a| !a.is_empty()),
    }
}

/// `@user@host`. `acct` has no host for local accounts: it is the host of the account's
/// profile URL, else of the instance.
pub fn handle(account: &Account, instance: &Url) -> Option<String> {
    let acct = if account.acct.is_empty() {
        &account.username
    } else {
        &account.acct
    };
    let acct = acct.trim_start_matches('@');
    if acct.is_empty() {
        return None;
    }
    if acct.contains('@') {
        return Some(format!("@{acct}"));
    }
    let host = account
        .url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .or_else(|| instance.host_str().map(str::to_owned))?;
    Some(format!("@{acct}@{host}"))
}

fn attachment(media: &MediaAttachment) -> Option<Attachment> {
    let url = media
        .url
        .clone()
        .or_else(|| media.remote_url.clone())
        .filter(|u| !u.is_empty())?;
    Some(Attachment {
        media_type: guess_media_type(&url, &media.kind),
        alt: media
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        size: None,
        url,
    })
}

/// Mastodon names a category (`image`, `video`, `gifv`, `audio`), not a MIME type; the file
/// extension usually tells the real type. `None` when neither does.
fn guess_media_type(url: &str, kind: &str) -> Option<String> {
    let path = Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let by_ext = match ext.as_deref() {
        Some("jpg" | "jpeg") => Some("image/jpeg"),
        Some("png") => Some("image/png"),
        Some("gif") => Some("image/gif"),
        Some("webp") => Some("image/webp"),
        Some("avif") => Some("image/avif"),
        Some("heic") => Some("image/heic"),
        Some("svg") => Some("image/svg+xml"),
        Some("mp4" | "m4v") => Some("video/mp4"),
        Some("webm") => Some("video/webm"),
        Some("mov") => Some("video/quicktime"),
        Some("mp3") => Some("audio/mpeg"),
        Some("ogg" | "oga") => Some("audio/ogg"),
        Some("opus") => Some("audio/opus"),
        Some("m4a") => Some("audio/mp4"),
        Some("flac") => Some("audio/flac"),
        Some("wav") => Some("audio/wav"),
        _ => None,
    };
    by_ext
        .or(match kind {
            // Mastodon converts GIFs to silent MP4 loops.
            "gifv" => Some("video/mp4"),
            _ => None,
        })
        .map(str::to_owned)
}

/// A poll as text: `Poll (closed):` and one list item per option with its votes.
fn poll_html(poll: &Poll) -> String {
    let mut out = String::from("<p>");
    out.push_str(match (poll.expired, poll.multiple) {
        (true, _) => "Poll (closed)",
        (false, true) => "Poll (several choices)",
        (false, false) => "Poll",
    });
    if let (false, Some(at)) = (poll.expired, poll.expires_at) {
        out.push_str(&format!(", closes {}", at.format("%Y-%m-%d %H:%M UTC")));
    }
    out.push_str(":</p><ul>");
    for option in &poll.options {
        out.push_str("<li>");
        out.push_str(&escape(&option.title));
        if let Some(votes) = option.votes_count {
            let s = if votes == 1 { "" } else { "s" };
            out.push_str(&format!(" ({votes} vote{s})"));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
    out
}

fn boost_note(booster: &Author) -> String {
    let name = escape(booster.label().unwrap_or("someone"));
    let who = match (&booster.url, &booster.handle, &booster.name) {
        (Some(url), Some(handle), Some(_)) => {
            format!(
                "<a href=\"{}\">{name}</a> ({})",
                escape(url),
                escape(handle)
            )
        }
        (Some(url), _, _) => format!("<a href=\"{}\">{name}</a>", escape(url)),
        _ => name,
    };
    format!("<p>Boosted by {who}</p>")
}

pub(crate) use braid_core::sanitize::escape_html as escape;
