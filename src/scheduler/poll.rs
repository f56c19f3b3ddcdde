//! One poll of one source, the whole refresh cycle on one screen:
//! build the connector → poll with the stored cursor → prepare (sanitize) → store items and the
//! new cursor in one transaction → schedule the next poll from cron, the server's hints and
//! the error history.

use std::time::Duration;

use std::panic::AssertUnwindSafe;

use braid_core::{ConnectorError, Cursor, Item, Page, PollHints, Pushed};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::cron_expr::{next_after, parse_schedule};
use super::PollContext;
use crate::connectors;
use crate::ingest;
use crate::store::{IngestStats, PollFailure, PollSuccess, SourceRecord};

/// Server hints never push a poll further out than this (a year-long `max-age` on a static
/// host should not silence a feed).
const MAX_HINT_DELAY: Duration = Duration::from_secs(24 * 3600);

/// What one poll did, for `braid sync`'s summary and the logs.
#[derive(Debug, Clone, Serialize)]
pub struct PollOutcome {
    pub source: String,
    pub stats: IngestStats,
    pub not_modified: bool,
    /// The error shown to the owner, when the poll failed.
    pub error: Option<String>,
    /// Set when this poll disabled the source.
    pub disabled: Option<String>,
    /// What a successful poll could not read (entries skipped, content lost).
    pub warning: Option<String>,
    pub next_poll: Option<DateTime<Utc>>,
}

/// Polls `source` once and records the result. Never panics and never returns an error: every
/// failure is recorded on the source, where the owner sees it.
pub async fn poll_source(ctx: &PollContext, source: &SourceRecord) -> PollOutcome {
    poll_source_with(ctx, source, ingest::prepare).await
}

/// [`poll_source`] with the preparing step as a parameter, so a test can make it panic.
async fn poll_source_with(
    ctx: &PollContext,
    source: &SourceRecord,
    prepare: fn(Vec<Item>, usize) -> Vec<Item>,
) -> PollOutcome {
    let now = Utc::now();
    let result = fetch(ctx, source).await;
    let mut outcome = PollOutcome {
        source: source.name.clone(),
        stats: IngestStats::default(),
        not_modified: false,
        error: None,
        disabled: None,
        warning: None,
        next_poll: None,
    };
    // Preparing runs before anything is recorded: if it fails, the poll fails as a whole and the
    // old cursor stays, so the items are fetched again next time instead of being skipped.
    let result = match result {
        Ok(mut page) => {
            let items = std::mem::take(&mut page.items);
            prepare_items(items, prepare, ctx.config.storage.max_content_bytes)
                .await
                .map(|items| Page { items, ..page })
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(page) => {
            outcome.not_modified = page.not_modified;
            let next = next_poll_after_success(ctx, source, now, &page.hints);
            // A 304 parsed nothing, so what the last parse could not read still stands.
            let warning = if page.not_modified {
                source.last_warning.clone()
            } else {
                (!page.warnings.is_empty()).then(|| page.warnings.join("; "))
            };
            if let Some(w) = &warning {
                tracing::warn!(source_id = %source.id, source = %source.name, warning = %w,
                    "poll: read with losses");
            }
            outcome.warning = warning.clone();
            let success = PollSuccess {
                cursor: page.next_cursor.and_then(|c| c.0),
                next_poll: Some(next),
                new_url: page.meta.moved_to,
                title: page.meta.title,
                site_url: page.meta.site_url,
                warning,
            };
            let items = page.items;
            match ctx
                .store
                .record_poll_success(source.id, items, page.deleted, success)
                .await
            {
                Ok(stats) => {
                    outcome.stats = stats;
                    outcome.next_poll = Some(next);
                    tracing::info!(source_id = %source.id, source = %source.name, new = stats.new,
                        updated = stats.updated, not_modified = outcome.not_modified, "poll: ok");
                }
                Err(e) => {
                    // The store failed: keep the old cursor so nothing is skipped next time.
                    let message = e.to_string();
                    tracing::error!(source_id = %source.id, error = %message, "poll: storing failed");
                    record_failure(
                        ctx,
                        source,
                        now,
                        ConnectorError::Transient(message),
                        &mut outcome,
                    )
                    .await;
                }
            }
        }
        Err(err) => record_failure(ctx, source, now, err, &mut outcome).await,
    }
    outcome
}

/// Stores what a listener of a `kind` connector received, through the same gate as a poll's
/// page (preparing, then one transaction). A listener may only push to sources of its own
/// network; anything else is refused.
pub async fn ingest_pushed(
    ctx: &PollContext,
    kind: &str,
    pushed: Pushed,
) -> Result<IngestStats, ConnectorError> {
    let source = ctx
        .store
        .source(pushed.source)
        .await
        .map_err(|e| ConnectorError::Transient(e.to_string()))?
        .ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "{kind}: pushed to source {} that does not exist",
                pushed.source
            ))
        })?;
    if source.kind != kind {
        return Err(ConnectorError::Permanent(format!(
            "{kind}: a listener may only push to its own network's sources, not to {:?}",
            source.name
        )));
    }
    let items = prepare_items(
        pushed.items,
        ingest::prepare,
        ctx.config.storage.max_content_bytes,
    )
    .await?;
    let stats = ctx
        .store
        .record_push(source.id, items, pushed.deleted)
        .await
        .map_err(|e| ConnectorError::Transient(e.to_string()))?;
    tracing::info!(source_id = %source.id, source = %source.name, new = stats.new,
        updated = stats.updated, deleted = stats.deleted, "push: stored");
    Ok(stats)
}

