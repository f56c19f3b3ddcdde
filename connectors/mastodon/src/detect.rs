//! Which software runs an instance, through the safe client: its nodeinfo
//! (<https://nodeinfo.diaspora.software/protocol>) names it; software nodeinfo names but no
//! table here knows counts as Mastodon-compatible when it answers `GET /api/v1/instance`, the
//! one call every server of the Mastodon client API serves without a token.
//!
//! megalodon's detector refuses unknown software ("Unknown SNS") and fetches whatever URL the
//! nodeinfo index points at with its own HTTP client (environment proxies, unchecked
//! redirects), so detection lives here.

use braid_core::http::{Request, SafeClient};
use braid_core::ConnectorError;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::Target;
use crate::wire::{InstanceV1, Nodeinfo, NodeinfoIndex};

/// The nodeinfo schemas read, newest first.
const NODEINFO_SCHEMAS: [&str; 3] = [
    "http://nodeinfo.diaspora.software/ns/schema/2.1",
    "http://nodeinfo.diaspora.software/ns/schema/2.0",
    "http://nodeinfo.diaspora.software/ns/schema/1.0",
];

/// What detection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKind {
    /// The server type Braid stores and logs in with: `mastodon`, `pleroma`, `friendica`,
    /// `gotosocial`, `firefish`, `pixelfed`.
    pub server_type: String,
    /// The software as nodeinfo names it, when it does.
    pub software: Option<String>,
    pub version: Option<String>,
    /// False when the software is not one Braid knows and the Mastodon API is used because
    /// `/api/v1/instance` answered.
    pub known: bool,
}

impl ServerKind {
    /// A line for the person logging in when the server was not recognized.
    pub fn note(&self) -> Option<String> {
        if self.known {
            return None;
        }
        Some(match &self.software {
            Some(name) => {
                let version = self
                    .version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                format!(
                    "mastodon: detected {name:?}{version} (not a known Mastodon-family server); using the Mastodon API"
                )
            }
            None => "mastodon: the server has no readable nodeinfo; it answers /api/v1/instance, so using the Mastodon API".into(),
        })
    }
}

/// The server type for nodeinfo's software name (and the upstream a fork names), as
/// megalodon's detector maps them; `None` for software not known here.
pub fn known_server_type(software: &str, upstream: Option<&str>) -> Option<&'static str> {
    let kind = match software.trim().to_ascii_lowercase().as_str() {
        "mastodon" | "hometown" => "mastodon",
        "pleroma" | "akkoma" => "pleroma",
        "friendica" => "friendica",
        "gotosocial" => "gotosocial",
        "firefish" | "iceshrimp" => "firefish",
        "pixelfed" => "pixelfed",
        _ => match upstream.map(|u| u.trim().to_ascii_lowercase()) {
            Some(u) if u == "mastodon" => "mastodon",
            _ => return None,
        },
    };
    Some(kind)
}

/// Detects the server software behind `instance` (which ends in `/`).
pub async fn detect(instance: &Url, client: &SafeClient) -> Result<ServerKind, ConnectorError> {
    let nodeinfo = nodeinfo(instance, client).await;
    if let Ok(info) = &nodeinfo {
        let upstream = info
            .metadata
            .as_ref()
            .and_then(|m| m.upstream.as_ref())
            .map(|u| u.name.as_str());
        if let Some(kind) = known_server_type(&info.software.name, upstream) {
            return Ok(ServerKind {
                server_type: kind.to_owned(),
                software: Some(info.software.name.clone()),
                version: info.software.version.clone(),
                known: true,
            });
        }
    }
    // Unknown software, or no nodeinfo at all: the Mastodon API itself decides. A host that
    // cannot be reached (or is refused) is that error; one that answers something other than
    // the instance document is not a Mastodon-API server.
    let resp = fetch(client, join(instance, "api/v1/instance")?).await?;
    if resp.status.is_server_error() || resp.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        // Down or busy says nothing about which API it speaks: that error, to retry.
        crate::api::json::<serde_json::Value>(&resp, Target::Other)?;
    }
    let software = nodeinfo.ok().map(|info| info.software);
    match crate::api::json::<InstanceV1>(&resp, Target::Other) {
        Ok(_) => {
            let (software, version) = match software {
                Some(s) => (Some(s.name).filter(|n| !n.trim().is_empty()), s.version),
                None => (None, None),
            };
            Ok(ServerKind {
                server_type: "mastodon".into(),
                software,
                version,
                known: false,
            })
        }
        Err(e) => {
            let runs = software
                .map(|s| format!(" runs {:?} and", s.name))
                .unwrap_or_default();
            Err(ConnectorError::Unsupported(format!(
                "mastodon: {}{runs} does not answer the Mastodon API ({e}); if it is a Mastodon-family server, pass --server-type",
                instance.host_str().unwrap_or("the server"),
            )))
        }
    }
}

