//! Retention by age and by count.

use std::collections::HashMap;

use chrono::Duration;

use super::*;
use crate::store::Retention;

#[tokio::test]
async fn retention_by_age_and_count_keeps_own_posts() {
    let (store, ids) = store_with(&["old", "busy", "mine"]).await;
    let now = Utc::now();
    let at = |rid: &str, days_ago: i64| Item {
        published: Some(now - Duration::days(days_ago)),
        ..entry(rid, 0)
    };
    ingest(
        &store,
        ids[0],
        vec![at("o1", 100), at("o2", 40), at("o3", 1)],
    )
    .await;
    ingest(
        &store,
        ids[1],
        (0..10).map(|i| at(&format!("b{i}"), i)).collect(),
    )
    .await;
    ingest(&store, ids[2], vec![at("m1", 400), at("m2", 300)]).await;
    let own = store
        .timeline(TimelineQuery {
            source: Some(ids[2]),
            ..query(10)
        })
        .await
        .unwrap();
    let own_ids: Vec<_> = own.items.iter().map(|i| i.id).collect();
    mark_own(&store, own_ids[0]);

    let global = Retention {
        max_age_days: Some(30),
        max_items: None,
    };
    let per_source = HashMap::from([(
        ids[1],
        Retention {
            max_age_days: None,
            max_items: Some(4),
        },
    )]);
    let removed = store
        .apply_retention(global, per_source.clone())
        .await
        .unwrap();
    // old: o1, o2; busy: b4..b9; mine: m2 (m1 is own).
    assert_eq!(removed, 2 + 6 + 1);

    let count = |i: usize| {
        let store = store.clone();
        let id = ids[i];
        async move { store.source(id).await.unwrap().unwrap().item_count }
    };
    assert_eq!((count(0).await, count(1).await, count(2).await), (1, 4, 1));
    let busy = titles(
        &store,
        TimelineQuery {
            source: Some(ids[1]),
            ..query(10)
        },
    )
    .await;
    assert_eq!(
        busy,
        ["Title of b0", "Title of b1", "Title of b2", "Title of b3"]
    );
    assert!(store.item(own_ids[0]).await.unwrap().is_some());
    let search = TimelineQuery {
        search: Some("o1".into()),
        ..query(10)
    };
    assert!(
        item_ids(&store, search).await.is_empty(),
        "FTS follows retention"
    );

    // The feeds still list the pruned entries: they do not come back.
    let stats = ingest(
        &store,
        ids[0],
        vec![at("o1", 100), at("o2", 40), at("o3", 1), at("o4", 0)],
    )
    .await;
    assert_eq!((stats.new, stats.unchanged, stats.tombstoned), (1, 3, 0));
    assert_eq!(store.apply_retention(global, per_source).await.unwrap(), 0);
    // No rule at all removes nothing.
    assert_eq!(
        store
            .apply_retention(Retention::default(), HashMap::new())
            .await
            .unwrap(),
        0
    );
}
