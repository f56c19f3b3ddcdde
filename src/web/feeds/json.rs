//! `GET /feed.json`: JSON Feed 1.1 (<https://www.jsonfeed.org/version/1.1/>). Small enough to
//! write with serde directly; field names follow the spec.

use serde::Serialize;

use super::{FeedDoc, FeedEntry};
use crate::web::WebError;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    description: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    /// The spec requires a string id, unique and stable.
    id: &'a str,
    url: &'a str,
    /// Omitted for notes: JSON Feed, unlike Atom, lets microblog posts go untitled.
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    /// Set (empty) only when there is no HTML body: JSON Feed 1.1 requires `content_html` or
    /// `content_text` on every item ("one must be present"), also for title-only entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: &'a Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a str,
    /// Required by the spec; unknown types are declared as bytes.
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

pub fn render(doc: &FeedDoc) -> Result<String, WebError> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &doc.title,
        description: &doc.description,
        home_page_url: &doc.home_url,
        feed_url: &doc.self_url,
        next_url: doc.next_url.as_deref(),
        items: doc.entries.iter().map(item).collect(),
    };
    serde_json::to_string_pretty(&feed).map_err(|e| WebError::Feed(format!("json: {e}")))
}

fn item(e: &FeedEntry) -> JsonItem<'_> {
    JsonItem {
        id: &e.id,
        url: &e.link,
        title: e.has_own_title.then_some(e.title.as_str()),
        content_html: e.content_html.as_deref(),
        content_text: e.content_html.is_none().then_some(""),
        date_published: e.published.map(|t| t.to_rfc3339()),
        date_modified: e.updated.to_rfc3339(),
        authors: e
            .author
            .iter()
            .map(|a| JsonAuthor {
                name: &a.name,
                url: a.url.as_deref(),
                avatar: a.avatar.as_deref(),
            })
            .collect(),
        tags: &e.tags,
        language: e.language.as_deref(),
        attachments: e
            .attachments
            .iter()
            .map(|a| JsonAttachment {
                url: &a.url,
                mime_type: a
                    .media_type
                    .as_deref()
                    .unwrap_or("application/octet-stream"),
                title: a.alt.as_deref(),
                size_in_bytes: a.size,
            })
            .collect(),
    }
}
