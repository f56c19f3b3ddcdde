#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Store tests, on `open_in_memory` unless the behaviour needs a file (reopening, WAL readers).

mod accounts;
mod ingest;
mod own;
mod read;
mod retention;
mod sources;
mod timeline_view;

use braid_core::{Author, Item, ItemId, SourceId};
use chrono::{DateTime, TimeZone, Utc};

use super::{IngestStats, NewSource, PollSuccess, Store, TimelineQuery};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0)
        .single()
        .unwrap_or_default()
}

fn new_source(name: &str) -> NewSource {
    NewSource {
        name: name.to_owned(),
        kind: "example".to_owned(),
        url: format!("https://{name}.example/feed.xml"),
        schedule: None,
        category: None,
        settings: serde_json::json!({}),
        account: None,
    }
}

fn entry(remote_id: &str, published_secs: i64) -> Item {
    Item {
        remote_id: remote_id.into(),
        title: Some(format!("Title of {remote_id}")),
        content_html: Some(braid_core::sanitize::clean_html(&format!(
            "<p>Body of {remote_id}</p>"
        ))),
        content_text: Some(format!("Body of {remote_id}")),
        published: Some(t(published_secs)),
        author: Some(Author {
            name: Some("Jane Doe".to_owned()),
            ..Author::default()
        }),
        ..Item::default()
    }
}

async fn store_with(names: &[&str]) -> (Store, Vec<SourceId>) {
    let store = Store::open_in_memory().unwrap();
    let mut ids = Vec::new();
    for n in names {
        ids.push(store.add_source(new_source(n)).await.unwrap());
    }
    (store, ids)
}

async fn ingest(store: &Store, source: SourceId, items: Vec<Item>) -> IngestStats {
    store
        .record_poll_success(source, items, Vec::new(), PollSuccess::default())
        .await
        .unwrap()
}

fn query(limit: usize) -> TimelineQuery {
    TimelineQuery {
        limit,
        ..TimelineQuery::default()
    }
}

/// A search for `s`, first page of 50.
fn search(s: &str) -> TimelineQuery {
    TimelineQuery {
        search: Some(s.to_owned()),
        ..query(50)
    }
}

async fn item_ids(store: &Store, q: TimelineQuery) -> Vec<ItemId> {
    store
        .timeline(q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.id)
        .collect()
}

async fn titles(store: &Store, q: TimelineQuery) -> Vec<String> {
    store
        .timeline(q)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|i| i.item.title)
        .collect()
}

/// Marks an item as the owner's own post (no public API sets it yet).
fn mark_own(store: &Store, id: ItemId) {
    store
        .pool
        .with_writer(|c| Ok(c.execute("UPDATE items SET is_own = 1 WHERE id = ?1", [id.0])?))
        .unwrap();
}
