//! `braid outbox [list] | retry ID | cancel ID | edit POST TEXT | delete POST`: what `braid
//! post` and routes queued, where each delivery stands (with the reason of a failed one), and
//! acting on it; an edit or delete of a post reaches every copy.

use std::sync::Arc;

use clap::{Args, Subcommand};

use super::Out;
use crate::config::Config;
use crate::store::DeliveryState;

#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: Option<OutboxCommand>,
    /// Print JSON instead of a table (with no subcommand).
    #[arg(long)]
    pub json: bool,
    /// How many of the newest deliveries to list.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List deliveries, newest first, with their state and the reason of a failure.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Queue a failed or cancelled delivery again; `braid run` (or the next `braid post`)
    /// sends it.
    Retry {
        /// The delivery's id (the first column of `braid outbox`).
        id: i64,
    },
    /// Cancel a delivery that is waiting or failed (one being sent cannot be).
    Cancel { id: i64 },
    /// Edit every copy of a post (the POST column of `braid outbox`) where its network can
    /// edit; elsewhere the copy stays and `braid outbox` says so.
    Edit {
        post: i64,
        /// The new text.
        text: String,
    },
    /// Delete every copy of a post; copies not sent yet are cancelled.
    Delete { post: i64 },
}

pub async fn outbox(args: OutboxArgs, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let mut out = Out::stdout();
    match args.command {
        None => list(&store, args.json, args.limit, &mut out).await?,
        Some(OutboxCommand::List { json, limit }) => list(&store, json, limit, &mut out).await?,
        Some(OutboxCommand::Retry { id }) => {
            let d = find(&store, id).await?;
            if !store.retry_delivery(id).await? {
                anyhow::bail!(
                    "delivery {id} to {} is {}; only a failed or cancelled one can be retried",
                    d.target,
                    d.state.as_str()
                );
            }
            writeln!(
                out,
                "Delivery {id} to {} is queued again; `braid run` sends it.",
                d.target
            )?;
        }
        Some(OutboxCommand::Cancel { id }) => {
            let d = find(&store, id).await?;
            if !store.cancel_delivery(id).await? {
                anyhow::bail!(
                    "delivery {id} to {} is {}; only a waiting or failed one can be cancelled",
                    d.target,
                    d.state.as_str()
                );
            }
            writeln!(out, "Delivery {id} to {} is cancelled.", d.target)?;
        }
        Some(OutboxCommand::Edit { post, text }) => {
            let record = store
                .post(post)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no post {post}; `braid outbox` lists them"))?;
            let mut draft: crate::outbox::Draft = serde_json::from_value(record.draft)
                .map_err(|e| anyhow::anyhow!("post {post} is unreadable: {e}"))?;
            draft.text = text;
            let tag = format!("edit-{}", chrono::Utc::now().timestamp_micros());
            let queued = store
                .queue_op(post, "edit", Some(serde_json::to_value(&draft)?), tag)
                .await?;
            writeln!(
                out,
                "Queued {} edit(s) of post {post}; `braid run` sends them.",
                queued.len()
            )?;
        }
        Some(OutboxCommand::Delete { post }) => {
            if store.post(post).await?.is_none() {
                anyhow::bail!("no post {post}; `braid outbox` lists them");
            }
            let tag = format!("delete-{}", chrono::Utc::now().timestamp_micros());
            let queued = store.queue_op(post, "delete", None, tag).await?;
            writeln!(
                out,
                "Queued {} deletion(s) of post {post} (copies not sent yet are cancelled); \
                 `braid run` sends them.",
                queued.len()
            )?;
        }
    }
    Ok(out.finish()?)
}

async fn find(
    store: &crate::store::Store,
    id: i64,
) -> anyhow::Result<crate::store::DeliveryRecord> {
    store
        .delivery(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no delivery {id}; `braid outbox` lists them"))
}

async fn list(
    store: &crate::store::Store,
    json: bool,
    limit: usize,
    out: &mut Out,
) -> anyhow::Result<()> {
    let deliveries = store.list_deliveries(limit).await?;
    if json {
        out.json(&deliveries)?;
        return Ok(());
    }
    if deliveries.is_empty() {
        writeln!(
            out,
            "The outbox is empty. `braid post TEXT --to ACCOUNT` queues a post."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:>5}  {:<24}  {:<10}  {:>8}  WHERE / WHY",
        "ID", "POST", "TARGET", "STATE", "ATTEMPTS"
    )?;
    for d in &deliveries {
        let detail = match d.state {
            DeliveryState::Done if d.op != "create" => format!(
                "{} of delivery {}{}",
                d.op,
                d.of_delivery.unwrap_or_default(),
                d.last_error
                    .as_deref()
                    .map(|n| format!("; {n}"))
                    .unwrap_or_default()
            ),
            DeliveryState::Done => {
                let place = d.url.clone().or(d.remote_id.clone()).unwrap_or_default();
                match d.parts_done {
                    n if n > 1 => format!("{place} (a thread of {n})"),
                    _ => place,
                }
            }
            DeliveryState::Pending | DeliveryState::InFlight => format!(
                "next attempt {}{}",
                super::relative_time(Some(d.next_attempt)),
                d.last_error
                    .as_deref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default()
            ),
            DeliveryState::Failed | DeliveryState::Cancelled => {
                d.last_error.clone().unwrap_or_default()
            }
        };
        writeln!(
            out,
            "{:>6}  {:>5}  {:<24}  {:<10}  {:>8}  {detail}",
            d.id,
            d.post_id,
            d.target,
            d.state.as_str(),
            d.attempts
        )?;
    }
    Ok(())
}
