//! The scheduler: decides when each source is polled and runs polls with bounded concurrency,
//! overall and per host. One failing source never stops another: each poll runs on its own
//! task and records its own result.
//!
//! - `cron_expr.rs`: the cron forms people write.
//! - `poll.rs`: one poll of one source, from fetch to stored result.
//! - this file: concurrency limits, `poll_many` (for `braid sync`), and the daemon loop.

pub mod cron_expr;
pub mod poll;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid_core::http::SafeClient;
use braid_core::SourceId;
use chrono::Utc;
use cron::Schedule;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::connectors::ConnectorContext;
use crate::kept::Kept;
use crate::listeners::{self, Listeners};
use crate::store::{Retention, SourceRecord, Store};
pub use poll::{poll_source, PollOutcome};

/// Everything a poll needs. Shared by all poll tasks.
pub struct PollContext {
    pub store: Store,
    pub config: Arc<Config>,
    pub connectors: ConnectorContext,
    /// Each source's connector, built once and kept while its record is unchanged.
    pub kept: Kept,
    /// Routes of connectors that listen, mounted by the web server.
    pub listeners: Listeners,
    /// Each network's hosted connector (Braid's own streams on that network).
    pub hosted: crate::hosted::Hosted,
    pub default_schedule: Schedule,
    limits: Limits,
}

impl PollContext {
    pub fn new(store: Store, config: Arc<Config>, http: SafeClient) -> Result<Self, String> {
        let default_schedule = cron_expr::parse_schedule(&config.scheduler.default_schedule)?;
        let site = crate::site::SiteInfo::of(&config);
        Ok(PollContext {
            store,
            limits: Limits::new(
                config.scheduler.max_concurrency,
                config.scheduler.max_per_host,
            ),
            config,
            connectors: ConnectorContext {
                site,
                ..ConnectorContext::new(http)
            },
            hosted: crate::hosted::Hosted::default(),
            kept: Kept::default(),
            listeners: Listeners::default(),
            default_schedule,
        })
    }
}

/// Concurrency limits: one global semaphore and one per host, created on first use.
struct Limits {
    global: Arc<Semaphore>,
    per_host_max: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Limits {
    fn new(global: usize, per_host: usize) -> Self {
        Limits {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host_max: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a host slot first, then a global one, so sources of a busy host queue on
    /// their host without holding global slots that other hosts could use.
    async fn acquire(&self, url: &str) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let host_sem = {
            let mut hosts = self.hosts.lock().ok()?;
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host_max)))
                .clone()
        };
        let host_permit = host_sem.acquire_owned().await.ok()?;
        let global_permit = self.global.clone().acquire_owned().await.ok()?;
        Some((host_permit, global_permit))
    }
}

/// Polls one source within the concurrency limits.
pub async fn poll_limited(ctx: &PollContext, source: &SourceRecord) -> PollOutcome {
    let _permits = ctx.limits.acquire(&source.url).await;
    poll_source(ctx, source).await
}

/// Polls `sources` now (ignoring their schedule), within the limits, calling `on_done` as each
/// finishes. Used by `braid sync` and the benchmarks.
pub async fn poll_many(
    ctx: Arc<PollContext>,
    sources: Vec<SourceRecord>,
    mut on_done: impl FnMut(&PollOutcome),
) -> Vec<PollOutcome> {
    let mut set = JoinSet::new();
    for source in sources {
        let ctx = ctx.clone();
        set.spawn(async move { poll_limited(&ctx, &source).await });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(outcome) = joined {
            on_done(&outcome);
            outcomes.push(outcome);
        }
    }
    outcomes
}

/// Deliveries the daemon sends at once, at most.
const OUTBOX_BATCH: usize = 16;
/// How long one tick's outbox task goes on with full batches before the next tick's routes.
const OUTBOX_SLICE: Duration = Duration::from_secs(5);

