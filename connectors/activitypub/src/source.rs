//! A followed actor as a source. Its posts arrive pushed to the inbox
//! ([`crate::inbox`]); a poll does the rest:
//! - sends the `Follow` (signed as the owner's actor) when none was sent, or when one went
//!   unanswered for a day, and says where the follow stands (waiting, refused) in the poll's
//!   warnings, so the sources page shows it; an actor that deleted itself stops the source
//!   with that reason;
//! - reads the newest page of the actor's outbox: on the first poll that is the backfill of
//!   recent public posts, later it catches what a server that never delivers did not push.

use std::sync::Arc;

use async_trait::async_trait;
use braid_core::connector::{Cursor, Page, Source, SourceMeta};
use braid_core::{Connector, ConnectorError, Item};
use serde_json::Value;

use crate::convert;
use crate::following::{new_following, FollowStatus, Followings};
use crate::remote::{id_of, origin, Remote, RemoteActor};

/// Outbox entries read per poll, at most.
const OUTBOX_ITEMS: usize = 20;

/// See the module documentation.
pub struct ActorSource {
    pub(crate) actor: String,
    pub(crate) remote: Arc<Remote>,
    pub(crate) followings: Followings,
    /// The owner's actor, who follows.
    pub(crate) follower: Option<String>,
}

impl Connector for ActorSource {
    fn kind(&self) -> &'static str {
        crate::KIND
    }

    fn source(&self) -> Option<&dyn Source> {
        Some(self)
    }
}

#[async_trait]
impl Source for ActorSource {
    async fn poll(&self, cursor: &Cursor) -> Result<Page, ConnectorError> {
        let gone = self.followings.get(&self.actor).await?;
        if gone.is_some_and(|f| f.status == FollowStatus::Gone) {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: {} deleted its account",
                self.actor
            )));
        }
        let actor = self.remote.actor(&self.actor, cursor.0.is_none()).await?;
        let mut warnings = Vec::new();
        match &self.follower {
            Some(follower) => {
                if let Some(w) = self.follow(&actor, follower).await? {
                    warnings.push(w);
                }
            }
            None => warnings.push(
                "activitypub: not followed: Braid has no public address (web.base_url), so it \
                 has no actor to follow with; reading the outbox only"
                    .to_owned(),
            ),
        }
        let (items, outbox_warnings) = self.outbox(&actor).await?;
        warnings.extend(outbox_warnings);
        let newest = items.first().map(|i| i.remote_id.as_str().to_owned());
        Ok(Page {
            items,
            next_cursor: Some(Cursor(
                newest.or_else(|| cursor.0.clone()).or(Some(String::new())),
            )),
            meta: SourceMeta {
                title: actor
                    .name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .or(actor.handle()),
                site_url: actor.url.clone(),
                moved_to: None,
            },
            warnings,
            ..Page::default()
        })
    }
}

impl ActorSource {
    /// Sends the `Follow` when it is due; a warning while it is not accepted.
    async fn follow(
        &self,
        actor: &RemoteActor,
        follower: &str,
    ) -> Result<Option<String>, ConnectorError> {
        let now = chrono::Utc::now();
        let existing = self.followings.get(&actor.id).await?;
        let follow = match existing {
            Some(f) if f.follower == follower && !f.due_again(now) => f,
            _ => {
                // Recorded before it is sent: a server may answer while the request is open.
                let f = new_following(&actor.id, follower)?;
                self.followings.put(&f).await?;
                if let Err(e) = self.remote.post(&actor.inbox, &f.follow_activity()).await {
                    // Not sent: the next poll sends it.
                    self.followings.remove(&actor.id).await?;
                    return Err(e);
                }
                tracing::info!(actor = %actor.id, "activitypub: follow request sent");
                match self.followings.get(&actor.id).await? {
                    Some(answered) => answered,
                    None => f,
                }
            }
        };
        Ok(match follow.status {
            // `poll` stops before a gone actor's follow is looked at.
            FollowStatus::Accepted | FollowStatus::Gone => None,
            FollowStatus::Requested => Some(format!(
                "activitypub: waiting for {} to accept the follow; until then only public posts are read from the outbox",
                actor.id
            )),
            FollowStatus::Rejected => Some(format!(
                "activitypub: {} refused the follow; only public posts are read from the outbox",
                actor.id
            )),
        })
    }

    /// The newest outbox entries as items, newest first.
    async fn outbox(
        &self,
        actor: &RemoteActor,
    ) -> Result<(Vec<Item>, Vec<String>), ConnectorError> {
        let Some(outbox) = &actor.outbox else {
            return Ok((Vec::new(), Vec::new()));
        };
        let collection = self.remote.fetch(outbox).await?;
        let page = match &collection["first"] {
            Value::Null => collection.clone(),
            Value::Object(_) => collection["first"].clone(),
            first => match id_of(first) {
                Some(url) if origin(url) == origin(&actor.id) => self.remote.fetch(url).await?,
                _ => return Ok((Vec::new(), Vec::new())),
            },
        };
        let entries = page["orderedItems"]
            .as_array()
            .or_else(|| page["items"].as_array())
            .cloned()
            .unwrap_or_default();
        let mut items = Vec::new();
        let mut warnings = Vec::new();
        for entry in entries.iter().take(OUTBOX_ITEMS) {
            match self.entry(actor, entry).await {
                Ok(Some(item)) => items.push(item),
                Ok(None) => {}
                Err(e) => warnings.push(e.to_string()),
            }
        }
        Ok((items, warnings))
    }

    /// One outbox entry: a `Create` (its object, fetched from its origin unless embedded by
    /// it) or an `Announce` (the boosted object, fetched from its origin).
    async fn entry(
        &self,
        actor: &RemoteActor,
        entry: &Value,
    ) -> Result<Option<Item>, ConnectorError> {
        let kind = entry["type"].as_str().unwrap_or_default();
        match kind {
            "Create" => {
                let object = self.remote.object(&entry["object"], &actor.id).await?;
                convert::check_object_origin(&object, actor).map_err(permanent)?;
                Ok(Some(
                    convert::item_from_object(&object, actor).map_err(permanent)?,
                ))
            }
            "Announce" => {
                let Some(object_id) = id_of(&entry["object"]) else {
                    return Ok(None);
                };
                let object = self.remote.fetch(object_id).await?;
                let author_id = convert::author_of(&object).unwrap_or_default();
                let author = self.remote.actor(&author_id, false).await?;
                convert::check_object_origin(&object, &author).map_err(permanent)?;
                Ok(Some(
                    convert::item_from_announce(entry, actor, &object, &author)
                        .map_err(permanent)?,
                ))
            }
            _ => Ok(None),
        }
    }
}

fn permanent(e: convert::ConvertError) -> ConnectorError {
    ConnectorError::Permanent(e.to_string())
}
