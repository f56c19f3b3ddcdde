//! Outbox figures: what the delivery engine itself costs, with a network of our own whose sink
//! answers at once (registered for this benchmark only, like the tests' networks). A stand-in
//! on purpose: it measures Braid's side — queuing, claiming, recording, the due query — and
//! nothing of a server's. Against a real server the server's time adds to each delivery.
//!
//! - throughput: `BRAID_BENCH_POSTS` posts (default 2,000) queued for one account, then
//!   delivered by the daemon's `deliver_due` until none is left (one target keeps its order,
//!   so one delivery at a time): deliveries per second, and so the engine's overhead per
//!   delivery;
//! - fan-out: 200 posts to 4 accounts each through `deliver_post` (what `braid post` does),
//!   latency from queuing to all four delivered, p50 and p99;
//! - the same two against real servers: mastodon-mock (PyPI) on 127.0.0.1, when installed
//!   (`BRAID_BENCH_REAL_POSTS`, default 200): deliveries per second to one account, and
//!   fan-out latency to four accounts on four servers; the servers' time is in these.
//!
//! `cargo bench --bench outbox`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use braid_core::connector::{
    CountUnit, Limits, MediaRef, MediaUpload, Post, Probe, Published, ReplyRef, TextLimit,
};
use braid_core::{AccountView, BuildContext, Connector, ConnectorError, Factory, SourceView};

const KIND: &str = "bench-sink";

struct Instant_;
static FACTORY: Instant_ = Instant_;

#[async_trait]
impl Factory for Instant_ {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn display_name(&self) -> &'static str {
        "Benchmark sink"
    }
    fn about(&self) -> &'static str {
        "a sink that answers at once"
    }
    async fn connector(
        &self,
        _ctx: &BuildContext,
        _source: &SourceView,
        _account: Option<&AccountView>,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(Answering))
    }
    async fn sink(
        &self,
        _ctx: &BuildContext,
        _account: &AccountView,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(Answering))
    }
}

struct Answering;

impl Connector for Answering {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn sink(&self) -> Option<&dyn braid_core::Sink> {
        Some(self)
    }
}

#[async_trait]
impl braid_core::Sink for Answering {
    async fn limits(&self) -> Result<Limits, ConnectorError> {
        Ok(Limits {
            text: TextLimit {
                max: 500,
                unit: CountUnit::Graphemes,
                url_length: None,
                mention_without_domain: false,
            },
            max_media: 0,
            media: Vec::new(),
            content_warnings: false,
            threads: false,
        })
    }
    async fn upload(&self, _media: &MediaUpload) -> Result<MediaRef, ConnectorError> {
        Err(ConnectorError::Unsupported("no media".into()))
    }
    async fn reply_ref(&self, target: &str) -> Result<ReplyRef, ConnectorError> {
        Ok(ReplyRef(serde_json::json!(target)))
    }
    async fn publish(&self, _post: &Post, key: &str) -> Result<Published, ConnectorError> {
        Ok(Published {
            remote_id: format!("bench:{key}").into(),
            local_id: None,
            url: None,
            reply_ref: ReplyRef(serde_json::json!(key)),
        })
    }
    async fn reconcile(&self, _probe: &Probe<'_>) -> Result<Option<Published>, ConnectorError> {
        Ok(None)
    }
}

fn draft(i: usize) -> braid::outbox::Draft {
    braid::outbox::Draft {
        text: format!("benchmark post {i}: words to carry, https://example.org/{i} #bench"),
        content_warning: None,
        visibility: braid_core::Visibility::Public,
        language: Some("en".into()),
        reply_to: None,
    }
}

fn main() {
    let posts = common::env_usize("BRAID_BENCH_POSTS", 2000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let mut config = braid::config::Config::default();
        config.storage.db = dir.path().join("bench.db");
        // The real-server section talks to mastodon-mock on 127.0.0.1.
        config.fetch.allow_private_networks = true;
        let config = Arc::new(config);
        let store = braid::store::Store::open(&config.storage.db).unwrap();
        let http = braid_core::http::SafeClient::new(config.http_config()).unwrap();
        let mut ctx = braid::scheduler::PollContext::new(store.clone(), config, http).unwrap();
        ctx.connectors.registry = braid::connectors::Registry::builtin().with(&FACTORY);
        let ctx = Arc::new(ctx);
        let mut accounts = Vec::new();
        for n in 0..5 {
            let id = store
                .add_account(braid::store::NewAccount {
                    name: format!("bench{n}"),
                    kind: KIND.into(),
                    identity: format!("bench{n}"),
                    credentials: serde_json::json!({}),
                    ..Default::default()
                })
                .await
                .unwrap();
            accounts.push(store.account(id).await.unwrap().unwrap());
        }
        println!("outbox benchmark (an in-process sink that answers at once; engine only)");

        // Throughput to one account.
        let started = Instant::now();
        for i in 0..posts {
            braid::outbox::queue(&ctx, braid::outbox::Queued::new(draft(i)), &accounts[..1])
                .await
                .unwrap();
        }
        let queued = started.elapsed();
        let (delivered, secs) = drain(&ctx).await;
        println!(
            "  queue {posts} posts              {:.0} posts/s ({:.0} us a post)",
            posts as f64 / queued.as_secs_f64(),
            queued.as_secs_f64() * 1e6 / posts as f64
        );
        println!(
            "  deliver to one account        {:.0} deliveries/s; engine overhead {:.0} us a delivery ({delivered} delivered)",
            delivered as f64 / secs,
            secs * 1e6 / delivered.max(1) as f64
        );

        // Fan-out to four accounts, one post at a time, as `braid post` delivers.
        let (p50, p99) = fan_out(&ctx, &accounts[1..5], 200).await;
        println!(
            "  fan-out to 4 accounts         p50 {:.2} ms, p99 {:.2} ms (queue + 4 deliveries)",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        fan_out_wide(&ctx, &store).await;
        real_targets(&ctx).await;
    });
}

