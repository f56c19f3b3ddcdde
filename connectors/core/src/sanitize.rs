//! The HTML allow-list. Everything that arrives from anywhere goes through [`clean_html`] before
//! it is stored, so the store and the web server only ever see sanitized markup.
//!
//! ammonia (an html5ever-based allow-list sanitizer) does the parsing; this module only sets the
//! policy: no scripts, styles or event handlers, only http/https/mailto links, `data:` URLs for
//! images only, and every link opens without referrer or opener and is marked `nofollow`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

use ammonia::{Builder, UrlRelative};
use url::Url;

fn builder() -> &'static Builder<'static> {
    static BUILDER: OnceLock<Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| policy(None))
}

/// Braid's allow-list. With a `base`, relative URLs in `href`/`src`/`poster` (ammonia's
/// `UrlRelative::RewriteWithBase`) and in `srcset` (done here: ammonia leaves it alone) are
/// resolved against it, so a feed entry's `<img src="/a.png">` still works once shown elsewhere.
fn policy(base: Option<Url>) -> Builder<'static> {
    policy_with(base, None)
}

/// Maps an image's source for display (see [`SafeHtml::with_local_images`]).
type ImageMap = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// [`policy`], with `display` rewriting every non-`data:` image source and dropping `srcset`.
fn policy_with(base: Option<Url>, display: Option<ImageMap>) -> Builder<'static> {
    let mut b = Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(HashSet::from(["http", "https", "mailto", "data"]))
        .add_tags([
            "figure",
            "figcaption",
            "picture",
            "source",
            "video",
            "audio",
            "track",
        ])
        .add_tag_attributes("img", ["loading", "srcset"])
        .add_tag_attributes("video", ["src", "poster", "controls", "width", "height"])
        .add_tag_attributes("audio", ["src", "controls"])
        .add_tag_attributes("source", ["src", "srcset", "type", "media"])
        .add_tag_attributes("track", ["src", "kind", "srclang", "label"]);
    let srcset_base = base.clone();
    b.attribute_filter(move |element, attribute, value| {
        // data: URLs are only harmless as image sources.
        let is_data = value
            .trim_start()
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("data:"));
        if is_data && !(element == "img" && attribute == "src") {
            return None;
        }
        if is_data
            && !value.trim_start()[5..]
                .to_ascii_lowercase()
                .starts_with("image/")
        {
            return None;
        }
        if let Some(map) = &display {
            match (element, attribute) {
                ("img", "src") if is_data => return Some(Cow::Borrowed(value)),
                ("img", "src") => return map(value).map(Cow::Owned),
                (_, "srcset") => return None,
                _ => {}
            }
        }
        if attribute == "srcset" {
            if let Some(base) = &srcset_base {
                return resolve_srcset(value, base).map(Cow::Owned);
            }
        }
        Some(Cow::Borrowed(value))
    });
    if let Some(base) = base {
        b.url_relative(UrlRelative::RewriteWithBase(base));
    }
    b
}

/// Resolves each candidate URL of a `srcset` against `base`; drops the attribute when a
/// candidate resolves to anything but http(s) (ammonia does not scheme-check `srcset`).
fn resolve_srcset(value: &str, base: &Url) -> Option<String> {
    let mut out = Vec::new();
    for candidate in value.split(',') {
        let candidate = candidate.trim();
        if candidate.is_empty() {
            continue;
        }
        let (url, descriptor) = match candidate.split_once(char::is_whitespace) {
            Some((u, d)) => (u, Some(d.trim())),
            None => (candidate, None),
        };
        let resolved = base.join(url).ok()?;
        if resolved.scheme() != "http" && resolved.scheme() != "https" {
            return None;
        }
        out.push(match descriptor {
            Some(d) if !d.is_empty() => format!("{resolved} {d}"),
            _ => resolved.to_string(),
        });
    }
    Some(out.join(", "))
}

