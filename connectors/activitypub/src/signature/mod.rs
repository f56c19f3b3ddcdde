//! HTTP Signatures for ActivityPub: signing what we send, verifying what we receive.
//!
//! Pure: no network, no database. The two schemes in use:
//!
//! - **draft-cavage-http-signatures-12** ([`Scheme::Cavage`]): the `Signature` header Mastodon
//!   sends and requires, `rsa-sha256` (or `hs2019`) over `(request-target) host date digest`.
//! - **RFC 9421** ([`Scheme::Rfc9421`]): `Signature-Input` + `Signature`, `rsa-v1_5-sha256`,
//!   what Fedify tries first and Mastodon 4.5 verifies.
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
//!   `expires`; `expires` honoured up to 12 h). Every time present is checked: `created` and,
//!   when covered, `Date`.
//! - Host: a `Host` header must name [`VerifyOptions::authority`]; `@authority` and
//!   `@target-uri` are rebuilt from it, so a request signed for another server fails.
//! - Digests: every digest header present must match the body (sha-256, sha-512); a covered
//!   header appearing twice is refused rather than joined.
//! - The cavage `(request-target)` is tried with the query, then without it: Mastodon signs
//!   the path alone (its verifier does the same fallback) and Fedify signs `url.pathname`.
//!
//! # Signing
//!
//! [`sign_request`] returns the headers to add (`Date`, `Digest` or `Content-Digest`,
//! `Signature`, and `Signature-Input`). The `Host` header is signed as reqwest sends it (the
//! URL's host, with the port when not the default) and is not returned.

mod cavage;
pub mod digest;
mod error;
mod keys;
mod request;
mod rfc9421;
mod window;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::SystemTime;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};

pub use error::SignatureError;
pub use keys::{KeyPair, PublicKey, KEY_BITS, MIN_PUBLIC_KEY_BITS};
pub use request::{IncomingRequest, OutgoingRequest};
pub use window::TimeWindow;

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

/// What verification needs besides the request and the key.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The host (and port, if not the default) the request was addressed to: the host Braid
    /// is served at. The `Host` header must match it; `@authority` is rebuilt from it.
    pub authority: String,
    /// The scheme Braid is reached by, for `@target-uri` and `@scheme`: `https` behind a
    /// TLS-terminating proxy, whatever the proxy forwards with.
    pub scheme: String,
    /// The current time.
    pub now: DateTime<Utc>,
    pub window: TimeWindow,
}

impl VerifyOptions {
    /// For a server at `authority` over https, now, with Mastodon's window.
    pub fn new(authority: impl Into<String>) -> Self {
        VerifyOptions {
            authority: authority.into(),
            scheme: "https".into(),
            now: Utc::now(),
            window: TimeWindow::default(),
        }
    }
}

/// A signature found on a request, parsed and checked as far as possible without the key.
#[derive(Debug, Clone)]
pub struct ParsedSignature {
    scheme: Scheme,
    key_id: String,
    algorithm: String,
    label: Option<String>,
    covered: Vec<String>,
    created: Option<DateTime<Utc>>,
    expires: Option<DateTime<Utc>>,
    date: Option<DateTime<Utc>>,
    signature: Vec<u8>,
    parsed: Parsed,
}

#[derive(Debug, Clone)]
enum Parsed {
    Cavage(cavage::CavageParts),
    Rfc9421(rfc9421::Rfc9421Parts),
}

/// A signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Which specification the verified signature follows.
    pub scheme: Scheme,
    /// The key that verified it: its owner is the request's signer.
    pub key_id: String,
    /// The RFC 9421 label (`sig1`); `None` for cavage.
    pub label: Option<String>,
    /// The covered components, in signed order (`(request-target)`, `@method`, `host`, …).
    pub covered: Vec<String>,
}

/// Finds the request's signature and parses it; see the module docs for what is refused here.
pub fn parse(request: &IncomingRequest<'_>) -> Result<ParsedSignature, SignatureError> {
    if let Some(parsed) = rfc9421::parse(request)? {
        return Ok(parsed);
    }
    cavage::parse(request)?.ok_or(SignatureError::NotSigned)
}

impl ParsedSignature {
    /// Which specification the signature follows.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The key to fetch: a URL for ActivityPub actors (`https://host/users/x#main-key`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The algorithm, lower-cased (`rsa-sha256`, `hs2019`, `rsa-v1_5-sha256`); an RFC 9421
    /// signature without `alg` reads as `rsa-v1_5-sha256`.
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The RFC 9421 label chosen (`sig1`); `None` for cavage.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// The covered components in signed order, lower-cased.
    pub fn covered(&self) -> &[String] {
        &self.covered
    }

    /// The `created` parameter.
    pub fn created(&self) -> Option<DateTime<Utc>> {
        self.created
    }

