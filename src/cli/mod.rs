//! The command line. `braid --help` is the first thing a newcomer reads, so every command and
//! flag says what it does in plain words. One file per command group.

mod account;
mod block;
mod channel;
mod feed_url;
mod feeds;
mod follow;
mod opml_cmd;
mod out;
mod outbox_cmd;
mod owner;
mod post;
mod route;
mod run;
mod source;
mod sync;
mod timeline;
mod token;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, LogFormat};
use crate::store::Store;

pub use feed_url::{check_feed_url, Refusal};
pub use out::{JsonArray, Out, OutputError};

#[derive(Debug, Parser)]
#[command(
    name = "braid",
    version,
    about = "Braid merges your feeds (RSS, Atom, JSON Feed) and social accounts into one \
             searchable timeline you read in the browser or as a feed of its own, and posts to \
             those accounts.",
    long_about = "Braid merges your feeds (RSS, Atom, JSON Feed) and social accounts into one \
                  searchable timeline you read in the browser or as a feed of its own, and \
                  posts to those accounts (`braid account add`, `braid post`).\n\n\
                  Quick start:\n  \
                  braid source add https://example.com/       find and subscribe to a site's feed\n  \
                  braid sync                                  fetch every source once now\n  \
                  braid run                                   keep polling and serve http://127.0.0.1:8080\n\n\
                  The first `braid run` prints a one-time link to set the owner's password; \
                  every page needs it (`braid owner set-password` sets it from the shell).\n\n\
                  Everything lives in one SQLite file (./braid.db unless --db says otherwise).",
    after_help = "Settings come from --config FILE (else ./braid.toml when present), then BRAID_* \
                  environment variables (BRAID_DB, BRAID_LISTEN, BRAID_ALLOW_PRIVATE_NETWORKS=1, \
                  BRAID_LOG), then flags. See config.example.toml for every option.\n\n\
                  Results go to stdout and logs to stderr: warnings and errors only, INFO too for \
                  `braid run`, coloured only on a terminal and never when NO_COLOR is set."
)]
pub struct Cli {
    /// Config file (TOML). Default: ./braid.toml if it exists, else built-in defaults.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// SQLite database file. Default: ./braid.db (env BRAID_DB).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Log level: off, error, warn, info, debug, trace, or a filter like "braid=debug,warn"
    /// (env BRAID_LOG). Default: warn, and info for `braid run`.
    #[arg(long, global = true, value_name = "LEVEL", value_parser = crate::config::log_level::parse)]
    pub log_level: Option<String>,
    /// Log format: text for people, json for log collectors.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run Braid: poll sources on their schedules and serve the web UI (Ctrl-C stops cleanly).
    Run(run::RunArgs),
    /// Poll sources once now, show what changed, and exit.
    Sync(sync::SyncArgs),
    /// Add, list, remove or re-enable sources (feeds).
    #[command(subcommand)]
    Source(source::SourceCommand),
    /// Follow someone on the fediverse by handle (@user@host) or profile URL, without an
    /// account of your own there: their posts join your timeline.
    Follow(follow::FollowArgs),
    /// Block a domain (and its subdomains): nothing is fetched from it or delivered to it, and
    /// its servers' deliveries to Braid are refused. `--list` shows them, `--remove` unblocks.
    Block(block::BlockArgs),
    /// Log in to Mastodon-family accounts (Mastodon, Pleroma/Akkoma, Friendica, GoToSocial,
    /// Firefish) so their timelines join yours.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Import or export subscriptions as OPML (the format feed readers exchange).
    #[command(subcommand)]
    Opml(opml_cmd::OpmlCommand),
    /// Publish a post through your accounts and in your channels: queued first (so it
    /// survives a crash), then delivered to each account, exactly once.
    Post(post::PostArgs),
    /// What `braid post` and routes queued and where each delivery stands; retry or cancel
    /// one; edit or delete every copy of a post.
    Outbox(outbox_cmd::OutboxArgs),
    /// Bridging rules: carry new items from sources or accounts to accounts and channels.
    #[command(subcommand)]
    Route(route::RouteCommand),
    /// Channels: Braid-hosted streams with their own feeds, filled by routes.
    #[command(subcommand)]
    Channel(channel::ChannelCommand),
    /// Print the merged timeline, newest first.
    Timeline(timeline::TimelineArgs),
    /// The web UI's owner: set the password, end browser sessions.
    #[command(subcommand)]
    Owner(owner::OwnerCommand),
    /// API tokens for scripts (`Authorization: Bearer TOKEN`): create, list, revoke.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// The feeds Braid serves, and private links to them for feed readers.
    Feeds(feeds::FeedsArgs),
}