/// Runs the ingest gate (sanitizing, cleaning) over a page's items, off the async threads for
/// large pages. A panic in it is a bug in Braid or a library, and must cost this poll only: it
/// becomes one failed poll, never an empty success that would move the cursor past the items.
async fn prepare_items(
    items: Vec<Item>,
    prepare: fn(Vec<Item>, usize) -> Vec<Item>,
    max_content_bytes: usize,
) -> Result<Vec<Item>, ConnectorError> {
    if items.is_empty() {
        return Ok(items);
    }
    let many = items.len() > 16;
    let run = move || {
        std::panic::catch_unwind(AssertUnwindSafe(move || prepare(items, max_content_bytes)))
    };
    let prepared = if many {
        tokio::task::spawn_blocking(run)
            .await
            .unwrap_or_else(|join| Err(Box::new(join.to_string())))
    } else {
        run()
    };
    prepared.map_err(|_| {
        ConnectorError::Transient(
            "braid: preparing this source's items crashed (a bug in Braid or a library it uses); \
             nothing was stored and the poll will be retried"
                .into(),
        )
    })
}

/// Polls the source's kept connector (built when its record changed) on its own task, so a
/// panic inside a parser costs this poll and nothing else.
async fn fetch(ctx: &PollContext, source: &SourceRecord) -> Result<Page, ConnectorError> {
    let connector = ctx
        .kept
        .connector(source, &ctx.connectors, &ctx.store)
        .await?;
    if connector.source().is_none() {
        return Err(ConnectorError::Unsupported(format!(
            "braid: {} connectors cannot be polled",
            connector.kind()
        )));
    }
    let cursor = Cursor(source.cursor.clone());
    let kind = connector.kind();
    let task = tokio::spawn(async move {
        match connector.source() {
            Some(s) => s.poll(&cursor).await,
            None => Err(ConnectorError::Unsupported("braid: not pollable".into())),
        }
    });
    match task.await {
        Ok(result) => result,
        Err(join) if join.is_panic() => Err(ConnectorError::Transient(format!(
            "{kind}: the connector crashed on this source's data (a bug in Braid or a library it \
             uses); it will be retried"
        ))),
        Err(_) => Err(ConnectorError::Transient(format!(
            "{kind}: the poll was cancelled"
        ))),
    }
}

async fn record_failure(
    ctx: &PollContext,
    source: &SourceRecord,
    now: DateTime<Utc>,
    err: ConnectorError,
    outcome: &mut PollOutcome,
) {
    let message = err.to_string();
    let cfg = &ctx.config.scheduler;
    let counts = !matches!(err, ConnectorError::RateLimited { .. });
    let failures = source.error_count.max(0) as u32 + u32::from(counts);
    let backoff = backoff(cfg.backoff_base_secs, cfg.backoff_max_secs, failures.max(1));
    let wait = match &err {
        ConnectorError::RateLimited { retry_after, .. } => retry_after
            .unwrap_or(Duration::from_secs(cfg.backoff_base_secs))
            .min(Duration::from_secs(cfg.backoff_max_secs.max(1))),
        _ => backoff,
    };
    let by_cron = cron_next(ctx, source, now);
    let next = by_cron.max(now + chrono_dur(wait));
    let disable = match &err {
        ConnectorError::Permanent(m) => Some(m.clone()),
        _ if counts && failures >= cfg.max_failures => Some(format!(
            "disabled after {failures} consecutive failures; last error: {message}"
        )),
        _ => None,
    };
    if let (ConnectorError::Auth(_), Some(account)) = (&err, connectors::account_of(source)) {
        // A refused token is the account's problem, not only this source's: every source of
        // the account and `braid account list` show that the owner must log in again.
        if let Err(e) = ctx
            .store
            .record_account_error(account, message.clone(), true)
            .await
        {
            tracing::error!(source_id = %source.id, error = %e, "poll: could not mark the account");
        }
    }
    tracing::warn!(source_id = %source.id, source = %source.name, kind = err.kind(),
        error = %message, "poll: failed");
    let failure = PollFailure {
        message: message.clone(),
        next_poll: Some(next),
        disable: disable.clone(),
        counts_as_failure: counts,
    };
    if let Err(e) = ctx.store.record_poll_failure(source.id, failure).await {
        tracing::error!(source_id = %source.id, error = %e, "poll: could not record the failure");
    }
    outcome.error = Some(message);
    outcome.disabled = disable;
    outcome.next_poll = Some(next);
}

