//! `braid source add | list | remove | enable`.

use std::sync::Arc;

use clap::Subcommand;

use super::Out;
use crate::config::Config;
use crate::connectors::Registry;
use crate::scheduler::cron_expr::parse_schedule;
use crate::store::{SourceRecord, Store};
use crate::subscribe::{self, Placement};
use braid_core::LoginContext;

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
        /// With --account: entries fetched on the first poll (default: the network's, 40 on
        /// the Mastodon API family).
        #[arg(long, requires = "account")]
        backfill: Option<u32>,
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
        } => {
            let placement = Placement {
                name,
                schedule,
                category,
            };
            match (url, account) {
                (_, Some(account)) => {
                    add_timeline(&store, &account, &timeline, backfill, placement).await
                }
                (Some(url), None) => add(&store, &config, &url, placement).await,
                (None, None) => Err(anyhow::anyhow!(
                    "give a feed URL, or --account NAME for an account's timeline"
                )),
            }
        }
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
    placement: Placement,
) -> anyhow::Result<()> {
    if let Some(s) = &placement.schedule {
        parse_schedule(s).map_err(|e| anyhow::anyhow!("--schedule: {e}"))?;
    }
    // The same rule as `braid opml import`.
    let url = super::check_feed_url(raw_url, config.fetch.allow_private_networks)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ctx = LoginContext::new(braid_core::http::SafeClient::new(config.http_config())?);
    let added = subscribe::by_url(store, &Registry::builtin(), &ctx, &url, placement).await?;
    let mut out = Out::stdout();
    if let Some(page) = &added.found_from {
        writeln!(out, "Found the feed {} on {page}.", added.url)?;
    }
    writeln!(
        out,
        "Added {:?} ({}). Run `braid sync` to fetch it now, or `braid run` to keep it fresh.",
        added.name, added.url
    )?;
    Ok(out.finish()?)
}

async fn add_timeline(
    store: &Store,
    account: &str,
    timeline: &str,
    backfill: Option<u32>,
    placement: Placement,
) -> anyhow::Result<()> {
    let record = store.find_account(account).await?.ok_or_else(|| {
        anyhow::anyhow!("no account named {account:?}; `braid account list` shows them")
    })?;
    subscribe::timeline(
        store,
        &Registry::builtin(),
        &record,
        timeline,
        backfill,
        placement,
    )
    .await?;
    let mut out = Out::stdout();
    writeln!(
        out,
        "Added the {timeline} timeline of {}. Run `braid sync` to fetch it now.",
        record.name
    )?;
    Ok(out.finish()?)
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
    if s.paused {
        "paused".into()
    } else if !s.enabled {
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
