//! Feeds other readers read and feed-rs alone refused, read as empty or read in part: served
//! over HTTP, polled through the whole pipeline, and compared entry by entry with Python
//! feedparser, the parser most feed readers' behaviour is measured against.

use std::path::{Path, PathBuf};
use std::process::Command;

use braid_core::{Cursor, Source};
use serde_json::Value;
use url::Url;

use crate::support::server::{Reply, TestServer};
use crate::support::{missing_peer, python, python_has, Harness};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors/feed/testdata")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join(name)).unwrap()
}

/// Serves each fixture at `/<name>`.
async fn serve(names: &'static [&'static str]) -> TestServer {
    TestServer::start(
        move |req| match names.iter().find(|n| req.path == format!("/{n}")) {
            Some(n) => Reply::ok("application/xml", fixture(n)),
            None => Reply::status(404),
        },
    )
    .await
}

const SERVED: &[&str] = &[
    "atom/atom_0.3.xml",
    "rss0/rss_0.94.xml",
    "rss1/rss_1.0_rdf_about.xml",
    "rss2/rss_2.0_unescaped_html.xml",
    "atom/atom_content_types.xml",
    "jsonfeed/jsonfeed_bad_items.json",
];

#[tokio::test]
async fn feeds_that_read_as_empty_are_stored_in_full() {
    let server = serve(SERVED).await;
    let h = Harness::new(|_| {});
    // (fixture, items stored, a title among them)
    let expected = [
        ("atom/atom_0.3.xml", 2, "Escaped content"),
        ("rss0/rss_0.94.xml", 2, "Café on 0.94"),
        ("rss1/rss_1.0_rdf_about.xml", 3, "Second, a URN"),
        ("rss2/rss_2.0_unescaped_html.xml", 3, "Paragraph"),
        ("atom/atom_content_types.xml", 3, "Base64 HTML"),
        ("jsonfeed/jsonfeed_bad_items.json", 3, "Good six"),
    ];
    for (name, count, title) in expected {
        let id = h.add_feed(name, &server.url(&format!("/{name}"))).await;
        let out = h.poll(id).await;
        assert_eq!(out.error, None, "{name}");
        let items = h.items(id).await;
        assert_eq!(items.len(), count, "{name}: {items:?}");
        assert!(
            items.iter().any(|i| i.item.title.as_deref() == Some(title)),
            "{name}: no {title:?}"
        );
        if name == "rss2/rss_2.0_unescaped_html.xml" {
            assert!(items
                .iter()
                .any(|i| i.item.content_html.as_deref() == Some("<p>hello</p>")));
        }
        // No stored item is empty: every one has text to show.
        for i in &items {
            assert!(
                i.item.content_html.is_some() || i.item.title.is_some(),
                "{name}: {i:?}"
            );
        }
    }
}

/// What a poll lost reaches the core in `Page::warnings`, and a clean feed says nothing.
#[tokio::test]
async fn a_poll_says_what_it_lost() {
    let server = serve(SERVED).await;
    let mut config = braid::config::Config::default();
    config.fetch.allow_private_networks = true;
    let client = braid_core::http::SafeClient::new(config.http_config()).unwrap();
    let poll = |name: &str| {
        let src = braid_feed::FeedSource::new(
            Url::parse(&server.url(&format!("/{name}"))).unwrap(),
            client.clone(),
        );
        async move { src.poll(&Cursor::default()).await.unwrap() }
    };
    let page = poll("rss1/rss_1.0_rdf_about.xml").await;
    assert_eq!(page.items.len(), 3);
    assert_eq!(
        page.warnings,
        ["feed: 1 of 4 entries skipped: entry 4 has no link, id or rdf:about"]
    );
    let page = poll("atom/atom_content_types.xml").await;
    assert_eq!(
        page.warnings,
        ["feed: 1 of 3 entries with content that could not be read: entry 3 has content of type image/png"]
    );
    let page = poll("jsonfeed/jsonfeed_bad_items.json").await;
    assert_eq!(page.warnings.len(), 1);
    assert!(
        page.warnings[0].starts_with("feed: 3 of 6 JSON Feed items skipped: item 2 is a string"),
        "{:?}",
        page.warnings
    );
    let page = poll("atom/atom_0.3.xml").await;
    assert!(page.warnings.is_empty(), "{:?}", page.warnings);
}

/// feedparser reads the file at argv[1] as if fetched from argv[2] and prints its entries.
const FEEDPARSER: &str = r#"
import sys, json, feedparser
d = feedparser.parse(open(sys.argv[1], "rb").read(), response_headers={"content-location": sys.argv[2]})
print(json.dumps([{"title": e.get("title"), "link": e.get("link")} for e in d.entries]))
"#;

/// Every RSS and Atom fixture: each entry feedparser reads, Braid reads with the same title
/// and (where feedparser finds a web page) the same URL, or names in a warning as skipped.
#[test]
fn feedparser_and_braid_read_the_same_entries() {
    if !python_has("feedparser") {
        return missing_peer("Python feedparser", "pip install feedparser");
    }
    let base = "https://fixture.example/feeds/feed.xml";
    let mut checked = 0;
    for dir in ["rss0", "rss1", "rss2", "atom"] {
        for file in std::fs::read_dir(testdata().join(dir)).unwrap() {
            let path = file.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("xml") {
                continue;
            }
            let name = path.display().to_string();
            let out = Command::new(python())
                .args(["-c", FEEDPARSER, &name, base])
                .output()
                .unwrap();
            assert!(out.status.success(), "{name}: {out:?}");
            let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
            let ours =
                braid_feed::parse_feed(&std::fs::read(&path).unwrap(), &Url::parse(base).unwrap())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            compare(&name, &theirs, &ours);
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} fixtures found");
}

fn compare(name: &str, theirs: &[Value], ours: &braid_feed::ParsedFeed) {
    let norm = |s: Option<&str>| {
        s.unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut ours_left = ours.items.iter().peekable();
    let mut skipped = 0;
    for entry in theirs {
        let title = norm(entry["title"].as_str());
        match ours_left.peek() {
            Some(item) if norm(item.title.as_deref()) == title => {
                let link = entry["link"].as_str().filter(|l| l.starts_with("http"));
                if let Some(link) = link {
                    assert_eq!(item.url.as_deref(), Some(link), "{name}: {title:?}");
                }
                ours_left.next();
            }
            _ => skipped += 1,
        }
    }
    assert!(
        ours_left.next().is_none(),
        "{name}: Braid has entries feedparser has not"
    );
    if skipped > 0 {
        let said = format!("{skipped} of {} entries skipped", theirs.len());
        assert!(
            ours.warnings.iter().any(|w| w.contains(&said)),
            "{name}: {skipped} entries feedparser reads are missing without a warning saying \
             {said:?}: {:?}",
            ours.warnings
        );
    }
}
