//! `braid source add | list | remove | enable`.

use std::sync::Arc;

use clap::Subcommand;

use super::Out;
use crate::config::Config;
use crate::scheduler::cron_expr::parse_schedule;
use crate::store::{NewSource, SourceRecord, Store, StoreError};

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Subscribe to a feed. Give the feed's URL, or a site's home page and Braid finds the
    /// feed the page links to.
    Add {
        /// Feed URL or web page URL. Not needed with --account.
        #[arg(required_unless_present = "account")]
        url: Option<String>,
        /// Read a timeline of this account (see `braid account list`) instead of a feed.
        #[arg(long, value_name = "ACCOUNT", conflicts_with = "url")]
        account: Option<String>,
        /// With --account: home, list:ID, tag:NAME (a hashtag) or account:ID (one account's
        /// statuses).
        #[arg(
            long,
            value_name = "TIMELINE",
            requires = "account",
            default_value = "home"
        )]
        timeline: String,
        /// With --account: statuses fetched on the first poll.
        #[arg(long, requires = "account", default_value_t = crate::connectors::DEFAULT_BACKFILL)]
        backfill: u32,
        /// A short name for the source (default: the feed's title).
        #[arg(long)]
        name: Option<String>,
        /// When to poll, as cron: "*/15 * * * *" is every 15 minutes (default: the config's
        /// scheduler.default_schedule).
        #[arg(long, value_name = "CRON")]
        schedule: Option<String>,
        /// A folder/category, kept in OPML export.
        #[arg(long)]
        category: Option<String>,
    },
    /// List sources with their health: last success, last error, next poll, item count.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source and its items.
    Remove {
        /// Source name (or URL).
        name: String,
    },
    /// Re-enable a source that was disabled after errors, and poll it on the next tick.
    Enable {
        /// Source name (or URL).
        name: String,
    },
}

pub async fn source(cmd: SourceCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    match cmd {
        SourceCommand::Add {
            url,
            account,
            timeline,
            backfill,
            name,
            schedule,
            category,
        } => match (url, account) {
            (_, Some(account)) => add_timeline(&store, &account, &timeline, name, backfill).await,
            (Some(url), None) => add(&store, &config, &url, name, schedule, category).await,
            (None, None) => Err(anyhow::anyhow!(
                "give a feed URL, or --account NAME for an account's timeline"
            )),
        },
        SourceCommand::List { json } => list(&store, json).await,
        SourceCommand::Remove { name } => {
            let s = super::find_source(&store, &name).await?;
            store.remove_source(s.id).await?;
            let mut out = Out::stdout();
            writeln!(out, "Removed {} and its items.", s.name)?;
            Ok(out.finish()?)
        }
        SourceCommand::Enable { name } => {
            let s = super::find_source(&store, &name).await?;
            store.enable_source(s.id).await?;
            let mut out = Out::stdout();
            writeln!(out, "Enabled {}; it will be polled on the next scheduler tick (or run `braid sync --source {:?}`).", s.name, s.name)?;
            Ok(out.finish()?)
        }
    }
}

async fn add(
    store: &Store,
    config: &Config,
    raw_url: &str,
    name: Option<String>,
    schedule: Option<String>,
    category: Option<String>,
) -> anyhow::Result<()> {
    if let Some(s) = &schedule {
        parse_schedule(s).map_err(|e| anyhow::anyhow!("--schedule: {e}"))?;
    }
    // The same rule as `braid opml import`.
    let url = super::check_feed_url(raw_url, config.fetch.allow_private_networks)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(existing) = store.find_source(url.as_str()).await? {
        anyhow::bail!("already subscribed to {url} as {:?}", existing.name);
    }
    let http = braid_core::http::SafeClient::new(config.http_config())?;
    let found = braid_feed::discover(&http, &url)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let feed_url = found.feed_url.to_string();
    if let Some(existing) = store.find_source(&feed_url).await? {
        anyhow::bail!("already subscribed to {feed_url} as {:?}", existing.name);
    }
    let title = found.title.clone().unwrap_or_default();
    let name = match name {
        Some(n) => n,
        None => unique_name(store, &title, &feed_url).await?,
    };
    let id = store
        .add_source(NewSource {
            name: name.clone(),
            kind: "feed".into(),
            url: feed_url.clone(),
            schedule,
            category,
            settings: serde_json::json!({}),
            account: None,
        })
        .await
        .map_err(|e| match e {
            StoreError::DuplicateName(n) => {
                anyhow::anyhow!("a source named {n:?} already exists; choose another with --name")
            }
            other => other.into(),
        })?;
    tracing::debug!(source_id = %id, "source added");
    let mut out = Out::stdout();
    if feed_url != url.as_str() {
        writeln!(out, "Found the feed {feed_url} on {url}.")?;
    }
    writeln!(out, "Added {name:?} ({feed_url}). Run `braid sync` to fetch it now, or `braid run` to keep it fresh.")?;
    Ok(out.finish()?)
}

