//! `poll` and `discover` against a throwaway HTTP/1.1 responder on 127.0.0.1 (the lead's
//! integration tests cover real servers; these pin this crate's request/response handling).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use braid_core::http::{HttpConfig, SafeClient};
use braid_core::{Cursor, Source};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use crate::{discover, FeedCursor, FeedSource};

const RSS: &str = r#"<rss version="2.0"><channel><title>Live</title><link>/</link><ttl>30</ttl>
<item><guid>a</guid><title>A</title><link>/a</link></item></channel></rss>"#;

type Seen = Arc<Mutex<Vec<String>>>;

/// Serves `route(path, request_head)` → (status line, extra headers, body); records requests.
async fn serve(route: fn(&str, &str) -> (&'static str, &'static str, String)) -> (Url, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = sock.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            log.lock().unwrap().push(head.clone());
            let (status, headers, body) = route(&path, &head);
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
    });
    (base, seen)
}

fn client() -> SafeClient {
    SafeClient::new(HttpConfig {
        allow_private_networks: true,
        ..HttpConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn conditional_poll_round_trip() {
    let (base, seen) = serve(|_, head| {
        if head.to_ascii_lowercase().contains("if-none-match: \"v1\"") {
            ("304 Not Modified", "etag: \"v1\"\r\n", String::new())
        } else {
            (
                "200 OK",
                "etag: \"v1\"\r\ncache-control: max-age=60\r\n",
                RSS.to_owned(),
            )
        }
    })
    .await;
    let source = FeedSource::new(base.join("feed.xml").unwrap(), client());
    let page = source.poll(&Cursor::none()).await.unwrap();
    assert!(!page.not_modified);
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        page.items[0].url.as_deref(),
        Some(base.join("a").unwrap().as_str())
    );
    assert_eq!(page.meta.title.as_deref(), Some("Live"));
    assert_eq!(
        page.hints.min_interval,
        Some(std::time::Duration::from_secs(30 * 60))
    );
    let cursor = page.next_cursor.unwrap();
    assert_eq!(
        FeedCursor::from_cursor(&cursor).etag.as_deref(),
        Some("\"v1\"")
    );
    assert!(seen.lock().unwrap()[0]
        .to_ascii_lowercase()
        .contains("accept: application/atom+xml"));

    let again = source.poll(&cursor).await.unwrap();
    assert!(again.not_modified);
    assert!(again.items.is_empty());
}

#[tokio::test]
async fn discovers_a_feed_from_its_site() {
    let (base, _) = serve(|path, _| match path {
        "/" => (
            "200 OK",
            "content-type: text/html\r\n",
            r#"<html><head><link rel="alternate" type="application/rss+xml" title="Live" href="/feed.xml"></head></html>"#
                .to_owned(),
        ),
        "/feed.xml" => ("200 OK", "", RSS.to_owned()),
        _ => ("404 Not Found", "", String::new()),
    })
    .await;
    let found = discover(&client(), &base).await.unwrap();
    assert_eq!(found.feed_url, base.join("feed.xml").unwrap());
    assert_eq!(found.title.as_deref(), Some("Live"));
    // Polling the page itself says what to do instead.
    let err = FeedSource::new(base.clone(), client())
        .poll(&Cursor::none())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("is an HTML page, not a feed"),
        "{err}"
    );
    let err = discover(&client(), &base.join("nope").unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}

#[tokio::test]
async fn offers_a_choice_only_when_a_page_advertises_several_feeds() {
    use braid_core::factory::{Factory, LoginContext};
    let (base, seen) = serve(|path, _| match path {
        "/two" => (
            "200 OK",
            "content-type: text/html\r\n",
            r#"<html><head>
<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml">
<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml">
</head></html>"#
                .to_owned(),
        ),
        "/one" => (
            "200 OK",
            "content-type: text/html\r\n",
            r#"<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>"#
                .to_owned(),
        ),
        "/none" => ("200 OK", "content-type: text/html\r\n", "<html><p>hi</p></html>".to_owned()),
        "/feed.xml" => ("200 OK", "", RSS.to_owned()),
        _ => ("404 Not Found", "", String::new()),
    })
    .await;
    let ctx = LoginContext::new(client());
    let factory = crate::factory::FeedFactory;

    let two = factory
        .choices(&ctx, &base.join("two").unwrap())
        .await
        .unwrap();
    let urls: Vec<&str> = two.iter().map(|c| c.url.path()).collect();
    // Best first: comments feeds after the others.
    assert_eq!(urls, ["/feed.xml", "/comments.xml"]);
    assert_eq!(two[0].title.as_deref(), Some("Posts"));
    assert_eq!(two[0].kind.as_deref(), Some("RSS"));
    // Listing the choices reads the page only, not the feeds.
    assert!(!seen.lock().unwrap().iter().any(|p| p.contains("feed.xml")));

    for nothing_to_choose in ["one", "feed.xml"] {
        let url = base.join(nothing_to_choose).unwrap();
        assert!(
            factory.choices(&ctx, &url).await.unwrap().is_empty(),
            "{url}"
        );
    }
    let err = factory
        .choices(&ctx, &base.join("none").unwrap())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("does not advertise a feed"),
        "{err}"
    );
}
