//! Talking to other servers: fetching their documents (actors, keys, objects) with the
//! checks that keep a forged document out, and delivering activities to inboxes, signed.
//!
//! **Fetching** (every request through the safe client: private addresses refused, body
//! capped, timeouts): signed as the site (servers in "authorized fetch" mode ask for it),
//! `Accept` ActivityStreams; the answer must be an ActivityPub media type
//! (`application/activity+json` or `application/ld+json`), must come from the URL asked (no
//! redirect to another origin), and its `id` must be that URL: a document that claims to be
//! something else is refused (the CVE-2024-23832 class, where an attacker's upload was taken
//! for an actor). Actors and keys are kept for an hour; a key that fails to verify is fetched
//! again, at most once a minute (key rotation).
//!
//! **Delivering**: POST, signed with the sending actor's key, draft-cavage first (what most of
//! the fediverse verifies); a server that refuses it with 401 or 400 is asked again with RFC
//! 9421 (and the other way round), and the scheme that worked is remembered per server, in
//! the network's state (`scheme/ORIGIN`), so a rebuilt connector or a restart keeps it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use braid_core::http::{HttpError, Request, SafeClient};
use braid_core::state::StateStore;
use braid_core::ConnectorError;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::signature::{self, KeyPair, PublicKey, Scheme, SignedHeaders};
use chrono::Utc;

/// How long a fetched actor is trusted before it is fetched again.
const ACTOR_TTL: Duration = Duration::from_secs(3600);
/// A key is fetched again after a failed verification at most this often.
const REFETCH_EVERY: Duration = Duration::from_secs(60);
/// What a fetch asks for.
const ACCEPT: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// A remote actor, as far as Braid needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteActor {
    pub id: String,
    pub kind: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub outbox: Option<String>,
    /// Its followers collection (what a followers-only post is addressed to).
    pub followers: Option<String>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub icon: Option<String>,
    /// Its keys: id and PEM.
    pub keys: Vec<(String, String)>,
}

/// The origin (`scheme://host:port`) of `url`, for comparisons.
pub fn origin(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization())
}

/// `url` without its fragment.
pub fn defragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// A string or the `id` of an object: how ActivityStreams writes a reference.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

fn first_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(first_string),
        Value::Object(o) => o
            .get("href")
            .or_else(|| o.get("url"))
            .and_then(first_string),
        _ => None,
    }
}

impl RemoteActor {
    /// The actor in `doc`, which was fetched from `id`.
    pub fn parse(doc: &Value) -> Result<RemoteActor, ConnectorError> {
        let bad = |why: &str| ConnectorError::Permanent(format!("activitypub: actor: {why}"));
        let id = doc["id"].as_str().ok_or_else(|| bad("no id"))?.to_owned();
        let kind = doc["type"].as_str().unwrap_or_default().to_owned();
        if !matches!(
            kind.as_str(),
            "Person" | "Service" | "Application" | "Group" | "Organization"
        ) {
            return Err(bad(&format!("{id} is a {kind:?}, not an actor")));
        }
        let inbox = doc["inbox"]
            .as_str()
            .ok_or_else(|| bad("no inbox"))?
            .to_owned();
        let same_origin = |u: &str| origin(u).is_some() && origin(u) == origin(&id);
        if !same_origin(&inbox) {
            return Err(bad("its inbox is on another server"));
        }
        let keys = match &doc["publicKey"] {
            Value::Array(a) => a.iter().collect(),
            v @ Value::Object(_) => vec![v],
            _ => Vec::new(),
        }
        .into_iter()
        .filter_map(|k| {
            let kid = k["id"].as_str()?;
            let pem = k["publicKeyPem"].as_str()?;
            // A key the actor lists must be its own.
            let owner = k["owner"].as_str().unwrap_or(&id);
            (owner == id && same_origin(kid)).then(|| (kid.to_owned(), pem.to_owned()))
        })
        .collect();
        Ok(RemoteActor {
            inbox,
            shared_inbox: doc["endpoints"]["sharedInbox"]
                .as_str()
                .filter(|s| same_origin(s))
                .map(str::to_owned),
            outbox: doc["outbox"]
                .as_str()
                .filter(|s| same_origin(s))
                .map(str::to_owned),
            followers: doc["followers"]
                .as_str()
                .filter(|s| same_origin(s))
                .map(str::to_owned),
            preferred_username: doc["preferredUsername"].as_str().map(str::to_owned),
            name: doc["name"].as_str().map(str::to_owned),
            url: first_string(&doc["url"]),
            icon: first_string(&doc["icon"]),
            keys,
            kind,
            id,
        })
    }

