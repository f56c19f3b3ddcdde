//! The per-item content cap: one 9 MB entry must not make a 9 MB row, a 9 MB search-index
//! entry and, on every page that shows it, a 9 MB response.
//!
//! An oversized body is cut at a tag boundary and sanitized again, which closes every element
//! the cut left open, so what is stored is still `SafeHtml` and still well-formed. A paragraph
//! at its end says it was shortened and links to the original.

use braid_core::sanitize::{clean_html, escape_html, SafeHtml};

/// Default for `storage.max_content_bytes`: generous for any article (a long one is 100 KB of
/// HTML), small enough that no single item dominates the database or a page.
pub const DEFAULT_MAX_CONTENT_BYTES: usize = 1024 * 1024;

/// Below this a cap would leave no room for the content and the mark; smaller settings are
/// raised to it.
const MIN_CAP: usize = 4096;

/// `html` cut to at most `max` bytes (including the "shortened" mark), or `None` when it fits.
pub fn cap_html(html: &SafeHtml, max: usize, original: Option<&str>) -> Option<SafeHtml> {
    let max = max.max(MIN_CAP);
    if html.len() <= max {
        return None;
    }
    let mark = mark(html.len(), max, original);
    // The mark goes after a balanced cut, so it lands at the top level (not inside an element
    // the cut left open), and the whole is sanitized once more: the result is `SafeHtml` by
    // construction. Sanitizing balanced, sanitized HTML changes (almost) nothing, so the size is
    // known before; the budget shrinks in the rare case it grew.
    let mut budget = max.saturating_sub(mark.len() + 64);
    for _ in 0..8 {
        let cut = cut_balanced(html, budget)
            .unwrap_or_else(|| clean_html(cut_before_tag(html, budget)).into_string());
        let capped = clean_html(&format!("{cut}{mark}"));
        if capped.len() <= max {
            return Some(capped);
        }
        budget = budget.saturating_sub(capped.len() - max + 64);
    }
    Some(clean_html(&mark))
}

/// `text` cut to at most `max` bytes at a character boundary, with an ellipsis, or `None` when
/// it fits.
pub fn cap_text(text: &str, max: usize) -> Option<String> {
    let max = max.max(MIN_CAP);
    if text.len() <= max {
        return None;
    }
    let ellipsis = " …";
    let cut = floor_char_boundary(text, max - ellipsis.len());
    Some(format!("{}{ellipsis}", text[..cut].trim_end()))
}

/// The longest prefix of `html` of at most `max` bytes that does not end inside a tag: it ends
/// right before a `<`. (A `<` inside an attribute value may still be the one found; sanitizing
/// the result drops such a half tag.)
fn cut_before_tag(html: &str, max: usize) -> &str {
    let end = floor_char_boundary(html, max);
    match html[..end].rfind('<') {
        Some(lt) if lt > 0 => &html[..lt],
        _ => &html[..end],
    }
}

/// Elements without end tags (HTML's void elements).
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// The prefix of sanitized `html` up to the last token boundary within `max` bytes (a text run
/// may be cut, never inside a character reference), followed by the end tags of the elements
/// open there: balanced HTML. `None` when `html` is not in the grammar below.
///
/// Sanitized HTML is html5ever's serialization of ammonia's output, so its grammar is small:
/// double-quoted attribute values with `"` escaped, `<` and `>` escaped in text, no comments and
/// no raw-text elements. The scan is linear and allocates only the result.
pub fn cut_balanced(html: &str, max: usize) -> Option<String> {
    let bytes = html.as_bytes();
    let mut open: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let end = tag_end(bytes, i)?;
            if end > max {
                break;
            }
            let tag = &html[i + 1..end - 1];
            if let Some(name) = tag.strip_prefix('/') {
                if open.pop() != Some(name.trim()) {
                    return None;
                }
            } else {
                let name = tag
                    .split(|c: char| c.is_ascii_whitespace() || c == '/')
                    .next()
                    .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric()))?;
                if !VOID.contains(&name) && !tag.ends_with('/') {
                    open.push(name);
                }
            }
            i = end;
        } else {
            let next = html[i..].find('<').map_or(bytes.len(), |n| i + n);
            if next > max {
                let mut cut = floor_char_boundary(html, max);
                // Never split `&amp;` and friends: stop before an unfinished reference.
                if let Some(amp) = html[i..cut].rfind('&') {
                    if !html[i + amp..cut].contains(';') {
                        cut = i + amp;
                    }
                }
                i = cut;
                break;
            }
            i = next;
        }
    }
    let mut out = String::with_capacity(i + open.len() * 8);
    out.push_str(&html[..i]);
    for name in open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    Some(out)
}

/// The index just past the `>` that ends the tag starting at `start`; quotes are respected.
fn tag_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut quoted = false;
    for (k, &b) in bytes.iter().enumerate().skip(start + 1) {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return Some(k + 1),
            b'<' if !quoted => return None,
            _ => {}
        }
    }
    None
}

/// The largest char boundary of `s` at or below `max`.
pub(crate) fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

fn mark(len: usize, max: usize, original: Option<&str>) -> String {
    let sizes = format!(
        "it was {}, more than the {} Braid keeps of one item",
        human(len),
        human(max)
    );
    match original {
        Some(url) => format!(
            "<p><em>Shortened by Braid: {sizes}.</em> <a href=\"{}\">Read the original</a>.</p>",
            escape_html(url)
        ),
        None => format!("<p><em>Shortened by Braid: {sizes}.</em></p>"),
    }
}

fn human(bytes: usize) -> String {
    // A display value: f64's precision is plenty.
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if mib >= 1.0 {
        format!("{mib:.1} MiB")
    } else {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn short_content_is_left_alone() {
        let html = clean_html("<p>short</p>");
        assert_eq!(cap_html(&html, 10_000, None), None);
        assert_eq!(cap_text("short", 10_000), None);
    }

    #[test]
    fn a_cut_stays_sanitized_balanced_and_within_the_cap() {
        let para = "<div><p>Some <b>bold <i>and italic</i></b> text &amp; a <a href=\"https://x.example/?a=1&amp;b=2\" title=\"a<b\">link</a>. Grüße 日本</p></div>";
        let html = clean_html(&para.repeat(2_000));
        for max in [4096, 5000, 10_007, 65_536] {
            let cut = cap_html(&html, max, Some("https://x.example/orig\"><script>")).unwrap();
            assert!(cut.len() <= max, "{} > {max}", cut.len());
            assert!(cut.len() > max / 2, "{} kept of {max}", cut.len());
            assert_eq!(clean_html(&cut), cut, "not a fixed point of the sanitizer");
            assert!(cut.starts_with(&html[..1000]));
            assert!(
                cut.ends_with("Read the original</a>.</p>"),
                "{}",
                &cut[cut.len() - 200..]
            );
            assert!(!cut.contains("<script>"));
        }
    }

    #[test]
    fn text_is_cut_at_a_character_boundary() {
        let text = "日本語".repeat(5_000);
        let cut = cap_text(&text, 4096).unwrap();
        assert!(cut.len() <= 4096);
        assert!(cut.ends_with(" …"));
    }
}
