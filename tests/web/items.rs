//! One huge item (issue 6: "one 9 MB item makes every page 19 MB"): ingested through the real
//! feed pipeline, its stored content is capped (still sanitized, marked as shortened, with a link
//! to the original); the timeline page and the API list carry a bounded preview of it; the whole
//! stored item is one request away at `/api/items/ID` and `/items/ID`.

use serde_json::Value;

use super::{serve, Site};
use crate::support::server::{Reply, TestServer};
use crate::support::{self, Harness};

/// One paragraph of the huge entry: markup, an entity and a link, so a cut has somewhere to
/// go wrong.
const PARA: &str = "<p>Paragraph with <b>bold</b> &amp; <a href=\"https://x.example/\">a link</a> and words to fill it out.</p>";
const HUGE_BYTES: usize = 9 * 1024 * 1024;
/// The default `storage.max_content_bytes`.
const CAP: usize = 1024 * 1024;

fn rss(entries: &[(&str, &str, String)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Big</title><link>https://big.example/</link><description>d</description>",
    );
    for (id, title, html) in entries {
        out.push_str(&format!(
            "<item><guid>{id}</guid><title>{title}</title><link>https://big.example/{id}</link>\
             <pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[{html}]]></description></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

async fn huge_site() -> (Site, Harness, i64) {
    let huge = PARA.repeat(HUGE_BYTES / PARA.len() + 1);
    let feed = rss(&[
        ("huge", "The huge one", huge),
        ("small", "A small one", "<p>small body</p>".to_owned()),
    ]);
    let server = TestServer::start(move |_| Reply::ok("application/rss+xml", feed.clone())).await;
    let h = Harness::new(|c| c.fetch.max_body_bytes = 32 * 1024 * 1024);
    let source = h.add_feed("big", &server.url("/feed.xml")).await;
    let outcome = h.poll(source).await;
    assert_eq!(outcome.error, None, "poll failed");
    assert_eq!(outcome.stats.new, 2);
    let huge_id = h
        .items(source)
        .await
        .iter()
        .find(|i| i.item.title.as_deref() == Some("The huge one"))
        .expect("huge item stored")
        .id
        .0;
    let store = h.store.clone();
    let site = serve(store, support::temp_dir(), source, source).await;
    (site, h, huge_id)
}

#[tokio::test]
async fn a_huge_item_is_capped_and_list_pages_stay_small() {
    let (site, h, huge_id) = huge_site().await;

    // Stored: capped, still sanitized and well-formed (sanitizing it again changes nothing),
    // and marked as shortened with a link to the original.
    let stored = h
        .store
        .item(braid_core::ItemId(huge_id))
        .await
        .unwrap()
        .unwrap();
    let html = stored.item.content_html.clone().unwrap();
    assert!(html.len() <= CAP, "stored {} bytes", html.len());
    assert!(html.len() > CAP / 2, "kept only {} bytes", html.len());
    assert_eq!(
        braid_core::sanitize::clean_html(&html).as_str(),
        html.as_str(),
        "the cut HTML is not well-formed sanitized HTML"
    );
    assert!(html.contains("Shortened by Braid"), "no truncation mark");
    assert!(html.contains("href=\"https://big.example/huge\""));
    let text = stored.item.content_text.clone().unwrap();
    assert!(text.len() <= CAP, "stored text {} bytes", text.len());

    // The list views carry a preview: small pages, the huge item marked and linked.
    let (status, page) = site.text("/").await;
    assert_eq!(status, 200);
    assert!(page.len() < 64 * 1024, "/ is {} bytes", page.len());
    assert!(page.contains("The huge one") && page.contains("small body"));
    assert!(
        page.contains(&format!("href=\"/items/{huge_id}\"")),
        "no link to the item page"
    );
    let resp = site.get("/api/timeline").await;
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    assert!(
        body.len() < 64 * 1024,
        "/api/timeline is {} bytes",
        body.len()
    );
    let list: Value = serde_json::from_slice(&body).unwrap();
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == huge_id)
        .expect("huge item listed");
    assert_eq!(listed["truncated"], true);
    let preview = listed["content_html"].as_str().unwrap();
    assert!(
        preview.starts_with(&html[..200]),
        "preview is not the start"
    );
    assert_eq!(
        braid_core::sanitize::clean_html(preview).as_str(),
        preview,
        "the preview is not well-formed sanitized HTML"
    );
    let small = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "A small one")
        .unwrap();
    assert_eq!(small["truncated"], false);
    assert_eq!(small["content_html"], "<p>small body</p>");

    // The whole stored item, one request away.
    let (status, full) = site.json(&format!("/api/items/{huge_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(full["content_html"].as_str(), Some(html.as_str()));
    assert_eq!(full["title"], "The huge one");
    let (status, err) = site.json("/api/items/999999").await;
    assert_eq!(status, 404);
    assert!(err["error"].as_str().unwrap_or("").contains("999999"));

    let resp = site.get(&format!("/items/{huge_id}")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let page = resp.text().await.unwrap();
    assert!(page.contains("The huge one"));
    assert!(page.contains("Shortened by Braid"));
    assert!(page.len() > CAP / 2, "the item page shows the whole item");
    let (status, _) = site.text("/items/999999").await;
    assert_eq!(status, 404);
    site.stop().await;
}
