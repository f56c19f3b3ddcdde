//! Publishing Braid's own streams: the step between "store" and "deliver" for what the owner
//! and the routes put in streams (the owner's posts, the published channels), on every
//! network whose hosted connector publishes ([`braid_core::host::Publisher`]).
//!
//! Each second the daemon runs a pass: for each such network, the stream events after its
//! cursor (schema V14: an item added to a stream, changed or deleted there; written by
//! triggers in the transaction that made the change), in order. Each is handed to the
//! network's publisher once, which answers with messages and their recipients (followers'
//! inboxes); they are queued as deliveries, one per recipient, in the transaction that moves
//! the cursor past the event. A crash before that commit offers the event again, and the
//! deliveries' keys (`publish-KIND-EVENT-N`) make the second offer queue nothing twice. The
//! outbox then sends each delivery through [`braid_core::host::Publisher::deliver`] with the
//! same claims, retries and lanes as posts to accounts.
//!
//! Each time the hosted connectors are built anew, the pass also has each publisher tidy up
//! ([`braid_core::host::Publisher::tidy`]), on a task of its own.

use braid_core::host::{StreamEvent, StreamItem};
use braid_core::ConnectorError;

use crate::hosted::HostedList;
use crate::scheduler::PollContext;
use crate::site::StoreSite;
use crate::store::StoreError;

/// Events handed to one network in one pass, at most.
const BATCH: usize = 200;

/// One pass over every publishing network. Returns how many events were handled.
pub async fn run(ctx: &PollContext) -> usize {
    let hosted = ctx.hosted.all(&ctx.connectors, &ctx.store).await;
    if ctx.hosted.first_sight(&hosted) {
        tidy(hosted.clone());
    }
    let mut networks = Vec::new();
    let mut handled = 0;
    for (kind, connector) in hosted.iter() {
        let Some(publisher) = connector.publisher() else {
            continue;
        };
        networks.push(kind.to_string());
        match pass(ctx, kind, publisher).await {
            Ok(n) => handled += n,
            Err(e) => tracing::warn!(kind, error = %e, "publish: the pass stopped"),
        }
    }
    if prunable(ctx, &networks, handled).await {
        if let Err(e) = ctx.store.prune_stream_events(networks).await {
            tracing::warn!(error = %e, "publish: could not prune stream events");
        }
    }
    handled
}

/// Whether pruning the stream events could delete any, so an idle pass takes no write lock.
/// Events are deleted only up to the cursor every network has passed
/// ([`crate::store::Store::prune_stream_events`]), and the cursors move only in a pass that
/// handled events; with no network to publish, what is there is owed to nobody (a read looks).
async fn prunable(ctx: &PollContext, networks: &[String], handled: usize) -> bool {
    if handled > 0 {
        return true;
    }
    if !networks.is_empty() {
        return false;
    }
    match ctx.store.stream_events(0, 1).await {
        Ok(events) => !events.is_empty(),
        Err(e) => {
            tracing::warn!(error = %e, "publish: could not read stream events");
            false
        }
    }
}

/// Each publisher's housekeeping (the `Undo` of a follow whose source was removed), once per
/// build of the hosted connectors rather than on a timer: they are built when the daemon starts
/// and again whenever records change, and removing a source is such a change, so the work is
/// done within seconds of being needed and not looked for in between; what could not be done
/// is tried at the next build, as before. On a task of its own, so a slow server holds back
/// neither this pass nor the deliveries after it.
fn tidy(hosted: HostedList) {
    tokio::spawn(async move {
        for (kind, connector) in hosted.iter() {
            let Some(publisher) = connector.publisher() else {
                continue;
            };
            if let Err(e) = publisher.tidy().await {
                tracing::warn!(kind, error = %e, "publish: tidying up failed");
            }
        }
    });
}

async fn pass(
    ctx: &PollContext,
    kind: &str,
    publisher: &dyn braid_core::host::Publisher,
) -> Result<usize, String> {
    let Some(info) = ctx.connectors.site.as_ref() else {
        return Ok(0);
    };
    let text = |e: StoreError| e.to_string();
    let cursor = ctx
        .store
        .publish_cursor(kind.to_owned())
        .await
        .map_err(text)?;
    let events = ctx.store.stream_events(cursor, BATCH).await.map_err(text)?;
    let mut handled = 0;
    for row in events {
        let stream = StoreSite::stream_of(&ctx.store, info, row.stream)
            .await
            .map_err(text)?;
        let outgoing = match stream {
            // A channel that is not published (or gone) has no followers to tell.
            None => Vec::new(),
            Some(stream) => {
                let item = match row.kind {
                    braid_core::host::EventKind::Deleted => None,
                    _ => ctx
                        .store
                        .stream_item(row.stream, row.item_id)
                        .await
                        .map_err(text)?
                        .map(|(stored, added)| StreamItem {
                            id: stored.id,
                            item: stored.item,
                            added,
                        }),
                };
                let event = StreamEvent {
                    id: row.id,
                    stream,
                    kind: row.kind,
                    item_id: row.item_id,
                    item,
                    at: row.at,
                };
                match publisher.fanout(&event).await {
                    Ok(out) => out,
                    Err(e @ (ConnectorError::Permanent(_) | ConnectorError::Unsupported(_))) => {
                        tracing::warn!(kind, event = row.id, error = %e,
                            "publish: the event cannot be published; skipped");
                        Vec::new()
                    }
                    // Offered again at the next pass.
                    Err(e) => return Err(e.to_string()),
                }
            }
        };
        let key = format!("publish-{kind}-{}", row.id);
        let queued = ctx
            .store
            .queue_outgoing(kind.to_owned(), key, outgoing, Some(row.id))
            .await
            .map_err(text)?;
        if queued > 0 {
            tracing::info!(kind, event = row.id, messages = queued, "publish: queued");
        }
        handled += 1;
    }
    Ok(handled)
}
