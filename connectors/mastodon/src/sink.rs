//! Publishing through an account: create (with `Idempotency-Key`), edit, delete, media, limits.
//!
//! Every call here goes straight to the REST API through the safe client, not through
//! megalodon: megalodon cannot send the `Idempotency-Key` header
//! (<https://docs.joinmastodon.org/methods/statuses/#create>), which is what makes a retried
//! create after an unknown outcome return the first status instead of posting twice. Mastodon
//! keeps the key for an hour.
//!
//! A published post's `remote_id` is the status's `uri`, as in an [`braid_core::Item`] read
//! through a timeline, so the copy is recognised when it comes back; its `local_id` is the
//! instance-local `id` that edit, delete and `in_reply_to_id` take, and its reply reference is
//! `{"id": ID}`. [`Sink::reply_ref`] takes such an id, or a status URL/`uri` (an ingested
//! item's remote id), which is resolved through the instance's search.
//!
//! **Reconciling** a post whose outcome is unknown: the Mastodon API keeps an idempotency key
//! for an hour but has no way to look one up, and a status keeps no field of Braid's. So
//! [`MastodonSink`] looks through the account's own newest statuses (40) created since two
//! minutes before the request went out, for one with the same reply target, content warning,
//! number of media and text (from `GET /api/v1/statuses/:id/source`; its HTML's text where a
//! server has no such endpoint). The window that remains: the same text posted to the same
//! place by hand, in those minutes, is taken for Braid's.

use std::time::Duration;

use async_trait::async_trait;
use braid_core::connector::{
    Deleter, Editor, Limits, MediaRef, MediaUpload, Post, Probe, Published, ReplyRef,
};
use braid_core::{ConnectorError, RemoteId, Sink};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::api::{self, Api};
use crate::convert::scope;
use crate::error::Target;
use crate::limits::{limits_from, InstanceDoc};
use crate::media::multipart;
use crate::wire::{MediaAttachment, Status};

/// How long an upload may stay "processing" before publishing gives up (retried later).
const MEDIA_PROCESSING_LIMIT: Duration = Duration::from_secs(60);

/// Publishes as one account.
#[derive(Debug, Clone)]
pub struct MastodonSink {
    api: Api,
    /// Pause between checks of a processing upload (short in tests).
    media_poll_interval: Duration,
    /// Where the instance's limits are kept between deliveries (the account's state).
    limits_cache: Option<braid_core::state::StateStore>,
}

/// The instance's limits are asked again after this long: a server's limits change rarely,
/// and asking on every delivery doubled its requests.
const LIMITS_FRESH: chrono::Duration = chrono::Duration::hours(1);
const LIMITS_KEY: &str = "instance_limits";

#[derive(serde::Serialize, serde::Deserialize)]
struct CachedLimits {
    at: chrono::DateTime<chrono::Utc>,
    limits: Limits,
}

impl MastodonSink {
    pub(crate) fn with_api(api: Api) -> Self {
        MastodonSink {
            api,
            media_poll_interval: Duration::from_millis(500),
            limits_cache: None,
        }
    }

    /// Keeps the instance's limits in `state` between deliveries.
    pub(crate) fn with_limits_cache(mut self, state: braid_core::state::StateStore) -> Self {
        self.limits_cache = Some(state);
        self
    }

    /// What the instance declares: `/api/v2/instance`, else `/api/v1/instance`.
    async fn fetch_limits(&self) -> Result<Limits, ConnectorError> {
        let v2 = self
            .api
            .get_json::<InstanceDoc>(self.api.url("api/v2/instance")?, Target::Other)
            .await;
        let doc = match v2 {
            Ok((doc, _)) if doc.configuration.is_some() => doc,
            Err(e @ (ConnectorError::Auth(_) | ConnectorError::RateLimited { .. })) => {
                return Err(e)
            }
            _ => {
                self.api
                    .get_json::<InstanceDoc>(self.api.url("api/v1/instance")?, Target::Other)
                    .await?
                    .0
            }
        };
        Ok(limits_from(&doc))
    }

