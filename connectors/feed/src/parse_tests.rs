#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn err(bytes: &[u8]) -> ConnectorError {
    match parse_feed(bytes, &url("https://site.example/blog")) {
        Ok(p) => panic!("parsed: {:?}", p.items),
        Err(e) => e,
    }
}

#[test]
fn an_html_page_is_named_as_such() {
    let page = br#"<!DOCTYPE html><html><head><title>Blog</title>
<link rel="alternate" type="application/rss+xml" href="/feed"></head><body><p>Hi</body></html>"#;
    let e = err(page);
    assert_eq!(e.kind(), "transient");
    assert_eq!(
        e.to_string(),
        "feed: https://site.example/blog is an HTML page, not a feed; try `braid source add` \
         with the site URL to discover its feed"
    );
}

#[test]
fn malformed_and_empty_documents() {
    let e = err(b"<rss version=\"2.0\"><channel><title>x</title><item></channel></rss>");
    assert_eq!(e.kind(), "transient");
    assert!(
        e.to_string()
            .starts_with("feed: could not parse the feed: "),
        "{e}"
    );
    let e = err(b"<catalog><book/></catalog>");
    assert!(
        e.to_string()
            .starts_with("feed: could not parse the feed: "),
        "{e}"
    );
    let e = err(b"  \n ");
    assert!(e.to_string().contains("empty document"), "{e}");
}

#[test]
fn a_feed_rs_panic_becomes_a_transient_error() {
    // feed-rs 3.0.0 parses itunes:duration with `parse::<u64>().unwrap()`; more digits than
    // a u64 holds panic inside the parser (src/parser/util/mod.rs, parse_npt).
    let rss = r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>P</title><item><guid>1</guid><title>Ep</title>
<itunes:duration>99999999999999999999999999</itunes:duration></item></channel></rss>"#;
    let e = err(rss.as_bytes());
    assert_eq!(e.kind(), "transient");
    assert!(
        e.to_string()
            .starts_with("feed: could not parse the feed: the feed parser crashed"),
        "{e}"
    );
    // And the guard itself, on an injected panic.
    let e = guard_panics::<()>(|| panic!("boom")).unwrap_err();
    assert!(e.to_string().contains("boom"), "{e}");
    assert_eq!(guard_panics(|| Ok(5)).unwrap(), 5);
}

#[test]
fn duplicate_entries_keep_the_newest() {
    let rss = r#"<rss version="2.0"><channel><title>D</title>
<item><guid>same</guid><title>new</title><pubDate>Thu, 02 May 2024 10:00:00 GMT</pubDate></item>
<item><guid>other</guid><title>o</title></item>
<item><guid>same</guid><title>old</title><pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate></item>
<item><guid>other</guid><title>o2</title></item>
</channel></rss>"#;
    let items = parse_feed(rss.as_bytes(), &url("https://d.example/"))
        .unwrap()
        .items;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].remote_id.as_str(), "same");
    assert_eq!(items[0].title.as_deref(), Some("new"));
    // No dates: the later copy wins.
    assert_eq!(items[1].title.as_deref(), Some("o2"));
}

#[test]
fn ttl_is_read_in_minutes() {
    let rss = r#"<rss version="2.0"><channel><title>T</title><ttl>90</ttl></channel></rss>"#;
    let p = parse_feed(rss.as_bytes(), &url("https://t.example/")).unwrap();
    assert_eq!(p.ttl, Some(Duration::from_secs(90 * 60)));
    assert!(p.items.is_empty());
}
