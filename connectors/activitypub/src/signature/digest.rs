//! Digests of the body: what binds a signature, which covers a header, to the body.
//!
//! - `Digest: SHA-256=<base64>` (RFC 3230, as draft-cavage and Mastodon use it).
//! - `Content-Digest: sha-256=:<base64>:` (RFC 9530 §2, an RFC 8941 dictionary of byte
//!   sequences), what RFC 9421 signatures cover.
//!
//! When checking, every algorithm we know (sha-256, sha-512) that a header offers must match;
//! algorithms we do not know are skipped, but a header offering none we know is refused, and a
//! header we cannot parse is refused. When a request carries both headers, both must match:
//! a signature covers one of them, and the other must not say something else about the body.

use base64::Engine as _;
use sha2::{Digest as _, Sha256, Sha512};

use super::request::IncomingRequest;
use super::SignatureError;

const STANDARD: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The `Digest` header value for `body`: `SHA-256=<base64>`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// The `Content-Digest` header value for `body`: `sha-256=:<base64>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// The digest of `body` with the algorithm named `name` (case-insensitive), if we know it.
fn compute(name: &str, body: &[u8]) -> Option<Vec<u8>> {
    match name.to_ascii_lowercase().as_str() {
        "sha-256" => Some(Sha256::digest(body).to_vec()),
        "sha-512" => Some(Sha512::digest(body).to_vec()),
        _ => None,
    }
}

/// Checks a `Digest` header value (`SHA-256=…, SHA-512=…`) against `body`.
pub fn check_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    const HEADER: &str = "Digest";
    let mut offered = Vec::new();
    let mut checked = false;
    for member in value.split(',') {
        let member = member.trim();
        let Some((name, encoded)) = member.split_once('=') else {
            return Err(SignatureError::malformed(
                HEADER,
                "a member is not algorithm=value",
            ));
        };
        let name = name.trim();
        offered.push(name.to_string());
        let Some(expected) = compute(name, body) else {
            continue;
        };
        let given = STANDARD
            .decode(encoded.trim())
            .map_err(|_| SignatureError::malformed(HEADER, format!("{name} is not base64")))?;
        if given != expected {
            return Err(SignatureError::DigestMismatch(HEADER));
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::DigestUnsupported {
            header: HEADER,
            offered: offered.join(", "),
        })
    }
}

/// Checks a `Content-Digest` header value (`sha-256=:…:`) against `body`.
pub fn check_content_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    const HEADER: &str = "Content-Digest";
    let dict = sfv::Parser::parse_dictionary(value.as_bytes())
        .map_err(|e| SignatureError::malformed(HEADER, format!("not a dictionary: {e}")))?;
    let mut offered = Vec::new();
    let mut checked = false;
    for (name, entry) in &dict {
        offered.push(name.clone());
        let Some(expected) = compute(name, body) else {
            continue;
        };
        let given = match entry {
            sfv::ListEntry::Item(item) => item.bare_item.as_byte_seq(),
            sfv::ListEntry::InnerList(_) => None,
        }
        .ok_or_else(|| SignatureError::malformed(HEADER, format!("{name} is not :base64:")))?;
        if *given != expected {
            return Err(SignatureError::DigestMismatch(HEADER));
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::DigestUnsupported {
            header: HEADER,
            offered: offered.join(", "),
        })
    }
}

/// Which digest headers a request carried, all of them checked against its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DigestsChecked {
    pub digest: bool,
    pub content_digest: bool,
}

/// Checks every digest header of `request` against its body. Each header must appear at most
/// once; absent headers are not an error here (the signature rules say when one is required).
pub fn check_body_digests(request: &IncomingRequest<'_>) -> Result<DigestsChecked, SignatureError> {
    let mut checked = DigestsChecked::default();
    if let Some(value) = request.single_header("digest")? {
        check_digest(value, request.body)?;
        checked.digest = true;
    }
    if let Some(value) = request.single_header("content-digest")? {
        check_content_digest(value, request.body)?;
        checked.content_digest = true;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // RFC 9530 §2 and draft-cavage-12's examples both digest this body.
    const BODY: &[u8] = br#"{"hello": "world"}"#;

    #[test]
    fn digests_of_the_published_example_body() {
        assert_eq!(
            digest_header(BODY),
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
        );
        assert_eq!(
            content_digest_header(BODY),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
    }

    #[test]
    fn matching_digests_pass() {
        check_digest(&digest_header(BODY), BODY).unwrap();
        check_digest("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", BODY).unwrap();
        check_content_digest(&content_digest_header(BODY), BODY).unwrap();
        // RFC 9421 §4.3's sha-512 Content-Digest of the same body.
        let sha512 = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7\
                      BNNyealdVLvRwEmTHWXvJwew==:";
        check_content_digest(sha512, BODY).unwrap();
        // An unknown algorithm beside a known one is skipped.
        check_content_digest(&format!("md5=:AAAA:, {sha512}"), BODY).unwrap();
    }

    #[test]
    fn mismatches_and_unknown_algorithms_are_refused() {
        let other = b"{\"hello\": \"mallory\"}";
        assert_eq!(
            check_digest(&digest_header(BODY), other),
            Err(SignatureError::DigestMismatch("Digest"))
        );
        assert_eq!(
            check_content_digest(&content_digest_header(BODY), other),
            Err(SignatureError::DigestMismatch("Content-Digest"))
        );
        assert!(matches!(
            check_digest("MD5=Sd/dVLAcvNLSq16eXua5uQ==", BODY),
            Err(SignatureError::DigestUnsupported { .. })
        ));
        assert!(matches!(
            check_content_digest("sha=:AAAA:", BODY),
            Err(SignatureError::DigestUnsupported { .. })
        ));
        // One matching and one mismatching algorithm: refused.
        let bad512 = format!("{}, SHA-512=AAAA", digest_header(BODY));
        assert_eq!(
            check_digest(&bad512, BODY),
            Err(SignatureError::DigestMismatch("Digest"))
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for value in ["", "SHA-256", "SHA-256=!!!", "sha-256=:%%:"] {
            assert!(check_digest(value, BODY).is_err(), "{value}");
        }
        for value in ["sha-256=X48E", "sha-256=(1 2)", "=", "sha-256=:!!:"] {
            assert!(check_content_digest(value, BODY).is_err(), "{value}");
        }
    }
}
