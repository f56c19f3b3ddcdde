//! Authenticated calls to one instance's REST API through Braid's [`SafeClient`] (private
//! addresses refused, bodies capped, timeouts, no environment proxy).

use braid_core::http::{Request, Response, SafeClient};
use braid_core::ConnectorError;
use bytes::Bytes;
use chrono::Utc;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{self, Target};

/// One account on one instance. The token is never logged nor shown (`Debug` hides it).
#[derive(Clone)]
pub struct Api {
    instance: Url,
    token: String,
    client: SafeClient,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("instance", &self.instance.as_str())
            .field("token", &"<hidden>")
            .finish()
    }
}

impl Api {
    /// Refuses anything but an `http(s)` instance URL with a host.
    pub fn new(instance: Url, token: String, client: SafeClient) -> Result<Api, ConnectorError> {
        let instance = normalize_instance(instance)?;
        if token.trim().is_empty() {
            return Err(ConnectorError::Auth(
                "mastodon: no access token; log in with `braid account add`".into(),
            ));
        }
        Ok(Api {
            instance,
            token,
            client,
        })
    }

    pub fn instance(&self) -> &Url {
        &self.instance
    }

    pub fn client(&self) -> &SafeClient {
        &self.client
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// `path` (`"api/v1/timelines/home"`, no leading slash) on the instance.
    pub fn url(&self, path: &str) -> Result<Url, ConnectorError> {
        self.instance
            .join(path.trim_start_matches('/'))
            .map_err(|e| ConnectorError::Permanent(format!("mastodon: bad API path {path}: {e}")))
    }

    /// True when `url` is on the instance itself: only then may the token travel with it (a
    /// `Link` header pointing elsewhere is not followed).
    pub fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.instance.origin()
    }

    /// Sends an authenticated request. `body` is `(content type, bytes)`.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<(&str, Bytes)>,
        extra: &[(HeaderName, HeaderValue)],
    ) -> Result<Response, ConnectorError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.token)).map_err(|_| {
            ConnectorError::Auth(
                "mastodon: the stored token is not valid header text; log in again with `braid account add`"
                    .into(),
            )
        });
        let mut bearer = bearer?;
        bearer.set_sensitive(true);
        headers.insert(AUTHORIZATION, bearer);
        let mut request_body = None;
        if let Some((content_type, bytes)) = body {
            let ct = HeaderValue::from_str(content_type).map_err(|_| {
                ConnectorError::Permanent(format!("mastodon: bad content type {content_type}"))
            })?;
            headers.insert(CONTENT_TYPE, ct);
            request_body = Some(bytes);
        }
        for (name, value) in extra {
            headers.insert(name.clone(), value.clone());
        }
        self.client
            .send(Request {
                method,
                url,
                headers,
                body: request_body,
            })
            .await
            .map_err(|e| ConnectorError::from_http("mastodon", e))
    }

    /// `GET url`, the status mapped to an error, the body parsed as `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        target: Target,
    ) -> Result<(T, Response), ConnectorError> {
        let resp = self.send(Method::GET, url, None, &[]).await?;
        let value = json(&resp, target)?;
        Ok((value, resp))
    }

    /// Sends a JSON body and parses a JSON answer.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: &serde_json::Value,
        extra: &[(HeaderName, HeaderValue)],
        target: Target,
    ) -> Result<T, ConnectorError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ConnectorError::Permanent(format!("mastodon: encoding a request: {e}")))?;
        let resp = self
            .send(
                method,
                url,
                Some(("application/json", Bytes::from(bytes))),
                extra,
            )
            .await?;
        json(&resp, target)
    }
}

/// The status mapped to an error, else the body parsed as `T`.
pub fn json<T: DeserializeOwned>(resp: &Response, target: Target) -> Result<T, ConnectorError> {
    if let Some(err) = error::status_error(resp, target, Utc::now()) {
        return Err(err);
    }
    serde_json::from_slice(&resp.body).map_err(|e| error::bad_json(resp.url.path(), e))
}

/// Checks the instance URL and makes it end in `/` so API paths join below it.
pub(crate) fn normalize_instance(mut instance: Url) -> Result<Url, ConnectorError> {
    if instance.scheme() != "https" && instance.scheme() != "http" {
        return Err(ConnectorError::Permanent(format!(
            "mastodon: {instance} is not an http(s) URL"
        )));
    }
    if instance.host_str().is_none() {
        return Err(ConnectorError::Permanent(format!(
            "mastodon: {instance} has no host"
        )));
    }
    instance.set_query(None);
    instance.set_fragment(None);
    if !instance.path().ends_with('/') {
        let path = format!("{}/", instance.path());
        instance.set_path(&path);
    }
    Ok(instance)
}