    /// `user@host`, with `:port` when the actor's URL names one, when the actor says its name.
    pub fn handle(&self) -> Option<String> {
        let url = Url::parse(&self.id).ok()?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str()?),
            None => url.host_str()?.to_owned(),
        };
        Some(format!("{}@{host}", self.preferred_username.as_deref()?))
    }
}

struct Cached {
    actor: RemoteActor,
    at: Instant,
}

/// See the module documentation.
pub struct Remote {
    http: SafeClient,
    /// The site's key; without one, fetches go unsigned and nothing can be delivered.
    key: Option<Arc<KeyPair>>,
    /// The key id fetches are signed with (the owner's actor).
    fetch_key_id: Mutex<String>,
    actors: Mutex<HashMap<String, Cached>>,
    refetched: Mutex<HashMap<String, Instant>>,
    /// The scheme each server took last.
    schemes: Mutex<HashMap<String, Scheme>>,
    /// Where the schemes are kept across rebuilds and restarts (the network's state:
    /// `scheme/ORIGIN`), when given.
    kept: Option<StateStore>,
}

/// The state key of the scheme `server` takes.
fn scheme_key(server: &str) -> String {
    format!("scheme/{server}")
}

fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Cavage => "draft-cavage",
        Scheme::Rfc9421 => "rfc9421",
    }
}

impl Remote {
    pub fn new(http: SafeClient, key: Option<Arc<KeyPair>>, fetch_key_id: String) -> Self {
        Remote {
            http,
            key,
            fetch_key_id: Mutex::new(fetch_key_id),
            actors: Mutex::default(),
            refetched: Mutex::default(),
            schemes: Mutex::default(),
            kept: None,
        }
    }

    /// Keeps the scheme each server takes in `state`, so a rebuilt connector or a restarted
    /// daemon does not knock twice again where it learnt which one to use.
    pub fn keeping_schemes(mut self, state: StateStore) -> Self {
        self.kept = Some(state);
        self
    }

    /// True when the owner blocked `host`.
    pub fn is_blocked(&self, host: &str) -> bool {
        self.http.is_blocked(host)
    }

    pub fn set_fetch_key_id(&self, key_id: String) {
        *self
            .fetch_key_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = key_id;
    }

    fn http_error(what: &str, e: HttpError) -> ConnectorError {
        match e {
            HttpError::PrivateAddress { .. } | HttpError::BadUrl(_) | HttpError::Blocked(_) => {
                ConnectorError::Permanent(format!("activitypub: {what}: {e}"))
            }
            _ => ConnectorError::Transient(format!("activitypub: {what}: {e}")),
        }
    }

