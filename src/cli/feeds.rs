//! `braid feeds`: the feeds Braid serves, and private links to them for feed readers. Every
//! served feed needs a token in its address (`?token=…`) unless it is a published channel's
//! (and then only its public items are served without one). A link is printed once, when it
//! is made; Braid keeps only the token's hash, and revoking it ends that reader's access.

use std::sync::Arc;

use clap::{Args, Subcommand};

use super::Out;
use crate::auth;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct FeedsArgs {
    #[command(subcommand)]
    pub command: Option<FeedsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// List the served feeds and the links made for them (the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Make a private link for a feed reader and print its Atom, RSS and JSON Feed addresses
    /// (once: Braid keeps only the token's hash).
    Link {
        /// A channel's name; without it, the merged timeline.
        channel: Option<String>,
        /// A name to know the link by ("phone reader"), unique per feed.
        #[arg(long, default_value = "reader")]
        name: String,
    },
    /// Revoke a link by its number (from `braid feeds`).
    Revoke { id: i64 },
}

pub async fn feeds(args: FeedsArgs, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let mut out = Out::stdout();
    let base = config.public_url()?;
    match args.command.unwrap_or(FeedsCommand::List { json: false }) {
        FeedsCommand::List { json } => {
            let links = store.list_feed_tokens().await?;
            let channels = store.list_channels().await?;
            if json {
                out.json(&serde_json::json!({ "links": links, "channels": channels }))?;
                return Ok(out.finish()?);
            }
            writeln!(
                out,
                "The merged timeline: {base}feed.atom (.rss, .json); needs a link"
            )?;
            for c in &channels {
                writeln!(
                    out,
                    "Channel {}: {base}channels/{}/feed.atom (.rss, .json); {}",
                    c.name,
                    c.name,
                    if c.published {
                        "published: public items to anyone, everything with a link"
                    } else {
                        "needs a link"
                    }
                )?;
            }
            if links.is_empty() {
                writeln!(out, "No links yet. `braid feeds link [CHANNEL]` makes one.")?;
            } else {
                writeln!(out, "Links:")?;
                for l in links {
                    writeln!(
                        out,
                        "  #{}  {}  {:?}  made {}  last used {}",
                        l.id,
                        l.channel
                            .as_deref()
                            .map(|c| format!("channel {c}"))
                            .unwrap_or_else(|| "timeline".into()),
                        l.name,
                        l.created_at.format("%Y-%m-%d"),
                        l.used_at
                            .map(|u| u.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_else(|| "never".into())
                    )?;
                }
            }
        }
        FeedsCommand::Link { channel, name } => {
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 64 {
                anyhow::bail!("a link's name must be 1 to 64 characters");
            }
            let token = auth::new_token()?;
            store
                .add_feed_token(channel.clone(), name, auth::token_hash(&token))
                .await?;
            let path = match &channel {
                Some(c) => format!("channels/{c}/"),
                None => String::new(),
            };
            for ext in ["atom", "rss", "json"] {
                writeln!(out, "{base}{path}feed.{ext}?token={token}")?;
            }
            eprintln!(
                "Shown this once. Anyone with one of these addresses can read the feed; `braid feeds revoke` ends it."
            );
        }
        FeedsCommand::Revoke { id } => {
            if !store.revoke_feed_token(id).await? {
                anyhow::bail!("no feed link #{id}; `braid feeds` lists them");
            }
            writeln!(out, "Feed link #{id} revoked.")?;
        }
    }
    Ok(out.finish()?)
}
