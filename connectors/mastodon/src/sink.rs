//! Publishing through an account: create (with `Idempotency-Key`), edit, delete, media, limits.
//!
//! Every call here goes straight to the REST API through the safe client, not through
//! megalodon: megalodon cannot send the `Idempotency-Key` header
//! (<https://docs.joinmastodon.org/methods/statuses/#create>), which is what makes a retried
//! create after an unknown outcome return the first status instead of posting twice. Mastodon
//! keeps the key for an hour.
//!
//! The sink's remote id of a post is the status's instance-local `id` (what edit, delete and
//! `in_reply_to_id` take); its `url` is the status's page, which is also the `url` of the item
//! when the same status comes back through a timeline, so the two are linked by URL.
//! `Post::in_reply_to` takes such an id, or a status URL/`uri` (an ingested item's remote id),
//! which is resolved through the instance's search first.

use std::time::Duration;

use async_trait::async_trait;
use braid_core::connector::{Limits, MediaUpload, Post, Published};
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
}

impl MastodonSink {
    pub(crate) fn with_api(api: Api) -> Self {
        MastodonSink {
            api,
            media_poll_interval: Duration::from_millis(500),
        }
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
    async fn reply_target(&self, parent: &RemoteId) -> Result<String, ConnectorError> {
        let id = self.status_id(parent.as_str());
        let Ok(wanted) = url::Url::parse(&id) else {
            return Ok(id);
        };
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

    fn status_url(&self, id: &str) -> Result<url::Url, ConnectorError> {
        let mut url = self.api.url("api/v1/statuses")?;
        url.path_segments_mut()
            .map_err(|_| ConnectorError::Permanent("mastodon: bad instance URL".into()))?
            .push(id);
        Ok(url)
    }

    /// Uploads each file (`POST /api/v2/media`) and waits until the server has processed it.
    async fn upload_all(&self, media: &[MediaUpload]) -> Result<Vec<String>, ConnectorError> {
        let mut ids = Vec::with_capacity(media.len());
        for m in media {
            ids.push(self.upload(m).await?);
        }
        Ok(ids)
    }

    async fn upload(&self, media: &MediaUpload) -> Result<String, ConnectorError> {
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

    fn body(
        &self,
        post: &Post,
        media_ids: &[String],
        reply_to: Option<String>,
        create: bool,
    ) -> serde_json::Value {
        let mut body = json!({
            "status": post.text,
            "spoiler_text": post.content_warning.clone().unwrap_or_default(),
            "sensitive": post.content_warning.is_some(),
            "media_ids": media_ids,
        });
        if let Some(lang) = &post.language {
            body["language"] = json!(lang);
        }
        if create {
            body["visibility"] = json!(scope(post.visibility));
            if let Some(parent) = reply_to {
                body["in_reply_to_id"] = json!(parent);
            }
        }
        body
    }
}

#[derive(Debug, Default, Deserialize)]
struct SearchResults {
    #[serde(default)]
    statuses: Vec<Status>,
}

#[async_trait]
impl Sink for MastodonSink {
    /// `/api/v2/instance`, else `/api/v1/instance` (Mastodon before 4.0, Pleroma, GoToSocial).
    async fn limits(&self) -> Result<Limits, ConnectorError> {
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

    async fn publish(
        &self,
        post: &Post,
        idempotency_key: &str,
    ) -> Result<Published, ConnectorError> {
        let key = HeaderValue::from_str(idempotency_key).map_err(|_| {
            ConnectorError::Permanent("mastodon: the idempotency key is not header text".into())
        })?;
        let reply_to = match &post.in_reply_to {
            Some(parent) => Some(self.reply_target(parent).await?),
            None => None,
        };
        let media_ids = self.upload_all(&post.media).await?;
        let status: Status = self
            .api
            .send_json(
                Method::POST,
                self.api.url("api/v1/statuses")?,
                &self.body(post, &media_ids, reply_to, true),
                &[(HeaderName::from_static("idempotency-key"), key)],
                Target::Other,
            )
            .await?;
        tracing::debug!(remote_id = %status.id, "mastodon: published");
        Ok(Published {
            remote_id: RemoteId(status.id),
            url: status.url.or(Some(status.uri)),
        })
    }

    /// `PUT /api/v1/statuses/:id` (Mastodon 3.5+). Visibility and the reply target cannot
    /// change in an edit; media is uploaded again.
    async fn edit(&self, remote_id: &RemoteId, post: &Post) -> Result<(), ConnectorError> {
        let media_ids = self.upload_all(&post.media).await?;
        let _: Status = self
            .api
            .send_json(
                Method::PUT,
                self.status_url(&self.status_id(remote_id.as_str()))?,
                &self.body(post, &media_ids, None, false),
                &[],
                Target::Status,
            )
            .await?;
        Ok(())
    }

    /// `DELETE /api/v1/statuses/:id`; a status already gone (404) counts as deleted.
    async fn delete(&self, remote_id: &RemoteId) -> Result<(), ConnectorError> {
        let resp = self
            .api
            .send(
                Method::DELETE,
                self.status_url(&self.status_id(remote_id.as_str()))?,
                None,
                &[],
            )
            .await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        api::json::<serde_json::Value>(&resp, Target::Status).map(|_| ())
    }
}
