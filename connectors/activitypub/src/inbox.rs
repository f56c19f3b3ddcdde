//! The inboxes (each actor's and the shared one): every POST is verified before anything in
//! it is believed, by the bar Mastodon sets:
//! 1. the HTTP signature ([`crate::signature`]): an accepted algorithm, `Date` / `created`
//!    within the window, the digest of the body, the request target and host covered;
//! 2. the key is fetched from its owner's server ([`crate::remote`]: content type, `id` equal
//!    to the URL fetched, no redirect elsewhere) and must be listed by its owner; a signature
//!    that fails with a cached key is tried once more with the key fetched again (rotation),
//!    at most once a minute per key;
//! 3. the activity's `actor` must be the key's owner, and the activity's `id` on its server;
//! 4. per type: a `Create` whose object is attributed to someone else, or an `Update` or
//!    `Delete` of an object from another server, is refused; an embedded object from another
//!    server is not believed as it is.
//!
//! A refusal is a 4xx with its reason and stores nothing; the log says why at INFO.

use braid_core::connector::{Handled, ListenerRequest, Pushed};
use braid_core::host::{Outgoing, Recipient};
use braid_core::ConnectorError;
use braid_core::{RemoteId, SourceId};
use chrono::Utc;
use serde_json::Value;

use crate::convert;
use crate::documents;
use crate::followers::{FollowState, Follower};
use crate::remote::{id_of, origin, RemoteActor};
use crate::service::{respond, Service};
use crate::signature::{self, IncomingRequest, Scheme};

/// Why an inbox request was refused, and with which status.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub reason: String,
}

impl Refused {
    fn new(status: u16, reason: impl Into<String>) -> Self {
        Refused {
            status,
            reason: reason.into(),
        }
    }
}

impl From<ConnectorError> for Refused {
    fn from(e: ConnectorError) -> Self {
        let status = match e {
            ConnectorError::Transient(_) | ConnectorError::RateLimited { .. } => 503,
            _ => 401,
        };
        Refused::new(status, e.to_string())
    }
}

/// A request whose signature held: who signed it, and how.
#[derive(Debug, Clone)]
pub struct Verified {
    pub actor: RemoteActor,
    pub key_id: String,
    pub scheme: Scheme,
}

impl Service {
    /// Handles one POST to an inbox.
    pub(crate) async fn receive(&self, req: &ListenerRequest) -> Handled {
        match self.receive_checked(req).await {
            Ok(handled) => handled,
            Err(refused) => {
                tracing::info!(status = refused.status, reason = %refused.reason,
                    path = %req.path, "activitypub: inbox refused a request");
                Handled::respond(respond(
                    refused.status,
                    "text/plain; charset=utf-8",
                    format!("{}\n", refused.reason).into(),
                ))
            }
        }
    }

    async fn receive_checked(&self, req: &ListenerRequest) -> Result<Handled, Refused> {
        let activity: Value = serde_json::from_slice(&req.body)
            .map_err(|e| Refused::new(400, format!("activitypub: the body is not JSON: {e}")))?;
        if !activity.is_object() {
            return Err(Refused::new(
                400,
                "activitypub: the body is not an activity",
            ));
        }
        let verified = self.verify(req).await?;
        let claimed = id_of(&activity["actor"]).unwrap_or_default();
        if claimed != verified.actor.id {
            return Err(Refused::new(
                401,
                format!(
                    "activitypub: signed by {} but the activity's actor is {claimed:?}",
                    verified.actor.id
                ),
            ));
        }
        if let Some(id) = activity["id"].as_str() {
            if origin(id) != origin(&verified.actor.id) {
                return Err(Refused::new(
                    401,
                    format!("activitypub: activity {id} is not on its actor's server"),
                ));
            }
        }
        tracing::debug!(actor = %verified.actor.id, scheme = ?verified.scheme,
            kind = activity["type"].as_str().unwrap_or_default(), "activitypub: inbox");
        let kind = activity["type"].as_str().unwrap_or_default();
        match kind {
            "Follow" => self.follow(&verified, &activity).await,
            "Undo" => self.undo(&verified, &activity).await,
            "Accept" | "Reject" => self.answered(&verified, &activity, kind == "Accept").await,
            "Create" | "Update" | "Delete" | "Announce" => {
                self.published_by_followed(&verified, &activity, kind).await
            }
            _ => Ok(accepted()),
        }
    }

