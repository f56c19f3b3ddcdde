//! `braid post`: publish one post through one account now. The first cross-post path; the
//! delivery engine with many targets and a durable outbox builds on `crate::publish`.

use std::path::PathBuf;
use std::sync::Arc;

use braid_core::Visibility;
use clap::{Args, ValueEnum};

use crate::config::Config;

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
    /// The account to post as (see `braid account list`).
    #[arg(long, value_name = "ACCOUNT")]
    pub to: String,
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
    /// Idempotency key: retrying with the same key does not make a second post, but only on
    /// servers that honour Idempotency-Key (Mastodon does); elsewhere each run posts again.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub key: Option<String>,
}

pub async fn post(args: PostArgs, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let ctx = crate::connectors::ConnectorContext::new(braid_core::http::SafeClient::new(
        config.http_config(),
    )?);
    if args.alt.len() > args.media.len() {
        anyhow::bail!(
            "more --alt texts ({}) than --media files ({})",
            args.alt.len(),
            args.media.len()
        );
    }
    let mut media = Vec::new();
    for (i, path) in args.media.iter().enumerate() {
        media.push(
            crate::publish::read_media(path, args.alt.get(i).cloned())
                .map_err(anyhow::Error::msg)?,
        );
    }
    let draft = crate::publish::Draft {
        text: args.text,
        content_warning: args.cw,
        visibility: args.visibility.into(),
        language: args.language,
        media,
        reply_to: args.reply_to,
    };
    let (account, published) =
        crate::publish::publish_now(&store, &ctx, &args.to, draft, args.key).await?;
    println!(
        "Posted as {}: {}",
        account.handle.as_deref().unwrap_or(&account.name),
        published
            .url
            .as_deref()
            .unwrap_or(published.remote_id.as_str())
    );
    println!("id: {}", published.remote_id);
    Ok(())
}