impl Command {
    /// The log level when none is configured: the daemon reports what it does (INFO); a
    /// one-shot command prints its result on stdout and keeps stderr for warnings and errors.
    pub fn default_log_level(&self) -> &'static str {
        match self {
            Command::Run(_) => "info",
            _ => "warn",
        }
    }
}

/// Loads the configuration with flags applied on top.
pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(db) = &cli.db {
        config.storage.db = db.clone();
    }
    if let Some(level) = &cli.log_level {
        config.log.level = Some(level.clone());
    }
    if let Some(format) = cli.log_format {
        config.log.format = format;
    }
    Ok(config)
}

/// Opens the database named by the config.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    let path = &config.storage.db;
    Store::open(path).with_context(|| format!("could not open the database {}", path.display()))
}

/// The pipeline's context for a one-shot command (the store, the safe HTTP client, the
/// connector registry).
pub fn context(config: &Arc<Config>) -> anyhow::Result<Arc<crate::scheduler::PollContext>> {
    let store = open_store(config)?;
    let http = braid_core::http::SafeClient::new(config.http_config())?;
    let ctx = Arc::new(
        crate::scheduler::PollContext::new(store, config.clone(), http)
            .map_err(anyhow::Error::msg)?,
    );
    Ok(ctx)
}

/// Runs the parsed command.
pub async fn dispatch(cli: Cli, config: Config) -> anyhow::Result<()> {
    let config = Arc::new(config);
    match cli.command {
        Command::Run(args) => run::run(args, config).await,
        Command::Sync(args) => sync::sync(args, config).await,
        Command::Source(cmd) => source::source(cmd, config).await,
        Command::Follow(args) => follow::follow(args, config).await,
        Command::Block(args) => block::block(args, config).await,
        Command::Account(cmd) => account::account(cmd, config).await,
        Command::Opml(cmd) => opml_cmd::opml(cmd, config).await,
        Command::Post(args) => post::post(args, config).await,
        Command::Outbox(args) => outbox_cmd::outbox(args, config).await,
        Command::Route(cmd) => route::route(cmd, config).await,
        Command::Channel(cmd) => channel::channel(cmd, config).await,
        Command::Timeline(args) => timeline::timeline(args, config).await,
        Command::Owner(cmd) => owner::owner(cmd, config).await,
        Command::Token(cmd) => token::token(cmd, config).await,
        Command::Feeds(args) => feeds::feeds(args, config).await,
    }
}

/// Finds a source by name or URL, with an error that says how to list them.
pub async fn find_source(store: &Store, name: &str) -> anyhow::Result<crate::store::SourceRecord> {
    store
        .find_source(name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no source named {name:?}; `braid source list` shows them"))
}

/// "3 min ago" / "in 12 min" for tables.
pub fn relative_time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let Some(t) = t else { return "never".into() };
    let secs = (t - chrono::Utc::now()).num_seconds();
    let (abs, future) = (secs.unsigned_abs(), secs > 0);
    let span = match abs {
        0..=59 => format!("{abs} s"),
        60..=3599 => format!("{} min", abs / 60),
        3600..=86399 => format!("{} h", abs / 3600),
        _ => format!("{} d", abs / 86400),
    };
    if future {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}