async fn add_timeline(
    store: &Store,
    account: &str,
    timeline: &str,
    name: Option<String>,
    backfill: u32,
) -> anyhow::Result<()> {
    let record = store.find_account(account).await?.ok_or_else(|| {
        anyhow::anyhow!("no account named {account:?}; `braid account list` shows them")
    })?;
    let instance = url::Url::parse(record.server_url.as_deref().unwrap_or_default())?;
    let acct = record.handle.clone().unwrap_or_else(|| record.name.clone());
    crate::accounts::add_timeline_source(
        store, record.id, &instance, &acct, timeline, name, backfill,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = Out::stdout();
    writeln!(
        out,
        "Added the {timeline} timeline of {}. Run `braid sync` to fetch it now.",
        record.name
    )?;
    Ok(out.finish()?)
}

/// The name a source gets before any clash: the title with its spaces tidied, else the host.
pub fn base_name(title: &str, url: &str) -> String {
    if title.trim().is_empty() {
        url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| url.to_owned())
    } else {
        title.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// A name not yet taken: the title, else the host, with " (2)", " (3)" … when needed.
pub async fn unique_name(store: &Store, title: &str, url: &str) -> anyhow::Result<String> {
    let base = base_name(title, url);
    let mut candidate = base.clone();
    let mut n = 2;
    while store.find_source(&candidate).await?.is_some() {
        candidate = format!("{base} ({n})");
        n += 1;
    }
    Ok(candidate)
}

async fn list(store: &Store, json: bool) -> anyhow::Result<()> {
    let sources = store.list_sources().await?;
    let mut out = Out::stdout();
    if json {
        out.json(&sources)?;
        return Ok(out.finish()?);
    }
    if sources.is_empty() {
        writeln!(out, "No sources yet. Add one with `braid source add URL`.")?;
        return Ok(out.finish()?);
    }
    let name_w = sources
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    writeln!(
        out,
        "{:<name_w$}  {:<12}  {:>6}  {:<12}  {:<12}  URL",
        "NAME", "STATUS", "ITEMS", "LAST OK", "NEXT POLL"
    )?;
    for s in &sources {
        writeln!(
            out,
            "{:<name_w$}  {:<12}  {:>6}  {:<12}  {:<12}  {}",
            truncate(&s.name, name_w),
            status(s),
            s.item_count,
            super::relative_time(s.last_success),
            if s.enabled {
                super::relative_time(s.next_poll)
            } else {
                "-".into()
            },
            s.url
        )?;
        if let Some(reason) = &s.disabled_reason {
            writeln!(out, "{:<name_w$}  disabled: {reason}", "")?;
        } else if let (Some(err), true) = (
            &s.last_error,
            s.error_count > 0 || s.last_error_at > s.last_success,
        ) {
            writeln!(
                out,
                "{:<name_w$}  last error ({}): {err}",
                "",
                super::relative_time(s.last_error_at)
            )?;
        } else if let Some(warning) = &s.last_warning {
            writeln!(out, "{:<name_w$}  read with losses: {warning}", "")?;
        }
    }
    Ok(out.finish()?)
}

fn status(s: &SourceRecord) -> String {
    if !s.enabled {
        "disabled".into()
    } else if s.error_count > 0 {
        format!("failing ({})", s.error_count)
    } else if s.last_success.is_none() {
        "new".into()
    } else if s.last_warning.is_some() {
        "partial".into()
    } else {
        "ok".into()
    }
}

fn truncate(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_owned()
    } else {
        s.chars().take(w.saturating_sub(1)).collect::<String>() + "…"
    }
}
