//! `braid channel add|list|publish|unpublish|remove`: Braid-hosted targets. A channel is a named stream that
//! routes deliver into, served as its own Atom, RSS and JSON Feed.

use std::sync::Arc;

use clap::{Subcommand, ValueEnum};

use super::Out;
use crate::config::Config;
use crate::followers;

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
        /// Publish it: its public items are served without a feed token (never anything less
        /// public). Without it, its feeds need a link from `braid feeds link NAME`.
        #[arg(long)]
        public: bool,
    },
    /// Publish a channel: its public items are served to anyone, without a token.
    Publish { name: String },
    /// Stop publishing a channel: its feeds need a token again.
    Unpublish { name: String },
    /// List channels with their feeds.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a channel and what routes put in it (the items stay in the timeline).
    Remove { name: String },
    /// Whether follow requests (on the fediverse) wait for your approval: `--approve` makes
    /// them wait, `--open` accepts them at once (the default).
    Follows {
        name: String,
        #[arg(long, conflicts_with = "open", required_unless_present = "open")]
        approve: bool,
        #[arg(long)]
        open: bool,
    },
    /// Who follows a published channel (on the fediverse), and who is waiting for approval.
    Followers { name: String },
    /// Accept a follow request waiting for approval (FOLLOWER: their actor's address, as
    /// `braid channel followers` lists it).
    Accept { name: String, follower: String },
    /// Refuse a follow request waiting for approval.
    Refuse { name: String, follower: String },
}

pub async fn channel(cmd: ChannelCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let mut out = Out::stdout();
    let base = config.public_url()?;
    match cmd {
        ChannelCommand::Add {
            name,
            title,
            description,
            audience,
            public,
        } => {
            let new = crate::routes::new_channel(
                &name,
                title,
                description,
                audience.as_str(),
                public,
                "cli",
            )
            .map_err(anyhow::Error::msg)?;
            let name = new.name.clone();
            store.add_channel(new).await?;
            if public {
                writeln!(out, "Channel {name} added and published. Its feeds:")?;
                for ext in ["atom", "rss", "json"] {
                    writeln!(out, "  {base}channels/{name}/feed.{ext}")?;
                }
            } else {
                writeln!(
                    out,
                    "Channel {name} added. Its feeds are private: `braid feeds link {name}` \
                     makes a link for a feed reader, `braid channel publish {name}` opens \
                     its public items to anyone."
                )?;
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
                    "{}{} ({}{}, {} items){}",
                    c.name,
                    c.title
                        .as_deref()
                        .map(|t| format!(" \"{t}\""))
                        .unwrap_or_default(),
                    c.audience,
                    if c.published { ", published" } else { "" },
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
        ChannelCommand::Publish { name } => publish(&store, &mut out, &base, name, true).await?,
        ChannelCommand::Unpublish { name } => publish(&store, &mut out, &base, name, false).await?,
        ChannelCommand::Remove { name } => {
            if !store.remove_channel(name.clone()).await? {
                anyhow::bail!("no channel named {name:?}; `braid channel list` shows them");
            }
            writeln!(out, "Channel {name} removed.")?;
        }
        ChannelCommand::Follows { name, approve, .. } => {
            if !store
                .set_channel_approve_follows(name.clone(), approve)
                .await?
            {
                anyhow::bail!("no channel named {name:?}; `braid channel list` shows them");
            }
            if approve {
                writeln!(
                    out,
                    "Follow requests for {name} now wait for `braid channel accept`."
                )?;
            } else {
                writeln!(out, "Follow requests for {name} are now accepted at once.")?;
            }
        }
        ChannelCommand::Followers { name } => {
            let publishers = followers::publishers(&config, &store).await?;
            let list = followers::list(&publishers, &name).await?;
            for f in &list {
                let state = if f.view.pending {
                    "waiting for approval"
                } else {
                    "follows"
                };
                writeln!(
                    out,
                    "{}\t{state}\tsince {}\t({})",
                    f.view.id,
                    f.view.since.format("%Y-%m-%d"),
                    f.kind
                )?;
            }
            if list.is_empty() {
                writeln!(out, "No followers of {name} yet.")?;
            }
        }
        ChannelCommand::Accept { name, follower } => {
            answer(&config, &store, &mut out, &name, &follower, true).await?;
        }
        ChannelCommand::Refuse { name, follower } => {
            answer(&config, &store, &mut out, &name, &follower, false).await?;
        }
    }
    Ok(out.finish()?)
}

/// Accepts or refuses `follower`'s request to follow `name`; the answer is queued in the
/// outbox, which `braid run` delivers.
async fn answer(
    config: &Arc<Config>,
    store: &crate::store::Store,
    out: &mut Out,
    name: &str,
    follower: &str,
    accept: bool,
) -> anyhow::Result<()> {
    let publishers = followers::publishers(config, store).await?;
    followers::answer(&publishers, store, name, follower, accept).await?;
    let word = if accept { "Accepted" } else { "Refused" };
    writeln!(
        out,
        "{word} {follower}'s follow of {name}; `braid run` tells them."
    )?;
    Ok(())
}

async fn publish(
    store: &crate::store::Store,
    out: &mut Out,
    base: &url::Url,
    name: String,
    publish: bool,
) -> anyhow::Result<()> {
    if !store.set_channel_published(name.clone(), publish).await? {
        anyhow::bail!("no channel named {name:?}; `braid channel list` shows them");
    }
    if publish {
        writeln!(
            out,
            "Channel {name} is published: {base}channels/{name}/feed.atom serves its public items to anyone."
        )?;
    } else {
        writeln!(
            out,
            "Channel {name} is no longer published: its feeds need a token (`braid feeds link {name}`)."
        )?;
    }
    Ok(())
}
