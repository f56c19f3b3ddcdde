//! Atom `type` attributes as feed-rs reads them. feed-rs 3.0.0 refuses a whole feed for a
//! text construct whose `type` is not `text`, `html` or `xhtml` (RFC 4287 §3.1.1), for
//! `<content>` of an XML type (§4.1.3.3 rule 4), and for empty content of any other media type;
//! feeds write Atom 0.3 MIME types and `mode` (draft-ietf-atompub-format-02 §3.1.2), upper case,
//! parameters and empty attributes.

/// The `type` a text construct (title, subtitle, summary, rights; Atom 0.3 tagline, copyright,
/// info) should have: `None` when it is fine as written, `Some(None)` to remove it (the default,
/// text), `Some(Some(t))` to write `t`.
pub(super) fn text_type(
    raw: Option<&str>,
    mode: Option<&str>,
    v03: bool,
    elements: bool,
) -> Option<Option<&'static str>> {
    let raw = raw?;
    let t = raw.trim().to_ascii_lowercase();
    let mode = mode.map(|m| m.trim().to_ascii_lowercase());
    let new = match (mode.as_deref(), t.as_str()) {
        (_, "") => None,
        (Some("escaped"), t) => Some(if t.contains("html") { "html" } else { "text" }),
        (_, "text" | "html" | "xhtml" | "text/html") if v03 && elements => Some("xhtml"),
        (_, "text") => Some("text"),
        (_, "html") => Some("html"),
        (_, "xhtml") => Some("xhtml"),
        (_, "text/html") => Some("text/html"),
        (_, "application/xhtml+xml") if elements => Some("xhtml"),
        (_, "application/xhtml+xml") => Some("html"),
        _ => Some("text"),
    };
    (new != Some(raw)).then_some(new)
}

/// What to do with an Atom `<content>`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ContentFix {
    Keep,
    /// Write this `type` (`None`: remove the attribute).
    Retype(Option<String>),
    /// Remove the element; `unreadable` names the type when something was lost.
    Remove {
        unreadable: Option<String>,
    },
}

///
/// In an Atom 1.0 feed only types that make feed-rs refuse the feed are changed, so a feed it
/// read before is read the same (and hashed ids stay what they were); Atom 0.3 feeds, which
/// feed-rs read as empty, have their `mode` and MIME types mapped to Atom 1.0's.
pub(super) fn content_type(
    raw: Option<&str>,
    mode: Option<&str>,
    has_src: bool,
    v03: bool,
    elements: bool,
    blank: bool,
) -> ContentFix {
    let Some(raw) = raw.filter(|_| !has_src) else {
        return ContentFix::Keep;
    };
    let t = raw
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mode = mode.filter(|_| v03).map(|m| m.trim().to_ascii_lowercase());
    let new: Option<String> = match (mode.as_deref(), t.as_str()) {
        _ if !v03 && matches!(raw, "text" | "html" | "xhtml" | "text/html") => {
            return ContentFix::Keep
        }
        (_, "") => None,
        (Some("escaped"), t) => Some(if t.contains("html") { "html" } else { "text" }.into()),
        (Some("base64"), t) if t.starts_with("text/") || t.contains("xhtml") => {
            Some("application/octet-stream".into())
        }
        (_, "application/xhtml+xml") if v03 => Some(if elements { "xhtml" } else { "html" }.into()),
        // Upper case: feed-rs compares exactly, and "HTML" is no media type to it.
        (_, "text" | "html" | "xhtml") => Some(t.clone()),
        // Inline XML that feed-rs hands to its text-construct reader, which refuses the feed
        // for it. Braid has no use for it either, so it goes, and the loss is said.
        (_, t) if t.ends_with("/xml") => {
            return ContentFix::Remove {
                unreadable: Some(t.to_owned()),
            }
        }
        (_, t) if !is_media_type(t) => None,
        // An empty body of a media type: feed-rs refuses the feed; nothing is lost.
        _ if blank => return ContentFix::Remove { unreadable: None },
        _ => return ContentFix::Keep,
    };
    if new.as_deref() == Some(raw) {
        ContentFix::Keep
    } else {
        ContentFix::Retype(new)
    }
}

/// `type/subtype` made of RFC 9110 §5.6.2 token characters.
fn is_media_type(t: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
    };
    t.split_once('/').is_some_and(|(a, b)| token(a) && token(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_feed_rs_refuses_are_rewritten() {
        assert_eq!(text_type(Some("html"), None, false, false), None);
        assert_eq!(text_type(Some(""), None, false, false), Some(None));
        assert_eq!(
            text_type(Some("HTML"), None, false, false),
            Some(Some("html"))
        );
        assert_eq!(
            text_type(Some("text/plain"), None, false, false),
            Some(Some("text"))
        );
        assert_eq!(
            text_type(Some("text/html"), Some("escaped"), true, false),
            Some(Some("html"))
        );
        assert_eq!(
            text_type(Some("text/html"), None, true, true),
            Some(Some("xhtml"))
        );
        assert_eq!(text_type(None, None, false, false), None);
    }

    #[test]
    fn content_types_feed_rs_refuses_are_rewritten_or_removed() {
        let fix = |t, elements, blank| content_type(Some(t), None, false, false, elements, blank);
        let v03 = |t, mode, elements| content_type(Some(t), mode, false, true, elements, false);
        assert_eq!(fix("html", false, false), ContentFix::Keep);
        assert_eq!(fix("", false, false), ContentFix::Retype(None));
        assert_eq!(
            fix("HTML", false, false),
            ContentFix::Retype(Some("html".into()))
        );
        assert_eq!(fix("not a type", false, false), ContentFix::Retype(None));
        // What feed-rs already reads is left as it is.
        assert_eq!(fix("image/png", false, false), ContentFix::Keep);
        assert_eq!(
            fix("text/html; charset=utf-8", false, false),
            ContentFix::Keep
        );
        assert_eq!(fix("application/xhtml+xml", true, false), ContentFix::Keep);
        assert_eq!(fix("application/rss+xml", true, false), ContentFix::Keep);
        // What it refuses the feed for goes.
        assert_eq!(
            fix("text/xml", true, false),
            ContentFix::Remove {
                unreadable: Some("text/xml".into())
            }
        );
        assert_eq!(
            fix("text/plain", false, true),
            ContentFix::Remove { unreadable: None }
        );
        // Out-of-line content is left alone.
        assert_eq!(
            content_type(Some(""), None, true, false, false, true),
            ContentFix::Keep
        );
        // Atom 0.3.
        assert_eq!(
            v03("text/html", Some("escaped"), false),
            ContentFix::Retype(Some("html".into()))
        );
        assert_eq!(
            v03("text/html", Some("base64"), false),
            ContentFix::Retype(Some("application/octet-stream".into()))
        );
        assert_eq!(
            v03("application/xhtml+xml", None, true),
            ContentFix::Retype(Some("xhtml".into()))
        );
    }
}
