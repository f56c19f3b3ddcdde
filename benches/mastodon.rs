//! Mastodon-family connector figures against the real mastodon-mock server (PyPI; installed by
//! tests/run.sh into .peers/venv), started here as a child process so its memory is not
//! counted:
//! - poll throughput: 5,000 statuses on one home timeline, read from the local server,
//!   converted and stored through the scheduler's own poll (`poll_source`), until caught up;
//! - memory: 50 accounts' home timelines (40 statuses each) polled at once with the default
//!   limits (`poll_many`), peak RSS of this process.
//!
//! `cargo bench --bench mastodon` (env `BRAID_BENCH_STATUSES`, default 5000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Instant;

async fn post_many(mock: &common::Mock, token: &str, prefix: &str, n: usize) {
    let http = reqwest::Client::new();
    let mut pending = Vec::new();
    for i in 0..n {
        pending.push(
            http.post(format!("{}/api/v1/statuses", mock.base))
                .bearer_auth(token)
                .form(&[("status", format!("{prefix} status {i}: a line of text with a #tag and a link https://example.org/{i}")), ("visibility", "public".into())])
                .send(),
        );
        if pending.len() == 16 {
            for p in pending.drain(..) {
                assert!(p.await.unwrap().status().is_success());
            }
        }
    }
    for p in pending {
        assert!(p.await.unwrap().status().is_success());
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let Some(mock) = common::start_mock().await else {
        println!("mastodon benchmark: mastodon-mock is not installed (run tests/run.sh once); nothing measured");
        return;
    };
    let statuses = common::env_usize("BRAID_BENCH_STATUSES", 5000);
    let dir = tempfile::tempdir().unwrap();
    let mut config = braid::config::Config::default();
    config.storage.db = dir.path().join("bench.db");
    config.fetch.allow_private_networks = true;
    let config = Arc::new(config);
    let store = braid::store::Store::open(&config.storage.db).unwrap();
    let http = braid_core::http::SafeClient::new(config.http_config()).unwrap();
    let ctx = Arc::new(
        braid::scheduler::PollContext::new(store.clone(), config.clone(), http.clone()).unwrap(),
    );
    let login_ctx = braid_core::LoginContext::new(http.clone());
    // Logs in through the registry's factory, as `braid account add mastodon` does.
    let login = |name: &str, token: String, backfill: u32| {
        let input = braid_core::factory::LoginInput::from_pairs([
            ("instance", mock.base.clone()),
            ("token", token),
            ("server-type", "mastodon".to_owned()),
            ("backfill", backfill.to_string()),
        ]);
        let (store, login_ctx, name) = (store.clone(), login_ctx.clone(), name.to_owned());
        let factory = braid::connectors::Registry::builtin()
            .get("mastodon")
            .unwrap();
        async move {
            braid::accounts::login_unattended(&store, factory, &login_ctx, Some(name), &input)
                .await
                .unwrap()
        }
    };

    // Throughput: one account, `statuses` new statuses after a first (empty) poll.
    let token = common::mock_user(&mock, "reader").await;
    login("reader", token.clone(), 0).await;
    let source = store.list_sources().await.unwrap().remove(0);
    braid::scheduler::poll_source(&ctx, &source).await;
    post_many(&mock, &token, "reader", statuses).await;
    let started = Instant::now();
    let (mut stored, mut polls) = (0, 0);
    while stored < statuses && polls < 50 {
        let source = store.source(source.id).await.unwrap().unwrap();
        let outcome = braid::scheduler::poll_source(&ctx, &source).await;
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        stored += outcome.stats.new;
        polls += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "mastodon benchmark (mastodon-mock {} on 127.0.0.1)",
        mock.base
    );
    println!(
        "  poll throughput: {stored} statuses in {polls} polls, {secs:.2} s = {:.0} statuses/s",
        stored as f64 / secs
    );

    // Memory: 50 accounts, 40 statuses each, polled at once.
    for n in 0..50 {
        let token = common::mock_user(&mock, &format!("user{n}")).await;
        post_many(&mock, &token, &format!("user{n}"), 40).await;
        login(&format!("user{n}"), token, 40).await;
    }
    let sources: Vec<_> = store
        .list_sources()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.id != source.id)
        .collect();
    let rss_before = common::peak_rss_mib().unwrap_or(f64::NAN);
    let started = Instant::now();
    let outcomes = braid::scheduler::poll_many(ctx.clone(), sources, |_| {}).await;
    let secs = started.elapsed().as_secs_f64();
    let new: usize = outcomes.iter().map(|o| o.stats.new).sum();
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    println!(
        "  50 accounts x 40 statuses polled at once: {new} new, {failed} failed, {secs:.2} s; peak RSS {rss_before:.1} MiB before, {:.1} MiB after",
        common::peak_rss_mib().unwrap_or(f64::NAN)
    );
}
