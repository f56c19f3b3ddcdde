#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn finds_and_orders_advertised_feeds() {
    let html = br#"<!doctype html><html><head>
<title>Blog <link rel="alternate" type="application/rss+xml" href="/in-title"></title>
<!-- <link rel="alternate" type="application/rss+xml" href="/commented-out"> -->
<script>document.write('<link rel="alternate" type="application/rss+xml" href="/in-script">')</script>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Comments Feed" href="/comments/feed">
<link rel="alternate" type="application/rss+xml" title="Main" href="/feed?a=1&amp;b=2">
<LINK REL="Alternate home" TYPE="application/atom+xml; charset=utf-8" href='atom.xml'>
<link rel="alternate" type="application/feed+json" href="https://cdn.example/feed.json">
<link rel="alternate" type="text/html" hreflang="de" href="/de/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body></body></html>"#;
    let links = find_feed_links(html, &Url::parse("https://site.example/blog/").unwrap());
    let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://site.example/blog/atom.xml",
            "https://site.example/feed?a=1&b=2",
            "https://cdn.example/feed.json",
            "https://site.example/comments/feed",
        ]
    );
    assert_eq!(links[0].media_type, "application/atom+xml");
    assert_eq!(links[1].title.as_deref(), Some("Main"));
}

#[test]
fn base_href_is_honoured() {
    let html = br#"<html><head><base href="https://static.example/x/">
<link rel=alternate type=application/rss+xml href=rss.xml></head></html>"#;
    let links = find_feed_links(html, &Url::parse("https://site.example/").unwrap());
    assert_eq!(links[0].url.as_str(), "https://static.example/x/rss.xml");
    assert!(find_feed_links(
        b"<p>no head at all",
        &Url::parse("https://s.example/").unwrap()
    )
    .is_empty());
}