/// The daemon loop: every second, starts polls for due sources not already in flight and
/// delivers the outbox's due deliveries; runs the retention policy on its schedule. Returns after `shutdown` resolves and in-flight polls
/// (each bounded by the fetch timeout) have finished writing.
pub async fn run(ctx: Arc<PollContext>, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    let in_flight: Arc<Mutex<HashSet<SourceId>>> = Arc::default();
    let mut tasks = JoinSet::new();
    let retention_schedule =
        cron_expr::parse_schedule(&ctx.config.scheduler.retention_schedule).ok();
    let mut next_retention = retention_schedule
        .as_ref()
        .and_then(|s| cron_expr::next_after(s, Utc::now()));
    let mut next_check = Utc::now();
    let outbox_busy = crate::outbox::Busy::default();
    let outbox_running = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!("scheduler: started");
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        }
        let now = Utc::now();
        match ctx.store.due_sources(now).await {
            Ok(due) => {
                for source in due {
                    let id = source.id;
                    let fresh = in_flight.lock().map(|mut s| s.insert(id)).unwrap_or(false);
                    if !fresh {
                        continue;
                    }
                    let ctx = ctx.clone();
                    let in_flight = in_flight.clone();
                    tasks.spawn(async move {
                        poll_limited(&ctx, &source).await;
                        if let Ok(mut s) = in_flight.lock() {
                            s.remove(&id);
                        }
                    });
                }
            }
            Err(e) => tracing::error!(error = %e, "scheduler: could not read due sources"),
        }
        // Routes' new posts, posts queued by `braid post` (also one that was killed) and
        // retries that are due.
        if !outbox_running.swap(true, std::sync::atomic::Ordering::AcqRel) {
            let (ctx, busy, running) = (ctx.clone(), outbox_busy.clone(), outbox_running.clone());
            tasks.spawn(async move {
                // New items become posts (routes), then what is due goes out.
                if let Err(e) = crate::routes::run(&ctx).await {
                    tracing::error!(error = %e, "routes: the pass failed");
                }
                // What routes and the owner put in streams becomes messages to followers.
                crate::publish::run(&ctx).await;
                // Batch after batch while there is a full one (a post to a thousand inboxes is
                // a thousand deliveries), for at most a few seconds so the tick's other work
                // (routes, new posts) is not held up behind a long fan-out.
                let until = tokio::time::Instant::now() + OUTBOX_SLICE;
                while crate::outbox::deliver_due(&ctx, &busy, OUTBOX_BATCH).await >= OUTBOX_BATCH
                    && tokio::time::Instant::now() < until
                {}
                running.store(false, std::sync::atomic::Ordering::Release);
            });
        }
        // Changes made by any process (a source removed, an account logged in again) reach
        // the kept connectors and the mounted listeners within seconds.
        if now >= next_check {
            if let Err(e) = listeners::refresh_if_changed(&ctx).await {
                tracing::warn!(error = %e, "scheduler: could not check for changes");
            }
            next_check = now
                + chrono::Duration::from_std(listeners::CHECK_EVERY)
                    .unwrap_or(chrono::Duration::seconds(2));
        }
        if next_retention.is_some_and(|at| at <= now) {
            run_retention(&ctx).await;
            next_retention = retention_schedule
                .as_ref()
                .and_then(|s| cron_expr::next_after(s, now));
        }
    }
    tracing::info!(
        in_flight = tasks.len(),
        "scheduler: stopping; finishing polls in flight"
    );
    let grace = ctx.config.fetch.timeout_secs + 10;
    if tokio::time::timeout(Duration::from_secs(grace), async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("scheduler: polls still running after {grace} s; stopping them");
        tasks.abort_all();
    }
    tracing::info!("scheduler: stopped");
}

/// Applies the configured retention policy once.
pub async fn run_retention(ctx: &PollContext) -> usize {
    let cfg = &ctx.config.retention;
    let mut per_source: HashMap<SourceId, Retention> = HashMap::new();
    if !cfg.sources.is_empty() {
        match ctx.store.list_sources().await {
            Ok(sources) => {
                for s in sources {
                    if let Some(r) = cfg.sources.get(&s.name) {
                        per_source.insert(s.id, r.to_retention());
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "retention: could not list sources"),
        }
    }
    match ctx
        .store
        .apply_retention(ctx.config.global_retention(), per_source)
        .await
    {
        Ok(n) => {
            tracing::info!(removed = n, "retention: done");
            n
        }
        Err(e) => {
            tracing::error!(error = %e, "retention: failed");
            0
        }
    }
}