    /// The `expires` parameter.
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        self.expires
    }

    /// The `Date` header, when it is covered.
    pub fn date(&self) -> Option<DateTime<Utc>> {
        self.date
    }

    /// Verifies the signature with `key` (the one [`Self::key_id`] names), for `request`
    /// (the same request [`parse`] read) reaching `options.authority` at `options.now`.
    pub fn verify(
        &self,
        request: &IncomingRequest<'_>,
        key: &PublicKey,
        options: &VerifyOptions,
    ) -> Result<Verified, SignatureError> {
        self.check_times(options)?;
        let scheme = options.scheme.to_ascii_lowercase();
        let expected = request::normalize_authority(&options.authority, &scheme);
        if let Some(host) = request.single_header("host")? {
            let got = request::normalize_authority(host, &scheme);
            if got != expected {
                return Err(SignatureError::HostMismatch { expected, got });
            }
        }
        digest::check_body_digests(request)?;
        let verified = match &self.parsed {
            Parsed::Cavage(parts) => {
                let mut targets = vec![request.path_and_query()];
                if request.query.is_some() {
                    targets.push(request.path.to_string());
                }
                let mut ok = false;
                for target in targets {
                    let string = cavage::signing_string(request, self, parts, &target, &expected)?;
                    if key.verify_sha256(string.as_bytes(), &self.signature) {
                        ok = true;
                        break;
                    }
                }
                ok
            }
            Parsed::Rfc9421(parts) => {
                let base = rfc9421::signature_base(&self.covered, &parts.signature_params, |n| {
                    rfc9421::incoming_value(request, options, n)
                })?;
                key.verify_sha256(base.as_bytes(), &self.signature)
            }
        };
        if !verified {
            return Err(SignatureError::BadSignature {
                key_id: self.key_id.clone(),
            });
        }
        Ok(Verified {
            scheme: self.scheme,
            key_id: self.key_id.clone(),
            label: self.label.clone(),
            covered: self.covered.clone(),
        })
    }

    /// The time window on every time the signature states: `created`, and `Date` when covered
    /// (or when it is the only time there is).
    fn check_times(&self, options: &VerifyOptions) -> Result<(), SignatureError> {
        let w = &options.window;
        if let Some(created) = self.created {
            w.check("created", created, self.expires, options.now)?;
        }
        if let Some(date) = self.date {
            w.check("Date", date, self.expires, options.now)?;
        }
        if self.created.is_none() && self.date.is_none() {
            // Coverage guarantees `date` or `(created)` is signed; `(created)` implies the
            // parameter, so only a covered but absent Date header gets here.
            return Err(SignatureError::MissingHeader("date".into()));
        }
        Ok(())
    }
}

/// What a signature covers, as the policy sees it.
struct Coverage {
    method_and_target: bool,
    authority: bool,
    time: bool,
    body: bool,
}

impl Coverage {
    /// Refuses a signature that leaves out the method and target, the host, the time, or
    /// (when the request must bind a body) a digest; each name is what the error shows.
    fn require(
        &self,
        parsed: &ParsedSignature,
        request: &IncomingRequest<'_>,
        target: &'static str,
        authority: &'static str,
        time: &'static str,
        body: &'static str,
    ) -> Result<(), SignatureError> {
        let missing = if !self.method_and_target {
            Some(target)
        } else if !self.authority {
            Some(authority)
        } else if !self.time {
            Some(time)
        } else if !self.body && request.needs_body_digest() {
            Some(body)
        } else {
            None
        };
        match missing {
            Some(missing) => Err(SignatureError::NotCovered {
                missing,
                covered: parsed.covered.join(" "),
            }),
            None => Ok(()),
        }
    }
}

/// The headers to add to an outgoing request, in order: (name, value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders(pub Vec<(&'static str, String)>);

impl SignedHeaders {
    /// The value of header `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Each (name, value), to add to a reqwest request.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(n, v)| (*n, v.as_str()))
    }
}

/// Signs `request` with `key`, under `key_id` (the actor's key URL,
/// `https://host/ap/actor/x#main-key`), at `now`, following `scheme`.
pub fn sign_request(
    scheme: Scheme,
    key: &KeyPair,
    key_id: &str,
    request: &OutgoingRequest<'_>,
    now: DateTime<Utc>,
) -> Result<SignedHeaders, SignatureError> {
    for (name, value) in request.covered {
        let ours = [
            "host",
            "date",
            "digest",
            "content-digest",
            "signature",
            "signature-input",
        ];
        if ours.contains(name)
            || name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(SignatureError::Signing(format!(
                "{name:?} cannot be a covered header (lower-case names; not one we set)"
            )));
        }
        if value.bytes().any(|b| b.is_ascii_control()) {
            return Err(SignatureError::Signing(format!(
                "the {name} value has control characters"
            )));
        }
    }
    let authority = request::url_authority(request.url)?;
    // IMF-fixdate (RFC 9110 §5.6.7), what Mastodon's `Time.httpdate` parses.
    let date = httpdate::fmt_http_date(SystemTime::from(now));
    let headers = match scheme {
        Scheme::Cavage => cavage::sign(key, key_id, request, &authority, &date)?,
        Scheme::Rfc9421 => rfc9421::sign(key, key_id, request, &authority, &date, now.timestamp())?,
    };
    Ok(SignedHeaders(headers))
}

/// Key ids are quoted in both schemes: printable ASCII without `"` or `\` keeps them
/// unambiguous (ActivityPub key ids are URLs).
fn validate_key_id(key_id: &str) -> Result<(), SignatureError> {
    if key_id.is_empty()
        || !key_id
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        return Err(SignatureError::Signing(format!(
            "the key id {key_id:?} must be printable ASCII without quotes or backslashes"
        )));
    }
    Ok(())
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
