//! Whom Braid follows: each followed actor is a source of this network (its URL the actor's
//! id), and where its follow stands is kept in the network's state:
//! `following/ACTOR` → [`Following`]. The owner's actor sends the `Follow` (on the source's
//! first poll, and again when a request went unanswered for a day); the actor's `Accept` or
//! `Reject` arrives in the inbox, and so does its `Delete` of itself when the account goes (the
//! follow is then gone); a source that is removed gets an `Undo` from the daemon's tidy-up
//! ([`braid_core::host::Publisher::tidy`]), unless its actor is gone.

use braid_core::state::StateStore;
use braid_core::ConnectorError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::documents::AS_CONTEXT;

/// Where a follow Braid sent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowStatus {
    /// Sent; no answer yet.
    Requested,
    Accepted,
    Rejected,
    /// The actor deleted itself (a `Delete` of the actor, from the actor): its source stops.
    Gone,
}

/// One actor Braid follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Following {
    pub actor: String,
    pub status: FollowStatus,
    /// The `Follow`'s id, which the answer names.
    pub follow_id: String,
    /// Who follows (the owner's actor).
    pub follower: String,
    pub sent: DateTime<Utc>,
    #[serde(default)]
    pub answered: Option<DateTime<Utc>>,
}

impl Following {
    /// A request unanswered for a day is sent again (the first may have been lost).
    pub fn due_again(&self, now: DateTime<Utc>) -> bool {
        self.status == FollowStatus::Requested && now - self.sent > Duration::days(1)
    }

    /// The `Follow` activity.
    pub fn follow_activity(&self) -> Value {
        json!({
            "@context": AS_CONTEXT,
            "id": self.follow_id,
            "type": "Follow",
            "actor": self.follower,
            "object": self.actor,
        })
    }

    /// The `Undo` of the follow.
    pub fn undo_activity(&self) -> Value {
        json!({
            "@context": AS_CONTEXT,
            "id": format!("{}/undo", self.follow_id),
            "type": "Undo",
            "actor": self.follower,
            "object": self.follow_activity(),
        })
    }
}

fn key(actor: &str) -> String {
    format!("following/{actor}")
}

/// The following store of the network.
#[derive(Debug, Clone)]
pub struct Followings {
    state: StateStore,
}

impl Followings {
    pub fn new(state: StateStore) -> Self {
        Followings { state }
    }

    pub async fn get(&self, actor: &str) -> Result<Option<Following>, ConnectorError> {
        Ok(self
            .state
            .get(&key(actor))
            .await?
            .and_then(|v| serde_json::from_value(v).ok()))
    }

    pub async fn put(&self, f: &Following) -> Result<(), ConnectorError> {
        let value = serde_json::to_value(f)
            .map_err(|e| ConnectorError::Permanent(format!("activitypub: {e}")))?;
        self.state.put(&key(&f.actor), value).await
    }

    pub async fn remove(&self, actor: &str) -> Result<bool, ConnectorError> {
        self.state.delete(&key(actor)).await
    }

    pub async fn all(&self) -> Result<Vec<Following>, ConnectorError> {
        Ok(self
            .state
            .list("following/")
            .await?
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_value(v).ok())
            .collect())
    }

    /// Records `actor`'s answer to the follow `follow_id` (or to whatever Braid sent it, when
    /// the answer does not say which). Returns false when Braid asked nothing of `actor`.
    pub async fn answer(
        &self,
        actor: &str,
        follow_id: Option<&str>,
        accepted: bool,
    ) -> Result<bool, ConnectorError> {
        let Some(mut f) = self.get(actor).await? else {
            return Ok(false);
        };
        if follow_id.is_some_and(|id| id != f.follow_id) {
            return Ok(false);
        }
        f.status = if accepted {
            FollowStatus::Accepted
        } else {
            FollowStatus::Rejected
        };
        f.answered = Some(Utc::now());
        self.put(&f).await?;
        Ok(true)
    }

    /// Records that `actor` deleted itself. Returns false when Braid does not follow it.
    pub async fn gone(&self, actor: &str) -> Result<bool, ConnectorError> {
        let Some(mut f) = self.get(actor).await? else {
            return Ok(false);
        };
        f.status = FollowStatus::Gone;
        f.answered = Some(Utc::now());
        self.put(&f).await?;
        Ok(true)
    }
}

/// A new follow of `actor` by `follower`, with a fresh id under the follower's actor.
pub fn new_following(actor: &str, follower: &str) -> Result<Following, ConnectorError> {
    let mut random = [0u8; 12];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut random)
        .map_err(|e| ConnectorError::Transient(format!("activitypub: no randomness: {e}")))?;
    let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Following {
        actor: actor.to_owned(),
        status: FollowStatus::Requested,
        follow_id: format!("{follower}#follows/{token}"),
        follower: follower.to_owned(),
        sent: Utc::now(),
        answered: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn answers_are_recorded_for_the_follow_sent() {
        let store = Followings::new(StateStore::in_memory("activitypub"));
        let f = new_following("https://a.example/u/x", "https://b.example/ap/actors/me").unwrap();
        assert!(f
            .follow_id
            .starts_with("https://b.example/ap/actors/me#follows/"));
        store.put(&f).await.unwrap();
        // An answer to another follow is not this one's.
        assert!(!store
            .answer(
                "https://a.example/u/x",
                Some("https://b.example/other"),
                true
            )
            .await
            .unwrap());
        assert!(!store
            .answer("https://c.example/u/y", None, true)
            .await
            .unwrap());
        assert!(store
            .answer("https://a.example/u/x", Some(&f.follow_id), false)
            .await
            .unwrap());
        let got = store.get("https://a.example/u/x").await.unwrap().unwrap();
        assert_eq!(got.status, FollowStatus::Rejected);
        assert_eq!(f.undo_activity()["object"]["id"], json!(f.follow_id));
        assert!(!got.due_again(Utc::now()));
    }
}