/// Exponential backoff: `base * 2^(failures-1)`, at most `max`.
pub fn backoff(base_secs: u64, max_secs: u64, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    Duration::from_secs(base_secs.saturating_mul(1u64 << exp).min(max_secs))
}

/// The next poll after a success: the cron schedule, pushed later (never earlier) by the
/// server's hints (RFC 9111 freshness, RSS `<ttl>`), which are capped at a day.
fn next_poll_after_success(
    ctx: &PollContext,
    source: &SourceRecord,
    now: DateTime<Utc>,
    hints: &PollHints,
) -> DateTime<Utc> {
    let mut next = cron_next(ctx, source, now);
    let cap = now + chrono_dur(MAX_HINT_DELAY);
    if let Some(min) = hints.min_interval {
        next = next.max((now + chrono_dur(min)).min(cap));
    }
    if let Some(at) = hints.not_before {
        next = next.max(at.min(cap));
    }
    next
}

fn cron_next(ctx: &PollContext, source: &SourceRecord, now: DateTime<Utc>) -> DateTime<Utc> {
    let own = source
        .schedule
        .as_deref()
        .and_then(|s| parse_schedule(s).ok());
    let schedule = own.as_ref().unwrap_or(&ctx.default_schedule);
    next_after(schedule, now).unwrap_or(now + chrono::Duration::hours(1))
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::backoff;
    use std::sync::Arc;
    use std::time::Duration;

    use braid_core::Item;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::{poll_source_with, PollContext};
    use crate::config::Config;
    use crate::ingest;
    use crate::store::{NewSource, Store};

    const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
        <item><title>One</title><link>https://example.com/1</link><description>first</description></item>
        <item><title>Two</title><link>https://example.com/2</link><description>second</description></item>
        </channel></rss>"#;

    /// Answers every request on 127.0.0.1 with `FEED` and an ETag (which becomes the cursor).
    async fn serve_feed() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: \"v1\"\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    FEED.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(FEED.as_bytes()).await;
            }
        });
        format!("http://{addr}/feed.xml")
    }

    fn crashing_prepare(_: Vec<Item>, _: usize) -> Vec<Item> {
        panic!("a bug in the ingest gate")
    }

    #[tokio::test]
    async fn a_panic_while_preparing_keeps_the_cursor_and_counts_as_a_failed_poll() {
        let url = serve_feed().await;
        let store = Store::open_in_memory().unwrap();
        let id = store
            .add_source(NewSource {
                name: "f".into(),
                kind: crate::connectors::Registry::builtin()
                    .by_url()
                    .unwrap()
                    .kind()
                    .into(),
                url,
                schedule: None,
                category: None,
                settings: serde_json::json!({}),
                account: None,
            })
            .await
            .unwrap();
        let mut config = Config::default();
        config.fetch.allow_private_networks = true;
        let http = braid_core::http::SafeClient::new(config.http_config()).unwrap();
        let ctx = PollContext::new(store.clone(), Arc::new(config), http).unwrap();

        let source = store.source(id).await.unwrap().unwrap();
        let outcome = poll_source_with(&ctx, &source, crashing_prepare).await;
        let after = store.source(id).await.unwrap().unwrap();
        assert!(
            outcome.error.as_deref().unwrap_or("").contains("crashed"),
            "{outcome:?}"
        );
        assert_eq!(after.cursor, None, "the ETag must not be stored");
        assert_eq!(after.error_count, 1);
        assert!(after
            .last_error
            .as_deref()
            .unwrap()
            .contains("nothing was stored"));
        assert_eq!(after.item_count, 0);

        // The next, healthy poll gets every item: nothing was skipped.
        let outcome = poll_source_with(&ctx, &after, ingest::prepare).await;
        let healed = store.source(id).await.unwrap().unwrap();
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.stats.new, 2);
        assert_eq!(healed.item_count, 2);
        assert_eq!(healed.error_count, 0);
        assert!(healed.cursor.unwrap().contains("v1"));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(60, 3600, 1), Duration::from_secs(60));
        assert_eq!(backoff(60, 3600, 2), Duration::from_secs(120));
        assert_eq!(backoff(60, 3600, 4), Duration::from_secs(480));
        assert_eq!(backoff(60, 3600, 10), Duration::from_secs(3600));
        assert_eq!(backoff(60, 3600, 200), Duration::from_secs(3600));
    }
}
