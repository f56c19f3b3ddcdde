//! Small readers for what feed-rs leaves to Braid: dates from elements it does not know, and
//! Atom content in base64.

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The first of `dates` that reads as a date. Dublin Core dates are W3CDTF (a profile of ISO
/// 8601: `2024-05-01`, `2024-05-01T10:00Z`, `2024-05-01T10:00:00+02:00`); some publishers put
/// RFC 822 dates there too. A date without a zone is taken as UTC.
pub(crate) fn first_date(dates: &[String]) -> Option<DateTime<Utc>> {
    dates.iter().find_map(|d| parse_date(d.trim()))
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let utc = |d: DateTime<chrono::FixedOffset>| d.with_timezone(&Utc);
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(utc(d));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(utc(d));
    }
    for f in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(utc(d));
        }
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// The text of base64 content of type `mime`, when it is text: a `text/*` or HTML type, or
/// `application/octet-stream` (which says nothing) holding UTF-8 with no control characters.
/// `None` for anything else (an image, a PDF, bytes that are not base64).
pub(crate) fn base64_text(mime: &str, body: &str) -> Option<String> {
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
pub(crate) fn looks_like_html(text: &str) -> bool {
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
    fn dates_in_the_forms_publishers_write() {
        let d = |s: &str| first_date(&[s.to_owned()]).map(|d| d.to_rfc3339());
        assert_eq!(
            d("2024-05-01T10:00:00Z").unwrap(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(
            d("2024-05-01T12:00:00+02:00").unwrap(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(d("2024-05-01T10:00Z").unwrap(), "2024-05-01T10:00:00+00:00");
        assert_eq!(
            d("2024-05-01T10:00:00").unwrap(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(d("2024-05-01").unwrap(), "2024-05-01T00:00:00+00:00");
        assert_eq!(
            d("Wed, 01 May 2024 10:00:00 GMT").unwrap(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(d("last Tuesday"), None);
        // The first readable one wins.
        let two = ["soon".to_owned(), "2024-05-02".to_owned()];
        assert_eq!(
            first_date(&two).unwrap().to_rfc3339(),
            "2024-05-02T00:00:00+00:00"
        );
    }

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
