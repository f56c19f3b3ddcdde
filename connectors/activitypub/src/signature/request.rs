//! The two views of a request that signatures need: an incoming one as the listener received
//! it, and an outgoing one as reqwest will send it.

use braid_core::connector::ListenerRequest;
use url::Url;

use super::SignatureError;

/// An incoming request, as received: what verification reads.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a> {
    /// The method as received (`POST`).
    pub method: &'a str,
    /// The path, percent-encoding as received (draft-cavage's `(request-target)` and RFC 9421's
    /// `@path` sign it byte for byte).
    pub path: &'a str,
    /// The query without its `?`, as received.
    pub query: Option<&'a str>,
    /// Every header in order; names lower-cased (they are compared case-insensitively anyway).
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl<'a> From<&'a ListenerRequest> for IncomingRequest<'a> {
    fn from(r: &'a ListenerRequest) -> Self {
        IncomingRequest {
            method: &r.method,
            path: &r.path,
            query: r.query.as_deref(),
            headers: &r.headers,
            body: &r.body,
        }
    }
}

impl<'a> IncomingRequest<'a> {
    /// The value of header `name`, which must appear at most once: a covered header that
    /// appears twice could be read one way by us and another by the signer.
    pub(crate) fn single_header(&self, name: &str) -> Result<Option<&'a str>, SignatureError> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(SignatureError::DuplicateHeader(name.to_ascii_lowercase()));
        }
        Ok(first)
    }

    /// The path and query as received (`/inbox?x=1`): the request-target in origin form.
    pub(crate) fn path_and_query(&self) -> String {
        match self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.to_string(),
        }
    }

    /// Whether the request must bind its body: a method that carries one, or a body present.
    /// Mastodon requires the digest for POST (`signed_request.rb` `verify_signature_strength!`);
    /// PUT and PATCH carry bodies the same way.
    pub(crate) fn needs_body_digest(&self) -> bool {
        !self.body.is_empty()
            || ["POST", "PUT", "PATCH"]
                .iter()
                .any(|m| self.method.eq_ignore_ascii_case(m))
    }
}

/// An outgoing request to sign.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingRequest<'a> {
    /// The method as reqwest will send it (`GET`, `POST`).
    pub method: &'a str,
    /// The full URL; its path and query are signed exactly as reqwest sends them.
    pub url: &'a Url,
    /// The body, when there is one: then `Digest` or `Content-Digest` is added and covered.
    pub body: Option<&'a [u8]>,
    /// Headers the caller sends anyway and wants covered too (lower-case names), e.g.
    /// `("accept", "application/activity+json")` or `("content-type", …)`.
    pub covered: &'a [(&'a str, &'a str)],
}

/// `host[:port]` of `url`, lower-cased, the port only when it is not the scheme's default: the
/// `Host` header reqwest sends, and RFC 9421's `@authority` (§2.2.3).
pub(crate) fn url_authority(url: &Url) -> Result<String, SignatureError> {
    let host = url
        .host_str()
        .ok_or_else(|| SignatureError::Signing(format!("the URL {url} has no host")))?;
    Ok(match url.port() {
        Some(port) => format!("{}:{port}", host.to_ascii_lowercase()),
        None => host.to_ascii_lowercase(),
    })
}

/// An authority normalized for comparison: lower-cased, the default port of `scheme` removed.
pub(crate) fn normalize_authority(authority: &str, scheme: &str) -> String {
    let lower = authority.trim().to_ascii_lowercase();
    let default = match scheme {
        "https" => ":443",
        "http" => ":80",
        _ => return lower,
    };
    match lower.strip_suffix(default) {
        Some(stripped) if !stripped.is_empty() => stripped.to_string(),
        _ => lower,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn authorities_compare_without_default_ports() {
        assert_eq!(
            normalize_authority("Example.COM:443", "https"),
            "example.com"
        );
        assert_eq!(
            normalize_authority("example.com:8443", "https"),
            "example.com:8443"
        );
        assert_eq!(normalize_authority("example.com:80", "http"), "example.com");
        let url = Url::parse("https://Example.com:443/a").unwrap();
        assert_eq!(url_authority(&url).unwrap(), "example.com");
        let url = Url::parse("http://[::1]:8080/a").unwrap();
        assert_eq!(url_authority(&url).unwrap(), "[::1]:8080");
    }
}