    /// The status's id for the API: a bare id, or the id at the end of an
    /// `…/api/v1/statuses/ID` URL on this instance (what a reply's `in_reply_to` holds when the
    /// parent was not in the same poll).
    fn status_id(&self, remote_id: &str) -> String {
        if let Ok(url) = url::Url::parse(remote_id) {
            if self.api.same_origin(&url) {
                let prefix = format!("{}api/v1/statuses/", self.api.instance().path());
                if let Some(id) = url.path().strip_prefix(&prefix) {
                    return id.trim_end_matches('/').to_owned();
                }
            }
        }
        remote_id.to_owned()
    }

    /// The id, on this instance, of the status a post replies to. A status id or API URL is
    /// used as is; any other URL (an item's `uri`, as the source stores it, or a status from
    /// elsewhere) is looked up with `GET /api/v2/search?resolve=true`, which makes the instance
    /// fetch it over ActivityPub if it does not know it yet, and must come back with that very
    /// `uri` or `url`.
    async fn reply_target(&self, parent: &str) -> Result<String, ConnectorError> {
        let id = self.status_id(parent);
        let Ok(wanted) = url::Url::parse(&id) else {
            return Ok(id);
        };
        if let Some(local) = self.local_status_by_url(&wanted).await? {
            return Ok(local);
        }
        let mut search = self.api.url("api/v2/search")?;
        search
            .query_pairs_mut()
            .append_pair("q", wanted.as_str())
            .append_pair("type", "statuses")
            .append_pair("resolve", "true")
            .append_pair("limit", "5");
        let (found, _): (SearchResults, _) = self.api.get_json(search, Target::Other).await?;
        found
            .statuses
            .into_iter()
            .find(|s| s.uri == id || s.url.as_deref() == Some(id.as_str()))
            .map(|s| s.id)
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "mastodon: cannot find the status this replies to ({id}) from this account's instance"
                ))
            })
    }

    /// A status of this instance named by its `uri` or `url`: instances end both with the
    /// status's id (`/users/u/statuses/ID`, `/@u/ID`), so that id is fetched and kept only if
    /// the status it names has that very `uri` or `url`. Saves a search, which some servers
    /// cannot do for their own statuses.
    async fn local_status_by_url(
        &self,
        wanted: &url::Url,
    ) -> Result<Option<String>, ConnectorError> {
        let Some(last) = wanted
            .path_segments()
            .and_then(|mut s| s.next_back())
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
        else {
            return Ok(None);
        };
        let resp = self
            .api
            .send(Method::GET, self.status_url(last)?, None, &[])
            .await?;
        if !resp.status.is_success() {
            return Ok(None);
        }
        let Ok(status) = api::json::<Status>(&resp, Target::Status) else {
            return Ok(None);
        };
        let same = status.uri == wanted.as_str() || status.url.as_deref() == Some(wanted.as_str());
        Ok(same.then_some(status.id))
    }

    fn status_url(&self, id: &str) -> Result<url::Url, ConnectorError> {
        let mut url = self.api.url("api/v1/statuses")?;
        url.path_segments_mut()
            .map_err(|_| ConnectorError::Permanent("mastodon: bad instance URL".into()))?
            .push(id);
        Ok(url)
    }

    /// Uploads a file (`POST /api/v2/media`) and waits until the server has processed it.
    async fn upload_file(&self, media: &MediaUpload) -> Result<String, ConnectorError> {
        let (content_type, body) = multipart(media);
        let resp = self
            .api
            .send(
                Method::POST,
                self.api.url("api/v2/media")?,
                Some((&content_type, body)),
                &[],
            )
            .await?;
        let first: MediaAttachment = api::json(&resp, Target::Other)?;
        if resp.status == StatusCode::OK && first.url.is_some() {
            return Ok(first.id);
        }
        // 202 Accepted: processing. `GET /api/v1/media/:id` answers 206 until it is done.
        let mut url = self.api.url("api/v1/media")?;
        url.path_segments_mut()
            .map_err(|_| ConnectorError::Permanent("mastodon: bad instance URL".into()))?
            .push(&first.id);
        let deadline = tokio::time::Instant::now() + MEDIA_PROCESSING_LIMIT;
        loop {
            tokio::time::sleep(self.media_poll_interval).await;
            let resp = self.api.send(Method::GET, url.clone(), None, &[]).await?;
            if resp.status == StatusCode::OK {
                let done: MediaAttachment = api::json(&resp, Target::Other)?;
                if done.url.is_some() {
                    return Ok(done.id);
                }
            } else if resp.status != StatusCode::PARTIAL_CONTENT {
                api::json::<serde_json::Value>(&resp, Target::Other)?;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ConnectorError::Transient(format!(
                    "mastodon: the server was still processing an upload after {} s",
                    MEDIA_PROCESSING_LIMIT.as_secs()
                )));
            }
        }
    }

    fn body(&self, post: &Post, create: bool) -> Result<serde_json::Value, ConnectorError> {
        let media_ids: Vec<&str> = post.media.iter().map(|m| m.id.as_str()).collect();
        let mut body = json!({
            // The Mastodon API takes plain text and links URLs, mentions and hashtags itself.
            "status": post.body.plain(),
            "spoiler_text": post.content_warning.clone().unwrap_or_default(),
            "sensitive": post.content_warning.is_some(),
            "media_ids": media_ids,
        });
        if let Some(lang) = &post.language {
            body["language"] = json!(lang);
        }
        if create {
            body["visibility"] = json!(scope(post.visibility));
            if let Some(parent) = &post.reply_to {
                body["in_reply_to_id"] = json!(reply_id(parent)?);
            }
        }
        Ok(body)
    }

    /// The instance-local id of a post this sink published: its `local_id`, else its `uri`
    /// resolved on the instance.
    async fn local_id(&self, published: &Published) -> Result<String, ConnectorError> {
        match &published.local_id {
            Some(id) => Ok(id.clone()),
            None => self.reply_target(published.remote_id.as_str()).await,
        }
    }

    /// The status's own text: `/source` (Mastodon 3.5+, GoToSocial, Akkoma), else its HTML's
    /// text.
    async fn status_text(&self, status: &Status) -> Result<String, ConnectorError> {
        let mut url = self.status_url(&status.id)?;
        url.path_segments_mut()
            .map_err(|_| ConnectorError::Permanent("mastodon: bad instance URL".into()))?
            .push("source");
        let resp = self.api.send(Method::GET, url, None, &[]).await?;
        if resp.status.is_success() {
            let source: StatusSource = api::json(&resp, Target::Status)?;
            return Ok(source.text);
        }
        if matches!(
            resp.status,
            StatusCode::NOT_FOUND | StatusCode::NOT_IMPLEMENTED
        ) {
            return Ok(braid_core::sanitize::html_to_text(&status.content));
        }
        api::json::<serde_json::Value>(&resp, Target::Status)?;
        Ok(braid_core::sanitize::html_to_text(&status.content))
    }
}