/// One post to 1,000 accounts: 1,000 lanes open at once (as an ActivityPub post to 1,000
/// inboxes will be). The due query's cost, and the time to deliver them all.
async fn fan_out_wide(ctx: &Arc<braid::scheduler::PollContext>, store: &braid::store::Store) {
    let mut wide = Vec::new();
    for n in 0..1000 {
        let id = store
            .add_account(braid::store::NewAccount {
                name: format!("wide{n}"),
                kind: KIND.into(),
                identity: format!("wide{n}"),
                credentials: serde_json::json!({}),
                ..Default::default()
            })
            .await
            .unwrap();
        wide.push(store.account(id).await.unwrap().unwrap());
    }
    let (post, _) = braid::outbox::queue(ctx, braid::outbox::Queued::new(draft(0)), &wide)
        .await
        .unwrap();
    let started = Instant::now();
    let due = store.due_deliveries(1000).await.unwrap();
    let query = started.elapsed();
    let busy = braid::outbox::Busy::default();
    let started = Instant::now();
    while braid::outbox::deliver_due(ctx, &busy, 64).await > 0 {}
    let secs = started.elapsed().as_secs_f64();
    let done = store.deliveries_of_post(post).await.unwrap();
    assert!(done
        .iter()
        .all(|d| d.state == braid::store::DeliveryState::Done));
    println!(
        "  one post to 1,000 accounts    due query {:.2} ms ({} heads); all delivered in {:.2} s ({:.0}/s)",
        query.as_secs_f64() * 1e3,
        due.len(),
        secs,
        1000.0 / secs
    );
}

/// The same figures against mastodon-mock on 127.0.0.1: one server for the throughput, and
/// four servers (four "instances", as a real fan-out reaches) for the fan-out. One mock server
/// answers one request at a time, so fan-out to four accounts on one server is four times
/// one delivery whatever Braid does; on four servers it shows Braid's own concurrency.
async fn real_targets(ctx: &Arc<braid::scheduler::PollContext>) {
    let mut mocks = Vec::new();
    for _ in 0..4 {
        match common::start_mock().await {
            Some(m) => mocks.push(m),
            None => {
                println!("  (mastodon-mock is not installed: run tests/run.sh once for the real-server figures)");
                return;
            }
        }
    }
    let posts = common::env_usize("BRAID_BENCH_REAL_POSTS", 200);
    let login_ctx = braid_core::LoginContext::new(ctx.connectors.http.clone());
    let factory = braid::connectors::Registry::builtin()
        .get("mastodon")
        .unwrap();
    let mut accounts = Vec::new();
    for (n, mock) in mocks.iter().enumerate() {
        let token = common::mock_user(mock, &format!("real{n}")).await;
        let input = braid_core::factory::LoginInput::from_pairs([
            ("instance", mock.base.clone()),
            ("token", token),
            ("backfill", "0".to_owned()),
            ("no-home", "true".to_owned()),
        ]);
        let outcome = braid::accounts::login_unattended(
            &ctx.store,
            factory,
            &login_ctx,
            Some(format!("real{n}")),
            &input,
        )
        .await
        .unwrap();
        accounts.push(outcome.account);
    }
    println!("outbox against mastodon-mock on 127.0.0.1 (the server's time included)");
    for i in 0..posts {
        braid::outbox::queue(ctx, braid::outbox::Queued::new(draft(i)), &accounts[..1])
            .await
            .unwrap();
    }
    let (delivered, secs) = drain(ctx).await;
    println!(
        "  deliver to one account        {:.0} deliveries/s, {:.2} ms a delivery ({delivered} delivered)",
        delivered as f64 / secs,
        secs * 1e3 / delivered.max(1) as f64
    );
    let (p50, p99) = fan_out(ctx, &accounts, 50).await;
    println!(
        "  fan-out to 4 servers          p50 {:.1} ms, p99 {:.1} ms (50 posts)",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}

/// Delivers everything due, as the daemon does: how many, and how long it took in seconds.
async fn drain(ctx: &Arc<braid::scheduler::PollContext>) -> (usize, f64) {
    let busy = braid::outbox::Busy::default();
    let started = Instant::now();
    let mut delivered = 0;
    loop {
        let n = braid::outbox::deliver_due(ctx, &busy, 16).await;
        if n == 0 {
            break;
        }
        delivered += n;
    }
    (delivered, started.elapsed().as_secs_f64())
}

/// `posts` posts to `accounts` each, one at a time through `deliver_post` (what `braid post`
/// does): p50 and p99 of queue-to-all-delivered.
async fn fan_out(
    ctx: &Arc<braid::scheduler::PollContext>,
    accounts: &[braid::store::AccountRecord],
    posts: usize,
) -> (std::time::Duration, std::time::Duration) {
    let mut latencies = Vec::new();
    for i in 0..posts {
        let started = Instant::now();
        let (post, _) = braid::outbox::queue(ctx, braid::outbox::Queued::new(draft(i)), accounts)
            .await
            .unwrap();
        let done = braid::outbox::deliver_post(ctx, post).await.unwrap();
        assert!(done
            .iter()
            .all(|d| d.state == braid::store::DeliveryState::Done));
        latencies.push(started.elapsed());
    }
    common::percentiles(&mut latencies)
}
