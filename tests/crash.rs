//! Crash safety of the outbox, for real: `braid post` runs as a child process, posting to
//! three accounts on the Mastodon API peer (mastodon-mock), and is killed with SIGKILL at
//! random moments, again and again; then `braid run --no-web` drains the outbox. Every post
//! whose `queued post …` line was printed must exist exactly once on every account, and no
//! post may exist twice anywhere.
//!
//! Two of the accounts talk to the peer directly (it honours `Idempotency-Key`). The third goes
//! through a small proxy of our own (no registry package does this), which:
//! - drops the `Idempotency-Key` header, so only reconciling by lookup protects that account;
//! - now and then kills the child between the peer's success and the answer reaching Braid,
//!   so the child dies after the remote created the post and before it could commit `done`;
//! - now and then answers 504 after the peer created the post (the peer's own fault rules
//!   fire before the request is handled, so they cannot do this).

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use warp::Filter;

use crate::support::mastodon::{log_in, MastodonMock};
use crate::support::Harness;

/// At least this many kills, as the issue asks.
const KILLS: usize = 50;

/// The proxy in front of the third account's server.
struct FaultProxy {
    base: String,
    /// The child to kill, by PID (0: none).
    victim: Arc<AtomicU32>,
    /// Posts the peer created whose answer the proxy replaced with a kill or a 504.
    kills: Arc<AtomicUsize>,
    gateway_timeouts: Arc<AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

async fn fault_proxy(upstream: String) -> FaultProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let victim = Arc::new(AtomicU32::new(0));
    let kills = Arc::new(AtomicUsize::new(0));
    let gateway_timeouts = Arc::new(AtomicUsize::new(0));
    let creates = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let state = (
        client,
        upstream,
        victim.clone(),
        kills.clone(),
        gateway_timeouts.clone(),
        creates,
    );
    let route = warp::any()
        .map(move || state.clone())
        .and(warp::method())
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::body::bytes())
        .then(
            |(client, upstream, victim, kills, timeouts, creates): (
                reqwest::Client,
                String,
                Arc<AtomicU32>,
                Arc<AtomicUsize>,
                Arc<AtomicUsize>,
                Arc<AtomicUsize>,
            ),
             method: warp::http::Method,
             path: warp::path::FullPath,
             query: String,
             headers: warp::http::HeaderMap,
             body: bytes::Bytes| async move {
                let create =
                    method == warp::http::Method::POST && path.as_str() == "/api/v1/statuses";
                let url = if query.is_empty() {
                    format!("{upstream}{}", path.as_str())
                } else {
                    format!("{upstream}{}?{query}", path.as_str())
                };
                let mut req = client.request(method, &url).body(body);
                for (name, value) in &headers {
                    let skip = name == warp::http::header::HOST
                        || name == warp::http::header::CONTENT_LENGTH
                        || name.as_str().eq_ignore_ascii_case("idempotency-key");
                    if !skip {
                        req = req.header(name, value);
                    }
                }
                let resp = req.send().await.unwrap();
                let status = resp.status().as_u16();
                let content_type = resp
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap_or("").to_owned())
                    .unwrap_or_default();
                let bytes = resp.bytes().await.unwrap();
                if create && status == 200 {
                    let n = creates.fetch_add(1, Ordering::SeqCst);
                    let pid = victim.load(Ordering::SeqCst);
                    if n % 4 == 1 && pid != 0 {
                        // The remote succeeded; Braid dies before it hears so.
                        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                        kills.fetch_add(1, Ordering::SeqCst);
                    } else if n % 4 == 3 {
                        timeouts.fetch_add(1, Ordering::SeqCst);
                        return warp::http::Response::builder()
                            .status(504)
                            .body(b"gateway timeout".to_vec())
                            .unwrap();
                    }
                }
                warp::http::Response::builder()
                    .status(status)
                    .header("content-type", content_type)
                    .body(bytes.to_vec())
                    .unwrap()
            },
        );
    let task = tokio::spawn(async move {
        warp::serve(route).incoming(listener).run().await;
    });
    FaultProxy {
        base,
        victim,
        kills,
        gateway_timeouts,
        _task: task,
    }
}

