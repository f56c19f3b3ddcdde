//! URLs and media: an object's `url` and its `attachment`s. ActivityStreams lets `url` be
//! a string, a `Link` (`href`, `mediaType`), an object with a `url` of its own, or an array
//! of any of them (PeerTube lists the page and each file; Pleroma gives an attachment's
//! `url` as an array of one `Link`). Only absolute http(s) URLs are kept.

use braid_core::model::Attachment;
use braid_core::sanitize::html_to_text;
use serde_json::Value;

use super::{type_of, web_url, MAX_ATTACHMENTS};

/// The entries of one `url` or `attachment` looked at: the rest of a huge array is ignored.
const MAX_ENTRIES: usize = 64;

/// One URL with the media type its `Link` declared.
struct Link {
    href: String,
    media_type: Option<String>,
}

/// A declared media type, when it looks like one (`type/subtype`, no spaces, short).
fn media_type(v: &Value) -> Option<String> {
    let t = v.as_str()?.trim();
    let ok = t.len() <= 100 && t.contains('/') && !t.contains(char::is_whitespace);
    ok.then(|| t.to_ascii_lowercase())
}

fn is_html(t: Option<&str>) -> bool {
    matches!(t, Some("text/html" | "application/xhtml+xml"))
}

/// The http(s) links in a `url` value, in order. `depth` stops an object whose `url` holds
/// an object whose `url` holds… (two levels: an `Image` whose `url` is a `Link`).
fn links(v: &Value, depth: u8, out: &mut Vec<Link>) {
    if out.len() >= MAX_ENTRIES {
        return;
    }
    match v {
        Value::String(s) => {
            if let Some(u) = web_url(s) {
                out.push(Link {
                    href: u.into(),
                    media_type: None,
                });
            }
        }
        Value::Array(a) if depth > 0 => {
            for e in a.iter().take(MAX_ENTRIES) {
                links(e, depth - 1, out);
            }
        }
        Value::Object(o) => {
            if let Some(href) = o.get("href").and_then(Value::as_str) {
                if let Some(u) = web_url(href) {
                    out.push(Link {
                        href: u.into(),
                        media_type: o.get("mediaType").and_then(media_type),
                    });
                }
            } else if let (Some(url), true) = (o.get("url"), depth > 0) {
                links(url, depth - 1, out);
            }
        }
        _ => {}
    }
}

fn all_links(v: &Value) -> Vec<Link> {
    let mut out = Vec::new();
    links(v, 2, &mut out);
    out
}

/// The object's web page: the `text/html` link first, else the first http(s) one.
pub(super) fn page_url(v: &Value) -> Option<String> {
    let mut all = all_links(v);
    let at = all
        .iter()
        .position(|l| is_html(l.media_type.as_deref()))
        .unwrap_or(0);
    (at < all.len()).then(|| all.swap_remove(at).href)
}

/// The attachments of `attachment` (one object or an array), in order, at most
/// [`MAX_ATTACHMENTS`].
pub(super) fn attachments(v: &Value) -> Vec<Attachment> {
    let entries: Vec<&Value> = match v {
        Value::Array(a) => a.iter().take(MAX_ENTRIES).collect(),
        v @ Value::Object(_) => vec![v],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for entry in entries {
        if out.len() >= MAX_ATTACHMENTS {
            break;
        }
        if let Some(a) = attachment(entry) {
            if !out.iter().any(|o: &Attachment| o.url == a.url) {
                out.push(a);
            }
        }
    }
    out
}

/// One `Document`, `Image`, `Video` or `Audio`: its first link that is not a web page.
fn attachment(v: &Value) -> Option<Attachment> {
    if !matches!(type_of(v)?, "Document" | "Image" | "Video" | "Audio") {
        return None;
    }
    let mut all = all_links(&v["url"]);
    let at = all.iter().position(|l| !is_html(l.media_type.as_deref()))?;
    let link = all.swap_remove(at);
    // `name` is the alt text Mastodon sends; GoToSocial announces a move to `summary` (HTML).
    let alt = v["name"]
        .as_str()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            v["summary"]
                .as_str()
                .map(html_to_text)
                .filter(|s| !s.is_empty())
        });
    Some(Attachment {
        url: link.href,
        media_type: media_type(&v["mediaType"]).or(link.media_type),
        alt,
        size: None,
    })
}

/// A top-level `Image`, `Video` or `Audio` is itself the media: its `url` links to files of
/// those types (PeerTube: one per resolution; the first is kept) are added to `out`.
pub(super) fn add_own_media(v: &Value, out: &mut Vec<Attachment>) {
    let media = all_links(v).into_iter().find(|l| {
        l.media_type.as_deref().is_some_and(|t| {
            ["image/", "video/", "audio/"]
                .iter()
                .any(|p| t.starts_with(p))
        })
    });
    if let Some(link) = media {
        if out.len() < MAX_ATTACHMENTS && !out.iter().any(|a| a.url == link.href) {
            out.push(Attachment {
                url: link.href,
                media_type: link.media_type,
                alt: None,
                size: None,
            });
        }
    }
}
