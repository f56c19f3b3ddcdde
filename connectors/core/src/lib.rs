//! `braid-core`: what every connector and the core agree on.
//!
//! - [`model`]: the normalized item every network is converted into.
//! - [`connector`]: the capability traits a connector exposes (source, sink, listener).
//! - [`error`]: the error kinds that tell the scheduler what to do next.
//! - [`ids`]: newtype ids, so a source id is never confused with an item id.
//! - [`http`]: the safe HTTP client every connector must use for outbound requests.
//! - [`sanitize`]: the HTML allow-list applied before anything is stored or served.
//! - [`canonical`]: URL canonicalization used to link one post seen through several networks.
//!
//! This crate has no database and no web server in it on purpose: connectors depend on it, and
//! the root package depends on every connector.

pub mod canonical;
pub mod connector;
pub mod error;
pub mod http;
pub mod ids;
pub mod model;
pub mod sanitize;

pub use connector::{Connector, Cursor, Listener, Page, PollHints, Sink, Source, SourceMeta};
pub use error::ConnectorError;
pub use ids::{AccountId, ItemId, RemoteId, SourceId};
pub use model::{Attachment, Author, Item, ItemKind, Visibility};
