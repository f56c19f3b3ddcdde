//! Upsert, tombstones, cross-source linking, migrations.

use braid_core::{Item, RemoteId};
use chrono::{Duration, Utc};

use super::*;
use crate::store::{schema, IngestStats, StoreError};

#[tokio::test]
async fn migrations_are_idempotent_and_refuse_newer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("braid.db");
    {
        let store = Store::open(&path).unwrap();
        let src = store.add_source(new_source("a")).await.unwrap();
        ingest(&store, src, vec![entry("1", 0)]).await;
    }
    let store = Store::open(&path).unwrap();
    let sources = store.list_sources().await.unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].item_count, 1);
    drop(store);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, schema::known_version());
    conn.execute_batch(&format!("PRAGMA user_version = {}", v + 1))
        .unwrap();
    drop(conn);
    match Store::open(&path) {
        Err(StoreError::TooNew { found, known }) => assert_eq!((found, known), (v + 1, v)),
        Err(e) => panic!("expected TooNew, got {e}"),
        Ok(_) => panic!("expected TooNew, opened"),
    }
}

#[tokio::test]
async fn newer_updated_wins_older_is_ignored() {
    let (store, ids) = store_with(&["a"]).await;
    let mut v1 = entry("post", 0);
    v1.updated = Some(t(100));
    assert_eq!(ingest(&store, ids[0], vec![v1.clone()]).await.new, 1);

    let mut older = v1.clone();
    older.title = Some("stale".into());
    older.updated = Some(t(50));
    let mut newer = v1.clone();
    newer.title = Some("edited".into());
    newer.updated = Some(t(200));
    let stats = ingest(&store, ids[0], vec![older, v1.clone()]).await;
    assert_eq!((stats.unchanged, stats.updated), (2, 0));
    assert_eq!(titles(&store, query(10)).await, vec!["Title of post"]);

    let stats = ingest(&store, ids[0], vec![newer]).await;
    assert_eq!(stats.updated, 1);
    assert_eq!(titles(&store, query(10)).await, vec!["edited"]);
    // The search index follows the edit.
    let q = |s: &str| TimelineQuery {
        search: Some(s.into()),
        ..query(10)
    };
    assert_eq!(item_ids(&store, q("edited")).await.len(), 1);
    assert!(item_ids(&store, q("Title")).await.is_empty());
}

#[tokio::test]
async fn without_updated_content_change_is_an_update() {
    let (store, ids) = store_with(&["a"]).await;
    let v1 = entry("post", 0);
    ingest(&store, ids[0], vec![v1.clone()]).await;
    assert_eq!(ingest(&store, ids[0], vec![v1.clone()]).await.unchanged, 1);
    let mut v2 = v1;
    v2.content_text = Some("fixed a typo".into());
    assert_eq!(ingest(&store, ids[0], vec![v2]).await.updated, 1);
    let page = store.timeline(query(10)).await.unwrap();
    assert_eq!(
        page.items[0].item.content_text.as_deref(),
        Some("fixed a typo")
    );
}

#[tokio::test]
async fn tombstone_blocks_reingest_and_clears_search() {
    let (store, ids) = store_with(&["a"]).await;
    ingest(&store, ids[0], vec![entry("keep", 0), entry("gone", 1)]).await;
    let gone_id = store.timeline(query(10)).await.unwrap().items[0].id;
    let stats = store
        .record_poll_success(
            ids[0],
            vec![],
            vec![RemoteId::from("gone"), "never-seen".into()],
            PollSuccess::default(),
        )
        .await
        .unwrap();
    assert_eq!(stats.deleted, 1);
    assert!(store.item(gone_id).await.unwrap().is_none());
    assert_eq!(titles(&store, query(10)).await, vec!["Title of keep"]);
    let search = TimelineQuery {
        search: Some("gone".into()),
        ..query(10)
    };
    assert!(item_ids(&store, search).await.is_empty());

    // The feed still lists both, and the never-seen one arrives late: neither comes back.
    let stats = ingest(
        &store,
        ids[0],
        vec![entry("gone", 1), entry("never-seen", 2), entry("keep", 0)],
    )
    .await;
    assert_eq!(
        stats,
        IngestStats {
            tombstoned: 2,
            unchanged: 1,
            ..IngestStats::default()
        }
    );
    assert_eq!(store.source(ids[0]).await.unwrap().unwrap().item_count, 1);
}

fn linked(remote_id: &str, url: &str, secs: i64) -> Item {
    Item {
        url: Some(url.to_owned()),
        ..entry(remote_id, secs)
    }
}

