//! What a poll could not read is recorded on the source, where the owner sees it, and cleared
//! once the feed reads in full again.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

use crate::support::server::{Reply, TestServer};
use crate::support::Harness;

const WITH_BAD_ITEM: &str = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "J",
  "items": [
    {"id": "1", "url": "https://example.com/1", "content_text": "one"},
    "not an item",
    {"id": "3", "url": "https://example.com/3", "content_text": "three"}
  ]}"#;

const CLEAN: &str = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "J",
  "items": [
    {"id": "1", "url": "https://example.com/1", "content_text": "one"},
    {"id": "3", "url": "https://example.com/3", "content_text": "three"}
  ]}"#;

#[tokio::test]
async fn a_poll_that_lost_items_is_recorded_on_the_source_and_cleared_when_fixed() {
    let fixed = Arc::new(AtomicBool::new(false));
    let flag = fixed.clone();
    let server = TestServer::start(move |_| {
        let body = if flag.load(SeqCst) {
            CLEAN
        } else {
            WITH_BAD_ITEM
        };
        Reply::ok("application/feed+json", body)
    })
    .await;
    let h = Harness::new(|c| c.fetch.allow_private_networks = true);
    let id = h.add_feed("j", &server.url("/feed.json")).await;

    let outcome = h.poll(id).await;
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.stats.new, 2, "the good items are kept");
    let source = h.source(id).await;
    let warning = source.last_warning.expect("the loss is recorded");
    assert!(
        warning.starts_with("feed: JSON Feed item 2 skipped"),
        "{warning}"
    );
    assert_eq!(outcome.warning.as_deref(), Some(warning.as_str()));
    assert_eq!(source.last_error, None, "a warning is not a failure");

    fixed.store(true, SeqCst);
    let outcome = h.poll(id).await;
    assert_eq!(outcome.warning, None);
    assert_eq!(h.source(id).await.last_warning, None);
}
