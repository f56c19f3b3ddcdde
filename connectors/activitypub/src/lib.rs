//! `braid-activitypub`: Braid as an ActivityPub actor.
//!
//! - [`factory`]: the network's factory ([`FACTORY`]): the site's key, the hosted connector.
//! - [`service`]: the hosted connector: discovery, actors, collections, inboxes, publishing.
//! - [`documents`]: what Braid serves (WebFinger, NodeInfo, actors, Notes, activities).
//! - [`inbox`]: what arrives in the inboxes, verified and checked.
//! - [`followers`]: who follows each stream, in the network's own state.
//! - [`remote`]: fetching remote documents (checked) and delivering to inboxes (signed).
//! - [`urls`]: where everything lives.
//! - [`signature`]: HTTP Signatures, draft-cavage (`rsa-sha256`) and RFC 9421, signing and
//!   verifying, with the digests of the body (`Digest`, `Content-Digest`).

pub mod convert;
pub mod documents;
pub mod factory;
pub mod followers;
pub mod inbox;
pub mod remote;
pub mod service;
pub mod signature;
pub mod urls;

pub use factory::FACTORY;

/// The kind stored in source rows.
pub const KIND: &str = "activitypub";
