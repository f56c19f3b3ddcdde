//! What Braid hosts, for a network that publishes it: the owner and the channels as
//! **streams**, their items, and the events that change them.
//!
//! A network that makes Braid itself present on it (ActivityPub makes each stream an actor
//! that people follow) is built once per process as a **hosted connector**
//! ([`crate::Factory::hosted`]), with a [`Site`] through which it reads the streams whenever it
//! needs them. It never reads the core's tables, and the core never names the network:
//! - its [`crate::Listener`] is mounted like any other (discovery, actors, inboxes);
//! - its [`Publisher`] is told each event of a stream (an item added, changed or deleted) once,
//!   in order, and answers with the message and the recipients; the core queues one durable
//!   delivery per recipient in the outbox (each recipient its own lane, so a dead server holds
//!   back only itself) and hands each back to [`Publisher::deliver`] until it lands;
//! - a listener may ask for messages to be sent the same durable way ([`Outgoing`], in
//!   [`crate::connector::Handled`]): an `Accept` of a follow, say.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ConnectorError;
use crate::factory::SourceView;
use crate::ids::ItemId;
use crate::model::{Item, Visibility};

/// Whose a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// The person who runs Braid: what they compose.
    Owner,
    /// A channel: what routes and the owner put in it (a blog's feed, a filtered stream).
    Channel,
}

/// One stream Braid hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    pub kind: StreamKind,
    /// Unique among streams, and the local part of its handle: a channel's name, or the
    /// owner's (`[activitypub] owner_name`, say). Lower-case letters, digits, `_`, `-`, `.`.
    pub name: String,
    /// What people see as its name.
    pub title: String,
    /// Plain text, or empty.
    pub description: String,
    /// The most private items it holds: nothing more private is ever put in it.
    pub audience: Visibility,
    /// Follow requests wait for the owner's approval.
    pub approve_follows: bool,
    /// Its page in the web UI, absolute (browsers asking for an actor are sent there).
    pub page_url: String,
}

/// An item of a stream, with the id the core gave it (stable: an object's address can be
/// built from it).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamItem {
    pub id: ItemId,
    pub item: Item,
    /// When it was put in the stream.
    pub added: DateTime<Utc>,
}

/// A page of a stream's items, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamPage {
    pub items: Vec<StreamItem>,
    /// How many items the stream holds in all.
    pub total: u64,
    /// Pass as `before` for the next (older) page; `None` on the last.
    pub next: Option<i64>,
}

/// What happened to an item of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Added,
    Updated,
    Deleted,
}

/// One event of a stream, told to the publisher once, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    /// Increasing; unique across streams.
    pub id: i64,
    pub stream: Stream,
    pub kind: EventKind,
    pub item_id: ItemId,
    /// The item as it is now; `None` for a deletion (or an item already gone).
    pub item: Option<StreamItem>,
    pub at: DateTime<Utc>,
}

/// One recipient of a message: an address only the connector reads (an inbox URL), and the
/// lane its deliveries queue in (deliveries in one lane keep their order; recipients that
/// share a server's shared inbox share one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Recipient {
    pub address: String,
    /// Short and stable; the core prefixes it with the network's kind.
    pub lane: String,
}

impl Recipient {
    /// A recipient in a lane of its own.
    pub fn new(address: impl Into<String>) -> Self {
        let address = address.into();
        Recipient {
            lane: address.clone(),
            address,
        }
    }
}

/// A message and who it goes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    /// What [`Publisher::deliver`] sends; kept as it is, so every attempt sends the same.
    pub message: Value,
    pub recipients: Vec<Recipient>,
    /// Says what it is, for the outbox's list ("Create of item 12 in channel blog").
    pub summary: String,
}

/// Someone who follows a stream, or asked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowerView {
    /// Their address on the network (an actor's id).
    pub id: String,
    /// Waiting for the owner's answer (the stream approves follows).
    pub pending: bool,
    pub since: DateTime<Utc>,
}

/// What a hosted connector publishes.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Who follows `stream`, and who asked to.
    async fn followers(&self, stream: &str) -> Result<Vec<FollowerView>, ConnectorError> {
        let _ = stream;
        Ok(Vec::new())
    }

    /// Answers `follower`'s request to follow `stream` (one waiting for approval): accepted,
    /// they follow it; refused, they are forgotten. Returns the messages that tell them, for
    /// the core to queue.
    async fn answer(
        &self,
        stream: &str,
        follower: &str,
        accept: bool,
    ) -> Result<Vec<Outgoing>, ConnectorError> {
        let _ = (stream, follower, accept);
        Err(ConnectorError::Unsupported(
            "this network has no follow requests to answer".into(),
        ))
    }

    /// The messages an event makes (none when nobody follows the stream). Called once per
    /// event, in event order; an error stops the pass, and the event is offered again later.
    async fn fanout(&self, event: &StreamEvent) -> Result<Vec<Outgoing>, ConnectorError>;

    /// Sends `message` to `recipient`. May be called again with the same message after an
    /// unknown outcome, so a message must be safe to receive twice (an ActivityPub activity
    /// keeps its id).
    async fn deliver(&self, recipient: &Recipient, message: &Value) -> Result<(), ConnectorError>;

    /// Housekeeping that sends messages of the network's own (ActivityPub: an `Undo` of the
    /// follow of an actor whose source was removed). Called only by the daemon, off its
    /// publish pass, once each time the hosted connectors are built (at start, and after
    /// records changed: a removed source is such a change), never by a command or a web
    /// page that merely reads followers. What could not be done is left for the next call,
    /// so it must be safe to call again, also while an earlier call still runs.
    async fn tidy(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// What the core gives a hosted connector to read: the site's address and title, its
/// streams, their items, and the sources of the connector's own network.
#[async_trait]
pub trait Site: Send + Sync {
    /// The public address (`web.base_url`), with a trailing slash.
    fn base_url(&self) -> &url::Url;

    /// The site's title (`web.title`).
    fn title(&self) -> &str;

    /// Every stream: the owner first, then the channels that are published.
    async fn streams(&self) -> Result<Vec<Stream>, ConnectorError>;

    /// The stream named `name`, if there is one.
    async fn stream(&self, name: &str) -> Result<Option<Stream>, ConnectorError> {
        Ok(self.streams().await?.into_iter().find(|s| s.name == name))
    }

    /// A page of `stream`'s items, newest first, older than `before` when given. `limit` may
    /// be 0, for the `total` alone.
    async fn items(
        &self,
        stream: &str,
        before: Option<i64>,
        limit: usize,
    ) -> Result<StreamPage, ConnectorError>;

    /// How many items `stream` holds (an outbox's `totalItems`, NodeInfo's post count); 0
    /// for a stream that is not there. The default asks [`Site::items`] for an empty page,
    /// whose `total` is the count, so no item is read.
    async fn count(&self, stream: &str) -> Result<u64, ConnectorError> {
        Ok(self.items(stream, None, 0).await?.total)
    }

    /// The item `id` when `stream` holds it.
    async fn item(&self, stream: &str, id: ItemId) -> Result<Option<StreamItem>, ConnectorError>;

    /// The sources of the connector's own network (the actors Braid follows, say), enabled
    /// or not, so pushes can name the source they belong to.
    async fn sources(&self) -> Result<Vec<SourceView>, ConnectorError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_alone_has_its_own_lane() {
        let r = Recipient::new("https://a.example/inbox");
        assert_eq!(r.lane, r.address);
    }
}
