//! `braid post`: compose once, deliver to many accounts through the outbox (`crate::outbox`),
//! each fitted to its network, and publish into channels (`--channel`); `--preview` shows
//! what each would receive.

use std::path::PathBuf;
use std::sync::Arc;

use std::io::Write;

use braid_core::Visibility;
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use crate::config::Config;
use crate::outbox::{self, Draft, PostOptions, Queued};
use crate::store::{AccountRecord, ChannelRecord, DeliveryState};
use braid_core::fit::LongText;

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
        required_unless_present = "channel"
    )]
    pub to: Vec<String>,
    /// Channels to publish it in, comma-separated (see `braid channel list`): it becomes an
    /// item of Braid's own there at once, with the whole text and every file, and only if
    /// it is at least as public as the channel's audience.
    #[arg(long, value_name = "CHANNEL[,CHANNEL…]", value_delimiter = ',')]
    pub channel: Vec<String>,
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
    /// Send it later: an RFC 3339 time (2026-12-24T18:00:00+01:00) or a delay from now (+90s,
    /// +30m, +2h, +1d). `braid run` sends it when the time comes.
    #[arg(long, value_name = "TIME", value_parser = parse_at, allow_hyphen_values = true)]
    pub at: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub long: LongArgs,
    /// The address of the original, linked at the end of a truncated post.
    #[arg(long, value_name = "URL")]
    pub link: Option<String>,
    /// Print exactly what each target would receive (its thread parts, truncation, files
    /// left out) and send nothing.
    #[arg(long, conflicts_with_all = ["key", "at", "wait"])]
    pub preview: bool,
    /// Wait until every delivery is done or has failed, retrying as the outbox does, instead
    /// of leaving retries to `braid run`.
    #[arg(long)]
    pub wait: bool,
}

