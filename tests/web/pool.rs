//! The read pool is bounded (issue 6: "throughput collapses under concurrency", where every read
//! beyond 8 at once opened and closed its own SQLite connection): many reads at once never open
//! more than the pool's connections, they wait for a free one instead, and every one answers.

use braid::store::{NewSource, PollSuccess, Store, TimelineQuery};
use braid_core::{Item, RemoteId};
use futures_util::future::join_all;

use crate::support;

#[tokio::test]
async fn concurrent_reads_wait_for_a_pooled_reader() {
    let dir = support::temp_dir();
    let store = Store::open_with_readers(&dir.path().join("braid.db"), 2).unwrap();
    let source = store
        .add_source(NewSource {
            name: "s".into(),
            kind: "feed".into(),
            url: "https://s.example/feed.xml".into(),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: None,
        })
        .await
        .unwrap();
    let items = (0..20)
        .map(|n| Item {
            remote_id: RemoteId::from(format!("item-{n}").as_str()),
            title: Some(format!("Item {n}")),
            ..Item::default()
        })
        .collect();
    store
        .record_poll_success(source, items, vec![], PollSuccess::default())
        .await
        .unwrap();

    // 200 reads at once: pages, single items, health checks.
    let reads = (0..200).map(|n| {
        let store = store.clone();
        async move {
            match n % 3 {
                0 => store
                    .timeline(TimelineQuery {
                        limit: 5,
                        ..TimelineQuery::default()
                    })
                    .await
                    .map(|p| p.items.len()),
                1 => store.ping().await.map(|()| 5),
                _ => store.list_sources().await.map(|s| s.len() * 5),
            }
        }
    });
    let answers = join_all(reads).await;
    assert_eq!(answers.len(), 200);
    for a in &answers {
        assert_eq!(a.as_ref().ok(), Some(&5), "{a:?}");
    }
    let stats = store.reader_stats();
    assert_eq!(stats.max, 2);
    assert!(
        (1..=2).contains(&stats.opened),
        "opened {} read connections for a pool of 2",
        stats.opened
    );
    assert!(
        stats.waited > 0,
        "no read ever waited: the bound was never exercised"
    );
}
