//! `braid follow HANDLE|URL`: follow an account on the fediverse (or any network whose sources
//! are followed accounts) without an account of your own there. Its posts arrive pushed to
//! Braid's inbox while `braid run` serves the web (which needs `web.base_url`), and its outbox
//! is read on the source's schedule as well. `braid source remove NAME` unfollows.

use std::sync::Arc;

use clap::Args;

use super::Out;
use crate::config::Config;
use crate::connectors::Registry;
use crate::scheduler::cron_expr::parse_schedule;
use crate::subscribe::{self, Placement};
use braid_core::LoginContext;

#[derive(Debug, Args)]
pub struct FollowArgs {
    /// Whom: a handle (@user@example.social) or their profile's URL
    /// (https://example.social/users/user).
    pub target: String,
    /// A short name for the source (default: their handle).
    #[arg(long)]
    pub name: Option<String>,
    /// When to read their outbox as well, as cron (default: the config's
    /// scheduler.default_schedule); their posts arrive pushed in between.
    #[arg(long, value_name = "CRON")]
    pub schedule: Option<String>,
    /// A folder/category, kept in OPML export.
    #[arg(long)]
    pub category: Option<String>,
}

pub async fn follow(args: FollowArgs, config: Arc<Config>) -> anyhow::Result<()> {
    if let Some(s) = &args.schedule {
        parse_schedule(s).map_err(|e| anyhow::anyhow!("--schedule: {e}"))?;
    }
    if config.web_base_url()?.is_none() {
        anyhow::bail!(
            "following needs web.base_url: the address others reach this Braid at, where its \
             actor and inbox live"
        );
    }
    let store = super::open_store(&config)?;
    let ctx = LoginContext::new(braid_core::http::SafeClient::new(config.http_config())?);
    let placement = Placement {
        name: args.name,
        schedule: args.schedule,
        category: args.category,
    };
    let added =
        subscribe::follow(&store, &Registry::builtin(), &ctx, &args.target, placement).await?;
    let mut out = Out::stdout();
    writeln!(
        out,
        "Following {:?} ({}). The follow request goes out on its first poll (`braid sync --source {:?}`, or `braid run`).",
        added.name, added.url, added.name
    )?;
    Ok(out.finish()?)
}