/// Where a published status is, in the sink's terms.
fn published(status: Status) -> Published {
    Published {
        remote_id: RemoteId(status.uri.clone()),
        reply_ref: ReplyRef(json!({ "id": status.id })),
        local_id: Some(status.id),
        url: status.url.or(Some(status.uri)),
    }
}

/// The status id a reply reference holds.
fn reply_id(reply: &ReplyRef) -> Result<&str, ConnectorError> {
    reply.0.get("id").and_then(|v| v.as_str()).ok_or_else(|| {
        ConnectorError::Permanent(format!(
            "mastodon: {} is not a reply reference of this network",
            reply.0
        ))
    })
}

/// Text compared for reconciling: whitespace runs as one space, trimmed.
fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    norm(a) == norm(b)
}

/// How far before the request a status it made may be dated (clocks differ).
const RECONCILE_SKEW: chrono::Duration = chrono::Duration::minutes(2);

#[derive(Debug, Default, Deserialize)]
struct StatusSource {
    #[serde(default)]
    text: String,
}

#[derive(Debug, Default, Deserialize)]
struct SearchResults {
    #[serde(default)]
    statuses: Vec<Status>,
}

#[async_trait]
impl Sink for MastodonSink {
    /// `/api/v2/instance`, else `/api/v1/instance` (Mastodon before 4.0, Pleroma, GoToSocial).
    /// The instance's limits, kept for an hour in the account's state.
    async fn limits(&self) -> Result<Limits, ConnectorError> {
        if let Some(cache) = &self.limits_cache {
            if let Ok(Some(v)) = cache.get(LIMITS_KEY).await {
                if let Ok(c) = serde_json::from_value::<CachedLimits>(v) {
                    if chrono::Utc::now() - c.at < LIMITS_FRESH {
                        return Ok(c.limits);
                    }
                }
            }
        }
        let limits = self.fetch_limits().await?;
        if let Some(cache) = &self.limits_cache {
            let kept = CachedLimits {
                at: chrono::Utc::now(),
                limits: limits.clone(),
            };
            if let Ok(v) = serde_json::to_value(&kept) {
                // A cache that cannot be written only costs the next delivery a request.
                let _ = cache.put(LIMITS_KEY, v).await;
            }
        }
        Ok(limits)
    }

