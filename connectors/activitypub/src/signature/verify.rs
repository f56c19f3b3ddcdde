//! Verifying an incoming request: [`parse`] (no key needed), then
//! [`ParsedSignature::verify`] with the key its `keyId` names.

use chrono::{DateTime, Utc};

use super::request::{self, IncomingRequest};
use super::{cavage, digest, rfc9421, PublicKey, Scheme, SignatureError, TimeWindow};

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
    pub(super) scheme: Scheme,
    pub(super) key_id: String,
    pub(super) algorithm: String,
    pub(super) label: Option<String>,
    pub(super) covered: Vec<String>,
    pub(super) created: Option<DateTime<Utc>>,
    pub(super) expires: Option<DateTime<Utc>>,
    pub(super) date: Option<DateTime<Utc>>,
    pub(super) signature: Vec<u8>,
    pub(super) parsed: Parsed,
}

#[derive(Debug, Clone)]
pub(super) enum Parsed {
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
pub(super) struct Coverage {
    pub(super) method_and_target: bool,
    pub(super) authority: bool,
    pub(super) time: bool,
    pub(super) body: bool,
}

impl Coverage {
    /// Refuses a signature that leaves out the method and target, the host, the time, or
    /// (when the request must bind a body) a digest; each name is what the error shows.
    pub(super) fn require(
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
