//! When to poll next, from what the server and the feed say, and the conditional-request cursor.
//!
//! Braid is a *private* cache in the sense of RFC 9111: it keeps one copy for one reader, so
//! `max-age` applies and `s-maxage` (shared caches only, §5.2.2.10) does not.

use std::time::Duration;

use braid_core::{Cursor, PollHints};
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, AGE, CACHE_CONTROL, ETAG, EXPIRES, LAST_MODIFIED, RETRY_AFTER};
use serde::{Deserialize, Serialize};

/// No hint may hold a source back longer than this. The scheduler obeys hints without
/// question, so a feed saying `max-age=31536000` or `<ttl>525600</ttl>` would otherwise go
/// unread for a year; a day is the longest a reader would accept.
pub const MAX_HINT: Duration = Duration::from_secs(24 * 60 * 60);

/// The validators of the last response, kept between polls for a conditional GET
/// (RFC 9110 §13.1: `If-None-Match` from `ETag`, `If-Modified-Since` from `Last-Modified`).
/// Stored by the core as an opaque JSON string: `{"etag":..,"last_modified":..}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl FeedCursor {
    /// Reads a cursor the core handed back. An unreadable one (an older format, a hand edit) is
    /// treated as none: the worst outcome is one unconditional GET.
    pub fn from_cursor(cursor: &Cursor) -> FeedCursor {
        cursor
            .0
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }

    /// The validators a response carries.
    pub fn from_headers(headers: &HeaderMap) -> FeedCursor {
        let get = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        FeedCursor {
            etag: get(ETAG),
            last_modified: get(LAST_MODIFIED),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }

    /// The opaque form the core stores. An empty cursor becomes `Cursor(None)`, which clears a
    /// stale one: validators the server no longer sends must not be sent back to it.
    pub fn to_cursor(&self) -> Cursor {
        if self.is_empty() {
            return Cursor(None);
        }
        Cursor(serde_json::to_string(self).ok())
    }
}

/// `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. A date in the past means
/// "now" (zero); anything longer than [`MAX_HINT`] is cut to it.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
            (at - now).to_std().unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_HINT))
}

