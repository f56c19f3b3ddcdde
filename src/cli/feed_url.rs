//! The rule every new feed URL passes, whether typed into `braid source add` or read from an
//! OPML file: one function, so an import cannot subscribe to what `source add` refuses.
//!
//! Checked here, before anything is stored: the scheme (http or https; `file://`, `gopher://`
//! and the like are never fetched), a host, and IP literals against the private and reserved
//! ranges of [`braid_core::http::is_public_ip`] unless `fetch.allow_private_networks` is on.
//! Host names are checked after DNS resolution by the safe client on every fetch (a name can
//! change its address later, so a check at import time could not be the only one).

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// Why a feed URL was refused. [`Refusal::class`] groups them for a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotAUrl { url: String, reason: String },
    NotHttp { scheme: String },
    PrivateAddress { host: String, addr: Option<IpAddr> },
}

impl Refusal {
    /// The short name of the class, singular and plural, for "skipped 3 (2 not http/https, …)".
    pub fn class(&self) -> (&'static str, &'static str) {
        match self {
            Refusal::NotAUrl { .. } => ("not a URL", "not URLs"),
            Refusal::NotHttp { .. } => ("not http/https", "not http/https"),
            Refusal::PrivateAddress { .. } => ("private address", "private addresses"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotAUrl { url, reason } => write!(
                f,
                "{url:?} is not a URL ({reason}); give one like https://example.com/feed.xml"
            ),
            Refusal::NotHttp { scheme } => {
                write!(f, "only http and https feeds can be added, not {scheme}:")
            }
            Refusal::PrivateAddress { host, addr } => {
                let what = addr.map_or_else(|| "a loopback name".to_owned(), |a| a.to_string());
                write!(
                    f,
                    "{host}: {what} is a private or reserved address (set \
                     fetch.allow_private_networks to allow it)"
                )
            }
        }
    }
}

/// Checks (and completes: `example.com/feed` means `https://example.com/feed`) a feed URL.
pub fn check_feed_url(raw: &str, allow_private_networks: bool) -> Result<Url, Refusal> {
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| Refusal::NotAUrl {
        url: raw.to_owned(),
        reason: e.to_string(),
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Refusal::NotHttp {
            scheme: url.scheme().to_owned(),
        });
    }
    let host = url.host().ok_or_else(|| Refusal::NotAUrl {
        url: raw.to_owned(),
        reason: "no host".into(),
    })?;
    if allow_private_networks {
        return Ok(url);
    }
    let addr = match host {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        // RFC 6761 §6.3: `localhost` and names under it are loopback, whatever DNS says.
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return Err(Refusal::PrivateAddress {
                    host: d,
                    addr: None,
                });
            }
            None
        }
    };
    match addr {
        Some(ip) if !braid_core::http::is_public_ip(ip) => Err(Refusal::PrivateAddress {
            host: host.to_string(),
            addr: Some(ip),
        }),
        _ => Ok(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_cannot_be_fetched_safely() {
        let class = |u: &str| check_feed_url(u, false).err().map(|r| r.class().0);
        assert_eq!(class("https://example.com/feed.xml"), None);
        assert_eq!(class("example.com/feed"), None);
        assert_eq!(class("file:///etc/passwd"), Some("not http/https"));
        assert_eq!(class("gopher://example.com/1"), Some("not http/https"));
        assert_eq!(
            class("http://169.254.169.254/latest/meta-data"),
            Some("private address")
        );
        assert_eq!(class("http://[::ffff:10.0.0.1]/"), Some("private address"));
        assert_eq!(class("http://app.localhost/feed"), Some("private address"));
        assert_eq!(class("http://exa mple.com/"), Some("not a URL"));
        assert!(check_feed_url("http://127.0.0.1:8080/feed", true).is_ok());
    }
}
