//! Logging in with OAuth 2 (RFC 6749 §4.1, authorization code): register an app
//! (`POST /api/v1/apps`), send the person to the authorize URL, exchange the code they paste
//! for a token (`POST /oauth/token`). The redirect is the out-of-band URI, so the server shows
//! the code instead of redirecting (Braid may have no public address).
//!
//! Both calls go through the safe client (private addresses refused, no environment proxy,
//! timeouts, no redirect followed for a POST) and decode only what Braid needs
//! ([`crate::wire::Application`], [`crate::wire::Token`]). megalodon made them with its own
//! HTTP client, which Braid cannot give those guarantees to. The app's client secret is never
//! shown (`Debug` hides it).

use braid_core::http::{Request, SafeClient};
use braid_core::ConnectorError;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::Target;
use crate::wire::{Application, Token};

/// Redirect URI that makes the server display the code (Mastodon's out-of-band flow).
pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";

/// The scopes Braid asks for: reading timelines and publishing.
pub const SCOPES: &[&str] = &["read", "write"];

/// A registered app waiting for the person to authorize it.
#[derive(Clone)]
pub struct PendingLogin {
    /// Where the person authorizes Braid.
    pub authorize_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// The server software (`mastodon`, `pleroma`, …), as detected or named.
    pub server_type: String,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("authorize_url", &self.authorize_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<hidden>")
            .finish()
    }
}

/// Registers Braid as an app on `instance` for the out-of-band flow (the authorize page shows
/// a code to paste) and returns the authorize URL to show.
pub async fn start(
    instance: &Url,
    server_type: &str,
    client: &SafeClient,
) -> Result<PendingLogin, ConnectorError> {
    start_with_redirect(instance, server_type, OOB_REDIRECT, None, client).await
}

/// Like [`start`], with the redirect URI the authorize page sends the browser back to with
/// `?code=…` (the web UI's callback), or [`OOB_REDIRECT`]; `state` goes in the authorize URL
/// and comes back beside the code.
pub async fn start_with_redirect(
    instance: &Url,
    server_type: &str,
    redirect_uri: &str,
    state: Option<&str>,
    client: &SafeClient,
) -> Result<PendingLogin, ConnectorError> {
    let server_type = crate::sns(server_type)?.to_string();
    if server_type == "firefish" {
        // Firefish logs apps in through Misskey's sessions, not an authorization code.
        return Err(ConnectorError::Unsupported(
            "mastodon: Firefish does not show an authorization code; make an access token in its settings and pass --token".into(),
        ));
    }
    let instance = crate::api::normalize_instance(instance.clone())?;
    let scopes = SCOPES.join(" ");
    let app: Application = post_json(
        client,
        join(&instance, "api/v1/apps")?,
        &serde_json::json!({
            "client_name": "Braid",
            "redirect_uris": redirect_uri,
            "scopes": scopes,
        }),
    )
    .await?;
    let mut authorize_url = join(&instance, "oauth/authorize")?;
    authorize_url
        .query_pairs_mut()
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", &scopes);
    // `state` guards a redirect endpoint against forged requests (RFC 6749 §10.12): the web
    // UI's callback finishes only the logins it started. Out of band no redirect ever reaches
    // Braid, so there is none.
    if let Some(state) = state {
        authorize_url.query_pairs_mut().append_pair("state", state);
    }
    Ok(PendingLogin {
        authorize_url: authorize_url.to_string(),
        client_id: app.client_id,
        client_secret: app.client_secret,
        redirect_uri: redirect_uri.to_owned(),
        server_type,
    })
}

/// The code out of what the person pasted: servers show it alone, or beside other text
/// (`CODE&state=…`, `code=CODE`, a whole `…?code=CODE&state=…` URL), and copying adds spaces.
pub fn clean_code(pasted: &str) -> &str {
    let text = pasted.trim();
    let after_key = text.match_indices("code=").find_map(|(i, key)| {
        let starts_param = i == 0 || matches!(text.as_bytes()[i - 1], b'?' | b'&' | b' ');
        starts_param.then(|| &text[i + key.len()..])
    });
    after_key
        .unwrap_or(text)
        .split(|c: char| c == '&' || c == '#' || c.is_whitespace())
        .next()
        .unwrap_or_default()
}

/// Exchanges the authorization `code` for an access token. A refused code is `Auth`.
pub async fn finish(
    instance: &Url,
    pending: &PendingLogin,
    code: &str,
    client: &SafeClient,
) -> Result<String, ConnectorError> {
    let code = clean_code(code);
    if code.is_empty() {
        return Err(ConnectorError::Auth(
            "mastodon: no authorization code given; paste the code the authorize page shows".into(),
        ));
    }
    let instance = crate::api::normalize_instance(instance.clone())?;
    // RFC 6749 §4.1.3: the token request is form-encoded (Appendix B).
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("client_id", &pending.client_id)
        .append_pair("client_secret", &pending.client_secret)
        .append_pair("redirect_uri", &pending.redirect_uri)
        .append_pair("scope", &SCOPES.join(" "))
        .finish();
    let token: Token = post(
        client,
        join(&instance, "oauth/token")?,
        "application/x-www-form-urlencoded",
        Bytes::from(form),
    )
    .await
    .map_err(|e| match e {
        // RFC 6749 §5.2: a bad code is `400 invalid_grant`.
        ConnectorError::Permanent(m) => ConnectorError::Auth(format!(
            "{m}; the authorization code was refused, run `braid account add` again"
        )),
        other => other,
    })?;
    Ok(token.access_token)
}

fn join(instance: &Url, path: &str) -> Result<Url, ConnectorError> {
    instance
        .join(path)
        .map_err(|e| ConnectorError::Permanent(format!("mastodon: bad URL {path}: {e}")))
}

/// An unauthenticated JSON `POST` through the safe client, the answer parsed as `T`.
async fn post_json<T: DeserializeOwned>(
    client: &SafeClient,
    url: Url,
    body: &serde_json::Value,
) -> Result<T, ConnectorError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| ConnectorError::Permanent(format!("mastodon: encoding a request: {e}")))?;
    post(client, url, "application/json", Bytes::from(bytes)).await
}

/// An unauthenticated `POST` through the safe client (which follows no redirect for it), the
/// answer parsed as `T`.
async fn post<T: DeserializeOwned>(
    client: &SafeClient,
    url: Url,
    content_type: &'static str,
    body: Bytes,
) -> Result<T, ConnectorError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let resp = client
        .send(Request {
            method: Method::POST,
            url,
            headers,
            body: Some(body),
        })
        .await
        .map_err(|e| ConnectorError::from_http("mastodon", e))?;
    crate::api::json(&resp, Target::Other)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_pasted_code_is_trimmed_to_the_code() {
        let table = [
            ("abc-DEF_123", "abc-DEF_123"),
            ("  abc123 \n", "abc123"),
            ("abc123&state=xyz", "abc123"),
            ("code=abc123", "abc123"),
            (" code=abc123&state=xyz\t", "abc123"),
            ("urn:ietf:wg:oauth:2.0:oob?code=abc123&state=xyz", "abc123"),
            (
                "https://social.example/oauth/authorize/native?code=abc123",
                "abc123",
            ),
            ("abc123#frag", "abc123"),
            ("   ", ""),
        ];
        for (pasted, want) in table {
            assert_eq!(clean_code(pasted), want, "{pasted:?}");
        }
    }
}
