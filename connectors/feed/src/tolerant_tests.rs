//! Feeds that feed-rs refuses or reads as empty, and elements it drops, which other readers
//! (Python feedparser among them) read: each must yield its entries, and whatever is lost is
//! said in `ParsedFeed::warnings`, never an unremarked "ok".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use braid_core::Item;
use chrono::{DateTime, Utc};
use url::Url;

use crate::parse::{parse_feed, ParsedFeed};

fn fixture(name: &str, feed_url: &str) -> ParsedFeed {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_feed(&bytes, &Url::parse(feed_url).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse(doc: &str) -> ParsedFeed {
    parse_feed(
        doc.as_bytes(),
        &Url::parse("https://t.example/feed").unwrap(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn date(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn ids(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.remote_id.as_str()).collect()
}

#[test]
fn rss1_items_known_only_by_rdf_about() {
    let p = fixture("rss1/rss_1.0_rdf_about.xml", "https://about.example/rss");
    assert_eq!(
        ids(&p.items),
        [
            "https://about.example/posts/1",
            "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
            // An item with a link keeps the link as its id, as before.
            "https://about.example/posts/3?from=rss",
        ]
    );
    assert_eq!(
        p.items[0].url.as_deref(),
        Some("https://about.example/posts/1")
    );
    assert_eq!(p.items[0].title.as_deref(), Some("First, by its about"));
    assert_eq!(p.items[0].published, date("2024-05-01T10:00:00Z"));
    // A URN names the item but is no page to open.
    assert_eq!(p.items[1].url, None);
    assert_eq!(
        p.warnings,
        ["feed: 1 of 4 entries skipped: entry 4 has no link, id or rdf:about"]
    );
}

#[test]
fn atom_0_3_is_read() {
    let p = fixture("atom/atom_0.3.xml", "https://old.example/atom.xml");
    assert_eq!(p.meta.title.as_deref(), Some("Old & Atom"));
    assert_eq!(p.items.len(), 2, "{:?}", p.items);
    let first = &p.items[0];
    assert_eq!(first.remote_id.as_str(), "tag:old.example,2004:post-1");
    assert_eq!(first.title.as_deref(), Some("Escaped content"));
    assert_eq!(
        first.url.as_deref(),
        Some("https://old.example/2004/05/escaped.html")
    );
    assert_eq!(
        first.content_html.as_deref(),
        Some("<p>Hello from <b>Atom 0.3</b>.</p>")
    );
    assert_eq!(first.published, date("2004-05-01T15:00:00Z"));
    assert_eq!(first.updated, date("2004-05-02T11:00:00Z"));
    assert_eq!(
        first.author.as_ref().and_then(|a| a.name.as_deref()),
        Some("Ada Old")
    );
    let second = &p.items[1];
    assert_eq!(
        second.title.as_deref(),
        Some("Inline XHTML and a created date")
    );
    assert_eq!(second.published, date("2004-04-20T09:00:00Z"));
    assert!(
        second
            .content_html
            .as_deref()
            .is_some_and(|h| h.contains("<em>XHTML</em>")),
        "{:?}",
        second.content_html
    );
    assert_eq!(second.summary.as_deref(), Some("<p>A plain summary.</p>"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn rss_0_93_and_0_94_are_read_as_0_92() {
    for v in ["0.93", "0.94"] {
        let p = fixture(
            &format!("rss0/rss_{v}.xml"),
            "http://www.scripting.example/rss",
        );
        assert_eq!(
            p.meta.title.as_deref(),
            Some(format!("Scripting News {v}").as_str())
        );
        assert_eq!(p.items.len(), 2, "{v}");
        assert_eq!(
            p.items[0].title.as_deref(),
            Some(format!("Café on {v}").as_str())
        );
        // 0.9x descriptions are read as HTML, relative links resolved.
        assert!(
            p.items[0]
                .content_html
                .as_deref()
                .is_some_and(|h| h.contains("href=\"http://www.scripting.example/more\"")),
            "{:?}",
            p.items[0].content_html
        );
        assert_eq!(p.items[1].attachments.len(), 1);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }
    // Any other version is read too: the missing attribute, a 2.x, a 0.90.
    for root in [
        r#"<rss>"#,
        r#"<rss version="2.01">"#,
        r#"<rss version="0.90">"#,
    ] {
        let doc = format!(
            "{root}<channel><title>T</title><item><title>It</title><link>https://t.example/1</link></item></channel></rss>"
        );
        let p = parse(&doc);
        assert_eq!(ids(&p.items), ["https://t.example/1"], "{root}");
    }
}

#[test]
fn atom_base64_and_empty_type_content() {
    let p = fixture("atom/atom_content_types.xml", "https://types.example/atom");
    assert_eq!(p.items.len(), 3);
    assert_eq!(
        p.items[0].content_html.as_deref(),
        Some("<p>Hello from base64</p>")
    );
    assert_eq!(p.items[1].title.as_deref(), Some("Empty type attributes"));
    assert_eq!(
        p.items[1].content_html.as_deref(),
        Some("<p>Plain text content, type left empty.</p>")
    );
    // An image is no text: the summary is shown and the loss is said.
    assert_eq!(
        p.items[2].content_html.as_deref(),
        Some("<p>The summary is all that can be shown.</p>")
    );
    assert_eq!(
        p.warnings,
        ["feed: 1 of 3 entries with content that could not be read: entry 3 has content of type image/png"]
    );
}

#[test]
fn unescaped_html_in_rss_descriptions() {
    let p = fixture(
        "rss2/rss_2.0_unescaped_html.xml",
        "https://raw.example/feed",
    );
    assert_eq!(p.items.len(), 3);
    assert_eq!(p.items[0].content_html.as_deref(), Some("<p>hello</p>"));
    assert_eq!(
        p.items[1].content_html.as_deref(),
        Some("Some text and <a href=\"https://raw.example/more\" rel=\"noopener noreferrer nofollow\">a relative link</a> &amp; more.")
    );
    let third = &p.items[2];
    assert!(
        third
            .content_html
            .as_deref()
            .is_some_and(|h| h.contains("<strong>full</strong>")
                && h.contains("src=\"https://raw.example/i.png\"")),
        "{:?}",
        third.content_html
    );
    assert_eq!(third.summary.as_deref(), Some("Short summary."));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn dublin_core_titles_and_dates() {
    let p = fixture("rss2/rss_2.0_dc_fields.xml", "https://dc.example/feed");
    let [a, b, c] = &p.items[..] else {
        panic!("{:?}", p.items)
    };
    assert_eq!(a.title.as_deref(), Some("Titled by Dublin Core"));
    assert_eq!(a.published, date("2024-05-01T10:00:00Z"));
    assert_eq!(a.updated, date("2024-05-03T10:30:00Z"));
    assert_eq!(b.title.as_deref(), Some("RSS title wins"));
    assert_eq!(b.published, date("2024-04-30T08:00:00Z"));
    assert_eq!(c.published, date("2024-04-29T07:00:00Z"));
    assert_eq!(c.updated, date("2024-04-29T09:00:00Z"));
}

#[test]
fn atom_http_ids_are_urls_and_dc_dates_are_read() {
    let p = fixture("atom/atom_id_as_url.xml", "https://ids.example/atom");
    let urls: Vec<_> = p.items.iter().map(|i| i.url.as_deref()).collect();
    assert_eq!(
        urls,
        [
            Some("https://ids.example/posts/1"),
            None,
            Some("https://ids.example/posts/3"),
            Some("https://ids.example/posts/4"),
        ]
    );
    assert_eq!(p.items[2].published, date("2024-05-05T09:30:00Z"));
    assert_eq!(p.items[2].updated, date("2024-05-05T10:30:00Z"));
    assert_eq!(p.items[3].published, date("2024-05-04T09:30:00Z"));
}

/// Hashed ids (entries with neither id nor link) as the code before the tolerant reader made
/// them: reading dc:title, Dublin Core dates, unescaped HTML or base64 content must not change
/// them, or every such stored entry would come back as a new item after an upgrade.
#[test]
fn hashed_ids_are_what_they_were() {
    let rss = fixture("rss2/rss_2.0_no_ids.xml", "https://noids.example/feed");
    assert_eq!(
        ids(&rss.items),
        [
            "braid:sha256:5380ecdb7a245334d690bb742a9c953fdd673c306cbf8bd2efdc6633e7afaa8c",
            "braid:sha256:709e80c88487a2411e1ee4dfb9f22a861492d20c4765150c0c794abd70f8147c",
            "braid:sha256:88e7cb3799a01439c494763c4f59cbe8bd9ba4592ef3326af406bd789252b1b2",
        ]
    );
    // The new fields are read all the same.
    assert_eq!(
        rss.items[1].title.as_deref(),
        Some("Only a Dublin Core title")
    );
    assert_eq!(rss.items[1].published, date("2024-05-06T08:00:00Z"));
    assert_eq!(
        rss.items[1].content_html.as_deref(),
        Some("<p>Unescaped <em>HTML</em> in a description.</p>")
    );
    assert_eq!(rss.items[2].updated, date("2024-05-05T07:00:00Z"));
    let atom = fixture("atom/atom_no_ids.xml", "https://noids.example/atom");
    assert_eq!(
        ids(&atom.items),
        [
            "braid:sha256:e4b85c97b76b103cc245ce0f442a17b7ee36fe83a80b5e1bcb8e2dfbbae0e647",
            "braid:sha256:df1cef6a905ab1902236e61bdb4f5372faae7bd1201e49c4290a0822cec18a57",
        ]
    );
    assert_eq!(
        atom.items[0].content_html.as_deref(),
        Some("<p>Hello from base64</p>")
    );
    assert_eq!(atom.items[1].published, date("2024-05-06T08:00:00Z"));
    let old = fixture(
        "rss0/rss_0.92_spec_1.xml",
        "http://www.scripting.com/rss.xml",
    );
    assert_eq!(
        &ids(&old.items)[..3],
        [
            "braid:sha256:e7ff30c37221497b03d5441cdf89937ac8a9f2237793dcbe9345d14375c5d716",
            "braid:sha256:9599e6753bf0b07f7065434f00813b3845794f53a3ced4c224aefa3a52a27945",
            "braid:sha256:32a4d47bb471b8e6bde5f956f24818f3d893d4eccd6320649168c3ae6387da6c",
        ]
    );
}

#[test]
fn one_bad_json_feed_item_keeps_the_rest() {
    let p = fixture(
        "jsonfeed/jsonfeed_bad_items.json",
        "https://json.example/feed.json",
    );
    let titles: Vec<_> = p.items.iter().map(|i| i.title.as_deref()).collect();
    assert_eq!(
        titles,
        [Some("Good one"), Some("Numeric id"), Some("Good six")]
    );
    // A number is a fine id once written as a string.
    assert_eq!(p.items[1].remote_id.as_str(), "5");
    assert_eq!(
        p.warnings,
        [
            "feed: 3 of 6 JSON Feed items skipped: item 2 is a string, not an object; \
          item 3: id is an object, not a string; item 4: content_html is a number, not a string"
        ]
    );
    let one_bad = r#"{"version":"https://jsonfeed.org/version/1","title":"T","items":[
        {"id":"a","content_text":"fine"},{"id":"b","content_text":["x"]}]}"#;
    let p = parse(one_bad);
    assert_eq!(ids(&p.items), ["a"]);
    assert_eq!(
        p.warnings,
        ["feed: JSON Feed item 2 skipped: content_text is an array, not a string"]
    );
}

#[test]
fn entries_that_yield_nothing_are_never_a_plain_ok() {
    // RSS 1.0 items with nothing to identify them.
    let doc = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel><title>C</title></channel><item><title>a</title></item><item><title>b</title></item></rdf:RDF>"#;
    let p = parse(doc);
    assert!(p.items.is_empty());
    assert_eq!(
        p.warnings,
        ["feed: 2 of 2 entries skipped: entry 1 has no link, id or rdf:about; entry 2 has no link, id or rdf:about"]
    );
    // A well-formed empty feed is fine and says nothing.
    let p = parse(r#"<rss version="2.0"><channel><title>E</title></channel></rss>"#);
    assert!(p.items.is_empty() && p.warnings.is_empty());
}

#[test]
fn one_unreadable_atom_entry_does_not_reject_the_feed() {
    // `<content src>` must be empty (RFC 4287 §4.1.3.2); feed-rs refuses the whole feed for it.
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><id>f</id>
<entry><id>https://t.example/1</id><title>Fine</title></entry>
<entry><id>https://t.example/2</id><title>Bad</title><content src="https://t.example/x" type="text/html">body</content></entry>
<entry><id>https://t.example/3</id><title>Fine too</title></entry></feed>"#;
    let p = parse(doc);
    assert_eq!(
        ids(&p.items),
        ["https://t.example/1", "https://t.example/3"]
    );
    assert_eq!(p.warnings.len(), 1);
    assert!(
        p.warnings[0].starts_with("feed: 1 of 3 entries skipped: entry 2 could not be read ("),
        "{:?}",
        p.warnings
    );
}

#[test]
fn atom_xhtml_media_type_content_is_read_without_touching_the_document() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><id>f</id>
<entry><title>X</title><content type="application/xhtml+xml">
  <div xmlns="http://www.w3.org/1999/xhtml"><p>Inline <b>markup</b></p></div>
</content></entry>
<entry><id>https://t.example/2</id><title>Y</title><content type="text/xml"><r/></content></entry></feed>"#;
    let p = parse(doc);
    assert_eq!(p.items.len(), 2);
    assert!(
        p.items[0]
            .content_html
            .as_deref()
            .is_some_and(|h| h.contains("<p>Inline <b>markup</b></p>")),
        "{:?}",
        p.items[0].content_html
    );
    assert_eq!(p.items[1].content_html, None);
    assert_eq!(
        p.warnings,
        ["feed: 1 of 2 entries with content that could not be read: entry 2 has content of type text/xml"]
    );
}

#[test]
fn rss_0_90_and_namespaced_rss_2_0_are_read() {
    // RSS 0.90 is RDF with Netscape's namespace (https://www.rssboard.org/rss-0-9-0).
    let rss090 = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>Mozilla Dot Org</title><link>http://www.mozilla.org</link></channel>
<item><title>New Status Updates</title><link>http://www.mozilla.org/status/</link></item>
<item><title>Bugzilla Reorganized</title><link>http://www.mozilla.org/bugs/</link></item>
</rdf:RDF>"#;
    let p = parse(rss090);
    assert_eq!(p.meta.title.as_deref(), Some("Mozilla Dot Org"));
    assert_eq!(
        ids(&p.items),
        [
            "http://www.mozilla.org/status/",
            "http://www.mozilla.org/bugs/"
        ]
    );
    // RSS 2.0 under the namespace UserLand once gave it, which feed-rs reads as no RSS at all.
    let userland = r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel>
<title>U</title><item><guid>u1</guid><title>Namespaced</title></item></channel></rss>"#;
    let p = parse(userland);
    assert_eq!(ids(&p.items), ["u1"]);
    assert_eq!(p.items[0].title.as_deref(), Some("Namespaced"));
}
