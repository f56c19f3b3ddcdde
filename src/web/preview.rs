//! List views (the timeline page, `/api/timeline`) carry a bounded preview of each item, so one
//! long item cannot make every page that lists it long: a page of 30 items is at most about
//! 30 × [`PREVIEW_HTML_BYTES`]. The whole item is one request away (`/items/ID`,
//! `/api/items/ID`).
//!
//! The HTML preview is a prefix of the stored (sanitized) HTML cut at a token boundary, with
//! end tags for the elements left open ([`cut_balanced`]): a scan of a few microseconds, where
//! sanitizing the prefix again would be a parse per item per request. Anything the scan does
//! not expect falls back to that re-sanitizing, so the preview is always sanitized and balanced.

use braid_core::sanitize::{clean_html, SafeHtml};

use crate::ingest::{cut_balanced, floor_char_boundary};

use crate::store::StoredItem;

/// The most HTML a list shows of one item (a long blog post's first screens).
pub const PREVIEW_HTML_BYTES: usize = 16 * 1024;
/// The most plain text a list carries of one item.
pub const PREVIEW_TEXT_BYTES: usize = 4 * 1024;

/// `stored` with its bodies cut to the preview bounds; `true` when anything was cut.
pub fn bounded(mut stored: StoredItem) -> (StoredItem, bool) {
    let mut cut = false;
    let item = &mut stored.item;
    for field in [&mut item.content_html, &mut item.summary] {
        if let Some(short) = field.as_ref().and_then(|h| cut_html(h, PREVIEW_HTML_BYTES)) {
            *field = Some(short);
            cut = true;
        }
    }
    if let Some(text) = &item.content_text {
        if text.len() > PREVIEW_TEXT_BYTES {
            let end = floor_char_boundary(text, PREVIEW_TEXT_BYTES - '…'.len_utf8());
            item.content_text = Some(format!("{}…", &text[..end]));
            cut = true;
        }
    }
    (stored, cut)
}

/// `html` cut to about `max` bytes (plus the end tags it needs), or `None` when it fits.
pub fn cut_html(html: &SafeHtml, max: usize) -> Option<SafeHtml> {
    if html.len() <= max {
        return None;
    }
    Some(match cut_balanced(html, max) {
        // A prefix of HTML from the store, cut between tokens, with its open elements closed.
        Some(cut) => SafeHtml::from_store(cut),
        None => clean_html(&html[..floor_char_boundary(html, max)]),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn previews_are_balanced_sanitized_prefixes() {
        let para = "<div><p>Some <b>bold <i>and italic</i></b> text &amp; a <a href=\"https://x.example/?a=1&amp;b=2\" title=\"a<b>c\">link</a><br>. Grüße 日本</p><ul><li>one</li></ul></div>";
        let html = clean_html(&para.repeat(500));
        // Cuts at 60 places spread over many token kinds (sanitizing is slow in debug builds).
        for max in (1..=60).map(|k| k * 29) {
            let cut = cut_html(&html, max * 13).unwrap();
            // A prefix of the stored HTML, then only end tags.
            let common = html
                .bytes()
                .zip(cut.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            // (A shared `</` of two different end tags is not part of the prefix.)
            let common = match cut[common..].starts_with('<') || common == cut.len() {
                true => common,
                false => cut[..common].rfind('<').unwrap_or(common),
            };
            let rest = &cut[common..];
            assert!(
                rest.split_inclusive('>').all(|t| t.starts_with("</")),
                "max {}: {rest}",
                max * 13
            );
            assert_eq!(clean_html(&cut), cut, "max {}: {cut}", max * 13);
            assert!(cut.len() <= max * 13 + 40, "{} > {}", cut.len(), max * 13);
        }
        assert_eq!(cut_html(&html, html.len()), None);
    }

    #[test]
    fn unexpected_markup_falls_back_to_the_sanitizer() {
        // Not what the store holds (an unbalanced end tag): the scan gives up, the sanitizer
        // still makes a safe preview.
        let odd = SafeHtml::from_store(format!("</i><p>{}</p>", "x".repeat(100)));
        let cut = cut_html(&odd, 50).unwrap();
        assert_eq!(clean_html(&cut), cut);
    }
}
