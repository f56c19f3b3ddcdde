//! `braid post`: publish one post through one account now. The first cross-post path; the
//! delivery engine with many targets and a durable outbox builds on `crate::publish`.

use std::path::PathBuf;
use std::sync::Arc;

use std::io::Write;

use braid_core::Visibility;
use clap::{Args, ValueEnum};

use crate::config::Config;
use crate::outbox::{self, Draft};
use crate::store::{AccountRecord, DeliveryState};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VisibilityArg {
    /// Everyone, listed in public timelines.
    Public,
    /// Everyone with the link, not listed.
    Unlisted,
    /// Your followers only.
    Followers,
    /// Only the people mentioned.
    Direct,
}

impl From<VisibilityArg> for Visibility {
    fn from(v: VisibilityArg) -> Self {
        match v {
            VisibilityArg::Public => Visibility::Public,
            VisibilityArg::Unlisted => Visibility::Unlisted,
            VisibilityArg::Followers => Visibility::FollowersOnly,
            VisibilityArg::Direct => Visibility::Direct,
        }
    }
}

#[derive(Debug, Args)]
pub struct PostArgs {
    /// The text of the post.
    pub text: String,
    /// The accounts to post as, comma-separated (see `braid account list`).
    #[arg(
        long,
        value_name = "ACCOUNT[,ACCOUNT…]",
        value_delimiter = ',',
        required = true
    )]
    pub to: Vec<String>,
    /// A content warning shown before the text.
    #[arg(long, value_name = "TEXT")]
    pub cw: Option<String>,
    /// Who may see it.
    #[arg(long, value_enum, default_value = "public")]
    pub visibility: VisibilityArg,
    /// Language of the text (ISO 639, e.g. en).
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// Reply to this post (its id or URL on that server, or the id printed by an earlier
    /// `braid post`), for threads.
    #[arg(long, value_name = "ID")]
    pub reply_to: Option<String>,
    /// Attach a media file (repeatable); its type is taken from the file name.
    #[arg(long, value_name = "FILE")]
    pub media: Vec<PathBuf>,
    /// Alt text for each --media, in the same order.
    #[arg(long, value_name = "TEXT")]
    pub alt: Vec<String>,
    /// The post's key: running `braid post` again with the same key queues nothing new and
    /// shows the first run's outcome, so a retried command never posts twice. Default: a
    /// fresh random key.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub key: Option<String>,
}

/// Queues the post for every target (printing `queued post ID for A, B` as soon as it is
/// durably queued, before any network call), delivers it, and prints each target's outcome.
/// Killed after the first line, `braid run` delivers what is left, exactly once.
pub async fn post(args: PostArgs, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let http = braid_core::http::SafeClient::new(config.http_config())?;
    let ctx = Arc::new(
        crate::scheduler::PollContext::new(store.clone(), config.clone(), http)
            .map_err(anyhow::Error::msg)?,
    );
    if args.alt.len() > args.media.len() {
        anyhow::bail!(
            "more --alt texts ({}) than --media files ({})",
            args.alt.len(),
            args.media.len()
        );
    }
    let mut targets: Vec<AccountRecord> = Vec::new();
    for name in args.to.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let account = store.find_account(name).await?.ok_or_else(|| {
            anyhow::anyhow!("no account named {name:?}; `braid account list` shows them")
        })?;
        if !targets.iter().any(|t| t.id == account.id) {
            targets.push(account);
        }
    }
    if targets.is_empty() {
        anyhow::bail!("--to names no account");
    }
    let mut media = Vec::new();
    for (i, path) in args.media.iter().enumerate() {
        media.push(outbox::read_media(path, args.alt.get(i).cloned()).map_err(anyhow::Error::msg)?);
    }
    let draft = Draft {
        text: args.text,
        content_warning: args.cw,
        visibility: args.visibility.into(),
        language: args.language,
        reply_to: args.reply_to,
    };
    let (post, fresh) = outbox::queue(&ctx, &draft, media, &targets, args.key, None).await?;
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "queued post {post} for {}{}",
        names.join(", "),
        if fresh {
            ""
        } else {
            " (queued before with this key)"
        }
    )?;
    out.flush()?;
    drop(out);

    let deliveries = outbox::deliver_post(&ctx, post).await?;
    let mut failures = Vec::new();
    for d in &deliveries {
        let handle = targets
            .iter()
            .find(|t| Some(t.id) == d.account)
            .and_then(|t| t.handle.clone())
            .unwrap_or_else(|| d.target.clone());
        match d.state {
            DeliveryState::Done => {
                let remote = d.remote_id.clone().unwrap_or_default();
                println!(
                    "Posted as {handle}: {}",
                    d.url.as_deref().unwrap_or(&remote)
                );
                println!("id: {remote}");
            }
            DeliveryState::Failed | DeliveryState::Cancelled => {
                let reason = d
                    .last_error
                    .clone()
                    .unwrap_or_else(|| d.state.as_str().into());
                failures.push((d.target.clone(), reason));
            }
            DeliveryState::Pending | DeliveryState::InFlight => println!(
                "{}: not delivered yet ({}); next attempt {}; `braid run` delivers it",
                d.target,
                d.last_error.as_deref().unwrap_or("waiting"),
                super::relative_time(Some(d.next_attempt))
            ),
        }
    }
    match failures.as_slice() {
        [] => Ok(()),
        [(_, reason)] if deliveries.len() == 1 => Err(anyhow::anyhow!("{reason}")),
        many => {
            for (target, reason) in many {
                eprintln!("{target}: failed: {reason}");
            }
            Err(anyhow::anyhow!(
                "{} of {} deliveries failed; `braid outbox` lists them, `braid outbox retry ID` tries again",
                many.len(),
                deliveries.len()
            ))
        }
    }
}
