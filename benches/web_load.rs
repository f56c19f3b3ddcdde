//! The web server under concurrent load: requests/s and latency percentiles from a real load
//! generator (`wrk`) against the real server on 127.0.0.1, on a database of realistic size.
//!
//! Builds a 100,000-item database (`BRAID_BENCH_ITEMS`) in a temporary directory through the
//! public store API, serves it with `braid::web::serve` on 127.0.0.1 port 0 (a tokio runtime with
//! one worker per core, as `braid run` uses), then runs `wrk -t2 -c50 --latency` against
//! `/healthz`, `/api/timeline` (50 items) and `?limit=10`, `/` (30 items), the filtered views
//! that must read furthest (a network and "with media" that match one item in a thousand) and
//! a 404 (the server's own ceiling: no store read, one small page). Every request carries the
//! owner's session cookie, as the browser's do. Then the page weight of `/`: the HTML, the
//! stylesheet and scripts it loads (bytes as served and gzipped), and the requests it makes.
//! Goals on 2 cores at 50 connections: `/healthz` >= 20,000 req/s and
//! `/api/timeline?limit=10` >= 5,000 req/s, p99 under 20 ms for both.
//!
//! Needs `wrk` (Debian/Ubuntu: `apt-get install wrk`; macOS: `brew install wrk`).
//! `BRAID_BENCH_SECS` sets each run's length (default 5), `BRAID_BENCH_CONNECTIONS` the
//! connections (default 50). `cargo bench --bench web_load`; `cargo bench --no-run` compiles it.
//!
//! wrk and the server share the machine's cores, as they would on a small home server with a
//! reverse proxy in front; the figures are for the pair, so compare runs on the same machine.

use std::process::Command;

use braid::store::{NewSource, PollSuccess, Store};
use braid::web::{self, WebContext};
use braid_core::{Author, Item, ItemKind};
use chrono::{TimeZone, Utc};

mod common;

const SOURCES: usize = 20;
const BATCH: usize = 500;

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("web_load bench: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!(
            "web_load bench: needs the HTTP load generator `wrk`, which is not installed.\n\
             Install it (Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y wrk`; \
             macOS: `brew install wrk`) and run `cargo bench --bench web_load` again."
        );
        std::process::exit(2);
    }
    let items = common::env_usize("BRAID_BENCH_ITEMS", 100_000);
    let secs = common::env_usize("BRAID_BENCH_SECS", 5);
    let connections = common::env_usize("BRAID_BENCH_CONNECTIONS", 50);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail("runtime", e));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("tempdir", e));
    let store = rt.block_on(build(&dir.path().join("bench.db"), items));

    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap_or_else(|e| fail("bind", e));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| fail("local addr", e));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // Requests come as the owner's browser does: with a session cookie (a store read each).
    let session = braid::auth::new_token().unwrap_or_else(|e| fail("token", e));
    rt.block_on(store.add_session(braid::auth::token_hash(&session), None, None))
        .unwrap_or_else(|e| fail("session", e));
    let cookie = format!("Cookie: braid_session={session}");
    let mut config = braid::config::Config::default();
    config.web.title = "Braid bench".to_owned();
    // wrk's connections are all open at once.
    config.web.max_connections = 1024;
    let ctx = WebContext::new(store, &config, addr, None).unwrap_or_else(|e| fail("context", e));
    let server = rt.spawn(web::serve(ctx, listener, async {
        let _ = stopped.await;
    }));

    println!(
        "web_load: {items} items, wrk -t2 -c{connections} -d{secs}s, {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    let base = format!("http://{addr}");
    // A short warm-up fills the reader pool and the OS page cache.
    let _ = wrk(&base, "/api/timeline?limit=10", connections, 1, &cookie);
    for (label, path) in [
        ("/healthz", "/healthz"),
        ("/api/timeline (50 items)", "/api/timeline"),
        ("/api/timeline?limit=10", "/api/timeline?limit=10"),
        ("/ (HTML, 30 items)", "/"),
        ("/?network= (1 in 500)", "/?network=rare"),
        ("/?media=1 (1 in 1000)", "/?media=1"),
        ("/?q=entry&media=1", "/?q=entry&media=1"),
        ("404 (session check only)", "/no-such-page"),
    ] {
        match wrk(&base, path, connections, secs, &cookie) {
            Ok(r) => println!(
                "  {label:<24} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms{}",
                r.rps,
                r.p50_ms,
                r.p99_ms,
                if r.errors.is_empty() {
                    String::new()
                } else {
                    format!("   ({})", r.errors)
                }
            ),
            Err(e) => fail(&format!("wrk {path}"), e),
        }
    }
    match rt.block_on(page_weight(&base, &session)) {
        Ok(w) => println!("{w}"),
        Err(e) => fail("page weight", e),
    }
    let _ = stop.send(());
    let _ = rt.block_on(server);
}