#[tokio::test]
async fn same_post_across_sources_is_one_entry() {
    let (store, ids) = store_with(&["blog", "masto", "bsky"]).await;
    ingest(
        &store,
        ids[0],
        vec![linked("b1", "https://Example.com/post/1?utm_source=rss", 0)],
    )
    .await;
    ingest(
        &store,
        ids[1],
        vec![linked("m1", "http://example.com/post/1#top", 5)],
    )
    .await;
    ingest(
        &store,
        ids[2],
        vec![linked("s1", "https://example.com/post/1/", 9)],
    )
    .await;

    let page = store.timeline(query(10)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].source_name, "blog");
    assert_eq!(page.items[0].also_in, vec!["bsky", "masto"]);

    // One source's view shows its own copy, pointing back at the others.
    let masto = store
        .timeline(TimelineQuery {
            source: Some(ids[1]),
            ..query(10)
        })
        .await
        .unwrap();
    assert_eq!(masto.items.len(), 1);
    assert_eq!(masto.items[0].item.remote_id.as_str(), "m1");
    assert_eq!(masto.items[0].also_in, vec!["blog", "bsky"]);
    let single = store.item(masto.items[0].id).await.unwrap().unwrap();
    assert_eq!(single.also_in, vec!["blog", "bsky"]);

    // The primary is deleted at its origin: the earliest other copy takes over.
    store
        .record_poll_success(ids[0], vec![], vec!["b1".into()], PollSuccess::default())
        .await
        .unwrap();
    let page = store.timeline(query(10)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].source_name, "masto");
    assert_eq!(page.items[0].also_in, vec!["bsky"]);

    // Removing that source hands the group on again.
    store.remove_source(ids[1]).await.unwrap();
    let page = store.timeline(query(10)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].source_name, "bsky");
    assert!(page.items[0].also_in.is_empty());
}

#[tokio::test]
async fn same_url_within_one_source_keeps_both() {
    let (store, ids) = store_with(&["a"]).await;
    let stats = ingest(
        &store,
        ids[0],
        vec![
            linked("1", "https://x.example/p", 0),
            linked("2", "https://x.example/p", 1),
        ],
    )
    .await;
    assert_eq!(stats.new, 2);
    let page = store.timeline(query(10)).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.items.iter().all(|i| i.also_in.is_empty()));
}

#[tokio::test]
async fn sort_time_is_published_unless_far_future() {
    let (store, ids) = store_with(&["a"]).await;
    let now = Utc::now();
    let mut soon = entry("soon", 0);
    soon.published = Some(now + Duration::hours(2));
    let mut far = entry("far", 0);
    far.published = Some(now + Duration::days(30));
    let mut undated = entry("undated", 0);
    undated.published = None;
    ingest(&store, ids[0], vec![soon, far, undated]).await;
    for it in store.timeline(query(10)).await.unwrap().items {
        match it.item.remote_id.as_str() {
            "soon" => assert_eq!(Some(it.sort_time), it.item.published),
            // Clamped: ordered by when it was first seen, published kept as given.
            "far" | "undated" => assert_eq!(it.sort_time, it.first_seen),
            other => panic!("unexpected {other}"),
        }
    }
}

/// FTS5 agrees with the rows it indexes (the content table), checked by FTS5 itself.
fn assert_index_consistent(store: &Store) {
    store
        .pool
        .with_writer(|c| {
            c.execute_batch(
                "INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)",
            )?;
            Ok(())
        })
        .unwrap();
}

/// New items are indexed once per poll, after the rows are written: every path that changes
/// them afterwards (an edit in the same page, a later edit that moves the item in time, a
/// deletion, retention) keeps the index exact.
#[tokio::test]
async fn the_search_index_follows_every_change_to_items() {
    let (store, ids) = store_with(&["a"]).await;
    let with_text = |id: &str, secs: i64, text: &str| Item {
        content_text: Some(text.to_owned()),
        ..entry(id, secs)
    };
    // One page: an entry listed twice, its second copy edited; a page in feed order (newest
    // first), so the rows are inserted against key order.
    let stats = ingest(
        &store,
        ids[0],
        vec![
            with_text("n3", 30, "third alpha"),
            with_text("twice", 20, "first draft"),
            with_text("n1", 10, "first alpha"),
            with_text("twice", 20, "final wording"),
        ],
    )
    .await;
    assert_eq!((stats.new, stats.updated), (3, 1));
    assert_index_consistent(&store);
    assert!(item_ids(&store, search("draft")).await.is_empty());
    assert_eq!(item_ids(&store, search("wording")).await.len(), 1);
    assert_eq!(
        titles(&store, search("alpha")).await,
        ["Title of n3", "Title of n1"]
    );

    // An edit that moves an item to another time moves its key.
    let moved = Item {
        updated: Some(t(100)),
        ..with_text("n1", 40, "first alpha, edited")
    };
    ingest(&store, ids[0], vec![moved]).await;
    assert_index_consistent(&store);
    assert_eq!(
        titles(&store, search("alpha")).await,
        ["Title of n1", "Title of n3"]
    );
    assert_eq!(item_ids(&store, search("edited")).await.len(), 1);

    // Deleted at the origin.
    store
        .record_poll_success(ids[0], vec![], vec!["n3".into()], PollSuccess::default())
        .await
        .unwrap();
    assert_index_consistent(&store);
    assert_eq!(titles(&store, search("alpha")).await, ["Title of n1"]);

    // Removing the source removes its items.
    store.remove_source(ids[0]).await.unwrap();
    assert_index_consistent(&store);
    assert!(item_ids(&store, search("alpha")).await.is_empty());
}
