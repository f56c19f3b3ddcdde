#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::parse_feed;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

const RSS_NO_IDS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>T</title><link>https://blog.example/</link>
<item><title>Has a link</title><link>/posts/1</link><description>one</description></item>
<item><title>Bare</title><pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate><description>two</description></item>
<item><description>Just text, no title</description></item>
</channel></rss>"#;

#[test]
fn ids_are_deterministic_without_guids() {
    let feed_url = url("https://blog.example/feed.xml");
    let a = parse_feed(RSS_NO_IDS.as_bytes(), &feed_url).unwrap().items;
    let b = parse_feed(RSS_NO_IDS.as_bytes(), &feed_url).unwrap().items;
    let ids = |items: &[Item]| {
        items
            .iter()
            .map(|i| i.remote_id.0.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.len(), 3);
    // No guid: the (resolved) link is the id.
    assert_eq!(a[0].remote_id.as_str(), "https://blog.example/posts/1");
    // No guid, no link: a content hash, never a random UUID.
    assert!(
        a[1].remote_id.as_str().starts_with(HASH_ID_PREFIX),
        "{:?}",
        a[1].remote_id
    );
    assert!(a[2].remote_id.as_str().starts_with(HASH_ID_PREFIX));
    assert_ne!(a[1].remote_id, a[2].remote_id);
    assert_eq!(a[1].remote_id.as_str().len(), HASH_ID_PREFIX.len() + 64);
    // A changed body is a different entry.
    let edited = RSS_NO_IDS.replace(">two<", ">two, edited<");
    let c = parse_feed(edited.as_bytes(), &feed_url).unwrap().items;
    assert_ne!(c[1].remote_id, a[1].remote_id);
    assert_eq!(c[0].remote_id, a[0].remote_id);
    // Kinds: a title makes an article.
    assert_eq!(a[0].kind, ItemKind::Article);
    assert_eq!(a[2].kind, ItemKind::Note);
    assert_eq!(a[2].title, None);
}

#[test]
fn relative_links_are_resolved_against_the_feed() {
    let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:x</id>
<link rel="alternate" href="/"/><updated>2024-05-01T10:00:00Z</updated>
<author><name>Ann</name><uri>/about</uri></author>
<entry><id>urn:1</id><title>One</title><updated>2024-05-01T10:00:00Z</updated>
<link href="posts/1.html"/><link rel="enclosure" type="audio/mpeg" length="12" href="media/a.mp3"/>
<content type="html">&lt;p&gt;&lt;a href="../x"&gt;x&lt;/a&gt;&lt;img src="/img/a.png" srcset="b.png 2x"&gt;&lt;/p&gt;</content>
</entry></feed>"#;
    let p = parse_feed(atom.as_bytes(), &url("https://blog.example/feeds/atom.xml")).unwrap();
    let item = &p.items[0];
    assert_eq!(
        item.url.as_deref(),
        Some("https://blog.example/feeds/posts/1.html")
    );
    let html = item.content_html.as_deref().unwrap();
    assert!(html.contains(r#"href="https://blog.example/x""#), "{html}");
    assert!(
        html.contains(r#"src="https://blog.example/img/a.png""#),
        "{html}"
    );
    assert!(
        html.contains("https://blog.example/feeds/b.png 2x"),
        "{html}"
    );
    assert_eq!(item.attachments.len(), 1);
    assert_eq!(
        item.attachments[0].url,
        "https://blog.example/feeds/media/a.mp3"
    );
    assert_eq!(item.attachments[0].size, Some(12));
    assert_eq!(
        item.attachments[0].media_type.as_deref(),
        Some("audio/mpeg")
    );
    // The feed's author applies to its entries (RFC 4287 §4.2.1).
    let author = item.author.as_ref().unwrap();
    assert_eq!(author.name.as_deref(), Some("Ann"));
    assert_eq!(author.url.as_deref(), Some("https://blog.example/about"));
    assert_eq!(p.meta.site_url.as_deref(), Some("https://blog.example/"));
    assert_eq!(p.meta.title.as_deref(), Some("A"));

    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J",
      "home_page_url":"/","items":[{"id":"1","url":"/posts/2","content_html":"<img src=\"i.png\">",
      "attachments":[{"url":"/a.mp3","mime_type":"audio/mpeg","title":"Episode"}]}]}"#;
    let p = parse_feed(json.as_bytes(), &url("https://j.example/feed.json")).unwrap();
    let item = &p.items[0];
    assert_eq!(item.url.as_deref(), Some("https://j.example/posts/2"));
    assert!(item
        .content_html
        .as_deref()
        .unwrap()
        .contains(r#"src="https://j.example/i.png""#));
    assert_eq!(item.attachments[0].url, "https://j.example/a.mp3");
    assert_eq!(item.attachments[0].alt.as_deref(), Some("Episode"));
    assert_eq!(p.meta.site_url.as_deref(), Some("https://j.example/"));

    let rss = r#"<rss version="2.0"><channel><title>R</title>
      <item><guid>g1</guid><link>/p</link><enclosure url="/e.mp3" length="5" type="audio/mpeg"/></item>
      </channel></rss>"#;
    let p = parse_feed(rss.as_bytes(), &url("https://r.example/rss")).unwrap();
    assert_eq!(p.items[0].url.as_deref(), Some("https://r.example/p"));
    assert_eq!(p.items[0].attachments[0].url, "https://r.example/e.mp3");
}

#[test]
fn hostile_html_is_removed() {
    let rss = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>&lt;b&gt;Evil&lt;/b&gt; feed</title>
<item><guid>g</guid><title>&lt;script&gt;alert(1)&lt;/script&gt;Hi</title>
<description>&lt;p onclick="x()"&gt;sum&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>ok</p><script>alert(2)</script><img src="x.png" onerror="alert(3)">
<a href="javascript:alert(4)">j</a><iframe src="https://evil.example/"></iframe><style>body{}</style>]]></content:encoded>
<link>javascript:alert(5)</link></item></channel></rss>"#;
    let p = parse_feed(rss.as_bytes(), &url("https://e.example/rss")).unwrap();
    let item = &p.items[0];
    let json = serde_json::to_string(item).unwrap();
    for bad in [
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "<style",
    ] {
        assert!(!json.contains(bad), "{bad} left in {json}");
    }
    assert!(item.content_html.as_deref().unwrap().contains("<p>ok</p>"));
    assert_eq!(item.summary.as_deref(), Some("<p>sum</p>"));
    assert_eq!(item.url, None, "a javascript: link is no item URL");
    assert!(!item.title.as_deref().unwrap().contains('<'));
}

#[test]
fn plain_text_is_escaped_not_interpreted() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>a</id>
<entry><id>1</id><title type="text">1 &lt; 2</title><updated>2024-05-01T10:00:00Z</updated>
<content type="text">a &lt;b&gt; c

second</content></entry></feed>"#;
    let p = parse_feed(atom.as_bytes(), &url("https://a.example/")).unwrap();
    let item = &p.items[0];
    assert_eq!(item.title.as_deref(), Some("1 < 2"));
    assert_eq!(
        item.content_html.as_deref(),
        Some("<p>a &lt;b&gt; c</p><p>second</p>")
    );
    assert_eq!(item.content_text.as_deref(), Some("a <b> c\n\nsecond"));
    // Atom's updated is kept; RSS's copy of pubDate is not.
    assert!(item.updated.is_some());
    let rss = r#"<rss version="2.0"><channel><title>R</title><language>de</language>
      <item><guid>g</guid><pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate></item></channel></rss>"#;
    let p = parse_feed(rss.as_bytes(), &url("https://r.example/")).unwrap();
    assert!(p.items[0].published.is_some());
    assert_eq!(p.items[0].updated, None);
    assert_eq!(p.items[0].language.as_deref(), Some("de"));
}

#[test]
fn json_feed_titles_decode_html_entities() {
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Blog &#8211; Name",
        "items":[{"id":"1","title":"Caf&eacute; &amp; more","content_text":"x"}]}"#;
    let parsed = parse_feed(json.as_bytes(), &url("https://blog.example/feed.json")).unwrap();
    assert_eq!(parsed.meta.title.as_deref(), Some("Blog – Name"));
    assert_eq!(parsed.items[0].title.as_deref(), Some("Café & more"));
}