/// HTML that has been through Braid's allow-list. The only ways to make one are the
/// sanitizing functions here, deserializing (which sanitizes), and
/// [`SafeHtml::from_store`] for HTML read back from Braid's own database — so a field of this
/// type is sanitized by construction, and the web server may render it as markup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Wraps HTML read from Braid's store, which only ever holds `SafeHtml` it wrote. Never
    /// call this on anything that came from the network.
    pub fn from_store(html: String) -> SafeHtml {
        SafeHtml(html)
    }

    /// Trims surrounding whitespace (trimming cannot unbalance sanitized markup).
    pub fn trimmed(self) -> SafeHtml {
        let t = self.0.trim();
        if t.len() == self.0.len() {
            self
        } else {
            SafeHtml(t.to_owned())
        }
    }
}

impl std::ops::Deref for SafeHtml {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Deserializing sanitizes: JSON from elsewhere cannot smuggle markup past the allow-list.
impl<'de> serde::Deserialize<'de> for SafeHtml {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(clean_html(&raw))
    }
}

impl SafeHtml {
    /// The markup for a page that must not make the browser fetch from third parties: every
    /// `<img src>` goes through `image` (the web UI's media proxy gives a signed local URL;
    /// `None` drops the source, leaving the `alt` text), `srcset` is dropped, and embedded
    /// audio and video become nothing but their fallback content (the item's attachments list
    /// links to them). Same allow-list otherwise, so the result is as safe as the input.
    /// Markup with no media element is returned as it is, without a second parse.
    pub fn with_local_images<F>(&self, image: F) -> SafeHtml
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        let lower = self.0.to_ascii_lowercase();
        let has_media = ["<img", "<video", "<audio", "<source", "<picture", "<track"]
            .iter()
            .any(|tag| lower.contains(tag));
        if !has_media {
            return self.clone();
        }
        let mut b = policy_with(None, Some(Box::new(image)));
        b.rm_tags(["video", "audio", "source", "track", "picture"]);
        SafeHtml(b.clean(&self.0).to_string())
    }
}

/// Sanitizes untrusted HTML with Braid's allow-list.
pub fn clean_html(dirty: &str) -> SafeHtml {
    SafeHtml(builder().clean(dirty).to_string())
}

/// Sanitizes untrusted HTML like [`clean_html`] and also resolves relative URLs against `base`
/// (the document the fragment came from: a feed's URL or an entry's `xml:base`).
pub fn clean_html_with_base(dirty: &str, base: &Url) -> SafeHtml {
    // Building the policy costs a few microseconds, a large share of sanitizing a short
    // fragment; the entries of one feed share a base, so each thread keeps the last one.
    thread_local! {
        static LAST: std::cell::RefCell<Option<(Url, Builder<'static>)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.as_ref().is_none_or(|(cached, _)| cached != base) {
            *last = Some((base.clone(), policy(Some(base.clone()))));
        }
        match last.as_ref() {
            Some((_, builder)) => SafeHtml(builder.clean(dirty).to_string()),
            None => SafeHtml(policy(Some(base.clone())).clean(dirty).to_string()),
        }
    })
}

/// Escapes plain text for HTML element content and double-quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain text of an HTML fragment: tags removed, entities decoded, block elements and `<br>`
/// turned into line breaks, runs of blank lines collapsed. Used for search and previews.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt..];
        // A `<` that does not open a tag ("1 < 2") is text.
        let opens_tag = after[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        let gt = after.find('>').filter(|_| opens_tag);
        let Some(gt) = gt else {
            out.push('<');
            rest = &after[1..];
            continue;
        };
        let tag = after[1..gt].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if matches!(
            name.as_str(),
            "br" | "p"
                | "div"
                | "li"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "blockquote"
                | "pre"
                | "tr"
                | "figure"
                | "figcaption"
                | "ul"
                | "ol"
                | "hr"
        ) {
            out.push('\n');
        }
        rest = &after[gt + 1..];
    }
    out.push_str(&decode_entities(rest));
    let mut text = String::with_capacity(out.len());
    let mut blank_run = 0;
    for line in out.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 || text.is_empty() {
                continue;
            }
        } else {
            blank_run = 0;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&line);
    }
    text.trim().to_owned()
}

fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let end = after.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| decode_entity(&after[1..e]).map(|c| (c, e)));
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" | "#39" => '\'',
        "nbsp" => ' ',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "rsquo" => '’',
        "lsquo" => '‘',
        "rdquo" => '”',
        "ldquo" => '“',
        _ => return None,
    })
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn images_go_local_and_media_elements_go() {
        let html = clean_html(
            r#"<p>hi <img src="https://cdn.example/a.png" srcset="https://cdn.example/b.png 2x" alt="A"><img src="data:image/png;base64,AAAA" alt="d"></p><video src="https://cdn.example/v.mp4" poster="https://cdn.example/p.png">fallback</video><picture><source srcset="https://cdn.example/c.webp"><img src="https://cdn.example/c.png" alt="C"></picture>"#,
        );
        let shown = html.with_local_images(|u| Some(format!("/media/{}", u.len())));
        let out = shown.as_str();
        assert!(!out.contains("cdn.example"), "{out}");
        assert!(out.contains(r#"src="/media/25""#), "{out}");
        assert!(out.contains("data:image/png;base64,AAAA"), "{out}");
        assert!(out.contains("fallback") && !out.contains("<video"), "{out}");
        assert!(!out.contains("srcset"), "{out}");
        // Without media, the same markup, unparsed.
        let plain = clean_html("<p>just <b>text</b></p>");
        assert_eq!(plain.with_local_images(|_| None), plain);
        // Dropped sources leave the alt text.
        let dropped = html.with_local_images(|_| None);
        assert!(dropped.as_str().contains(r#"alt="A""#), "{dropped}");
        assert!(!dropped.as_str().contains("cdn.example"), "{dropped}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_scripts_handlers_and_js_urls() {
        let dirty = r#"<p onclick="x()">Hi<script>alert(1)</script><img src="a.png" onerror="alert(2)"><a href="javascript:alert(3)">x</a><a href="https://ok.example/">ok</a></p>"#;
        let clean = clean_html(dirty);
        assert!(!clean.contains("script"), "{clean}");
        assert!(!clean.contains("onerror"), "{clean}");
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(!clean.contains("javascript:"), "{clean}");
        assert!(
            clean.contains(r#"rel="noopener noreferrer nofollow""#),
            "{clean}"
        );
    }

    #[test]
    fn data_urls_only_for_images() {
        let clean = clean_html(
            r#"<img src="data:image/png;base64,AAAA"><a href="data:text/html,<script>x</script>">l</a><img src="data:text/html,x">"#,
        );
        assert!(clean.contains("data:image/png"), "{clean}");
        assert!(!clean.contains("data:text"), "{clean}");
    }

    #[test]
    fn resolves_relative_urls_against_base() {
        let base = Url::parse("https://blog.example/posts/one/").unwrap_or_else(|_| unreachable!());
        let clean = clean_html_with_base(
            r#"<a href="../two/">two</a><img src="/a.png" srcset="b.png 2x, //cdn.example/c.png 3x"><a href="javascript:x()">j</a>"#,
            &base,
        );
        assert!(
            clean.contains(r#"href="https://blog.example/posts/two/""#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"src="https://blog.example/a.png""#),
            "{clean}"
        );
        assert!(
            clean.contains(
                r#"srcset="https://blog.example/posts/one/b.png 2x, https://cdn.example/c.png 3x""#
            ),
            "{clean}"
        );
        assert!(!clean.contains("javascript:"), "{clean}");
    }

    #[test]
    fn deserializing_safe_html_sanitizes() {
        let html: SafeHtml =
            serde_json::from_str(r#""<b onmouseover=x()>hi</b><script>y()</script>""#)
                .unwrap_or_default();
        assert_eq!(html.as_str(), "<b>hi</b>");
    }

    #[test]
    fn stray_less_than_is_text() {
        assert_eq!(html_to_text("1 < 2 and 3 &lt; 4"), "1 < 2 and 3 < 4");
        assert_eq!(html_to_text("a <b>bold</b> <"), "a bold <");
    }

    #[test]
    fn text_from_html() {
        assert_eq!(
            html_to_text("<p>One &amp; two</p><p>Three&nbsp;<b>four</b><br>five &#x263A;</p>"),
            "One & two\n\nThree four\nfive ☺"
        );
    }
}
