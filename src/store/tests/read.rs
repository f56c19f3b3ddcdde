//! Timeline pages, search, and readers alongside the writer.

use std::collections::HashSet;

use super::*;
use crate::store::PageKey;

/// Walks every page and returns the ids in order.
async fn walk(store: &Store, base: TimelineQuery) -> Vec<ItemId> {
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .timeline(TimelineQuery {
                before,
                ..base.clone()
            })
            .await
            .unwrap();
        out.extend(page.items.iter().map(|i| i.id));
        match page.next {
            Some(k) => {
                // The key survives the URL round trip.
                assert_eq!(PageKey::decode(&k.encode()), Some(k));
                before = Some(k);
            }
            None => return out,
        }
    }
}

#[tokio::test]
async fn keyset_pages_cover_everything_once_with_ties() {
    let (store, ids) = store_with(&["a", "b", "c"]).await;
    // 90 items over 3 sources sharing only 6 distinct times: lots of sort_time ties.
    for (n, src) in ids.iter().enumerate() {
        let items = (0..30)
            .map(|i| entry(&format!("{n}-{i}"), i64::from(i % 6)))
            .collect();
        ingest(&store, *src, items).await;
    }
    for limit in [1, 7, 30, 90, 1000] {
        let all = walk(&store, query(limit)).await;
        assert_eq!(all.len(), 90, "limit {limit}");
        assert_eq!(
            all.iter().collect::<HashSet<_>>().len(),
            90,
            "limit {limit}"
        );
    }
    // Newest first, ties by id descending.
    let page = store.timeline(query(500)).await.unwrap();
    assert!(page.next.is_none());
    let keys: Vec<_> = page.items.iter().map(|i| (i.sort_time, i.id)).collect();
    assert!(keys.windows(2).all(|w| w[0] > w[1]));
    // Limit 0 is clamped to 1, not an empty page.
    assert_eq!(store.timeline(query(0)).await.unwrap().items.len(), 1);

    let one = walk(
        &store,
        TimelineQuery {
            source: Some(ids[1]),
            ..query(4)
        },
    )
    .await;
    assert_eq!(one.len(), 30);
    assert_eq!(one.iter().collect::<HashSet<_>>().len(), 30);
}

fn search(s: &str) -> TimelineQuery {
    TimelineQuery {
        search: Some(s.to_owned()),
        ..query(50)
    }
}

#[tokio::test]
async fn search_finds_title_text_and_author() {
    let (store, ids) = store_with(&["a", "b"]).await;
    let mut by_title = entry("1", 0);
    by_title.title = Some("Federation with ActivityPub".into());
    let mut by_text = entry("2", 1);
    by_text.content_text = Some("We moved the café to SQLite today".into());
    let mut by_author = entry("3", 2);
    by_author.author = Some(Author {
        name: Some("Ada Lovelace".into()),
        ..Author::default()
    });
    ingest(&store, ids[0], vec![by_title, by_text]).await;
    ingest(&store, ids[1], vec![by_author]).await;

    let hit = |s: &'static str| {
        let store = store.clone();
        async move { item_ids(&store, search(s)).await.len() }
    };
    assert_eq!(hit("activitypub").await, 1);
    assert_eq!(hit("sqlite").await, 1);
    assert_eq!(hit("cafe").await, 1, "diacritics are folded");
    assert_eq!(hit("lovelace").await, 1);
    assert_eq!(hit("feder*").await, 1);
    assert_eq!(hit("sqlite OR lovelace").await, 2);
    assert_eq!(hit("sqlite lovelace").await, 0);
    assert_eq!(hit("\"moved the café\"").await, 1);
    assert_eq!(hit("Jane").await, 2, "default author on the two others");
    // Search combines with the source filter.
    let q = TimelineQuery {
        source: Some(ids[1]),
        ..search("jane OR lovelace")
    };
    assert_eq!(item_ids(&store, q).await.len(), 1);
}

