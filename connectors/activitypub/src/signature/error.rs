//! The one error type of HTTP Signatures: every refusal says which rule it broke.

use std::fmt;
use std::time::Duration;

/// Why a request's signature was refused, or why signing or a key failed.
///
/// Each message starts with `signature:` and says what to change; none carries key material.
/// An inbox answers every variant with 401, except [`SignatureError::NotSigned`] where a
/// public resource may still be served unsigned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Neither `Signature-Input`+`Signature`, `Signature` nor `Authorization: Signature`.
    #[error("signature: the request is not signed (no Signature or Signature-Input header)")]
    NotSigned,

    /// A header could not be parsed (bad syntax, bad base64, wrong types).
    #[error("signature: the {header} header is malformed: {reason}")]
    Malformed {
        header: &'static str,
        reason: String,
    },

    /// A parameter the scheme (or our policy) requires is absent: `keyId`, `signature`,
    /// `keyid`, `created`.
    #[error("signature: the {0} parameter is missing")]
    MissingParameter(&'static str),

    /// An algorithm we do not implement or refuse (RSA-PSS, HMAC, ECDSA, Ed25519, …).
    #[error(
        "signature: algorithm {0:?} is refused; accepted are rsa-sha256 and hs2019 with an \
         RSA key (draft-cavage) and rsa-v1_5-sha256 (RFC 9421)"
    )]
    UnsupportedAlgorithm(String),

    /// A covered component we cannot reproduce (`@query-param`, `;sf`, `(foo)`, …).
    #[error("signature: the covered component {0:?} is not supported")]
    UnsupportedComponent(String),

    /// The signature leaves out something it must cover.
    #[error("signature: the signature does not cover {missing} (it covers: {covered})")]
    NotCovered {
        missing: &'static str,
        covered: String,
    },

    /// A covered header is absent from the request.
    #[error("signature: the covered header {0} is missing from the request")]
    MissingHeader(String),

    /// A covered (or signature) header appears more than once: its value would be ambiguous.
    #[error("signature: the header {0} appears more than once")]
    DuplicateHeader(String),

    /// The request was signed for another host than the one it reached.
    #[error("signature: the request is addressed to {got}, but this server is {expected}")]
    HostMismatch { expected: String, got: String },

    /// `Date` or `created` is older than the window allows.
    #[error(
        "signature: {what} is {} old; the window is {}",
        Human(*age),
        Human(*window)
    )]
    TooOld {
        what: &'static str,
        age: Duration,
        window: Duration,
    },

    /// `Date` or `created` is further ahead than the clock skew allows.
    #[error(
        "signature: {what} is {} in the future; at most {} is allowed",
        Human(*ahead),
        Human(*margin)
    )]
    InFuture {
        what: &'static str,
        ahead: Duration,
        margin: Duration,
    },

    /// The signature's own `expires` has passed (beyond the clock skew).
    #[error("signature: the signature expired {} ago", Human(*ago))]
    Expired { ago: Duration },

    /// A digest header does not match the body.
    #[error("signature: the body does not match {0}")]
    DigestMismatch(&'static str),

    /// A digest header offers only algorithms we do not compute.
    #[error(
        "signature: {header} offers no supported algorithm (offered: {offered}; supported: \
         sha-256, sha-512)"
    )]
    DigestUnsupported {
        header: &'static str,
        offered: String,
    },

    /// The signature does not verify with the key given.
    #[error("signature: the signature does not verify with the key {key_id}")]
    BadSignature { key_id: String },

    /// A key could not be read, generated or written.
    #[error("signature: {0}")]
    Key(String),

    /// Signing an outgoing request failed (a bad URL or key id, or the RSA operation).
    #[error("signature: cannot sign: {0}")]
    Signing(String),
}

impl SignatureError {
    pub(crate) fn malformed(header: &'static str, reason: impl Into<String>) -> Self {
        SignatureError::Malformed {
            header,
            reason: reason.into(),
        }
    }
}

/// A duration for people: `45 s`, `5 min`, `1 h 5 min`, `13 h`, `2 d 3 h`.
pub(crate) struct Human(pub Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let (d, h, m, s) = (
            secs / 86_400,
            secs % 86_400 / 3_600,
            secs % 3_600 / 60,
            secs % 60,
        );
        if secs < 60 {
            return write!(f, "{s} s");
        }
        let parts = [(d, "d"), (h, "h"), (m, "min")];
        let mut first = true;
        // The two most significant non-zero units are enough to read an age.
        let mut shown = 0;
        for (n, unit) in parts {
            if n == 0 && first {
                continue;
            }
            if shown == 2 {
                break;
            }
            shown += 1;
            if n == 0 {
                continue;
            }
            if !first {
                f.write_str(" ")?;
            }
            write!(f, "{n} {unit}")?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        let h = |s: u64| Human(Duration::from_secs(s)).to_string();
        assert_eq!(h(45), "45 s");
        assert_eq!(h(300), "5 min");
        assert_eq!(h(3_900), "1 h 5 min");
        assert_eq!(h(13 * 3_600 + 59), "13 h");
        assert_eq!(h(2 * 86_400 + 3 * 3_600 + 7 * 60), "2 d 3 h");
        assert_eq!(h(86_400 + 60), "1 d");
    }

    #[test]
    fn messages_name_the_rule() {
        let e = SignatureError::TooOld {
            what: "Date",
            age: Duration::from_secs(13 * 3_600),
            window: Duration::from_secs(12 * 3_600),
        };
        assert_eq!(
            e.to_string(),
            "signature: Date is 13 h old; the window is 12 h"
        );
        assert_eq!(
            SignatureError::DigestMismatch("Digest").to_string(),
            "signature: the body does not match Digest"
        );
    }
}