    /// Fetches the ActivityPub document at `url` (see the module documentation for the
    /// checks).
    pub async fn fetch(&self, url: &str) -> Result<Value, ConnectorError> {
        let target = Url::parse(defragment(url))
            .map_err(|e| ConnectorError::Permanent(format!("activitypub: {url:?}: {e}")))?;
        let server = target.origin().ascii_serialization();
        let mut scheme = self.scheme_for(&server).await;
        let mut response = self.get_signed(&target, scheme).await?;
        if response.status.as_u16() == 401 {
            // Signed in a scheme the server may not take: knock once more with the other.
            scheme = other(scheme);
            response = self.get_signed(&target, scheme).await?;
        }
        if response.status.is_success() {
            self.remember_scheme(server, scheme).await;
        }
        let status = response.status.as_u16();
        if status == 410 || status == 404 {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: {target} is gone ({status})"
            )));
        }
        if !(200..300).contains(&status) {
            return Err(status_error(
                status,
                response.header_str("retry-after"),
                &format!("fetching {target}"),
            ));
        }
        if response.url.origin() != target.origin() {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: {target} redirected to another server ({}); refused",
                response.url
            )));
        }
        let media_type = response
            .header_str("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media_type != "application/activity+json" && media_type != "application/ld+json" {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: {target} answered {media_type:?}, not an ActivityPub document; refused"
            )));
        }
        let doc: Value = serde_json::from_slice(&response.body).map_err(|e| {
            ConnectorError::Permanent(format!("activitypub: {target}: not JSON: {e}"))
        })?;
        let id = doc["id"].as_str().unwrap_or_default();
        if id != target.as_str() && id != response.url.as_str() {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: the document at {target} says it is {id:?}; refused"
            )));
        }
        Ok(doc)
    }

    /// GET `target` with `Accept` ActivityStreams, signed as the site in `scheme`.
    async fn get_signed(
        &self,
        target: &Url,
        scheme: Scheme,
    ) -> Result<braid_core::http::Response, ConnectorError> {
        let key_id = self
            .fetch_key_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static(ACCEPT));
        if let Some(key) = self.key.as_deref().filter(|_| !key_id.is_empty()) {
            let out = signature::OutgoingRequest {
                method: "GET",
                url: target,
                body: None,
                covered: &[],
            };
            let signed = signature::sign_request(scheme, key, &key_id, &out, Utc::now())
                .map_err(|e| ConnectorError::Permanent(format!("activitypub: {e}")))?;
            add_headers(&mut headers, &signed)?;
        }
        self.http
            .send(Request {
                method: Method::GET,
                url: target.clone(),
                headers,
                body: None,
            })
            .await
            .map_err(|e| Self::http_error(&format!("fetching {target}"), e))
    }

    fn lock_schemes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Scheme>> {
        self.schemes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The scheme `server` took last (draft-cavage until one is known), from memory, else
    /// from the kept state (read once per server).
    async fn scheme_for(&self, server: &str) -> Scheme {
        if let Some(scheme) = self.lock_schemes().get(server).copied() {
            return scheme;
        }
        let kept = match &self.kept {
            Some(state) => state.get(&scheme_key(server)).await.unwrap_or_else(|e| {
                tracing::warn!(server, error = %e, "activitypub: reading a server's scheme failed");
                None
            }),
            None => None,
        };
        let scheme = match kept.as_ref().and_then(Value::as_str) {
            Some(name) if name == scheme_name(Scheme::Rfc9421) => Scheme::Rfc9421,
            _ => Scheme::Cavage,
        };
        self.lock_schemes().insert(server.to_owned(), scheme);
        scheme
    }

    /// Remembers that `server` took `scheme`; kept only when that changed what was known.
    async fn remember_scheme(&self, server: String, scheme: Scheme) {
        let before = self.lock_schemes().insert(server.clone(), scheme);
        if before == Some(scheme) {
            return;
        }
        if let Some(state) = &self.kept {
            let name = Value::from(scheme_name(scheme));
            if let Err(e) = state.put(&scheme_key(&server), name).await {
                tracing::warn!(server, error = %e, "activitypub: keeping a server's scheme failed");
            }
        }
    }

    /// The actor id a handle names, by WebFinger (RFC 7033) on its host, over https as the
    /// fediverse does.
    pub async fn resolve(&self, user: &str, host: &str) -> Result<String, ConnectorError> {
        let mut url =
            Url::parse(&format!("https://{host}/.well-known/webfinger")).map_err(|e| {
                ConnectorError::Permanent(format!("activitypub: {user}@{host}: bad host: {e}"))
            })?;
        url.query_pairs_mut()
            .append_pair("resource", &format!("acct:{user}@{host}"));
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/jrd+json, application/json"),
        );
        let what = format!("looking up {user}@{host}");
        let response = self
            .http
            .get(&url, headers)
            .await
            .map_err(|e| Self::http_error(&what, e))?;
        let status = response.status.as_u16();
        if status == 404 {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: {host} knows no {user}"
            )));
        }
        if !response.status.is_success() {
            return Err(status_error(
                status,
                response.header_str("retry-after"),
                &what,
            ));
        }
        let jrd: Value = serde_json::from_slice(&response.body).map_err(|e| {
            ConnectorError::Permanent(format!("activitypub: {what}: not JSON: {e}"))
        })?;
        actor_link(&jrd).ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "activitypub: {user}@{host} has no ActivityPub actor"
            ))
        })
    }

    /// The object `v` refers to: embedded by `actor_id`'s server about its own object, it is
    /// taken as it is; anything else (a bare id, or an object of another server embedded) is
    /// fetched from its origin, so no server speaks for another's objects.
    pub async fn object(&self, v: &Value, actor_id: &str) -> Result<Value, ConnectorError> {
        let id = id_of(v).ok_or_else(|| {
            ConnectorError::Permanent("activitypub: an activity without an object id".into())
        })?;
        if v.is_object() && origin(id).is_some() && origin(id) == origin(actor_id) {
            return Ok(v.clone());
        }
        self.fetch(id).await
    }

    /// The actor `id`, from the cache when fresh.
    pub async fn actor(&self, id: &str, fresh: bool) -> Result<RemoteActor, ConnectorError> {
        let id = defragment(id);
        if !fresh {
            if let Some(c) = self.lock_actors().get(id) {
                if c.at.elapsed() < ACTOR_TTL {
                    return Ok(c.actor.clone());
                }
            }
        }
        let doc = self.fetch(id).await?;
        let actor = RemoteActor::parse(&doc)?;
        if actor.id != id {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: {id} names itself {}; refused",
                actor.id
            )));
        }
        self.lock_actors().insert(
            id.to_owned(),
            Cached {
                actor: actor.clone(),
                at: Instant::now(),
            },
        );
        Ok(actor)
    }

    /// The key `key_id` and the actor that owns it. `fresh`: fetch again (a signature failed
    /// with the cached key), at most once a minute per key; `None` when that is too soon.
    pub async fn key(
        &self,
        key_id: &str,
        fresh: bool,
    ) -> Result<Option<(RemoteActor, PublicKey)>, ConnectorError> {
        if fresh {
            let mut last = self
                .refetched
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last
                .get(key_id)
                .is_some_and(|t| t.elapsed() < REFETCH_EVERY)
            {
                return Ok(None);
            }
            last.insert(key_id.to_owned(), Instant::now());
        }
        let doc_url = defragment(key_id);
        // A key id is the actor's URL with a fragment (Mastodon, Fedify), or a key document
        // of its own that names its owner (GoToSocial).
        let owner = if !fresh && self.lock_actors().contains_key(doc_url) {
            doc_url.to_owned()
        } else {
            let doc = self.fetch(doc_url).await?;
            match (doc["owner"].as_str(), doc["publicKeyPem"].as_str()) {
                (Some(owner), Some(_)) => owner.to_owned(),
                _ => {
                    let actor = RemoteActor::parse(&doc)?;
                    self.lock_actors().insert(
                        actor.id.clone(),
                        Cached {
                            actor: actor.clone(),
                            at: Instant::now(),
                        },
                    );
                    actor.id
                }
            }
        };
        if origin(&owner) != origin(key_id) {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: key {key_id} is owned by {owner} on another server; refused"
            )));
        }
        let actor = self.actor(&owner, fresh && owner != doc_url).await?;
        let pem = actor
            .keys
            .iter()
            .find(|(id, _)| id == key_id)
            .map(|(_, pem)| pem.clone())
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "activitypub: {} does not list key {key_id}; refused",
                    actor.id
                ))
            })?;
        let key = PublicKey::from_pem(&pem)
            .map_err(|e| ConnectorError::Permanent(format!("activitypub: key {key_id}: {e}")))?;
        Ok(Some((actor, key)))
    }

    /// Delivers `message` to `inbox`, signed with the key of its `actor`.
    pub async fn post(&self, inbox: &str, message: &Value) -> Result<(), ConnectorError> {
        let url = Url::parse(inbox)
            .map_err(|e| ConnectorError::Permanent(format!("activitypub: inbox {inbox:?}: {e}")))?;
        let actor = message["actor"].as_str().unwrap_or_default();
        let key_id = format!("{actor}#main-key");
        let body = Bytes::from(message.to_string());
        let server = url.origin().ascii_serialization();
        let mut scheme = self.scheme_for(&server).await;
        for knock in 0..2 {
            let (status, retry_after) = self.post_once(&url, &key_id, &body, scheme).await?;
            if (200..300).contains(&status) {
                self.remember_scheme(server, scheme).await;
                return Ok(());
            }
            // A refused signature may be a scheme the server does not take: knock once more
            // with the other (what Fedify calls the double knock).
            if knock == 0 && matches!(status, 400 | 401 | 403) {
                scheme = other(scheme);
                continue;
            }
            return Err(status_error(
                status,
                retry_after.as_deref(),
                &format!("delivering to {inbox}"),
            ));
        }
        Err(ConnectorError::Permanent(format!(
            "activitypub: {inbox} refused both signature schemes"
        )))
    }

    async fn post_once(
        &self,
        url: &Url,
        key_id: &str,
        body: &Bytes,
        scheme: Scheme,
    ) -> Result<(u16, Option<String>), ConnectorError> {
        let content_type = crate::documents::LD_JSON;
        let key = self
            .key
            .clone()
            .ok_or_else(|| ConnectorError::Permanent("activitypub: no key to sign with".into()))?;
        // An RSA signature is milliseconds of CPU: off the async threads.
        let (target, body_copy, key_id_owned) = (url.clone(), body.clone(), key_id.to_owned());
        let signed = tokio::task::spawn_blocking(move || {
            let out = signature::OutgoingRequest {
                method: "POST",
                url: &target,
                body: Some(&body_copy),
                covered: &[("content-type", content_type)],
            };
            signature::sign_request(scheme, &key, &key_id_owned, &out, Utc::now())
        })
        .await
        .map_err(|e| ConnectorError::Transient(format!("activitypub: signing: {e}")))?
        .map_err(|e| ConnectorError::Permanent(format!("activitypub: {e}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static(ACCEPT));
        add_headers(&mut headers, &signed)?;
        let response = self
            .http
            .send(Request {
                method: Method::POST,
                url: url.clone(),
                headers,
                body: Some(body.clone()),
            })
            .await
            .map_err(|e| Self::http_error(&format!("delivering to {url}"), e))?;
        Ok((
            response.status.as_u16(),
            response.header_str("retry-after").map(str::to_owned),
        ))
    }

    fn lock_actors(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.actors.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The actor link of a WebFinger answer: `rel=self` with an ActivityPub media type.
pub fn actor_link(jrd: &Value) -> Option<String> {
    jrd["links"].as_array()?.iter().find_map(|l| {
        let media = l["type"].as_str().unwrap_or_default();
        let ap = media.starts_with("application/activity+json")
            || media.starts_with("application/ld+json");
        (l["rel"].as_str() == Some("self") && ap)
            .then(|| l["href"].as_str().map(str::to_owned))
            .flatten()
            .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
    })
}

/// What an HTTP status means for the request: slow down (429, 503 with `Retry-After`), try
/// again later (5xx, 408, and 401: the server may not have reached our key yet), or give up.
pub fn status_error(status: u16, retry_after: Option<&str>, what: &str) -> ConnectorError {
    let message = format!("activitypub: {what}: HTTP {status}");
    let wait = retry_after.and_then(|v| {
        v.trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
            .or_else(|| {
                httpdate::parse_http_date(v.trim())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::SystemTime::now()).ok())
            })
    });
    match status {
        429 => ConnectorError::RateLimited {
            retry_after: wait,
            message,
        },
        503 if wait.is_some() => ConnectorError::RateLimited {
            retry_after: wait,
            message,
        },
        401 | 408 | 500..=599 => ConnectorError::Transient(message),
        _ => ConnectorError::Permanent(message),
    }
}

/// The scheme that is not `scheme`.
pub fn other(scheme: Scheme) -> Scheme {
    match scheme {
        Scheme::Cavage => Scheme::Rfc9421,
        Scheme::Rfc9421 => Scheme::Cavage,
    }
}

fn add_headers(headers: &mut HeaderMap, add: &SignedHeaders) -> Result<(), ConnectorError> {
    for (name, value) in add.iter() {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| ConnectorError::Permanent(format!("activitypub: header {name}: {e}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| ConnectorError::Permanent(format!("activitypub: header value: {e}")))?;
        headers.insert(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use braid_core::http::HttpConfig;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An HTTP server on 127.0.0.1 answering every request with `content_type` and the body
    /// `body` makes from the server's base URL (the documents a hostile server could serve),
    /// or with a redirect to `location`.
    async fn serve(
        content_type: &'static str,
        body: impl FnOnce(&str) -> String,
        location: Option<String>,
    ) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let body = body(&base);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = match &location {
                    Some(to) => format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\n"),
                    None => format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"),
                };
                let reply = format!(
                    "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            }
        });
        base
    }

    fn remote() -> Remote {
        let http = SafeClient::new(HttpConfig {
            allow_private_networks: true,
            ..HttpConfig::default()
        })
        .unwrap();
        Remote::new(http, None, String::new())
    }

    fn person(id: &str) -> String {
        json!({ "id": id, "type": "Person", "inbox": format!("{id}/inbox") }).to_string()
    }

    #[tokio::test]
    async fn fetched_documents_must_be_activitypub_and_be_what_they_claim() {
        let r = remote();
        // Honest: an ActivityPub media type, and the id is the URL fetched.
        let honest = serve(
            "application/activity+json; charset=utf-8",
            |base| person(&format!("{base}/users/a")),
            None,
        )
        .await;
        let actor = r.actor(&format!("{honest}/users/a"), true).await.unwrap();
        assert_eq!(actor.inbox, format!("{honest}/users/a/inbox"));

        // A document claiming another id (an upload posing as an actor: CVE-2024-23832).
        let posing = serve(
            "application/activity+json",
            |base| person(&format!("{base}/users/someone-else")),
            None,
        )
        .await;
        let err = r
            .fetch(&format!("{posing}/media/upload.json"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("says it is"), "{err}");

        // Not an ActivityPub media type, even with the right id.
        for media_type in ["text/html", "application/json", "text/plain"] {
            let other = serve(media_type, |base| person(&format!("{base}/users/a")), None).await;
            let err = r.fetch(&format!("{other}/users/a")).await.unwrap_err();
            assert!(
                err.to_string().contains("not an ActivityPub document"),
                "{media_type}: {err}"
            );
        }

        // A redirect to another server.
        let elsewhere = serve(
            "application/activity+json",
            |base| person(&format!("{base}/users/a")),
            None,
        )
        .await;
        let hop = serve("", |_| String::new(), Some(format!("{elsewhere}/users/a"))).await;
        let err = r.fetch(&format!("{hop}/users/a")).await.unwrap_err();
        assert!(
            err.to_string().contains("redirected to another server"),
            "{err}"
        );
    }

    #[test]
    fn an_actor_is_read_with_its_own_keys_only() {
        let doc = json!({
            "id": "https://a.example/users/x",
            "type": "Person",
            "inbox": "https://a.example/users/x/inbox",
            "endpoints": { "sharedInbox": "https://b.example/inbox" },
            "preferredUsername": "x",
            "publicKey": [
                { "id": "https://a.example/users/x#main-key", "owner": "https://a.example/users/x", "publicKeyPem": "P1" },
                { "id": "https://a.example/users/y#main-key", "owner": "https://a.example/users/y", "publicKeyPem": "P2" },
                { "id": "https://b.example/k", "owner": "https://a.example/users/x", "publicKeyPem": "P3" }
            ]
        });
        let a = RemoteActor::parse(&doc).unwrap();
        assert_eq!(
            a.keys,
            vec![(
                "https://a.example/users/x#main-key".to_owned(),
                "P1".to_owned()
            )]
        );
        // A shared inbox on another server is not taken.
        assert_eq!(a.shared_inbox, None);
        assert_eq!(a.handle().as_deref(), Some("x@a.example"));
        let mut not_actor = doc.clone();
        not_actor["type"] = json!("Note");
        assert!(RemoteActor::parse(&not_actor).is_err());
        let mut far_inbox = doc;
        far_inbox["inbox"] = json!("https://evil.example/inbox");
        assert!(RemoteActor::parse(&far_inbox).is_err());
        let mut on_a_port = RemoteActor::parse(&json!({
            "id": "http://127.0.0.3:8080/users/bob",
            "type": "Person",
            "inbox": "http://127.0.0.3:8080/users/bob/inbox",
            "preferredUsername": "bob",
        }))
        .unwrap();
        assert_eq!(on_a_port.handle().as_deref(), Some("bob@127.0.0.3:8080"));
        on_a_port.preferred_username = None;
        assert_eq!(on_a_port.handle(), None);
    }

    #[test]
    fn the_actor_link_of_a_webfinger_answer() {
        // Mastodon's: the profile page first, then the actor.
        let mastodon = json!({
            "subject": "acct:x@a.example",
            "links": [
                { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://a.example/@x" },
                { "rel": "self", "type": "application/activity+json", "href": "https://a.example/users/x" },
                { "rel": "http://ostatus.org/schema/1.0/subscribe", "template": "https://a.example/authorize_interaction?uri={uri}" }
            ]
        });
        assert_eq!(
            actor_link(&mastodon).as_deref(),
            Some("https://a.example/users/x")
        );
        // The JSON-LD media type with its profile, as some servers give it.
        let ld = json!({ "links": [{
            "rel": "self",
            "type": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            "href": "http://127.0.0.3:8080/users/bob"
        }]});
        assert_eq!(
            actor_link(&ld).as_deref(),
            Some("http://127.0.0.3:8080/users/bob")
        );
        // No actor: a self link of another media type, an actor that is not HTTP(S), no links.
        for none in [
            json!({ "links": [{ "rel": "self", "type": "text/html", "href": "https://a.example/@x" }] }),
            json!({ "links": [{ "rel": "alternate", "type": "application/activity+json", "href": "https://a.example/users/x" }] }),
            json!({ "links": [{ "rel": "self", "type": "application/activity+json", "href": "javascript:alert(1)" }] }),
            json!({ "links": [{ "rel": "self", "type": "application/activity+json" }] }),
            json!({ "links": "https://a.example/users/x" }),
            json!({ "subject": "acct:x@a.example" }),
        ] {
            assert_eq!(actor_link(&none), None, "{none}");
        }
    }
}
