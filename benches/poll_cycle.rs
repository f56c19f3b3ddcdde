//! Poll cycle: 1,000 feeds of 20 entries served by a local server on 127.0.0.1, each on its own
//! host name (so per-host limits apply as they would on the web). Measures a full first cycle,
//! an all-304 cycle, and this process's peak resident memory. The feed server runs as a child
//! process (this binary re-executed), so its memory is not counted.
//!
//! `cargo bench --bench poll_cycle` (env `BRAID_BENCH_FEEDS`, default 1000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() {
    if std::env::var("BRAID_BENCH_SERVE").is_ok() {
        serve();
        return;
    }
    let feeds = common::env_usize("BRAID_BENCH_FEEDS", 1000);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("BRAID_BENCH_SERVE", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line.trim().parse().unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = braid::config::Config::default();
    config.storage.db = dir.path().join("bench.db");
    let store = braid::store::Store::open(&config.storage.db).unwrap();
    let mut http = config.http_config();
    http.resolve_overrides = (0..feeds)
        .map(|i| (format!("feed{i}.bench.test"), addr))
        .collect::<HashMap<_, _>>();
    let client = braid_core::http::SafeClient::new(http).unwrap();
    let ctx = Arc::new(
        braid::scheduler::PollContext::new(store.clone(), Arc::new(config), client).unwrap(),
    );

    runtime.block_on(async {
        for i in 0..feeds {
            store
                .add_source(braid::store::NewSource {
                    name: format!("feed {i}"),
                    kind: "feed".into(),
                    url: format!("http://feed{i}.bench.test:{}/feed/{i}", addr.port()),
                    schedule: None,
                    category: None,
                    settings: serde_json::json!({}),
                    account: None,
                })
                .await
                .unwrap();
        }
    });
    println!("poll cycle benchmark: {feeds} feeds x 20 entries, server at {addr}");
    for cycle in ["first cycle (all new)", "second cycle (all 304)"] {
        let sources = runtime.block_on(store.list_sources()).unwrap();
        let t = Instant::now();
        let outcomes = runtime.block_on(braid::scheduler::poll_many(ctx.clone(), sources, |_| {}));
        let elapsed = t.elapsed();
        let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
        let new: usize = outcomes.iter().map(|o| o.stats.new).sum();
        let not_modified = outcomes.iter().filter(|o| o.not_modified).count();
        if let Some(e) = outcomes.iter().find_map(|o| o.error.clone()) {
            println!("  first error: {e}");
        }
        println!(
            "  {cycle:<24} {:>8.2} s   new items {new:>6}   304s {not_modified:>5}   failed {failed}",
            elapsed.as_secs_f64()
        );
    }
    println!(
        "  peak RSS (braid process)  {:>6.1} MiB",
        common::peak_rss_mib().unwrap_or(f64::NAN)
    );
    println!("  goals on 2 cores: first < 10 s, all-304 < 2 s, < 100 MB");
    let _ = child.kill();
    let _ = child.wait();
}

/// The child: a minimal HTTP/1.1 server generating each feed from its path, with an ETag.
fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut len = 0;
                while !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => len += n,
                    }
                    if len == buf.len() {
                        return;
                    }
                }
                let req = String::from_utf8_lossy(&buf[..len]).to_ascii_lowercase();
                let n: usize = req.split_whitespace().nth(1).and_then(|p| p.rsplit('/').next()).and_then(|s| s.parse().ok()).unwrap_or(0);
                let etag = format!("\"bench-{n}\"");
                let response = if req.contains(&format!("if-none-match: {etag}")) {
                    format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n").into_bytes()
                } else {
                    let body = common::rss_feed(20, n + 1);
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(body.as_bytes());
                    r
                };
                let _ = stream.write_all(&response).await;
                let _ = stream.shutdown().await;
            });
        }
    });
}
