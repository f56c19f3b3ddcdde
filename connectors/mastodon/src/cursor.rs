//! The source's cursor: the newest timeline entry seen, and the newest page as it was then.
//!
//! Stored by the core as an opaque string: JSON `{"newest": ID, "recent": [[ENTRY, STATUS,
//! URI], …]}`. A bare id (no `{`) is read as `newest` alone. `recent` is what makes deletions
//! visible to polling: an entry that was on the newest page last time, falls inside the newest
//! page's id range now and is missing from it, has left the timeline — and if its status then
//! answers `404`, it was deleted (see [`crate::source`]).

use braid_core::Cursor;
use serde::{Deserialize, Serialize};

use crate::wire::Status;

/// One entry of the last newest page: the timeline entry's id (a boost's own id for boosts),
/// the id of the status it shows (the boosted one for boosts), and that status's `uri`
/// (the item's remote id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recent(pub String, pub String, pub String);

impl Recent {
    pub fn of(status: &Status) -> Recent {
        let shown = status.reblog.as_deref().unwrap_or(status);
        Recent(status.id.clone(), shown.id.clone(), shown.uri.clone())
    }

    pub fn entry(&self) -> &str {
        &self.0
    }

    pub fn status(&self) -> &str {
        &self.1
    }

    pub fn uri(&self) -> &str {
        &self.2
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCursor {
    /// The newest entry id seen: the next poll continues after it.
    pub newest: Option<String>,
    /// The newest page as the last poll saw it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<Recent>,
}

impl SourceCursor {
    /// Reads the stored cursor. An unreadable one is treated as none (the source starts over
    /// with its backfill, which the store de-duplicates), not as an error that would stop it.
    pub fn from_cursor(cursor: &Cursor) -> SourceCursor {
        let Some(raw) = cursor.0.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            return SourceCursor::default();
        };
        if !raw.starts_with('{') {
            return SourceCursor {
                newest: Some(raw.to_owned()),
                recent: Vec::new(),
            };
        }
        match serde_json::from_str(raw) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "mastodon: unreadable cursor, starting over");
                SourceCursor::default()
            }
        }
    }

    pub fn to_cursor(&self) -> Cursor {
        match (&self.newest, self.recent.is_empty()) {
            (None, _) => Cursor(None),
            (Some(n), true) => Cursor(Some(n.clone())),
            (Some(_), false) => Cursor(serde_json::to_string(self).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn round_trips_and_reads_a_bare_id() {
        let c = SourceCursor {
            newest: Some("110".into()),
            recent: vec![Recent(
                "110".into(),
                "99".into(),
                "https://a.example/s/99".into(),
            )],
        };
        assert_eq!(SourceCursor::from_cursor(&c.to_cursor()), c);
        let bare = SourceCursor::from_cursor(&Cursor(Some("42".into())));
        assert_eq!(bare.newest.as_deref(), Some("42"));
        assert_eq!(bare.to_cursor(), Cursor(Some("42".into())));
        assert_eq!(
            SourceCursor::from_cursor(&Cursor(Some("{garbage".into()))),
            SourceCursor::default()
        );
        assert_eq!(
            SourceCursor::from_cursor(&Cursor::none()).to_cursor(),
            Cursor::none()
        );
    }
}
