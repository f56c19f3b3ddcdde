//! Signing an outgoing request: the headers to add, for either scheme.

use std::time::SystemTime;

use chrono::{DateTime, Utc};

use super::request::{self, OutgoingRequest};
use super::{cavage, rfc9421, KeyPair, Scheme, SignatureError};

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
pub(super) fn validate_key_id(key_id: &str) -> Result<(), SignatureError> {
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
