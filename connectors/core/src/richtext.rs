//! A post's body with its structure: paragraphs of text, links, mentions and hashtags. The
//! core composes it once; each sink renders it for its network ([`RichText::plain`] for the
//! Mastodon API, which links by itself; [`RichText::html`] for ActivityPub; a network with
//! facets reads the spans). The plain text is always available and is what a person typed.

use serde::{Deserialize, Serialize};

use crate::sanitize::escape_html;

/// A post's body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RichText {
    pub paragraphs: Vec<Vec<Span>>,
}

/// One piece of a paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Span {
    Text {
        text: String,
    },
    /// A link; `text` is what is shown when it is not the URL itself.
    Link {
        url: String,
        text: Option<String>,
    },
    /// `@user` or `@user@host`, without the `@`; `url` is the profile when known.
    Mention {
        handle: String,
        url: Option<String>,
    },
    /// `#tag`, without the `#`.
    Hashtag {
        tag: String,
        url: Option<String>,
    },
    LineBreak,
}

impl RichText {
    /// Reads what a person typed: paragraphs at blank lines, line breaks kept, and http(s)
    /// URLs, `@mentions` and `#hashtags` recognised where they stand alone.
    pub fn from_plain(text: &str) -> RichText {
        let text = text.replace("\r\n", "\n");
        let mut paragraphs = Vec::new();
        for para in split_paragraphs(&text) {
            let mut spans = Vec::new();
            for (i, line) in para.split('\n').enumerate() {
                if i > 0 {
                    spans.push(Span::LineBreak);
                }
                line_spans(line, &mut spans);
            }
            paragraphs.push(spans);
        }
        RichText { paragraphs }
    }

    /// The plain text: paragraphs separated by a blank line, links as their URL (or `text
    /// (URL)` when they show other text).
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for (i, para) in self.paragraphs.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            for span in para {
                match span {
                    Span::Text { text } => out.push_str(text),
                    Span::Link { url, text } => match text {
                        Some(t) if t != url => {
                            out.push_str(t);
                            out.push_str(" (");
                            out.push_str(url);
                            out.push(')');
                        }
                        _ => out.push_str(url),
                    },
                    Span::Mention { handle, .. } => {
                        out.push('@');
                        out.push_str(handle);
                    }
                    Span::Hashtag { tag, .. } => {
                        out.push('#');
                        out.push_str(tag);
                    }
                    Span::LineBreak => out.push('\n'),
                }
            }
        }
        out
    }

    /// HTML, every text escaped: `<p>` per paragraph, `<br>` per line break, links, mentions
    /// and hashtags as anchors where they have a URL.
    pub fn html(&self) -> String {
        let mut out = String::new();
        for para in &self.paragraphs {
            out.push_str("<p>");
            for span in para {
                match span {
                    Span::Text { text } => out.push_str(&escape_html(text)),
                    Span::Link { url, text } => {
                        anchor(&mut out, url, "", text.as_deref().unwrap_or(url))
                    }
                    Span::Mention { handle, url } => match url {
                        Some(u) => anchor(&mut out, u, " class=\"mention\"", &format!("@{handle}")),
                        None => out.push_str(&escape_html(&format!("@{handle}"))),
                    },
                    Span::Hashtag { tag, url } => match url {
                        Some(u) => anchor(
                            &mut out,
                            u,
                            " class=\"hashtag\" rel=\"tag\"",
                            &format!("#{tag}"),
                        ),
                        None => out.push_str(&escape_html(&format!("#{tag}"))),
                    },
                    Span::LineBreak => out.push_str("<br>"),
                }
            }
            out.push_str("</p>");
        }
        out
    }

    /// True when there is no text at all.
    pub fn is_empty(&self) -> bool {
        self.plain().trim().is_empty()
    }
}

fn anchor(out: &mut String, url: &str, attrs: &str, text: &str) {
    out.push_str("<a href=\"");
    out.push_str(&escape_html(url));
    out.push('"');
    out.push_str(attrs);
    out.push('>');
    out.push_str(&escape_html(text));
    out.push_str("</a>");
}

/// Paragraphs: runs of lines separated by one or more blank lines; the text's own edges and
/// the blank lines themselves are dropped.
fn split_paragraphs(text: &str) -> Vec<String> {
    let mut paras = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.split('\n') {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paras.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paras.push(current.join("\n"));
    }
    paras
}

