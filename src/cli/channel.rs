//! `braid channel add|list|remove`: Braid-hosted targets. A channel is a named stream that
//! routes deliver into, served as its own Atom, RSS and JSON Feed.

use std::sync::Arc;

use clap::{Subcommand, ValueEnum};

use super::Out;
use crate::config::Config;
use crate::store::NewChannel;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AudienceArg {
    /// Public items only (the default).
    Public,
    /// Public and unlisted items.
    Unlisted,
    /// Followers-only items too: keep its feeds to yourself.
    Followers,
}

impl AudienceArg {
    fn as_str(self) -> &'static str {
        match self {
            AudienceArg::Public => "public",
            AudienceArg::Unlisted => "unlisted",
            AudienceArg::Followers => "followers_only",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Add a channel; routes deliver into it with `--to NAME`.
    Add {
        /// Its name: letters, digits, - and _ (it is part of its feeds' addresses).
        name: String,
        /// The title its feeds show.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// The most private items it may hold; a route never puts a more private item in it.
        #[arg(long, value_enum, default_value = "public")]
        audience: AudienceArg,
    },
    /// List channels with their feeds.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a channel and what routes put in it (the items stay in the timeline).
    Remove { name: String },
}

pub async fn channel(cmd: ChannelCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let mut out = Out::stdout();
    let base = if config.web.base_url.is_empty() {
        format!("http://{}/", config.web.listen)
    } else {
        format!("{}/", config.web.base_url.trim_end_matches('/'))
    };
    match cmd {
        ChannelCommand::Add {
            name,
            title,
            description,
            audience,
        } => {
            if !crate::routes::valid_channel_name(&name) {
                anyhow::bail!(
                    "{name:?} is not a channel name: use letters, digits, - and _ (at most 64)"
                );
            }
            store
                .add_channel(NewChannel {
                    name: name.clone(),
                    title,
                    description,
                    audience: audience.as_str().into(),
                    origin: "cli".into(),
                })
                .await?;
            writeln!(out, "Channel {name} added. Its feeds:")?;
            for ext in ["atom", "rss", "json"] {
                writeln!(out, "  {base}channels/{name}/feed.{ext}")?;
            }
            writeln!(
                out,
                "`braid route add NAME --from SOURCE --to {name}` fills it."
            )?;
        }
        ChannelCommand::List { json } => {
            let list = store.list_channels().await?;
            if json {
                out.json(&list)?;
            } else if list.is_empty() {
                writeln!(out, "No channels. `braid channel add NAME` makes one.")?;
            }
            for c in list.iter().filter(|_| !json) {
                writeln!(
                    out,
                    "{}{} ({}, {} items){}",
                    c.name,
                    c.title
                        .as_deref()
                        .map(|t| format!(" \"{t}\""))
                        .unwrap_or_default(),
                    c.audience,
                    c.items,
                    if c.origin == "config" {
                        " (from the config)"
                    } else {
                        ""
                    }
                )?;
                writeln!(out, "  {base}channels/{}/feed.atom", c.name)?;
            }
        }
        ChannelCommand::Remove { name } => {
            if !store.remove_channel(name.clone()).await? {
                anyhow::bail!("no channel named {name:?}; `braid channel list` shows them");
            }
            writeln!(out, "Channel {name} removed.")?;
        }
    }
    Ok(out.finish()?)
}
