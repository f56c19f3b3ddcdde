//! Ingest throughput: parse + normalize + sanitize + store, in entries per second, for a
//! 100-entry RSS feed and a 100-entry Atom feed, next to the two limits measured in the same
//! run: feed-rs parsing alone, and raw SQLite inserts of rows of the same size.
//!
//! `cargo bench --bench ingest` (env `BRAID_BENCH_ROUNDS`, default 30 feeds of 100 entries).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::borrow::Cow;
use std::time::Instant;

use braid::store::{PollSuccess, Store};

fn main() {
    let rounds = common::env_usize("BRAID_BENCH_ROUNDS", 30);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = url::Url::parse("https://blog.example/feed.xml").unwrap();
    println!("ingest benchmark: {rounds} feeds x 100 entries per format");

    for (format, make) in [
        ("RSS 2.0", common::rss_feed as fn(usize, usize) -> String),
        ("Atom", common::atom_feed),
    ] {
        let feeds: Vec<String> = (0..rounds).map(|r| make(100, r + 1)).collect();
        let entries = (rounds * 100) as f64;

        // Limit 1: feed-rs parsing alone.
        let t = Instant::now();
        for f in &feeds {
            let parsed = feed_rs::parser::parse(f.as_bytes()).unwrap();
            assert_eq!(parsed.entries.len(), 100);
        }
        let parse_rate = entries / t.elapsed().as_secs_f64();

        // Limit 2: raw SQLite inserts of same-sized rows, one transaction per 100, no FTS.
        let dir = tempfile::tempdir().unwrap();
        let bodies: Vec<String> = (0..100).map(common::entry_html).collect();
        let sqlite_rate = entries
            / raw_inserts(&dir.path().join("raw.db"), "", rounds, &bodies, |b| {
                Cow::Borrowed(b)
            });

        // Reference (not a limit the issue names): the same raw inserts with an FTS5 index kept
        // by a trigger, as Braid's store keeps one, to show what full-text search costs.
        let sqlite_fts_rate = entries
            / raw_inserts(
                &dir.path().join("raw_fts.db"),
                "CREATE VIRTUAL TABLE items_fts USING fts5 (title, text, content = 'items', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
                 CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN INSERT INTO items_fts (rowid, title, text) VALUES (new.id, new.title, new.text); END;",
                rounds,
                &bodies,
                |b| Cow::Owned(braid_core::sanitize::html_to_text(b)),
            );

        // Braid: parse + normalize (feed connector) + sanitize (ingest) + store (FTS5 maintained).
        let store = Store::open(&dir.path().join("braid.db")).unwrap();
        let source = runtime
            .block_on(store.add_source(braid::store::NewSource {
                name: "bench".into(),
                kind: "feed".into(),
                url: url.to_string(),
                schedule: None,
                category: None,
                settings: serde_json::json!({}),
                account: None,
            }))
            .unwrap();
        let t = Instant::now();
        let mut stored = 0;
        let (mut t_parse, mut t_prepare, mut t_store) = (0.0, 0.0, 0.0);
        for f in &feeds {
            let t0 = Instant::now();
            let parsed = braid_feed::parse_feed(f.as_bytes(), &url).unwrap();
            let t1 = Instant::now();
            let items =
                braid::ingest::prepare(parsed.items, braid::ingest::DEFAULT_MAX_CONTENT_BYTES);
            let t2 = Instant::now();
            let stats = runtime
                .block_on(store.record_poll_success(source, items, vec![], PollSuccess::default()))
                .unwrap();
            let t3 = Instant::now();
            t_parse += (t1 - t0).as_secs_f64();
            t_prepare += (t2 - t1).as_secs_f64();
            t_store += (t3 - t2).as_secs_f64();
            stored += stats.new;
        }
        let braid_rate = entries / t.elapsed().as_secs_f64();
        assert_eq!(stored, rounds * 100);

        let limit = parse_rate.min(sqlite_rate);
        println!("{format}:");
        println!("  feed-rs parse alone        {parse_rate:>10.0} entries/s");
        println!("  raw SQLite inserts         {sqlite_rate:>10.0} rows/s");
        println!("  raw SQLite inserts + FTS5  {sqlite_fts_rate:>10.0} rows/s  (reference)");
        println!("  braid ingest (full)        {braid_rate:>10.0} entries/s");
        println!(
            "  of which: parse+normalize+sanitize {:.1} us, ingest prepare {:.1} us, store {:.1} us per entry",
            1e6 * t_parse / entries,
            1e6 * t_prepare / entries,
            1e6 * t_store / entries
        );
        println!(
            "  ratio to the slower limit  {:>10.1} %  (goal >= 50 %)",
            100.0 * braid_rate / limit
        );
        println!(
            "  ratio to inserts + FTS5    {:>10.1} %",
            100.0 * braid_rate / sqlite_fts_rate
        );
    }
}

/// Seconds to insert `rounds` × `bodies` rows with plain SQL (one transaction per 100, WAL,
/// `synchronous=NORMAL`) into a fresh table, plus whatever `extra_schema` adds to it; `text`
/// makes each row's text column from its body, inside the timed loop.
fn raw_inserts(
    path: &std::path::Path,
    extra_schema: &str,
    rounds: usize,
    bodies: &[String],
    text: impl for<'a> Fn(&'a str) -> Cow<'a, str>,
) -> f64 {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE items (id INTEGER PRIMARY KEY, remote_id TEXT UNIQUE, title TEXT, html TEXT, text TEXT, url TEXT, published INTEGER);
         {extra_schema}"
    ))
    .unwrap();
    let t = Instant::now();
    for r in 0..rounds {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx.prepare_cached("INSERT INTO items (remote_id, title, html, text, url, published) VALUES (?1, ?2, ?3, ?4, ?5, ?6)").unwrap();
            for (i, body) in bodies.iter().enumerate() {
                stmt.execute(rusqlite::params![
                    format!("{r}-{i}"),
                    "A title of usual length",
                    body,
                    text(body),
                    "https://blog.example/p",
                    1_790_000_000i64 + i as i64
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    t.elapsed().as_secs_f64()
}
