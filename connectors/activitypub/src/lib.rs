//! `braid-activitypub`: Braid as an ActivityPub actor.
//!
//! - [`signature`]: HTTP Signatures, draft-cavage (`rsa-sha256`) and RFC 9421, signing and
//!   verifying, with the digests of the body (`Digest`, `Content-Digest`).

pub mod signature;
