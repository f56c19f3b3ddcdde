//! HTTP Signatures for ActivityPub: signing what we send, verifying what we receive.
//!
//! Pure: no network, no database. The two schemes in use:
//!
//! - **draft-cavage-http-signatures-12** ([`Scheme::Cavage`]): the `Signature` header Mastodon
//!   sends and requires, `rsa-sha256` (or `hs2019`) over `(request-target) host date digest`.
//! - **RFC 9421** ([`Scheme::Rfc9421`]): `Signature-Input` + `Signature`, `rsa-v1_5-sha256`,
//!   what Fedify tries first (then falls back to cavage on a 4xx/5xx) and recent Mastodon
//!   verifies (`app/lib/signed_request.rb`, `HttpMessageSignature`).
//!
//! Both bind the body through a digest header ([`digest`]): `Digest` (RFC 3230) for cavage,
//! `Content-Digest` (RFC 9530) for RFC 9421.
//!
//! # Verifying
//!
//! Two steps, because the key is on the signer's server:
//! 1. [`parse`] needs no key: it finds the scheme (RFC 9421 when `Signature-Input` is
//!    present, even if `Authorization: Signature` is too; never a silent fallback to cavage),
//!    the `keyId`, the algorithm and the covered components, and refuses early what no key
//!    could make acceptable (an algorithm we refuse, a signature that covers too little).
//! 2. The caller fetches the key named by [`ParsedSignature::key_id`] and calls
//!    [`ParsedSignature::verify`], which checks the time window, the host, the body digests,
//!    then the signature itself, and reports the scheme verified in [`Verified`].
//!
//! The rules, after Mastodon's (`app/lib/signed_request.rb`) where it has one:
//! - Algorithms: `rsa-sha256`, and `hs2019` taken as RSASSA-PKCS1-v1_5 SHA-256 with an RSA key
//!   (cavage; no `algorithm` means `hs2019`, as Mastodon reads it); `rsa-v1_5-sha256` or no
//!   `alg` with an RSA key (RFC 9421). RSA-PSS, HMAC, ECDSA and Ed25519 are refused.
//! - Coverage: the method and target (`(request-target)`; `@method` with `@target-uri`,
//!   `@path` or `@request-target`), the host (`host`; `@authority`, or `@target-uri` which
//!   contains it), the time (`date` or `(created)`; RFC 9421 requires the `created`
//!   parameter), and with a body or a POST/PUT/PATCH, a digest header (`digest` or
//!   `content-digest`). Mastodon requires `host` only on GET; we require it always, as the
//!   brief for this module does and as every signer we know sends it.
//! - Time: [`TimeWindow`], Mastodon's window (1 h clock skew; 5 min lifetime without
//!   `expires`; `expires` honoured up to 12 h): a `Date` may be 1 h 5 min old, or 1 h ahead.
//!   (The ±12 h often quoted is the older `signature_verification.rb`.) Every time present is
//!   checked: `created` and, when covered, `Date`.
//! - Host: a `Host` header must name [`VerifyOptions::authority`]; `@authority` and
//!   `@target-uri` are rebuilt from it, so a request signed for another server fails. Without
//!   a `Host` header (HTTP/2), the authority stands in for a covered `host`.
//! - Digests: every digest header present must match the body (sha-256, sha-512); a covered
//!   header appearing twice is refused rather than joined.
//! - The cavage `(request-target)` is tried with the query, then without it: Mastodon signs
//!   the path alone (its verifier does the same fallback) and Fedify signs `url.pathname`.
//!
//! # Signing
//!
//! [`sign_request`] returns the headers to add (`Date`, `Digest` or `Content-Digest`,
//! `Signature`, and `Signature-Input`). The `Host` header is signed as reqwest sends it (the
//! URL's host, with the port when not the default) and is not returned. [`accept_signature`]
//! is the `Accept-Signature` challenge an inbox can send with its 401 (RFC 9421 §5.1).
//!
//! ```no_run
//! # fn demo(req: &braid_core::connector::ListenerRequest, pem: &str)
//! #     -> Result<(), braid_activitypub::signature::SignatureError> {
//! use braid_activitypub::signature::{self as sig, IncomingRequest, PublicKey, VerifyOptions};
//!
//! let incoming = IncomingRequest::from(req);
//! let parsed = sig::parse(&incoming)?; // 401 on error
//! // … fetch the actor document naming parsed.key_id(), read its publicKeyPem …
//! let key = PublicKey::from_pem(pem)?;
//! let verified = parsed.verify(&incoming, &key, &VerifyOptions::new("braid.example"))?;
//! println!("{} signed with {}", verified.key_id, verified.scheme);
//! # Ok(()) }
//! ```

mod cavage;
pub mod digest;
mod error;
mod keys;
mod request;
mod rfc9421;
mod sign;
mod verify;
mod window;

#[cfg(test)]
mod tests;

use std::fmt;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};

pub use error::SignatureError;
pub use keys::{KeyPair, PublicKey, KEY_BITS, MIN_PUBLIC_KEY_BITS};
pub use request::{IncomingRequest, OutgoingRequest};
pub use rfc9421::accept_signature;
pub use sign::{sign_request, SignedHeaders};
pub use verify::{parse, ParsedSignature, Verified, VerifyOptions};
pub use window::TimeWindow;

use sign::validate_key_id;
use verify::{Coverage, Parsed};

/// Which HTTP Signatures specification a signature follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// draft-cavage-http-signatures-12 (`Signature: keyId=…`), Mastodon's.
    Cavage,
    /// RFC 9421 (`Signature-Input` + `Signature`).
    Rfc9421,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Cavage => "draft-cavage-http-signatures-12",
            Scheme::Rfc9421 => "RFC 9421",
        })
    }
}

/// Base64 that accepts missing padding: some signers strip it.
fn lenient_base64() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

/// An HTTP date (IMF-fixdate, or the obsolete RFC 850 and asctime forms, RFC 9110 §5.6.7).
fn parse_http_date(raw: &str) -> Result<DateTime<Utc>, SignatureError> {
    httpdate::parse_http_date(raw.trim())
        .map(DateTime::<Utc>::from)
        .map_err(|_| SignatureError::malformed("Date", format!("{raw:?} is not an HTTP date")))
}
