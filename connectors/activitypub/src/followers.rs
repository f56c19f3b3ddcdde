//! Who follows each stream, in the network's own key/value store (never the core's tables):
//! `follower/STREAM/ACTOR` → [`Follower`]. A follow waits for the owner's approval when the
//! stream says so, and is accepted at once otherwise.

use std::collections::BTreeMap;

use braid_core::host::Recipient;
use braid_core::state::StateStore;
use braid_core::ConnectorError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a follow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowState {
    /// Waiting for the owner's approval.
    Pending,
    Accepted,
}

/// One follower of one stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Follower {
    /// The follower's actor id.
    pub actor: String,
    pub inbox: String,
    #[serde(default)]
    pub shared_inbox: Option<String>,
    pub state: FollowState,
    /// The `Follow` as it arrived, answered by the `Accept` (or `Reject`).
    pub follow: Value,
    pub since: DateTime<Utc>,
    /// The HTTP Signatures scheme the `Follow` was verified with.
    #[serde(default)]
    pub verified_with: Option<String>,
}

fn key(stream: &str, actor: &str) -> String {
    format!("follower/{}/{actor}", stream.to_ascii_lowercase())
}

fn prefix(stream: &str) -> String {
    format!("follower/{}/", stream.to_ascii_lowercase())
}

/// The followers store of the network.
#[derive(Debug, Clone)]
pub struct Followers {
    state: StateStore,
}

impl Followers {
    pub fn new(state: StateStore) -> Self {
        Followers { state }
    }

    pub async fn put(&self, stream: &str, follower: &Follower) -> Result<(), ConnectorError> {
        let value = serde_json::to_value(follower)
            .map_err(|e| ConnectorError::Permanent(format!("activitypub: {e}")))?;
        self.state.put(&key(stream, &follower.actor), value).await
    }

    pub async fn get(&self, stream: &str, actor: &str) -> Result<Option<Follower>, ConnectorError> {
        Ok(self
            .state
            .get(&key(stream, actor))
            .await?
            .and_then(|v| serde_json::from_value(v).ok()))
    }

    /// Removes `actor` from `stream`'s followers; true when it was one.
    pub async fn remove(&self, stream: &str, actor: &str) -> Result<bool, ConnectorError> {
        self.state.delete(&key(stream, actor)).await
    }

    /// Every follower of `stream`, accepted or not.
    pub async fn all(&self, stream: &str) -> Result<Vec<Follower>, ConnectorError> {
        Ok(self
            .state
            .list(&prefix(stream))
            .await?
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_value(v).ok())
            .collect())
    }

    /// How many accepted followers `stream` has.
    pub async fn count(&self, stream: &str) -> Result<u64, ConnectorError> {
        Ok(self
            .all(stream)
            .await?
            .iter()
            .filter(|f| f.state == FollowState::Accepted)
            .count() as u64)
    }

    /// Where a message to `stream`'s accepted followers goes: each server's shared inbox
    /// once when `shared` and the follower offers one, else each follower's own inbox. Each
    /// address is its own lane.
    pub async fn recipients(
        &self,
        stream: &str,
        shared: bool,
    ) -> Result<Vec<Recipient>, ConnectorError> {
        let mut by_address = BTreeMap::new();
        for f in self.all(stream).await? {
            if f.state != FollowState::Accepted {
                continue;
            }
            let address = match (&f.shared_inbox, shared) {
                (Some(s), true) => s.clone(),
                _ => f.inbox.clone(),
            };
            by_address
                .entry(address.clone())
                .or_insert_with(|| Recipient::new(address));
        }
        Ok(by_address.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn follower(actor: &str, inbox: &str, shared: Option<&str>, state: FollowState) -> Follower {
        Follower {
            actor: actor.into(),
            inbox: inbox.into(),
            shared_inbox: shared.map(Into::into),
            state,
            follow: Value::Null,
            since: Utc::now(),
            verified_with: None,
        }
    }

    #[tokio::test]
    async fn shared_inboxes_are_written_to_once() {
        let f = Followers::new(StateStore::in_memory("activitypub"));
        let shared = Some("https://a.example/inbox");
        f.put(
            "blog",
            &follower(
                "https://a.example/u/1",
                "https://a.example/u/1/inbox",
                shared,
                FollowState::Accepted,
            ),
        )
        .await
        .unwrap();
        f.put(
            "blog",
            &follower(
                "https://a.example/u/2",
                "https://a.example/u/2/inbox",
                shared,
                FollowState::Accepted,
            ),
        )
        .await
        .unwrap();
        f.put(
            "blog",
            &follower(
                "https://b.example/u/3",
                "https://b.example/u/3/inbox",
                None,
                FollowState::Accepted,
            ),
        )
        .await
        .unwrap();
        f.put(
            "blog",
            &follower(
                "https://c.example/u/4",
                "https://c.example/u/4/inbox",
                None,
                FollowState::Pending,
            ),
        )
        .await
        .unwrap();
        f.put(
            "other",
            &follower(
                "https://d.example/u/5",
                "https://d.example/u/5/inbox",
                None,
                FollowState::Accepted,
            ),
        )
        .await
        .unwrap();
        let on: Vec<String> = f
            .recipients("blog", true)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.address)
            .collect();
        assert_eq!(
            on,
            ["https://a.example/inbox", "https://b.example/u/3/inbox"]
        );
        let off = f.recipients("blog", false).await.unwrap();
        assert_eq!(off.len(), 3);
        assert_eq!(f.count("blog").await.unwrap(), 3);
        assert!(f.remove("blog", "https://b.example/u/3").await.unwrap());
        assert_eq!(f.count("blog").await.unwrap(), 2);
    }
}