    async fn upload(&self, media: &MediaUpload) -> Result<MediaRef, ConnectorError> {
        Ok(MediaRef {
            id: self.upload_file(media).await?,
            media_type: media.media_type.clone(),
            alt: media.alt.clone(),
        })
    }

    async fn reply_ref(&self, target: &str) -> Result<ReplyRef, ConnectorError> {
        Ok(ReplyRef(json!({ "id": self.reply_target(target).await? })))
    }

    async fn publish(
        &self,
        post: &Post,
        idempotency_key: &str,
    ) -> Result<Published, ConnectorError> {
        let key = HeaderValue::from_str(idempotency_key).map_err(|_| {
            ConnectorError::Permanent("mastodon: the idempotency key is not header text".into())
        })?;
        let status: Status = self
            .api
            .send_json(
                Method::POST,
                self.api.url("api/v1/statuses")?,
                &self.body(post, true)?,
                &[(HeaderName::from_static("idempotency-key"), key)],
                Target::Other,
            )
            .await?;
        tracing::debug!(local_id = %status.id, "mastodon: published");
        Ok(published(status))
    }

    /// See the module documentation: the account's newest statuses, matched by content.
    async fn reconcile(&self, probe: &Probe<'_>) -> Result<Option<Published>, ConnectorError> {
        let (me, _): (crate::wire::Account, _) = self
            .api
            .get_json(
                self.api.url("api/v1/accounts/verify_credentials")?,
                Target::Other,
            )
            .await?;
        let mut url = self.api.url("api/v1/accounts")?;
        url.path_segments_mut()
            .map_err(|_| ConnectorError::Permanent("mastodon: bad instance URL".into()))?
            .push(&me.id)
            .push("statuses");
        url.query_pairs_mut()
            .append_pair("limit", "40")
            .append_pair("exclude_reblogs", "true");
        let (statuses, _): (Vec<Status>, _) = self.api.get_json(url, Target::Other).await?;
        let since = probe.sent_at - RECONCILE_SKEW;
        let reply_to = probe.post.reply_to.as_ref().map(reply_id).transpose()?;
        let text = probe.post.body.plain();
        for status in statuses {
            if status.created_at.is_some_and(|t| t < since) {
                continue;
            }
            let same_place = status.in_reply_to_id.as_deref() == reply_to
                && status.spoiler_text == probe.post.content_warning.clone().unwrap_or_default()
                && status.media_attachments.len() == probe.post.media.len();
            if same_place && same_text(&self.status_text(&status).await?, &text) {
                return Ok(Some(published(status)));
            }
        }
        Ok(None)
    }

    fn editor(&self) -> Option<&dyn Editor> {
        Some(self)
    }

    fn deleter(&self) -> Option<&dyn Deleter> {
        Some(self)
    }
}

#[async_trait]
impl Editor for MastodonSink {
    /// `PUT /api/v1/statuses/:id` (Mastodon 3.5+). Visibility and the reply target cannot
    /// change in an edit; media are the refs uploaded before.
    async fn edit(&self, published: &Published, post: &Post) -> Result<(), ConnectorError> {
        let id = self.local_id(published).await?;
        let _: Status = self
            .api
            .send_json(
                Method::PUT,
                self.status_url(&id)?,
                &self.body(post, false)?,
                &[],
                Target::Status,
            )
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Deleter for MastodonSink {
    /// `DELETE /api/v1/statuses/:id`; a status already gone (404) counts as deleted.
    async fn delete(&self, published: &Published) -> Result<(), ConnectorError> {
        let id = self.local_id(published).await?;
        let resp = self
            .api
            .send(Method::DELETE, self.status_url(&id)?, None, &[])
            .await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        api::json::<serde_json::Value>(&resp, Target::Status).map(|_| ())
    }
}