/// Hints from the response headers and the feed's own `<ttl>` (RSS 2.0: "number of minutes
/// that indicates how long a channel can be cached before refreshing from the source").
///
/// RFC 9111 §5.2.2: `no-store` and `no-cache` forbid reusing the response without asking the
/// server, so they give no hint at all. §4.2.1: `max-age` takes precedence over `Expires`, and
/// the response's `Age` (§5.1) is already used up. §5.3: an invalid `Expires` (like `0`) means
/// already expired. The longer of `max-age` and `<ttl>` wins.
pub fn poll_hints(headers: &HeaderMap, ttl: Option<Duration>, now: DateTime<Utc>) -> PollHints {
    let mut hints = PollHints {
        min_interval: ttl.map(|t| t.min(MAX_HINT)),
        not_before: None,
    };
    let directives: Vec<String> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache")
    {
        return hints;
    }
    let max_age = directives.iter().find_map(|d| {
        let v = d.strip_prefix("max-age")?.trim_start().strip_prefix('=')?;
        v.trim().trim_matches('"').parse::<u64>().ok()
    });
    if let Some(max_age) = max_age {
        let age = headers
            .get(AGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let fresh = Duration::from_secs(max_age.saturating_sub(age)).min(MAX_HINT);
        if !fresh.is_zero() {
            hints.min_interval = Some(hints.min_interval.map_or(fresh, |t| t.max(fresh)));
        }
        return hints;
    }
    let expires = headers
        .get(EXPIRES)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v.trim()).ok())
        .map(DateTime::<Utc>::from);
    if let Some(at) = expires.filter(|at| *at > now) {
        let cap = now + chrono::Duration::from_std(MAX_HINT).unwrap_or_default();
        hints.not_before = Some(at.min(cap));
    }
    hints
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn now() -> DateTime<Utc> {
        "2024-05-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn cursor_round_trips_through_the_core() {
        let c = FeedCursor {
            etag: Some("W/\"abc\"".into()),
            last_modified: Some("Wed, 01 May 2024 10:00:00 GMT".into()),
        };
        let stored = c.to_cursor();
        let json = stored.0.clone().unwrap();
        assert!(
            json.contains("\"etag\"") && json.contains("\"last_modified\""),
            "{json}"
        );
        assert_eq!(FeedCursor::from_cursor(&stored), c);
        let only_etag = FeedCursor {
            etag: Some("\"x\"".into()),
            last_modified: None,
        };
        assert_eq!(FeedCursor::from_cursor(&only_etag.to_cursor()), only_etag);
        assert_eq!(FeedCursor::default().to_cursor(), Cursor(None));
        assert_eq!(
            FeedCursor::from_cursor(&Cursor(Some("not json".into()))),
            FeedCursor::default()
        );
        let from = FeedCursor::from_headers(&headers(&[
            ("etag", "\"v1\""),
            ("last-modified", "Wed, 01 May 2024 10:00:00 GMT"),
        ]));
        assert_eq!(from.etag.as_deref(), Some("\"v1\""));
    }

    #[test]
    fn retry_after_seconds_and_date() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "120")]), now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 01 May 2024 12:05:00 GMT")]),
                now()
            ),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 01 May 2024 11:00:00 GMT")]),
                now()
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "99999999")]), now()),
            Some(MAX_HINT)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "soon")]), now()),
            None
        );
        assert_eq!(retry_after(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn ttl_and_max_age() {
        let ttl = Some(Duration::from_secs(60 * 60));
        assert_eq!(poll_hints(&HeaderMap::new(), ttl, now()).min_interval, ttl);
        let h = headers(&[("cache-control", "public, max-age=600"), ("age", "100")]);
        assert_eq!(
            poll_hints(&h, None, now()).min_interval,
            Some(Duration::from_secs(500))
        );
        // The longer of ttl and max-age.
        assert_eq!(poll_hints(&h, ttl, now()).min_interval, ttl);
        let long = headers(&[("cache-control", "max-age=7200")]);
        assert_eq!(
            poll_hints(&long, ttl, now()).min_interval,
            Some(Duration::from_secs(7200))
        );
        let year = headers(&[("cache-control", "max-age=31536000")]);
        assert_eq!(poll_hints(&year, None, now()).min_interval, Some(MAX_HINT));
    }

    #[test]
    fn no_cache_and_no_store_give_no_header_hint() {
        for cc in ["no-cache", "max-age=600, no-store", "No-Cache"] {
            let h = headers(&[
                ("cache-control", cc),
                ("expires", "Wed, 01 May 2024 13:00:00 GMT"),
            ]);
            assert_eq!(poll_hints(&h, None, now()), PollHints::default(), "{cc}");
        }
    }

    #[test]
    fn expires_unless_max_age() {
        let h = headers(&[("expires", "Wed, 01 May 2024 13:00:00 GMT")]);
        let hints = poll_hints(&h, None, now());
        assert_eq!(
            hints.not_before,
            Some("2024-05-01T13:00:00Z".parse().unwrap())
        );
        assert_eq!(hints.min_interval, None);
        // max-age wins over Expires (RFC 9111 §4.2.1).
        let both = headers(&[
            ("expires", "Wed, 01 May 2024 13:00:00 GMT"),
            ("cache-control", "max-age=60"),
        ]);
        assert_eq!(poll_hints(&both, None, now()).not_before, None);
        // Past and invalid dates are no hint.
        for e in ["Wed, 01 May 2024 11:00:00 GMT", "0", "-1"] {
            let h = headers(&[("expires", e)]);
            assert_eq!(poll_hints(&h, None, now()).not_before, None, "{e}");
        }
        let far = headers(&[("expires", "Fri, 01 May 2099 13:00:00 GMT")]);
        assert_eq!(
            poll_hints(&far, None, now()).not_before,
            Some("2024-05-02T12:00:00Z".parse().unwrap())
        );
    }
}
