//! Text constructs and content as HTML or plain text: what each format's types mean (RFC 4287
//! §3.1 and §4.1.3 for Atom; RSS descriptions are HTML in practice), and base64 content.

use base64::Engine as _;
use braid_core::sanitize::{clean_html, html_to_text};
use feed_rs::model::{Content, Text};

/// A text construct as plain text (titles, alt text). Markup is sanitized before its text is
/// taken, so a `<script>` body never becomes title text and a stray `<` is kept as text.
pub(crate) fn text_to_plain(t: &Text, plain_is_html: bool) -> String {
    let html = plain_is_html || is_markup(t.content_type.essence().to_string().as_str());
    plain_text(&t.content, html)
}

pub(crate) fn plain_text(content: &str, html: bool) -> String {
    if !content.contains(['<', '&']) {
        // No markup and no entities: the text is the text (and the sanitizer, the costliest
        // step of a conversion, is skipped for the common title).
        content
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    } else if html {
        html_to_text(&clean_html(content))
    } else {
        content.trim().to_owned()
    }
}

/// A text construct as (unsanitized) HTML.
pub(crate) fn text_to_html(t: &Text, plain_is_html: bool) -> String {
    let mime = t.content_type.essence().to_string();
    if is_markup(&mime) || plain_is_html {
        t.content.clone()
    } else {
        plain_to_html(&t.content)
    }
}

/// Content as (unsanitized) HTML; `Err` says why a body that is there could not be read.
pub(crate) fn content_to_html(c: &Content) -> Result<Option<String>, String> {
    let Some(body) = c.body.as_deref() else {
        return Ok(None); // out-of-line content (`src`): the link is the content
    };
    let mime = c.content_type.essence().to_string().to_ascii_lowercase();
    if is_markup(&mime) {
        Ok(Some(body.to_owned()))
    } else if mime.starts_with("text/") {
        Ok(Some(plain_to_html(body)))
    } else {
        // RFC 4287 §4.1.3.3 rule 6: any other type is base64. Text and HTML are shown; an
        // image or a PDF is no text, and the loss is said.
        match base64_text(&mime, body) {
            Some(text) if looks_like_html(&text) => Ok(Some(text)),
            Some(text) => Ok(Some(plain_to_html(&text))),
            None => Err(format!("has content of type {mime}")),
        }
    }
}

/// feed-rs labels Atom `type="xhtml"` as `application/xhtml` (sic) and `html` as `text/html`.
pub(crate) fn is_markup(mime: &str) -> bool {
    matches!(
        mime,
        "text/html" | "application/xhtml" | "application/xhtml+xml"
    )
}

/// Escapes plain text and keeps its paragraphs (blank lines) and line breaks.
pub(crate) fn plain_to_html(text: &str) -> String {
    let escaped = braid_core::sanitize::escape_html(text.trim());
    let paragraphs: Vec<String> = escaped
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", p.replace('\n', "<br>")))
        .collect();
    paragraphs.concat()
}

/// The text of base64 content of type `mime`, when it is text: a `text/*` or HTML type, or
/// `application/octet-stream` (which says nothing) holding UTF-8 with no control characters.
/// `None` for anything else (an image, a PDF, bytes that are not base64).
fn base64_text(mime: &str, body: &str) -> Option<String> {
    let textual =
        mime.starts_with("text/") || mime.contains("html") || mime == "application/octet-stream";
    if !textual {
        return None;
    }
    let compact: Vec<u8> = body.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let binary = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'));
    (!binary && !text.trim().is_empty()).then_some(text)
}

/// True when `text` has an HTML tag in it (`<p>`, `</a>`, `<br/>`), so it is read as HTML,
/// not escaped as text.
fn looks_like_html(text: &str) -> bool {
    text.match_indices('<').any(|(i, _)| {
        let rest = &text[i + 1..];
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        rest.starts_with(|c: char| c.is_ascii_alphabetic()) && rest.contains('>')
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn base64_is_read_only_when_it_is_text() {
        assert_eq!(
            base64_text("application/octet-stream", "PHA+SGk8L3A+\n").as_deref(),
            Some("<p>Hi</p>")
        );
        assert_eq!(base64_text("image/png", "iVBORw0KGgo="), None);
        // PNG magic bytes under a type that says nothing: binary, not text.
        assert_eq!(
            base64_text("application/octet-stream", "iVBORw0KGgoAAAANSUhEUg=="),
            None
        );
        assert_eq!(base64_text("application/octet-stream", "not base64!"), None);
        assert!(looks_like_html("<p>x</p>") && looks_like_html("a <br/> b"));
        assert!(!looks_like_html("1 < 2 and 3 > 2"));
    }
}