/// The nodeinfo document the instance's index points at.
async fn nodeinfo(instance: &Url, client: &SafeClient) -> Result<Nodeinfo, ConnectorError> {
    let index: NodeinfoIndex = get_json(client, join(instance, ".well-known/nodeinfo")?).await?;
    let href = NODEINFO_SCHEMAS
        .iter()
        .find_map(|schema| index.links.iter().find(|l| l.rel == *schema))
        .map(|l| l.href.clone())
        .ok_or_else(|| {
            ConnectorError::Unsupported("mastodon: no nodeinfo 1.0 to 2.1 link".into())
        })?;
    // The document may live on another host (the index says where); the safe client checks
    // that host like any other.
    let url = instance.join(&href).map_err(|e| {
        ConnectorError::Permanent(format!("mastodon: bad nodeinfo link {href:?}: {e}"))
    })?;
    get_json(client, url).await
}

fn join(instance: &Url, path: &str) -> Result<Url, ConnectorError> {
    instance
        .join(path)
        .map_err(|e| ConnectorError::Permanent(format!("mastodon: bad URL {path}: {e}")))
}

/// An unauthenticated `GET` through the safe client (redirects followed and checked there).
async fn fetch(
    client: &SafeClient,
    url: Url,
) -> Result<braid_core::http::Response, ConnectorError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    client
        .send(Request {
            method: Method::GET,
            url,
            headers,
            body: None,
        })
        .await
        .map_err(|e| ConnectorError::from_http("mastodon", e))
}

/// [`fetch`], the status mapped to an error, the body parsed as `T`.
async fn get_json<T: DeserializeOwned>(client: &SafeClient, url: Url) -> Result<T, ConnectorError> {
    crate::api::json(&fetch(client, url).await?, Target::Other)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn known_software_and_forks() {
        let table: &[(&str, Option<&str>, Option<&str>)] = &[
            ("mastodon", None, Some("mastodon")),
            ("Hometown", None, Some("mastodon")),
            ("akkoma", None, Some("pleroma")),
            ("gotosocial", None, Some("gotosocial")),
            ("iceshrimp", None, Some("firefish")),
            ("glitchsoc-fork", Some("Mastodon"), Some("mastodon")),
            ("foosoft", None, None),
            ("foosoft", Some("misskey"), None),
        ];
        for (name, upstream, want) in table {
            assert_eq!(known_server_type(name, *upstream), *want, "{name}");
        }
    }

    #[test]
    fn an_unknown_server_says_what_was_detected() {
        let kind = ServerKind {
            server_type: "mastodon".into(),
            software: Some("foosoft".into()),
            version: Some("1.2".into()),
            known: false,
        };
        assert_eq!(
            kind.note().unwrap(),
            "mastodon: detected \"foosoft\" 1.2 (not a known Mastodon-family server); using the Mastodon API"
        );
        let known = ServerKind {
            known: true,
            ..kind
        };
        assert_eq!(known.note(), None);
    }
}
