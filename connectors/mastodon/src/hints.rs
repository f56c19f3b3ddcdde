//! What Mastodon's headers say about pacing and paging.
//!
//! - `X-RateLimit-Limit/Remaining/Reset` (<https://docs.joinmastodon.org/api/rate-limits/>):
//!   Mastodon sends `Reset` as an ISO 8601 time; some servers (and mastodon-mock) send Unix
//!   seconds; both are read.
//! - `Retry-After` (RFC 9110 §10.2.3): seconds or an HTTP date.
//! - `Link` (RFC 8288, <https://docs.joinmastodon.org/api/guidelines/#pagination>): `rel="next"`
//!   goes to older statuses (`max_id`), `rel="prev"` to newer ones (`min_id`).

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::HeaderMap;
use url::Url;

/// Below this many remaining calls in the window, the next poll waits for the window's reset.
/// A poll makes one to a few calls, and the same token also serves the sink and the other
/// timelines of the account, so a margin is kept.
pub const LOW_REMAINING: u64 = 10;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `X-RateLimit-Reset` as an instant.
pub fn rate_limit_reset(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let raw = header(headers, "x-ratelimit-reset")?;
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let secs: f64 = raw.parse().ok()?;
    Utc.timestamp_opt(secs as i64, 0).single()
}

/// `X-RateLimit-Remaining`.
pub fn rate_limit_remaining(headers: &HeaderMap) -> Option<u64> {
    header(headers, "x-ratelimit-remaining")?.parse().ok()
}

/// When the rate-limit window says to hold off: the reset time, if few calls remain.
pub fn not_before(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let remaining = rate_limit_remaining(headers)?;
    if remaining > LOW_REMAINING {
        return None;
    }
    rate_limit_reset(headers).filter(|t| *t > now)
}

/// How long to wait after a 429/503: `Retry-After`, else the rate-limit reset.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(raw) = header(headers, "retry-after") {
        if let Ok(secs) = raw.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(raw) {
            let at: DateTime<Utc> = at.into();
            return Some((at - now).to_std().unwrap_or(Duration::ZERO));
        }
    }
    let reset = rate_limit_reset(headers)?;
    (reset - now).to_std().ok()
}

/// The target of the `Link` header's `rel` relation (`"next"`, `"prev"`), resolved against
/// `base`.
pub fn link(headers: &HeaderMap, rel: &str, base: &Url) -> Option<Url> {
    for value in headers.get_all("link") {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let target = target.strip_prefix('<')?.strip_suffix('>')?;
            let matches = pieces.any(|p| {
                let p = p.trim();
                p.strip_prefix("rel=")
                    .map(|r| r.trim_matches('"').split_whitespace().any(|r| r == rel))
                    .unwrap_or(false)
            });
            if matches {
                return base.join(target).ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn low_remaining_waits_for_reset() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let h = headers(&[
            ("x-ratelimit-remaining", "3"),
            ("x-ratelimit-reset", "2026-01-01T12:05:00.000Z"),
        ]);
        assert_eq!(
            not_before(&h, now),
            Some(Utc.with_ymd_and_hms(2026, 1, 1, 12, 5, 0).unwrap())
        );
        let h = headers(&[
            ("x-ratelimit-remaining", "250"),
            ("x-ratelimit-reset", "2026-01-01T12:05:00.000Z"),
        ]);
        assert_eq!(not_before(&h, now), None);
        // Unix seconds, as mastodon-mock sends.
        let epoch = (now.timestamp() + 60).to_string();
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &epoch),
        ]);
        assert_eq!(
            not_before(&h, now),
            Some(now + chrono::Duration::seconds(60))
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(60)));
        let h = headers(&[("retry-after", "12"), ("x-ratelimit-reset", &epoch)]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(12)));
    }

    #[test]
    fn reads_link_relations() {
        let base = Url::parse("https://social.example/api/v1/timelines/home").unwrap();
        let h = headers(&[(
            "link",
            r#"<https://social.example/api/v1/timelines/home?max_id=5&limit=2>; rel="next", <https://social.example/api/v1/timelines/home?min_id=9&limit=2>; rel="prev""#,
        )]);
        assert_eq!(
            link(&h, "prev", &base).unwrap().as_str(),
            "https://social.example/api/v1/timelines/home?min_id=9&limit=2"
        );
        assert!(link(&h, "next", &base)
            .unwrap()
            .as_str()
            .contains("max_id=5"));
        assert!(link(&headers(&[]), "prev", &base).is_none());
    }
}
