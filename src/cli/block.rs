//! `braid block DOMAIN`, `braid block --list`, `braid block --remove DOMAIN`: domains nothing is
//! fetched from or delivered to (with their subdomains), besides `fetch.blocked_domains` in the
//! config. A running `braid run` applies a change within seconds.

use std::sync::Arc;

use braid_core::http::Blocklist;
use clap::Args;

use super::Out;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct BlockArgs {
    /// The domain to block (example.social); its subdomains are blocked with it.
    #[arg(required_unless_present = "list")]
    pub domain: Option<String>,
    /// Unblock DOMAIN instead (one blocked with `braid block`; the config's stay).
    #[arg(long, requires = "domain")]
    pub remove: bool,
    /// List the blocked domains, the config's and the database's.
    #[arg(long, conflicts_with_all = ["domain", "remove"])]
    pub list: bool,
}

pub async fn block(args: BlockArgs, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let mut out = Out::stdout();
    if args.list {
        for d in &config.fetch.blocked_domains {
            writeln!(out, "{d}\t(config: fetch.blocked_domains)")?;
        }
        for d in store.blocked_domains().await? {
            writeln!(out, "{d}")?;
        }
        return Ok(out.finish()?);
    }
    let raw = args.domain.unwrap_or_default();
    let domain = Blocklist::normalize(&raw).ok_or_else(|| {
        anyhow::anyhow!("{raw:?} is not a domain: give a host name such as example.social")
    })?;
    if args.remove {
        if store.unblock_domain(domain.clone()).await? {
            writeln!(out, "Unblocked {domain}.")?;
        } else if config
            .fetch
            .blocked_domains
            .iter()
            .any(|d| Blocklist::normalize(d).as_deref() == Some(&domain))
        {
            anyhow::bail!(
                "{domain} is blocked in the config (fetch.blocked_domains); remove it there"
            );
        } else {
            writeln!(out, "{domain} was not blocked.")?;
        }
    } else if store.block_domain(domain.clone()).await? {
        writeln!(
            out,
            "Blocked {domain} and its subdomains: nothing is fetched from or delivered to them, and their deliveries to Braid are refused."
        )?;
    } else {
        writeln!(out, "{domain} was blocked already.")?;
    }
    Ok(out.finish()?)
}
