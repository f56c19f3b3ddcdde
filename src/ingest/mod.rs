//! Ingest: the gate between connectors and the store. Whatever a connector produced, the item
//! that reaches the store has sanitized HTML (guaranteed by the `SafeHtml` type: a connector
//! cannot put anything else in those fields), plain text for search, clean one-line titles, and
//! only http(s) URLs in places the web UI turns into links.

mod cap;

use braid_core::model::{Attachment, Author, Item};
use braid_core::sanitize::html_to_text;

pub(crate) use cap::floor_char_boundary;
pub use cap::{cut_balanced, DEFAULT_MAX_CONTENT_BYTES};

/// Longest title kept, in characters; longer ones are cut with an ellipsis.
const MAX_TITLE_CHARS: usize = 500;

/// Makes `items` safe to store, each body cut to `max_content_bytes` (the config's
/// `storage.max_content_bytes`). Pure and synchronous; callers run it off the async threads
/// when batches are large.
pub fn prepare(items: Vec<Item>, max_content_bytes: usize) -> Vec<Item> {
    items
        .into_iter()
        .map(|item| prepare_item(item, max_content_bytes))
        .collect()
}

/// Makes one item safe to store.
pub fn prepare_item(mut item: Item, max_content_bytes: usize) -> Item {
    item.title = item
        .title
        .as_deref()
        .map(clean_text)
        .filter(|t| !t.is_empty());
    if let Some(title) = &mut item.title {
        if title.chars().count() > MAX_TITLE_CHARS {
            *title = title.chars().take(MAX_TITLE_CHARS).collect::<String>() + "…";
        }
    }
    // HTML fields are `SafeHtml`: sanitized by construction (in the connector, where the base
    // URL for relative links is known), so there is no second sanitizer pass here.
    item.content_html = item.content_html.filter(|h| !h.is_blank());
    item.summary = item.summary.filter(|h| !h.is_blank());
    item.content_warning = item
        .content_warning
        .as_deref()
        .map(clean_text)
        .filter(|t| !t.is_empty());
    let text = match item.content_text.take() {
        Some(t) if !t.trim().is_empty() => clean_text_keep_lines(&t),
        _ => item
            .content_html
            .as_deref()
            .or(item.summary.as_deref())
            .map(html_to_text)
            .unwrap_or_default(),
    };
    item.content_text = (!text.is_empty()).then_some(text);
    item.url = item.url.and_then(web_url);
    cap_content(&mut item, max_content_bytes);
    item.author = item.author.map(|a| Author {
        name: a.name.as_deref().map(clean_text).filter(|n| !n.is_empty()),
        handle: a
            .handle
            .as_deref()
            .map(clean_text)
            .filter(|n| !n.is_empty()),
        url: a.url.and_then(web_url),
        avatar: a.avatar.and_then(web_url),
    });
    item.attachments = item
        .attachments
        .into_iter()
        .filter_map(|a| {
            Some(Attachment {
                url: web_url(a.url)?,
                media_type: a.media_type.map(|m| clean_text(&m)),
                alt: a.alt.as_deref().map(clean_text).filter(|t| !t.is_empty()),
                size: a.size,
            })
        })
        .collect();
    item.tags = item
        .tags
        .iter()
        .map(|t| clean_text(t))
        .filter(|t| !t.is_empty())
        .collect();
    item.tags.dedup();
    item.language = item
        .language
        .map(|l| clean_text(&l))
        .filter(|l| !l.is_empty());
    item
}

/// Cuts oversized bodies (see `cap.rs`); the mark links to the item's own (already checked) URL.
fn cap_content(item: &mut Item, max: usize) {
    let url = item.url.as_deref();
    if let Some(cut) = item
        .content_html
        .as_ref()
        .and_then(|h| cap::cap_html(h, max, url))
    {
        item.content_html = Some(cut);
    }
    if let Some(cut) = item
        .summary
        .as_ref()
        .and_then(|h| cap::cap_html(h, max, url))
    {
        item.summary = Some(cut);
    }
    if let Some(cut) = item
        .content_text
        .as_deref()
        .and_then(|t| cap::cap_text(t, max))
    {
        item.content_text = Some(cut);
    }
}

/// Plain text on one line: control characters dropped, whitespace collapsed.
fn clean_text(s: &str) -> String {
    collapse(s, false)
}

/// Plain text keeping line breaks.
fn clean_text_keep_lines(s: &str) -> String {
    collapse(s, true)
}

/// One pass over `s`: control characters dropped, runs of spaces collapsed to one, and line
/// breaks either kept (at most one blank line in a row, so paragraphs stay apart) or turned
/// into spaces. Trimmed.
fn collapse(s: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut space, mut newlines) = (false, 0u8);
    for c in s.chars() {
        if c == '\n' && keep_lines {
            newlines = newlines.saturating_add(1);
        } else if c.is_whitespace() {
            space = true;
        } else if !c.is_control() {
            if !out.is_empty() {
                match newlines {
                    0 if space => out.push(' '),
                    0 => {}
                    1 => out.push('\n'),
                    _ => out.push_str("\n\n"),
                }
            }
            (space, newlines) = (false, 0);
            out.push(c);
        }
    }
    out
}

/// Keeps only absolute http(s) URLs: `javascript:`, `data:` and relative URLs never become links.
fn web_url(raw: String) -> Option<String> {
    let parsed = url::Url::parse(raw.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A hostile item arriving as JSON (the way a misbehaving connector or a crafted payload
    /// would): the HTML fields are sanitized on the way in by `SafeHtml`, the rest by ingest.
    #[test]
    fn hostile_item_is_defused() {
        let raw = serde_json::json!({
            "remote_id": "x",
            "kind": "note",
            "title": "  Hello\n\tworld\u{7} ",
            "content_html": "<p>ok<script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">j</a></p>",
            "summary": "<iframe src=\"https://evil.example/\"></iframe>fine",
            "url": "javascript:alert(4)",
            "author": {"name": "Eve", "url": "data:text/html,hi"},
            "attachments": [{"url": "javascript:x"}],
            "tags": [], "visibility": "public"
        });
        let item = prepare_item(
            serde_json::from_value::<Item>(raw).unwrap(),
            DEFAULT_MAX_CONTENT_BYTES,
        );
        assert_eq!(item.title.as_deref(), Some("Hello world"));
        let html = item.content_html.unwrap_or_default();
        for bad in ["script", "onerror", "javascript:"] {
            assert!(!html.contains(bad), "{bad} left in {html}");
        }
        assert_eq!(item.summary.as_deref(), Some("fine"));
        assert_eq!(item.url, None);
        assert_eq!(item.author.and_then(|a| a.url), None);
        assert!(item.attachments.is_empty());
        assert_eq!(item.content_text.as_deref(), Some("okj"));
    }

    #[test]
    fn text_is_collapsed() {
        assert_eq!(clean_text("  a \t b\u{7}c \n d  "), "a bc d");
        assert_eq!(
            clean_text_keep_lines(" one  two \n \n\n three\r\n four "),
            "one two\n\nthree\nfour"
        );
    }
}