/// Splits one line into text, links, mentions and hashtags.
fn line_spans(line: &str, spans: &mut Vec<Span>) {
    let mut text = String::new();
    let mut rest = line;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let starts_word = prev.is_none_or(|p| p.is_whitespace() || "([{\"'".contains(p));
        let found = if starts_word { token(rest) } else { None };
        match found {
            Some((span, len)) => {
                if !text.is_empty() {
                    spans.push(Span::Text {
                        text: std::mem::take(&mut text),
                    });
                }
                spans.push(span);
                prev = rest[..len].chars().last();
                rest = &rest[len..];
            }
            None => {
                text.push(c);
                prev = Some(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !text.is_empty() {
        spans.push(Span::Text { text });
    }
}

/// A link, mention or hashtag at the start of `s`, with its length in bytes.
fn token(s: &str) -> Option<(Span, usize)> {
    let word_len = s.find(char::is_whitespace).unwrap_or(s.len());
    let word = &s[..word_len];
    let trimmed = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}', '"', '\'']);
    let lower = trimmed.to_ascii_lowercase();
    if (lower.starts_with("https://") && trimmed.len() > 8)
        || (lower.starts_with("http://") && trimmed.len() > 7)
    {
        return Some((
            Span::Link {
                url: trimmed.to_owned(),
                text: None,
            },
            trimmed.len(),
        ));
    }
    if let Some(handle) = trimmed.strip_prefix('@') {
        let ok = |c: char| c.is_alphanumeric() || "_.-@:".contains(c);
        let handle = handle.trim_end_matches(['.', ':', '-']);
        let user = handle.split('@').next().unwrap_or_default();
        if !user.is_empty() && handle.chars().all(ok) && handle.matches('@').count() <= 1 {
            return Some((
                Span::Mention {
                    handle: handle.to_owned(),
                    url: None,
                },
                handle.len() + 1,
            ));
        }
    }
    if let Some(tag) = trimmed.strip_prefix('#') {
        let len = tag
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(tag.len());
        let tag = &tag[..len];
        if !tag.is_empty() && !tag.chars().all(|c| c.is_ascii_digit()) {
            return Some((
                Span::Hashtag {
                    tag: tag.to_owned(),
                    url: None,
                },
                tag.len() + 1,
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn plain_text_round_trips_with_its_structure_recognised() {
        let typed = "Hello @alice@social.example and @bob!\nSee https://example.com/a?b=1.\n\n\
                     Second #paragraph, #42 is no tag; mail me@example.com";
        let rich = RichText::from_plain(typed);
        assert_eq!(rich.plain(), typed);
        assert_eq!(rich.paragraphs.len(), 2);
        let first = &rich.paragraphs[0];
        assert!(first.contains(&Span::Mention {
            handle: "alice@social.example".into(),
            url: None
        }));
        assert!(first.contains(&Span::Mention {
            handle: "bob".into(),
            url: None
        }));
        assert!(first.contains(&Span::LineBreak));
        assert!(first.contains(&Span::Link {
            url: "https://example.com/a?b=1".into(),
            text: None
        }));
        let second = &rich.paragraphs[1];
        assert!(second.contains(&Span::Hashtag {
            tag: "paragraph".into(),
            url: None
        }));
        // `#42` and an e-mail address are text.
        assert_eq!(
            second
                .iter()
                .filter(|s| !matches!(s, Span::Text { .. }))
                .count(),
            1,
            "{second:?}"
        );
    }

    #[test]
    fn html_escapes_everything_and_links_what_has_a_url() {
        let rich = RichText {
            paragraphs: vec![vec![
                Span::Text {
                    text: "<b>&".into(),
                },
                Span::Link {
                    url: "https://e.example/?a=1&b=\"2\"".into(),
                    text: Some("a <link>".into()),
                },
                Span::Mention {
                    handle: "alice".into(),
                    url: Some("https://s.example/@alice".into()),
                },
                Span::Hashtag {
                    tag: "rust".into(),
                    url: None,
                },
            ]],
        };
        assert_eq!(
            rich.html(),
            "<p>&lt;b&gt;&amp;<a href=\"https://e.example/?a=1&amp;b=&quot;2&quot;\">a &lt;link&gt;</a>\
             <a href=\"https://s.example/@alice\" class=\"mention\">@alice</a>#rust</p>"
        );
        assert_eq!(
            rich.plain(),
            "<b>&a <link> (https://e.example/?a=1&b=\"2\")@alice#rust"
        );
    }

    #[test]
    fn blank_text_is_empty() {
        assert!(RichText::from_plain(" \n\n \t").is_empty());
        assert!(RichText::from_plain("").paragraphs.is_empty());
    }
}