#[tokio::test]
async fn hostile_search_input_never_errors() {
    let (store, ids) = store_with(&["a"]).await;
    ingest(&store, ids[0], vec![entry("1", 0)]).await;
    for s in [
        "\"",
        "\"\"",
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "-",
        ":",
        "*",
        "^",
        "+",
        "title:",
        "a:b",
        "NEAR(a b)",
        "foo AND",
        "(body",
        "c++",
        "-body",
        "body*)",
        "\"body",
        "'",
        ";--",
        "\0",
        "body OR",
        "OR OR OR",
        "**",
        "💥",
        "{title}: body",
        "col:\"x\"",
        "NOT body",
    ] {
        let page = store.timeline(search(s)).await;
        assert!(page.is_ok(), "search {s:?}: {page:?}");
    }
    // Punctuation around a real word still finds it.
    assert_eq!(item_ids(&store, search("(body")).await.len(), 1);
    assert_eq!(item_ids(&store, search("-body")).await.len(), 1);
    assert_eq!(item_ids(&store, search("body*)")).await.len(), 1);
    // An empty search is no search.
    assert_eq!(item_ids(&store, search("  ")).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_run_during_writes_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("braid.db")).unwrap();
    let src = store.add_source(new_source("a")).await.unwrap();
    ingest(&store, src, vec![entry("seed", 0)]).await;

    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for batch in 0..40 {
                let items = (0..50)
                    .map(|i| entry(&format!("{batch}-{i}"), batch * 50 + i))
                    .collect();
                ingest(&store, src, items).await;
            }
        })
    };
    let mut readers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        readers.push(tokio::spawn(async move {
            let mut last = 0;
            for _ in 0..100 {
                let page = store.timeline(query(20)).await.unwrap();
                let count = store.source(src).await.unwrap().unwrap().item_count;
                assert!(!page.items.is_empty());
                // Readers see committed states only, never going backwards.
                assert!(count >= last && count % 50 == 1, "count {count}");
                last = count;
                store.timeline(search("body")).await.unwrap();
            }
        }));
    }
    writer.await.unwrap();
    for r in readers {
        r.await.unwrap();
    }
    assert_eq!(store.source(src).await.unwrap().unwrap().item_count, 2001);
}

#[tokio::test]
async fn every_search_plan_agrees_page_by_page() {
    use crate::store::fts::Thresholds;
    use crate::store::timeline::page_planned;
    let (store, ids) = store_with(&["a", "b"]).await;
    let words = ["alpha", "beta", "gamma", "delta"];
    for (n, src) in ids.iter().enumerate() {
        let items = (0..60)
            .map(|i| Item {
                content_text: Some(format!("{} {}", words[i % 4], words[(i / 4) % 4])),
                // Some cross-source duplicates, so the primary filter matters.
                url: Some(format!("https://x.example/{}", i % 20 + n * (i % 2) * 100)),
                ..entry(&format!("{n}-{i}"), (i % 9) as i64)
            })
            .collect();
        ingest(&store, *src, items).await;
    }
    let plans = [
        (
            "few",
            Thresholds {
                few: i64::MAX,
                many: i64::MAX,
                window: 1,
            },
        ),
        (
            "medium",
            Thresholds {
                few: 1,
                many: i64::MAX,
                window: 1,
            },
        ),
        (
            "many",
            Thresholds {
                few: 1,
                many: 1,
                window: 1_000,
            },
        ),
        // A window too small to fill a page: falls back to medium.
        (
            "many, small window",
            Thresholds {
                few: 1,
                many: 1,
                window: 3,
            },
        ),
    ];
    let searches = [
        ("alpha", None),
        ("beta OR gamma", None),
        ("delta", Some(ids[1])),
        ("alp*", None),
        ("\"alpha beta\"", None),
    ];
    for (search, source) in searches {
        let walk_with = |t: Thresholds| {
            let mut out = Vec::new();
            let mut q = TimelineQuery {
                search: Some(search.into()),
                source,
                ..query(7)
            };
            loop {
                let page = store.pool.with_reader(|c| page_planned(c, &q, t)).unwrap();
                out.extend(page.items.iter().map(|i| (i.id, i.also_in.clone())));
                match page.next {
                    Some(k) => q.before = Some(k),
                    None => return out,
                }
            }
        };
        let expected = walk_with(plans[0].1);
        assert!(!expected.is_empty(), "{search}");
        for (name, t) in &plans[1..] {
            assert_eq!(walk_with(*t), expected, "{search} with plan {name}");
        }
    }
}
