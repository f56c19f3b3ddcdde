//! `braid-core`: what every connector and the core agree on.
//!
//! - [`model`]: the normalized item every network is converted into.
//! - [`connector`]: the capability traits a connector exposes (source, sink, listener).
//! - [`factory`]: what a network is and how its connectors are made; one per connector crate.
//! - [`state`]: what a connector may keep (its key/value store, refreshed credentials).
//! - [`error`]: the error kinds that tell the scheduler what to do next.
//! - [`ids`]: newtype ids, so a source id is never confused with an item id.
//! - [`richtext`]: a post's body with its structure, rendered by each sink for its network.
//! - [`host`]: what Braid hosts (the owner, the channels) for a network that publishes it.
//! - [`fit`]: fitting a post's text to a network's length limit, as a thread or a truncation.
//! - [`http`]: the safe HTTP client every connector must use for outbound requests.
//! - [`sanitize`]: the HTML allow-list applied before anything is stored or served.
//! - [`canonical`]: URL canonicalization used to link one post seen through several networks.
//!
//! This crate has no database and no web server in it on purpose: connectors depend on it, and
//! the root package depends on every connector.

pub mod canonical;
pub mod connector;
pub mod error;
pub mod factory;
pub mod fit;
pub mod host;
pub mod http;
pub mod ids;
pub mod model;
pub mod richtext;
pub mod sanitize;
pub mod state;

pub use connector::{
    Connector, Cursor, Listener, Page, PollHints, Pushed, Sink, Source, SourceMeta,
};
pub use error::ConnectorError;
pub use factory::{AccountView, BuildContext, Factory, LoginContext, SourceView};
pub use ids::{AccountId, ItemId, RemoteId, SourceId};
pub use model::{Attachment, Author, Item, ItemKind, LinkCard, Visibility};