    /// The sources that follow `actor`.
    async fn sources_of(&self, actor: &str) -> Result<Vec<SourceId>, Refused> {
        Ok(self
            .site
            .sources()
            .await?
            .into_iter()
            .filter(|s| s.url == actor)
            .map(|s| s.id)
            .collect())
    }

    /// An `Accept` or `Reject` of a follow Braid sent.
    async fn answered(
        &self,
        who: &Verified,
        activity: &Value,
        accepted_it: bool,
    ) -> Result<Handled, Refused> {
        let follow = &activity["object"];
        // The answer names our Follow by id, or embeds it.
        let follow_id = id_of(follow);
        if let Some(target) = id_of(&follow["object"]) {
            if target != who.actor.id {
                return Err(Refused::new(
                    401,
                    "activitypub: an answer to a follow of someone else",
                ));
            }
        }
        if self
            .followings
            .answer(&who.actor.id, follow_id, accepted_it)
            .await?
        {
            tracing::info!(actor = %who.actor.id, accepted = accepted_it,
                "activitypub: a follow was answered");
        }
        Ok(accepted())
    }

    /// What an actor Braid follows publishes: posts, their edits and deletions, and boosts,
    /// each for every source that follows the actor. From anyone else: taken and dropped.
    async fn published_by_followed(
        &self,
        who: &Verified,
        activity: &Value,
        kind: &str,
    ) -> Result<Handled, Refused> {
        let actor = &who.actor;
        let sources = self.sources_of(&actor.id).await?;
        // An actor deleting itself: drop it from every stream's followers, and mark the follow
        // gone, so its source's next poll stops it with that reason.
        if kind == "Delete" && id_of(&activity["object"]) == Some(actor.id.as_str()) {
            for stream in self.site.streams().await? {
                self.followers.remove(&stream.name, &actor.id).await?;
            }
            if self.followings.gone(&actor.id).await? {
                tracing::info!(actor = %actor.id, "activitypub: a followed actor deleted itself");
            }
            return Ok(accepted());
        }
        if sources.is_empty() {
            return Ok(accepted());
        }
        let refuse = |e: convert::ConvertError| Refused::new(403, e.to_string());
        let (items, deleted) = match kind {
            "Create" | "Update" => {
                // An actor updates only what its own server holds.
                let id = id_of(&activity["object"]).unwrap_or_default();
                if kind == "Update" && origin(id) != origin(&actor.id) {
                    return Err(Refused::new(
                        403,
                        format!(
                            "activitypub: {} may not update {id}, from another server",
                            actor.id
                        ),
                    ));
                }
                let object = self.remote.object(&activity["object"], &actor.id).await?;
                convert::check_object_origin(&object, actor).map_err(refuse)?;
                match convert::item_from_object(&object, actor) {
                    Ok(item) => (vec![item], Vec::new()),
                    // A type Braid does not show (a Like, a profile update): taken, not stored.
                    Err(e) => {
                        tracing::debug!(error = %e, "activitypub: not shown");
                        return Ok(accepted());
                    }
                }
            }
            "Delete" => {
                let id = id_of(&activity["object"]).unwrap_or_default();
                if origin(id) != origin(&actor.id) {
                    return Err(Refused::new(
                        403,
                        format!(
                            "activitypub: {} may not delete {id}, from another server",
                            actor.id
                        ),
                    ));
                }
                (Vec::new(), vec![RemoteId::from(id)])
            }
            _ => {
                // Announce: the boosted object, fetched from its own server.
                let Some(object_id) = id_of(&activity["object"]) else {
                    return Ok(accepted());
                };
                let object = self.remote.fetch(object_id).await?;
                let author_id = convert::author_of(&object).unwrap_or_default();
                let author = self.remote.actor(&author_id, false).await?;
                convert::check_object_origin(&object, &author).map_err(refuse)?;
                let item = convert::item_from_announce(activity, actor, &object, &author)
                    .map_err(refuse)?;
                (vec![item], Vec::new())
            }
        };
        let mut handled = accepted();
        for source in sources {
            handled.pushed.push(Pushed {
                source,
                items: items.clone(),
                deleted: deleted.clone(),
            });
        }
        Ok(handled)
    }

