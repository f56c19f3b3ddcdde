//! Sources and poll bookkeeping.

use chrono::Duration;

use super::*;
use crate::store::{PollFailure, StoreError};

#[tokio::test]
async fn duplicate_names_and_urls_are_refused() {
    let (store, _) = store_with(&["a"]).await;
    let err = store.add_source(new_source("a")).await.unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateName(ref n) if n == "a"),
        "{err}"
    );
    let err = store
        .add_source(NewSource {
            name: "other".into(),
            ..new_source("a")
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateUrl(_)), "{err}");
}

#[tokio::test]
async fn find_list_remove() {
    let (store, ids) = store_with(&["zeta", "alpha"]).await;
    let names: Vec<_> = store
        .list_sources()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
    assert_eq!(store.find_source("zeta").await.unwrap().unwrap().id, ids[0]);
    let by_url = store
        .find_source("https://alpha.example/feed.xml")
        .await
        .unwrap();
    assert_eq!(by_url.unwrap().id, ids[1]);
    assert!(store.find_source("nope").await.unwrap().is_none());

    ingest(&store, ids[0], vec![entry("1", 0), entry("2", 1)]).await;
    store.remove_source(ids[0]).await.unwrap();
    assert!(store.source(ids[0]).await.unwrap().is_none());
    assert!(store.timeline(query(10)).await.unwrap().items.is_empty());
    assert!(item_ids(
        &store,
        TimelineQuery {
            search: Some("body".into()),
            ..query(10)
        }
    )
    .await
    .is_empty());
    assert!(matches!(
        store.remove_source(ids[0]).await,
        Err(StoreError::NoSuchSource(_))
    ));
}

#[tokio::test]
async fn success_and_failure_bookkeeping() {
    let (store, ids) = store_with(&["a", "b"]).await;
    let a = ids[0];
    let later = Utc::now() + Duration::hours(1);
    let fail = |counts: bool, disable: Option<&str>| PollFailure {
        message: "feed: HTTP 503".into(),
        next_poll: Some(later),
        disable: disable.map(str::to_owned),
        counts_as_failure: counts,
    };
    store
        .record_poll_failure(a, fail(true, None))
        .await
        .unwrap();
    store
        .record_poll_failure(a, fail(false, None))
        .await
        .unwrap();
    let s = store.source(a).await.unwrap().unwrap();
    assert_eq!(s.error_count, 1, "rate limiting does not count");
    assert_eq!(s.last_error.as_deref(), Some("feed: HTTP 503"));
    assert!(s.last_error_at.is_some() && s.last_poll.is_some() && s.last_success.is_none());
    assert!(s.enabled);
    // Only b is due: a was pushed back.
    let due: Vec<_> = store
        .due_sources(Utc::now())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(due, [ids[1]]);

    let ok = PollSuccess {
        cursor: Some("etag-1".into()),
        next_poll: Some(later),
        new_url: Some("https://moved.example/feed".into()),
        title: Some("A's blog".into()),
        site_url: Some("https://moved.example/".into()),
        warning: Some("feed: 1 of 2 entries skipped: entry 2 has no content".into()),
    };
    let stats = store
        .record_poll_success(a, vec![entry("1", 0)], vec![], ok)
        .await
        .unwrap();
    assert_eq!(stats.new, 1);
    let s = store.source(a).await.unwrap().unwrap();
    assert_eq!((s.error_count, s.last_error.as_deref()), (0, None));
    assert_eq!(s.cursor.as_deref(), Some("etag-1"));
    assert_eq!(s.url, "https://moved.example/feed");
    assert_eq!(s.title.as_deref(), Some("A's blog"));
    assert!(s.last_success.is_some());
    assert_eq!(
        s.last_warning.as_deref(),
        Some("feed: 1 of 2 entries skipped: entry 2 has no content")
    );
    // A poll without a new cursor keeps the old one; one that read everything clears the
    // warning.
    store
        .record_poll_success(a, vec![], vec![], PollSuccess::default())
        .await
        .unwrap();
    let s = store.source(a).await.unwrap().unwrap();
    assert_eq!(s.cursor.as_deref(), Some("etag-1"));
    assert_eq!(s.last_warning, None);

    store
        .record_poll_failure(a, fail(true, Some("feed: HTTP 410 Gone")))
        .await
        .unwrap();
    let s = store.source(a).await.unwrap().unwrap();
    assert!(!s.enabled);
    assert_eq!(s.disabled_reason.as_deref(), Some("feed: HTTP 410 Gone"));
    assert!(store
        .due_sources(later + Duration::hours(1))
        .await
        .unwrap()
        .iter()
        .all(|s| s.id != a));

    store.enable_source(a).await.unwrap();
    let s = store.source(a).await.unwrap().unwrap();
    assert!(s.enabled && s.disabled_reason.is_none() && s.error_count == 0);
    assert!(store
        .due_sources(Utc::now())
        .await
        .unwrap()
        .iter()
        .any(|s| s.id == a));

    store.set_next_poll(a, later).await.unwrap();
    assert!(store
        .due_sources(Utc::now())
        .await
        .unwrap()
        .iter()
        .all(|s| s.id != a));
    let missing = SourceId(999);
    assert!(matches!(
        store.set_next_poll(missing, later).await,
        Err(StoreError::NoSuchSource(_))
    ));
    let r = store
        .record_poll_success(missing, vec![], vec![], PollSuccess::default())
        .await;
    assert!(matches!(r, Err(StoreError::NoSuchSource(_))));
}

#[tokio::test]
async fn moving_onto_another_sources_url_is_refused_atomically() {
    let (store, ids) = store_with(&["a", "b"]).await;
    let ok = PollSuccess {
        new_url: Some("https://b.example/feed.xml".into()),
        ..PollSuccess::default()
    };
    let r = store
        .record_poll_success(ids[0], vec![entry("1", 0)], vec![], ok)
        .await;
    assert!(matches!(r, Err(StoreError::DuplicateUrl(_))), "{r:?}");
    // The poll's items were rolled back with it.
    assert_eq!(store.source(ids[0]).await.unwrap().unwrap().item_count, 0);
}
