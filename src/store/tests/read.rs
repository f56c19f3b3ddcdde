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

#[tokio::test]
async fn search_finds_title_text_and_author() {
    let (store, ids) = store_with(&["a", "b"]).await;
    let mut by_title = entry("1", 0);
    by_title.title = Some("Federation with WebFinger".into());
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
    assert_eq!(hit("webfinger").await, 1);
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

/// Items whose ids do not follow their times (a back-filling source), over three sources with
/// cross-source duplicates, and words of every density: `every` in all items, `common` in
/// most, `some` in a quarter, `rare` in a few, `single` in one; `word` + number for prefixes.
async fn mixed_store() -> (Store, Vec<SourceId>) {
    let (store, ids) = store_with(&["a", "b", "c"]).await;
    for (n, src) in ids.iter().enumerate() {
        let items = (0..120usize)
            .map(|i| {
                let mut words = vec!["every".to_owned(), format!("word{}", i % 13)];
                if i % 10 != 3 {
                    words.push("common".into());
                    words.push("also".into());
                }
                if i % 4 == n {
                    words.push("some".into());
                }
                if i % 37 == 5 {
                    words.push("rare".into());
                }
                if i == 77 && n == 2 {
                    words.push("single".into());
                }
                let turn = i % words.len();
                words.rotate_left(turn);
                // Times jump around: ids (insertion order) say nothing about the order shown.
                let secs = ((i * 7919 + n * 104_729) % 500) as i64;
                Item {
                    content_text: Some(words.join(" ")),
                    // Every fifth item is the same post in all three sources.
                    url: Some(if i % 5 == 0 {
                        format!("https://shared.example/{i}")
                    } else {
                        format!("https://{n}.example/{i}")
                    }),
                    ..entry(&format!("{n}-{i}"), secs)
                }
            })
            .collect();
        ingest(&store, *src, items).await;
    }
    (store, ids)
}

/// Every page of `search` through one set of planner knobs: ids and their "also in".
fn walk_planned(
    store: &Store,
    search: &str,
    source: Option<SourceId>,
    limit: usize,
    knobs: crate::store::search::Knobs,
) -> Vec<(ItemId, Vec<String>)> {
    let mut out = Vec::new();
    let mut q = TimelineQuery {
        search: Some(search.into()),
        source,
        ..query(limit)
    };
    loop {
        let page = store
            .pool
            .with_reader(|c| crate::store::timeline::page_planned(c, &q, knobs))
            .unwrap();
        out.extend(page.items.iter().map(|i| (i.id, i.also_in.clone())));
        match page.next {
            Some(k) => q.before = Some(k),
            None => return out,
        }
    }
}

/// The naive plan: every match, filtered and sorted by SQLite in one statement.
fn naive(store: &Store, search: &str, source: Option<SourceId>) -> Vec<ItemId> {
    let expr = crate::store::fts::query(search).unwrap().expr;
    store
        .pool
        .with_reader(|c| {
            let mut stmt = c.prepare(
                "SELECT id FROM items
                 WHERE search_key IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?1)
                   AND CASE WHEN ?2 IS NULL THEN dup_of IS NULL ELSE source_id = ?2 END
                 ORDER BY sort_time DESC, id DESC",
            )?;
            let ids = stmt
                .query_map(rusqlite::params![expr, source.map(|s| s.0)], |r| {
                    Ok(ItemId(r.get(0)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(ids)
        })
        .unwrap()
}

/// The default planner and plans forced through each path.
fn plans() -> [(&'static str, crate::store::search::Knobs); 7] {
    use crate::store::search::{Knobs, KNOBS};
    [
        ("default", KNOBS),
        (
            "walk the whole timeline",
            Knobs {
                first_chunk: 50,
                walk_budget: usize::MAX,
                few: i64::MAX,
                by_cost: false,
                ordered_first: false,
            },
        ),
        (
            "rank all matches",
            Knobs {
                first_chunk: 50,
                walk_budget: 0,
                few: i64::MAX,
                by_cost: false,
                ordered_first: false,
            },
        ),
        (
            "bitset",
            Knobs {
                first_chunk: 50,
                walk_budget: 0,
                few: 1,
                by_cost: false,
                ordered_first: false,
            },
        ),
        (
            "short walk, then rank",
            Knobs {
                first_chunk: 1,
                walk_budget: 4,
                few: i64::MAX,
                by_cost: false,
                ordered_first: false,
            },
        ),
        (
            "walk by cost from one row",
            Knobs {
                first_chunk: 1,
                walk_budget: 400,
                few: 20,
                by_cost: true,
                ordered_first: false,
            },
        ),
        (
            "short walk, then bitset",
            Knobs {
                first_chunk: 2,
                walk_budget: 9,
                few: 1,
                by_cost: false,
                ordered_first: false,
            },
        ),
    ]
}

#[tokio::test]
async fn every_search_plan_agrees_with_the_naive_plan_page_by_page() {
    use crate::store::search::KNOBS;
    let (store, ids) = mixed_store().await;
    let plans = plans();
    let searches = [
        ("every", None),
        ("common", None),
        ("some", None),
        ("rare", None),
        ("single", None),
        ("nowhere", None),
        ("wor*", None),
        ("word1*", None),
        ("\"common also\"", None),
        ("\"also common\"", None),
        ("every some", None),
        ("rare OR single", None),
        ("common", Some(ids[1])),
        ("wor*", Some(ids[2])),
        ("some", Some(ids[0])),
    ];
    for (search, source) in searches {
        let expected = naive(&store, search, source);
        for limit in [4, 50] {
            let reference = walk_planned(&store, search, source, limit, plans[0].1);
            let got: Vec<ItemId> = reference.iter().map(|(id, _)| *id).collect();
            assert_eq!(got, expected, "{search} (source {source:?}, limit {limit})");
            for (name, knobs) in &plans[1..] {
                assert_eq!(
                    walk_planned(&store, search, source, limit, *knobs),
                    reference,
                    "{search} (source {source:?}, limit {limit}) with plan {name}"
                );
            }
        }
    }
    // The data is what the cases claim: a term in every primary, duplicates grouped.
    let every = naive(&store, "every", None);
    assert_eq!(every.len(), 3 * 120 - 2 * 24);
    assert_eq!(naive(&store, "single", None).len(), 1);
    let first = walk_planned(&store, "every", None, 50, KNOBS);
    assert!(first.iter().any(|(_, also)| also.len() == 2));
}

#[tokio::test]
async fn common_prefix_search_on_a_file_store_finds_the_newest_first() {
    // A file store: searches run on read-only connections, where the prefix check needs its
    // TEMP table.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("braid.db")).unwrap();
    let src = store.add_source(new_source("a")).await.unwrap();
    let items = (0..300)
        .map(|i| Item {
            content_text: Some(format!("wordy text number{i}")),
            // Inserted oldest last: ids run against time.
            ..entry(&i.to_string(), 1_000 - i)
        })
        .collect();
    ingest(&store, src, items).await;
    let page = store.timeline(search("wor*")).await.unwrap();
    let bodies: Vec<_> = page
        .items
        .iter()
        .map(|i| i.item.content_text.clone().unwrap())
        .collect();
    let expected: Vec<_> = (0..50).map(|i| format!("wordy text number{i}")).collect();
    assert_eq!(bodies, expected);
    // And the next page follows on.
    let next = store
        .timeline(TimelineQuery {
            before: page.next,
            ..search("wor*")
        })
        .await
        .unwrap();
    assert_eq!(
        next.items[0].item.content_text.as_deref(),
        Some("wordy text number50")
    );
}

/// A statement is compiled once per connection and reused: SQLite's planner must not read bound
/// values (a `LIMIT ?` since 3.47) and recompile the statement on every run, which cost a
/// timeline page 40% of its time (issue 6).
#[tokio::test]
async fn cached_statements_are_not_recompiled_per_run() {
    use rusqlite::StatementStatus::RePrepare;

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("braid.db")).unwrap();
    let src = store.add_source(new_source("a")).await.unwrap();
    let items = (0..40).map(|i| entry(&format!("e{i}"), i)).collect();
    ingest(&store, src, items).await;

    // Different page sizes and keys, as the web's requests bind them.
    for limit in [3, 10, 7] {
        let first = store.timeline(query(limit)).await.unwrap();
        assert_eq!(first.items.len(), limit);
        let next = store
            .timeline(TimelineQuery {
                before: first.next,
                source: Some(src),
                ..query(limit)
            })
            .await
            .unwrap();
        assert_eq!(next.items.len(), limit);
        assert!(next.items[0].sort_time < first.items[limit - 1].sort_time);
    }
    // Sequential reads reuse one pooled reader, whose statement cache holds both lists.
    let _permit = store.pool.read_permit().await.unwrap();
    let counts = store
        .pool
        .with_reader(|c| {
            let mut counts = Vec::new();
            for by_source in [false, true] {
                let q = TimelineQuery {
                    source: by_source.then_some(SourceId(1)),
                    ..TimelineQuery::default()
                };
                let stmt = c.prepare_cached(&crate::store::timeline::list_sql(&q).0)?;
                counts.push(stmt.get_status(RePrepare));
            }
            // The class, not just these two: any statement with a bound LIMIT.
            let mut stmt = c.prepare_cached("SELECT id FROM items ORDER BY id LIMIT ?1")?;
            for n in 1..5 {
                assert_eq!(stmt.query_map([n], |_| Ok(()))?.count(), n as usize);
            }
            counts.push(stmt.get_status(RePrepare));
            Ok(counts)
        })
        .unwrap();
    assert_eq!(counts, [0, 0, 0], "recompiled statements");
}

/// The key FTS5 orders by is computed twice, in Rust (search.rs) and by SQLite (the generated
/// column of schema V4): both must agree, also for dates before 1970 and absurd ones.
#[tokio::test]
async fn search_keys_agree_between_rust_and_sqlite() {
    use crate::store::search::search_key;
    let (store, _) = store_with(&[]).await;
    let times: [i64; 9] = [
        0,
        999_999,
        1_000_000,
        -1,
        -1_500_000,
        1_700_000_000_123_456,
        -62_135_596_800_000_000, // year 1
        i64::MAX,
        i64::MIN,
    ];
    let ids: [i64; 4] = [1, 2, (1 << 27) + 5, i64::MAX];
    let _permit = store.pool.read_permit().await.unwrap();
    store
        .pool
        .with_reader(|c| {
            let mut keys = Vec::new();
            for t in times {
                for id in ids {
                    let sql: i64 = c.query_row(
                        "SELECT max(-34359738368, min(34359738367, ?1 / 1000000)) * 134217728 \
                         + (?2 & 134217727)",
                        [t, id],
                        |r| r.get(0),
                    )?;
                    assert_eq!(search_key(t, id), sql, "sort_time {t}, id {id}");
                    keys.push((t, id, sql));
                }
            }
            // The generated column is that expression.
            let column: String = c.query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'items'",
                [],
                |r| r.get(0),
            )?;
            assert!(
                column.contains(
                    "max(-34359738368, min(34359738367, sort_time / 1000000)) * 134217728 \
                     + (id & 134217727)"
                ),
                "{column}"
            );
            // Later seconds always have larger keys.
            for &(t1, _, k1) in &keys {
                for &(t2, _, k2) in &keys {
                    if t1 / 1_000_000 < t2 / 1_000_000
                        && (-(1 << 35)..(1 << 35)).contains(&(t1 / 1_000_000))
                        && (-(1 << 35)..(1 << 35)).contains(&(t2 / 1_000_000))
                    {
                        assert!(k1 < k2, "{t1} {t2}");
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

/// FTS5's order is the timeline's only to the second: within one second, ids run against the
/// times here, and some items are dated before 1970 or in year 1. Every plan still gives the
/// exact timeline order, page after page.
#[tokio::test]
async fn search_pages_are_exact_within_a_second_and_at_odd_dates() {
    let (store, ids) = store_with(&["a", "b"]).await;
    for (n, src) in ids.iter().enumerate() {
        let items = (0..60i64)
            .map(|i| {
                let base = match i % 6 {
                    0 => -1_500_000_000,      // 1922
                    1 => -62_135_596_800 + i, // year 1
                    _ => 1_000 + i / 12,      // five items a second
                };
                // Later ids get earlier microseconds within their second.
                let micros = 999_000 - i * 1_000 - n as i64 * 500;
                let published = Utc.timestamp_opt(base, 0).single().unwrap()
                    + chrono::Duration::microseconds(micros);
                let mut words = vec!["every"];
                if i % 3 == 0 {
                    words.push("third");
                }
                Item {
                    published: Some(published),
                    content_text: Some(words.join(" ")),
                    ..entry(&format!("{n}-{i}"), 0)
                }
            })
            .collect();
        ingest(&store, *src, items).await;
    }
    for (search, source) in [
        ("every", None),
        ("third", None),
        ("\"every third\"", None),
        ("ever*", None),
        ("every", Some(ids[1])),
        ("third", Some(ids[0])),
    ] {
        let expected = naive(&store, search, source);
        assert!(!expected.is_empty(), "{search}");
        for limit in [1, 3, 7, 50] {
            for (name, knobs) in plans() {
                let got: Vec<ItemId> = walk_planned(&store, search, source, limit, knobs)
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect();
                assert_eq!(
                    got, expected,
                    "{search} ({source:?}, limit {limit}, {name})"
                );
            }
        }
    }
}

/// A database from before search keys (schema V3) is searchable after the upgrade, in order,
/// and its full-text index is consistent.
#[tokio::test]
async fn upgrading_to_search_keys_keeps_every_item_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("braid.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        crate::store::schema::migrate_to(&mut conn, 3).unwrap();
        conn.execute_batch(
            "INSERT INTO sources (id, name, kind, url, created_at)
                 VALUES (1, 'old', 'feed', 'https://old.example/feed', 0);",
        )
        .unwrap();
        for i in 0..30i64 {
            conn.execute(
                "INSERT INTO items (source_id, sort_time, first_seen, content_hash, kind,
                                    visibility, remote_id, title, content_text)
                 VALUES (1, ?1, 0, x'00', 'article', 'public', ?2, ?3, 'body text')",
                rusqlite::params![
                    // Ids against time order.
                    (1_000 - i) * 1_000_000,
                    format!("r{i}"),
                    if i % 2 == 0 {
                        "even title"
                    } else {
                        "odd title"
                    }
                ],
            )
            .unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    let found = item_ids(&store, search("even")).await;
    assert_eq!(found.len(), 15);
    // Newest first: the lowest ids here.
    assert_eq!(found.first(), Some(&ItemId(1)));
    assert_eq!(found.last(), Some(&ItemId(29)));
    assert_eq!(item_ids(&store, search("body")).await.len(), 30);
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

/// The ordered search stops early only if FTS5 drives the join in its own rowid order and each
/// match's row is found through the key index: no sort of all matches, no scan.
#[tokio::test]
async fn ordered_search_reads_fts5_in_order_without_sorting() {
    let (store, _) = store_with(&[]).await;
    let _permit = store.pool.read_permit().await.unwrap();
    store
        .pool
        .with_reader(|c| {
            for by_source in [false, true] {
                let sql = crate::store::search::ordered_sql(by_source);
                let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                use rusqlite::types::Value;
                let mut values = vec![Value::Text("\"x\"".into())];
                values.extend([i64::MAX, i64::MAX, i64::MAX, 1].map(Value::Integer));
                values.truncate(stmt.parameter_count());
                let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| r.get(3))?;
                let plan: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
                let plan = plan.join("\n");
                assert!(plan.starts_with("SCAN f VIRTUAL TABLE"), "{plan}");
                assert!(
                    plan.contains("USING INDEX items_search_key (search_key=?)"),
                    "{plan}"
                );
                assert!(!plan.contains("TEMP B-TREE"), "{plan}");
            }
            Ok(())
        })
        .unwrap();
}
