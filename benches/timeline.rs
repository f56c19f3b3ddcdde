//! Timeline and search latency on a large store, and ingest throughput.
//!
//! Builds a database in a temporary file (default 1,000,000 items over 1,000 sources, through
//! the public `record_poll_success`, FTS5 maintained), then measures through the public
//! `Store::timeline`: the first page (limit 50), a deep page, one source's page and FTS searches,
//! each p50/p99 over many runs. Goals: first page p99 < 5 ms, search p99 < 50 ms.
//!
//! `BRAID_BENCH_ITEMS=20000 cargo bench --bench timeline` for a quick run;
//! `cargo bench --no-run` only compiles it. `BRAID_BENCH_DB=/path/bench.db` keeps the database
//! and reuses it on the next run (skipping the build) for repeated latency runs.

use std::time::{Duration, Instant};

use braid::store::{NewSource, PollSuccess, Store, TimelineQuery};
use braid_core::{Author, Item, ItemKind, SourceId};
use chrono::{DateTime, TimeZone, Utc};

const RUNS: usize = 200;
const BUILD_BATCH: usize = 1_000;
const INGEST_BATCH: usize = 100;
const INGEST_BATCHES: usize = 100;

/// Searches people type: topic words of different frequencies, a prefix, a phrase, an OR, an
/// author, a miss, and a very common filler word (the worst case for "newest matches first").
const SEARCHES: &[&str] = &[
    "rust",
    "climate",
    "election",
    "sqlite",
    "federation",
    "kubernetes",
    "photo*",
    "\"open source\"",
    "rust OR sqlite",
    "Hopper",
    "zyzzyva",
    "w0",
];

/// Topic words and the share of items mentioning each (the rest is filler).
const TOPICS: &[(&str, f64)] = &[
    ("rust", 0.02),
    ("climate", 0.01),
    ("election", 0.005),
    ("sqlite", 0.002),
    ("federation", 0.001),
    ("kubernetes", 0.0005),
    ("photography", 0.003),
    ("photos", 0.004),
    ("open source", 0.01),
];

const AUTHORS: &[&str] = &[
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
];

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Zipf(1.0) over a synthetic vocabulary `w0..wN`, like word frequencies in real text.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (1..=n)
            .map(|k| {
                acc += 1.0 / k as f64;
                acc
            })
            .collect();
        for c in &mut cdf {
            *c /= acc;
        }
        Zipf { cdf }
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u)
    }
}

struct Gen {
    rng: Rng,
    zipf: Zipf,
    now: DateTime<Utc>,
    serial: u64,
}

