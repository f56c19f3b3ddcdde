//! Newtype ids. A bare `i64` or `String` never crosses a module boundary as an id.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! int_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

int_id!(
    /// A source row in the store (one feed, one timeline, one followed actor).
    SourceId
);
int_id!(
    /// An item row in the store.
    ItemId
);
int_id!(
    /// An account (a login on a remote network) in the store.
    AccountId
);

/// The stable identity an item has at its origin: an Atom `<id>`, an RSS `<guid>`, a status
/// `uri`, an ActivityPub `id`, an `at://` URI, or (where a feed gives none) a deterministic hash.
/// Unique per source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemoteId(pub String);

impl RemoteId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RemoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RemoteId {
    fn from(s: &str) -> Self {
        RemoteId(s.to_owned())
    }
}

impl From<String> for RemoteId {
    fn from(s: String) -> Self {
        RemoteId(s)
    }
}