/// What a browser loads for `/`: the page, then each stylesheet, script and image it names
/// (images come from the media proxy, so a real page adds one request per avatar or photo;
/// the bench's items have none), plus the live timeline's event stream.
async fn page_weight(base: &str, session: &str) -> Result<String, String> {
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{base}{path}");
        let cookie = format!("braid_session={session}");
        async move {
            let resp = client
                .get(&url)
                .header("cookie", cookie)
                .send()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            if !resp.status().is_success() {
                return Err(format!("{url}: {}", resp.status()));
            }
            resp.bytes()
                .await
                .map(|b| b.to_vec())
                .map_err(|e| format!("{url}: {e}"))
        }
    };
    let html = get("/".to_owned()).await?;
    let page = String::from_utf8_lossy(&html).into_owned();
    let mut out = String::from("  page weight of / (30 items):\n");
    let mut total = (html.len(), gzipped(&html));
    out.push_str(&format!(
        "    {:<22} {:>8} bytes  {:>7} gzipped\n",
        "/ (HTML)", total.0, total.1
    ));
    let mut requests = 1;
    let mut assets: Vec<String> = Vec::new();
    for marker in [
        "<link rel=\"stylesheet\" href=\"",
        "<script src=\"",
        "<img src=\"",
    ] {
        for (at, _) in page.match_indices(marker) {
            let rest = &page[at + marker.len()..];
            if let Some(end) = rest.find('"') {
                assets.push(rest[..end].to_owned());
            }
        }
    }
    let mut proxied = 0;
    for path in assets {
        requests += 1;
        // Images come through the media proxy from their origin (here a made-up host that
        // cannot answer): counted as requests, their bytes are the remote's.
        if path.starts_with("/media/") {
            proxied += 1;
            continue;
        }
        let body = get(path.clone()).await?;
        let gz = gzipped(&body);
        total = (total.0 + body.len(), total.1 + gz);
        out.push_str(&format!(
            "    {:<22} {:>8} bytes  {:>7} gzipped\n",
            path,
            body.len(),
            gz
        ));
    }
    let stream = usize::from(page.contains("data-events="));
    out.push_str(&format!(
        "    total {} bytes ({} gzipped) of our own in {} requests ({} of them proxied images, \
         their bytes the remote's), plus {} event stream",
        total.0, total.1, requests, proxied, stream
    ));
    Ok(out)
}

fn gzipped(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len()).unwrap_or(0)
}

/// Sources and items through `record_poll_success`, as polls store them (FTS maintained).
async fn build(path: &std::path::Path, items: usize) -> Store {
    let store = Store::open(path).unwrap_or_else(|e| fail("open", e));
    let now = Utc
        .timestamp_opt(1_750_000_000, 0)
        .single()
        .unwrap_or_default();
    let mut sources = Vec::new();
    let add = |name: String, kind: &str, url: String| {
        store.add_source(NewSource {
            name,
            kind: kind.to_owned(),
            url,
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: None,
        })
    };
    for s in 0..SOURCES {
        let id = add(
            format!("source-{s:02}"),
            "feed",
            format!("https://site{s}.example/feed.xml"),
        )
        .await
        .unwrap_or_else(|e| fail("add source", e));
        sources.push(id);
    }
    let rare_source = add("rare".into(), "rare", "https://rare.example/".into())
        .await
        .unwrap_or_else(|e| fail("add source", e));
    let mut n = 0;
    while n < items {
        let batch: Vec<Item> = (n..(n + BATCH).min(items))
            .map(|i| {
                let html = common::entry_html(i);
                Item {
                    remote_id: format!("tag:bench.example,2026:{i}").into(),
                    kind: ItemKind::Article,
                    author: Some(Author {
                        name: Some(format!("Author {}", i % 7)),
                        ..Author::default()
                    }),
                    title: Some(format!("Entry {i}: a title of usual length")),
                    content_text: Some(braid_core::sanitize::html_to_text(&html)),
                    content_html: Some(braid_core::sanitize::clean_html(&html)),
                    published: Some(now - chrono::Duration::seconds(i as i64 * 60)),
                    url: Some(format!("https://site{}.example/p/{i}", i % SOURCES)),
                    tags: vec!["bench".to_owned()],
                    // One item in a thousand has a file: "with media" reads furthest.
                    attachments: (i % 1000 == 999)
                        .then(|| braid_core::Attachment {
                            url: format!("https://site{}.example/p/{i}.jpg", i % SOURCES),
                            media_type: Some("image/jpeg".to_owned()),
                            ..braid_core::Attachment::default()
                        })
                        .into_iter()
                        .collect(),
                    ..Item::default()
                }
            })
            .collect();
        let source = sources[(n / BATCH) % SOURCES];
        n += batch.len();
        // A network with one item in a thousand (its source is of another kind).
        let rare: Vec<Item> = batch
            .iter()
            .filter(|it| it.attachments.is_empty())
            .step_by(1000)
            .map(|it| Item {
                remote_id: format!("{}-rare", it.remote_id.as_str()).into(),
                url: None,
                ..it.clone()
            })
            .collect();
        store
            .record_poll_success(rare_source, rare, vec![], PollSuccess::default())
            .await
            .unwrap_or_else(|e| fail("store items", e));
        store
            .record_poll_success(source, batch, vec![], PollSuccess::default())
            .await
            .unwrap_or_else(|e| fail("store items", e));
    }
    store
}

struct WrkResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// wrk's socket-error and non-2xx lines, if any: a run with errors measures the wrong thing.
    errors: String,
}

fn wrk(
    base: &str,
    path: &str,
    connections: usize,
    secs: usize,
    header: &str,
) -> Result<WrkResult, String> {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{secs}s"),
            "--latency",
            "-H",
            header,
            &format!("{base}{path}"),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("{}{}", text, String::from_utf8_lossy(&out.stderr)));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
            .map(str::to_owned)
    };
    let rps = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let p = |q: &str| {
        field(q)
            .and_then(|v| millis(&v))
            .ok_or_else(|| format!("no {q} percentile in wrk's output:\n{text}"))
    };
    let errors = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("Socket errors") || l.starts_with("Non-2xx"))
        .collect::<Vec<_>>()
        .join("; ");
    Ok(WrkResult {
        rps,
        p50_ms: p("50%")?,
        p99_ms: p("99%")?,
        errors,
    })
}

/// wrk prints latencies as `812.00us`, `1.23ms` or `1.01s`.
fn millis(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = v.split_at(split);
    let num: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => num / 1e3,
        "ms" => num,
        "s" => num * 1e3,
        "m" => num * 60e3,
        _ => return None,
    })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}