    /// Checks the request's signature (see the module documentation).
    pub async fn verify(&self, req: &ListenerRequest) -> Result<Verified, Refused> {
        let incoming = IncomingRequest::from(req);
        let parsed = signature::parse(&incoming)
            .map_err(|e| Refused::new(401, format!("activitypub: {e}")))?;
        let key_id = parsed.key_id().to_owned();
        let key_host = url::Url::parse(&key_id)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        if self.remote.is_blocked(&key_host) {
            return Err(Refused::new(
                403,
                format!("activitypub: {key_host} is blocked"),
            ));
        }
        let Some((actor, key)) = self.remote.key(&key_id, false).await? else {
            return Err(Refused::new(
                503,
                "activitypub: the key could not be fetched yet",
            ));
        };
        let options = signature::VerifyOptions {
            scheme: self.urls.base().scheme().to_owned(),
            ..signature::VerifyOptions::new(self.urls.authority())
        };
        match parsed.verify(&incoming, &key, &options) {
            Ok(v) => Ok(Verified {
                actor,
                key_id,
                scheme: v.scheme,
            }),
            Err(first @ signature::SignatureError::BadSignature { .. }) => {
                // The key may have been rotated: fetch it once more and try again.
                let Some((actor, key)) = self.remote.key(&key_id, true).await? else {
                    return Err(Refused::new(401, format!("activitypub: {first}")));
                };
                let v = parsed
                    .verify(&incoming, &key, &options)
                    .map_err(|e| Refused::new(401, format!("activitypub: {e}")))?;
                Ok(Verified {
                    actor,
                    key_id,
                    scheme: v.scheme,
                })
            }
            Err(e) => Err(Refused::new(401, format!("activitypub: {e}"))),
        }
    }

    /// A `Follow` of one of the streams: recorded, and accepted at once unless the stream
    /// waits for the owner's approval.
    async fn follow(&self, who: &Verified, activity: &Value) -> Result<Handled, Refused> {
        let object = id_of(&activity["object"]).unwrap_or_default();
        let Some(name) = self.urls.actor_name(object) else {
            return Err(Refused::new(
                404,
                format!("activitypub: {object:?} is not an actor here"),
            ));
        };
        let Some(stream) = self.site.stream(name).await? else {
            return Err(Refused::new(
                404,
                format!("activitypub: no actor {name:?} here"),
            ));
        };
        let state = if stream.approve_follows {
            FollowState::Pending
        } else {
            FollowState::Accepted
        };
        let follower = Follower {
            actor: who.actor.id.clone(),
            inbox: who.actor.inbox.clone(),
            shared_inbox: who.actor.shared_inbox.clone(),
            state,
            follow: activity.clone(),
            since: Utc::now(),
            verified_with: Some(who.scheme.to_string()),
        };
        self.followers.put(&stream.name, &follower).await?;
        tracing::info!(stream = %stream.name, follower = %who.actor.id, ?state,
            "activitypub: a new follower");
        let mut handled = accepted();
        if state == FollowState::Accepted {
            handled.send.push(Outgoing {
                message: documents::answer_follow(&self.urls, &stream, activity, true),
                recipients: vec![Recipient::new(who.actor.inbox.clone())],
                summary: format!("Accept of {}'s follow of {}", who.actor.id, stream.name),
            });
        }
        Ok(handled)
    }

    /// An `Undo`: of a `Follow`, the follower leaves; of an `Announce`, the boost is deleted;
    /// of anything else, nothing to do here.
    async fn undo(&self, who: &Verified, activity: &Value) -> Result<Handled, Refused> {
        let object = &activity["object"];
        let undone = object["type"].as_str().unwrap_or_default();
        if undone == "Announce" {
            let id = id_of(object).unwrap_or_default();
            if origin(id) != origin(&who.actor.id) {
                return Err(Refused::new(
                    403,
                    "activitypub: an Undo of another server's Announce",
                ));
            }
            let mut handled = accepted();
            for source in self.sources_of(&who.actor.id).await? {
                handled.pushed.push(Pushed {
                    source,
                    items: Vec::new(),
                    deleted: vec![RemoteId::from(id)],
                });
            }
            return Ok(handled);
        }
        if undone != "Follow" {
            return Ok(accepted());
        }
        // What is undone must be the undoer's own follow.
        if id_of(&object["actor"]).is_some_and(|a| a != who.actor.id) {
            return Err(Refused::new(
                401,
                "activitypub: an Undo of someone else's Follow",
            ));
        }
        let target = id_of(&object["object"]).unwrap_or_default();
        if let Some(name) = self.urls.actor_name(target) {
            if self.followers.remove(name, &who.actor.id).await? {
                tracing::info!(stream = name, follower = %who.actor.id,
                    "activitypub: a follower left");
            }
        }
        Ok(accepted())
    }
}

/// 202: taken.
fn accepted() -> Handled {
    Handled::respond(respond(202, "text/plain", "accepted\n".into()))
}