/// `--at`: RFC 3339, or `+N` with a unit (s, m, h, d) from now.
fn parse_at(raw: &str) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Some(delay) = raw.strip_prefix('+') {
        let split = delay
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(delay.len());
        let (n, unit) = delay.split_at(split);
        let n: i64 = n
            .parse()
            .map_err(|_| format!("{raw:?}: give +N with a unit, like +30m or +2h"))?;
        let seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(format!("{raw:?}: the unit is s, m, h or d (+30m, +2h)")),
        };
        let delay = n
            .checked_mul(seconds)
            .filter(|s| *s <= 366 * 86_400)
            .ok_or_else(|| format!("{raw:?}: at most a year ahead"))?;
        return Ok(Utc::now() + chrono::Duration::seconds(delay));
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{raw:?} is neither an RFC 3339 time nor a delay like +2h: {e}"))
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
    crate::listeners::apply_blocks(&ctx).await?;
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
    let mut channels: Vec<ChannelRecord> = Vec::new();
    for name in args
        .channel
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let channel = store.channel(name.to_owned()).await?.ok_or_else(|| {
            anyhow::anyhow!("no channel named {name:?}; `braid channel list` shows them")
        })?;
        if !channels.iter().any(|c| c.id == channel.id) {
            channels.push(channel);
        }
    }
    if targets.is_empty() && channels.is_empty() {
        anyhow::bail!("--to names no account and --channel no channel");
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
    let queued = Queued {
        draft,
        media,
        options: PostOptions {
            long: args.long.choice(),
            number: args.long.number,
            link: args.link,
            long_for: args.long.per_target(),
        },
        key: args.key,
        not_before: args.at,
        routed: None,
    };
    if args.preview {
        let mut previews = outbox::preview(&ctx, &queued, &targets).await;
        previews.extend(channels.iter().map(|c| outbox::Preview {
            target: format!("channel {}", c.name),
            fitted: outbox::channel_preview(&queued, c),
        }));
        return print_previews(&previews);
    }
    let fitting = queued.clone();
    let (post, fresh) = outbox::queue_to(&ctx, queued, &targets, &channels).await?;
    let channel_names: Vec<String> = channels
        .iter()
        .map(|c| format!("channel {}", c.name))
        .collect();
    let names: Vec<&str> = targets
        .iter()
        .map(|t| t.name.as_str())
        .chain(channel_names.iter().map(String::as_str))
        .collect();
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

    // What fitting leaves out or changes, before anything is sent (the delivery fits the same
    // way; a target that cannot be asked now is fitted when it is delivered).
    let mut shown = std::collections::HashSet::new();
    if fresh {
        for p in outbox::preview(&ctx, &fitting, &targets).await {
            for note in p.fitted.map(|f| f.notes).unwrap_or_default() {
                println!("{}: {note}", p.target);
                shown.insert((p.target.clone(), note));
            }
        }
    }

    let mut deliveries = outbox::deliver_post(&ctx, post).await?;
    while args.wait && deliveries.iter().any(|d| !d.state.is_final()) {
        // The earliest retry, or a short look again while another process holds one.
        let next = deliveries
            .iter()
            .filter(|d| !d.state.is_final())
            .map(|d| d.next_attempt)
            .min()
            .unwrap_or_else(Utc::now);
        let wait = (next - Utc::now()).to_std().unwrap_or_default().clamp(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_secs(5),
        );
        tokio::time::sleep(wait).await;
        deliveries = outbox::deliver_post(&ctx, post).await?;
    }
    for d in &deliveries {
        for note in outbox::notes_of(d) {
            if !shown.contains(&(d.target.clone(), note.clone())) {
                println!("{}: {note}", d.target);
            }
        }
    }
    let base = config.public_url()?;
    for name in store.channels_of_post(post).await? {
        let feed = base
            .join(&format!("channels/{name}/feed.atom"))
            .map(|u| u.to_string())
            .unwrap_or_default();
        println!("Published in channel {name}: {feed}");
    }
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
                let thread = match d.parts_done {
                    n if n > 1 => format!(" (a thread of {n})"),
                    _ => String::new(),
                };
                println!(
                    "Posted as {handle}{thread}: {}",
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
            DeliveryState::Pending if d.attempts == 0 && d.next_attempt > chrono::Utc::now() => {
                println!(
                    "{}: scheduled {}; `braid run` sends it then",
                    d.target,
                    super::relative_time(Some(d.next_attempt))
                )
            }
            DeliveryState::Pending if d.attempts == 0 => println!(
                "{}: waiting for earlier posts to this account; `braid run` sends it after them",
                d.target
            ),
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

/// How a text too long for a target is sent: `braid post` and `braid route add` take the same
/// flags.
#[derive(Debug, Args)]
pub struct LongArgs {
    /// A text too long for a target becomes a thread there (the default where the network
    /// has threads).
    #[arg(long, conflicts_with = "truncate")]
    pub thread: bool,
    /// A text too long for a target is cut to one post ending in "…" and a link to the
    /// original.
    #[arg(long)]
    pub truncate: bool,
    /// These targets get a long text as a thread, whatever --truncate says.
    #[arg(long, value_name = "TARGET[,TARGET…]", value_delimiter = ',')]
    pub thread_for: Vec<String>,
    /// These targets get a long text truncated, whatever --thread says.
    #[arg(long, value_name = "TARGET[,TARGET…]", value_delimiter = ',')]
    pub truncate_for: Vec<String>,
    /// Number a thread's parts (" 1/3").
    #[arg(long)]
    pub number: bool,
}

impl LongArgs {
    /// `--thread` or `--truncate`, if given.
    pub fn choice(&self) -> Option<LongText> {
        match (self.thread, self.truncate) {
            (true, _) => Some(LongText::Thread),
            (_, true) => Some(LongText::Truncate),
            _ => None,
        }
    }

    /// `--thread-for` and `--truncate-for` as one map (`--truncate-for` wins for a name in
    /// both).
    pub fn per_target(&self) -> std::collections::BTreeMap<String, LongText> {
        crate::routes::long_for(&self.thread_for, &self.truncate_for)
    }
}

/// `--preview`: each target's posts, exactly as they would be sent, with the notes.
fn print_previews(previews: &[outbox::Preview]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for (i, p) in previews.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        match &p.fitted {
            Err(e) => {
                failed += 1;
                writeln!(out, "{}: cannot preview: {e}", p.target)?;
            }
            Ok(f) => {
                let n = f.parts.len();
                let shape = if n == 1 {
                    "one post".to_owned()
                } else {
                    format!("a thread of {n} posts")
                };
                if f.counted.is_empty() {
                    writeln!(out, "{}: {shape}", p.target)?;
                } else {
                    writeln!(out, "{}: {shape} (limit {})", p.target, f.counted)?;
                }
                if let Some(cw) = &f.content_warning {
                    writeln!(out, "content warning: {cw}")?;
                }
                for (k, part) in f.parts.iter().enumerate() {
                    writeln!(out, "--- post {}/{n} ---", k + 1)?;
                    writeln!(out, "{part}")?;
                }
                if !f.media.is_empty() {
                    let files: Vec<String> = f.media.iter().map(|m| (m + 1).to_string()).collect();
                    writeln!(out, "files: {} (with the first post)", files.join(", "))?;
                }
                for note in &f.notes {
                    writeln!(out, "note: {note}")?;
                }
            }
        }
    }
    drop(out);
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} targets could not be previewed",
            previews.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn at_takes_a_time_or_a_delay() {
        let t = parse_at("2026-12-24T18:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-24T17:00:00+00:00");
        let in_two_hours = parse_at("+2h").unwrap() - Utc::now();
        assert!((7190..=7200).contains(&in_two_hours.num_seconds()));
        assert!(parse_at("+90s").unwrap() > Utc::now());
        for bad in ["+2w", "+h", "tomorrow", "+99999d"] {
            assert!(parse_at(bad).is_err(), "{bad}");
        }
    }
}