/// How many statuses of the token's account hold each `crash-N` text.
async fn crash_posts(mock: &MastodonMock, token: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for text in mock.own_statuses(token).await {
        if let Some(word) = text.split_whitespace().find(|w| w.starts_with("crash-")) {
            *counts.entry(word.to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

/// A cheap random number from the clock (the kill moments need not be cryptographic).
fn jitter(n: usize, max_ms: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos() as u64;
    Duration::from_millis((nanos / 1000 + n as u64 * 7919) % max_ms)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_every_queued_post_lands_exactly_once() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let tokens = [
        mock.user("alice").await,
        mock.user("bob").await,
        mock.user("carol").await,
    ];
    let proxy = fault_proxy(mock.base.clone()).await;
    let h = Harness::new(|_| {});
    log_in(&h, &mock.base, &tokens[0], 0).await;
    log_in(&h, &mock.base, &tokens[1], 0).await;
    // Carol's account talks to the peer through the proxy only.
    log_in(&h, &proxy.base, &tokens[2], 0).await;
    let names: Vec<String> = h
        .store
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    std::fs::write(
        h.dir.path().join("braid.toml"),
        "[fetch]\ntimeout_secs = 1\n[outbox]\nbackoff_base_secs = 1\nbackoff_max_secs = 2\nmax_attempts = 1000\n",
    )
    .unwrap();
    let braid = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_braid"));
        cmd.current_dir(h.dir.path())
            .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
            .env("BRAID_LOG", "off")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cmd
    };

    // A batch queued up front (durably: these count as queued), then rounds of a daemon
    // delivering it, and of `braid post` adding to it, each killed at a random moment.
    let targets = h.store.list_accounts().await.unwrap();
    let mut queued = Vec::new();
    for i in 0..20 {
        let text = format!("crash-b{i} from the batch");
        let draft = braid::outbox::Draft {
            text,
            content_warning: None,
            visibility: braid_core::Visibility::Public,
            language: None,
            reply_to: None,
        };
        braid::outbox::queue(&h.ctx, braid::outbox::Queued::new(draft), &targets)
            .await
            .unwrap();
        queued.push(format!("crash-b{i}"));
    }
    let to = names.join(",");
    let mut killed = 0;
    let mut n = 0;
    let started = Instant::now();
    while killed < KILLS
        || proxy.kills.load(Ordering::SeqCst) == 0
        || proxy.gateway_timeouts.load(Ordering::SeqCst) == 0
    {
        n += 1;
        assert!(n < 400, "too many rounds");
        let text = format!("crash-{n} says hello");
        let posting = n % 3 == 0;
        let mut child = if posting {
            braid(&["post", &text, "--to", &to]).spawn().unwrap()
        } else {
            braid(&["run", "--no-web"]).spawn().unwrap()
        };
        proxy.victim.store(child.id(), Ordering::SeqCst);
        let deadline = Instant::now() + jitter(n, 1500);
        let mut finished = false;
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if !finished {
            let _ = child.kill();
            killed += 1;
        }
        child.wait().unwrap();
        proxy.victim.store(0, Ordering::SeqCst);
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        if posting && out.starts_with("queued post ") {
            queued.push(format!("crash-{n}"));
        }
    }
    let kill_loop = started.elapsed();

    // A clean daemon drains what is left (reconciling what was in flight).
    let mut daemon = braid(&["run", "--no-web"]).spawn().unwrap();
    let drain_started = Instant::now();
    loop {
        let open = h
            .store
            .list_deliveries(100_000)
            .await
            .unwrap()
            .iter()
            .filter(|d| !d.state.is_final())
            .count();
        if open == 0 {
            break;
        }
        assert!(
            drain_started.elapsed() < Duration::from_secs(120),
            "{open} deliveries still open"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    let deliveries = h.store.list_deliveries(100_000).await.unwrap();
    let failed: Vec<_> = deliveries
        .iter()
        .filter(|d| d.state != braid::store::DeliveryState::Done)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");

    let mut duplicates = 0;
    let mut lost = 0;
    for token in &tokens {
        let counts = crash_posts(&mock, token).await;
        duplicates += counts.values().filter(|c| **c > 1).count();
        lost += queued.iter().filter(|q| !counts.contains_key(*q)).count();
        assert!(
            counts.values().all(|c| *c == 1),
            "a post exists twice: {counts:?}"
        );
        for q in &queued {
            assert!(counts.contains_key(q), "{q} was queued but never arrived");
        }
    }
    println!(
        "crash test: {n} runs, {killed} killed by the harness at random moments and {} by the \
         proxy after the remote's success, {} answered 504 after success; {} posts queued, {} \
         deliveries, {duplicates} duplicates, {lost} lost; kill loop {:.1} s, drain {:.1} s",
        proxy.kills.load(Ordering::SeqCst),
        proxy.gateway_timeouts.load(Ordering::SeqCst),
        queued.len(),
        deliveries.len(),
        kill_loop.as_secs_f64(),
        drain_started.elapsed().as_secs_f64()
    );
    assert!(killed >= KILLS);
}