impl Gen {
    fn item(&mut self, source: usize, sources: usize) -> Item {
        self.serial += 1;
        let n = self.serial;
        let mut words: Vec<String> = (0..40 + self.rng.below(60))
            .map(|_| format!("w{}", self.zipf.sample(&mut self.rng)))
            .collect();
        for (topic, p) in TOPICS {
            if self.rng.unit() < *p * 3.0 {
                let at = self.rng.below(words.len());
                words.insert(at, (*topic).to_owned());
            }
        }
        let text = words.join(" ");
        let title: String = words.iter().take(6).cloned().collect::<Vec<_>>().join(" ");
        // Two years of history; ~2% of items are the same post seen through another source.
        let age = self.rng.below(2 * 365 * 24 * 3600) as i64;
        let url = if self.rng.below(50) == 0 && sources > 1 {
            format!(
                "https://shared.example/post/{}",
                self.rng.below(n as usize / 2 + 1)
            )
        } else {
            format!("https://site{source}.example/p/{n}?utm_source=rss")
        };
        Item {
            remote_id: format!("tag:site{source}.example,2024:{n}").into(),
            kind: ItemKind::Article,
            author: Some(Author {
                name: Some(AUTHORS[self.rng.below(AUTHORS.len())].to_owned()),
                ..Author::default()
            }),
            title: Some(title),
            content_html: Some(braid_core::sanitize::clean_html(&format!("<p>{text}</p>"))),
            content_text: Some(text),
            published: Some(self.now - chrono::Duration::seconds(age)),
            url: Some(url),
            tags: vec!["bench".to_owned()],
            ..Item::default()
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn report(label: &str, mut times: Vec<Duration>, extra: &str) -> Duration {
    times.sort();
    let (p50, p99) = (percentile(&times, 0.50), percentile(&times, 0.99));
    println!(
        "  {label:<28} p50 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms  {extra}",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    p99
}

async fn timed(store: &Store, q: &TimelineQuery) -> (Duration, usize) {
    let start = Instant::now();
    let page = store.timeline(q.clone()).await;
    let took = start.elapsed();
    match page {
        Ok(p) => (took, p.items.len()),
        Err(e) => {
            eprintln!("timeline bench: query failed: {e}");
            std::process::exit(1);
        }
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("timeline bench: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let items: usize = std::env::var("BRAID_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let sources = (items / 1_000).clamp(1, 1_000);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail("runtime", e));
    rt.block_on(run(items, sources));
}

async fn run(items: usize, sources: usize) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("tempdir", e));
    let path = std::env::var_os("BRAID_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let store = Store::open(&path).unwrap_or_else(|e| fail("open", e));
    let existing = store
        .list_sources()
        .await
        .unwrap_or_else(|e| fail("list", e));
    let now = Utc
        .timestamp_opt(1_750_000_000, 0)
        .single()
        .unwrap_or_default();
    let mut g = Gen {
        rng: Rng(42),
        zipf: Zipf::new(20_000),
        now,
        serial: 0,
    };

    let mut ids: Vec<SourceId> = existing.iter().map(|s| s.id).collect();
    let reuse = !ids.is_empty();
    for s in (0..sources).filter(|_| !reuse) {
        let new = NewSource {
            name: format!("source-{s:04}"),
            kind: "feed".to_owned(),
            url: format!("https://site{s}.example/feed.xml"),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
        };
        ids.push(
            store
                .add_source(new)
                .await
                .unwrap_or_else(|e| fail("add source", e)),
        );
    }

    println!(
        "timeline bench: {items} items over {sources} sources in {}",
        path.display()
    );
    let sources = ids.len();
    let per_source = if reuse { 0 } else { items / sources };
    let start = Instant::now();
    let mut gen_time = Duration::ZERO;
    for (s, id) in ids.iter().enumerate() {
        let mut left = per_source;
        while left > 0 {
            let n = left.min(BUILD_BATCH);
            left -= n;
            let t = Instant::now();
            let batch: Vec<Item> = (0..n).map(|_| g.item(s, sources)).collect();
            gen_time += t.elapsed();
            store
                .record_poll_success(*id, batch, Vec::new(), PollSuccess::default())
                .await
                .unwrap_or_else(|e| fail("build", e));
        }
    }
    let build = start.elapsed() - gen_time;
    let built = per_source * sources;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(path.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    if reuse {
        // Fresh remote ids for the ingest step below.
        g.serial = Utc::now().timestamp_micros() as u64;
        println!(
            "  reusing the database: {} items",
            existing.iter().map(|s| s.item_count).sum::<i64>()
        );
    } else {
        println!(
        "  build: {built} items in {:.1} s = {:.0} items/s (batches of {BUILD_BATCH}, FTS5 maintained; \
         generation excluded), db {:.0} MiB",
        build.as_secs_f64(),
        built as f64 / build.as_secs_f64(),
        size as f64 / (1 << 20) as f64,
    );
    }

    // Ingest as polls do it: batches of 100, mostly new, into random sources.
    let start = Instant::now();
    let mut new = 0;
    let mut gen_time = Duration::ZERO;
    for _ in 0..INGEST_BATCHES {
        let t = Instant::now();
        let s = g.rng.below(sources);
        let batch: Vec<Item> = (0..INGEST_BATCH).map(|_| g.item(s, sources)).collect();
        gen_time += t.elapsed();
        let stats = store
            .record_poll_success(ids[s], batch, Vec::new(), PollSuccess::default())
            .await
            .unwrap_or_else(|e| fail("ingest", e));
        new += stats.new;
    }
    let took = start.elapsed() - gen_time;
    println!(
        "  ingest: {new} new items in {INGEST_BATCHES} polls of {INGEST_BATCH}: {:.0} items/s, {:.2} ms/poll",
        new as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e3 / INGEST_BATCHES as f64,
    );
    // The common poll: a feed re-lists entries we already have.
    let again: Vec<Item> = {
        let page = store
            .timeline(TimelineQuery {
                source: Some(ids[0]),
                limit: INGEST_BATCH,
                ..TimelineQuery::default()
            })
            .await
            .unwrap_or_else(|e| fail("timeline", e));
        page.items.into_iter().map(|s| s.item).collect()
    };
    let start = Instant::now();
    for _ in 0..INGEST_BATCHES {
        store
            .record_poll_success(ids[0], again.clone(), Vec::new(), PollSuccess::default())
            .await
            .unwrap_or_else(|e| fail("re-poll", e));
    }
    let took = start.elapsed();
    println!(
        "  re-poll: {} known items/poll: {:.0} items/s, {:.2} ms/poll",
        again.len(),
        (again.len() * INGEST_BATCHES) as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e3 / INGEST_BATCHES as f64,
    );

    println!("  latency over {RUNS} runs (public Store::timeline, limit 50):");
    let first = TimelineQuery {
        limit: 50,
        ..TimelineQuery::default()
    };
    for _ in 0..10 {
        timed(&store, &first).await;
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        times.push(timed(&store, &first).await.0);
    }
    let first_p99 = report("first page", times, "");

    // A page 100 pages deep, reached by keyset.
    let mut deep = first.clone();
    for _ in 0..100 {
        let page = store
            .timeline(deep.clone())
            .await
            .unwrap_or_else(|e| fail("walk", e));
        deep.before = page.next;
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        times.push(timed(&store, &deep).await.0);
    }
    report("page 101 (keyset)", times, "");

    let mut times = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        let q = TimelineQuery {
            source: Some(ids[i % ids.len()]),
            ..first.clone()
        };
        times.push(timed(&store, &q).await.0);
    }
    report("one source's first page", times, "");

    let mut worst = Duration::ZERO;
    for term in SEARCHES {
        let q = TimelineQuery {
            search: Some((*term).to_owned()),
            ..first.clone()
        };
        let (_, hits) = timed(&store, &q).await;
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            times.push(timed(&store, &q).await.0);
        }
        let p99 = report(
            &format!("search {term}"),
            times,
            &format!("({hits} on page)"),
        );
        worst = worst.max(p99);
    }
    println!(
        "  goals: first page p99 {:.3} ms (< 5 ms: {}), worst search p99 {:.3} ms (< 50 ms: {})",
        first_p99.as_secs_f64() * 1e3,
        if first_p99 < Duration::from_millis(5) {
            "met"
        } else {
            "MISSED"
        },
        worst.as_secs_f64() * 1e3,
        if worst < Duration::from_millis(50) {
            "met"
        } else {
            "MISSED"
        },
    );
}
