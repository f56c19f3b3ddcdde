//! Mastodon answers mapped to what the scheduler or outbox should do.
//!
//! | answer                          | error                                                   |
//! |---------------------------------|---------------------------------------------------------|
//! | 401, 403                        | `Auth`: the token was refused, log in again             |
//! | 422 about the text's length     | `TooLong`: the outbox fits it again, stricter            |
//! | other 422 Unprocessable Entity  | `Permanent` with the server's own `error` message       |
//! | 429, 503                        | `RateLimited` with `Retry-After` / `X-RateLimit-Reset`  |
//! | 404                             | `Permanent` for a status (deleted), `Transient` for a timeline |
//! | 410 Gone                        | `Permanent`                                             |
//! | other 4xx                       | `Permanent` with the server's message                   |
//! | 5xx, timeouts, connection errors, bodies that are not the expected JSON | `Transient` |

use std::time::Duration;

use braid_core::http::Response;
use braid_core::ConnectorError;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;

use crate::hints;
use crate::wire::ApiError;

/// The message shown when the token is refused (on the sources and accounts pages).
pub fn auth_message(status: u16) -> String {
    format!(
        "mastodon: the token was refused (HTTP {status}); log in again with `braid account add`"
    )
}

/// What the request was about, for messages and for the meaning of a 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A timeline: a 404 may be a server mid-upgrade or a removed list; retried with backoff.
    Timeline,
    /// One status: a 404 means it is gone.
    Status,
    /// Anything else (instance info, media, credentials).
    Other,
}

/// `None` for a 2xx answer, else the error it means.
pub fn status_error(resp: &Response, target: Target, now: DateTime<Utc>) -> Option<ConnectorError> {
    if resp.status.is_success() {
        return None;
    }
    let server = server_message(&resp.body);
    Some(classify(
        resp.status,
        server,
        target,
        || hints::retry_after(&resp.headers, now),
        resp.url.path(),
    ))
}

fn classify(
    status: StatusCode,
    server: Option<String>,
    target: Target,
    retry_after: impl FnOnce() -> Option<Duration>,
    path: &str,
) -> ConnectorError {
    let code = status.as_u16();
    let said = server
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ConnectorError::Auth(auth_message(code)),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            ConnectorError::RateLimited {
                retry_after: retry_after(),
                message: format!("mastodon: the server asks us to slow down (HTTP {code})"),
            }
        }
        StatusCode::UNPROCESSABLE_ENTITY if said_too_long(server.as_deref()) => {
            ConnectorError::TooLong(format!("mastodon: the server refused this (HTTP 422){said}"))
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            ConnectorError::Permanent(format!("mastodon: the server refused this (HTTP 422){said}"))
        }
        StatusCode::NOT_FOUND if target == Target::Timeline => ConnectorError::Transient(format!(
            "mastodon: {path} was not found (HTTP 404){said}; is the list, tag or account still there?"
        )),
        StatusCode::NOT_FOUND | StatusCode::GONE => {
            ConnectorError::Permanent(format!("mastodon: {path} is gone (HTTP {code}){said}"))
        }
        s if s.is_server_error() => {
            ConnectorError::Transient(format!("mastodon: the server failed (HTTP {code}){said}"))
        }
        _ => ConnectorError::Permanent(format!("mastodon: {path} answered HTTP {code}{said}")),
    }
}

/// A 422 about the text's length: Mastodon says "Text character limit of 500 exceeded",
/// Pleroma/Akkoma "The status is over the character limit", others "Text is too long".
fn said_too_long(message: Option<&str>) -> bool {
    let m = message.unwrap_or_default().to_ascii_lowercase();
    m.contains("too long") || m.contains("character limit")
}

/// The `error` (and `error_description`) of a Mastodon error body, cut to a sane length.
fn server_message(body: &[u8]) -> Option<String> {
    let err: ApiError = serde_json::from_slice(body).ok()?;
    let mut msg = err.error.trim().to_owned();
    if let Some(d) = err.error_description.filter(|d| !d.trim().is_empty()) {
        msg = format!("{msg} ({})", d.trim());
    }
    let msg: String = msg.chars().take(300).collect();
    (!msg.is_empty()).then_some(msg)
}

/// A body that is not the JSON we expected: the server may be mid-deploy, so retry later.
pub fn bad_json(what: &str, err: serde_json::Error) -> ConnectorError {
    ConnectorError::Transient(format!(
        "mastodon: the server's answer to {what} is not the expected JSON: {err}"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use bytes::Bytes;
    use reqwest::header::{HeaderMap, HeaderValue};
    use url::Url;

    fn resp(status: u16, body: &str, headers: &[(&'static str, &str)]) -> Response {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            url: Url::parse("https://social.example/api/v1/statuses").unwrap(),
            headers: map,
            body: Bytes::from(body.to_owned()),
            permanent_redirect: None,
        }
    }

    #[test]
    fn maps_each_status() {
        let now = Utc::now();
        let e = status_error(
            &resp(401, r#"{"error":"The access token is invalid"}"#, &[]),
            Target::Timeline,
            now,
        )
        .unwrap();
        assert!(
            matches!(&e, ConnectorError::Auth(m) if m.contains("braid account add")),
            "{e:?}"
        );
        let e = status_error(&resp(403, "", &[]), Target::Other, now).unwrap();
        assert_eq!(e.kind(), "auth");
        let e = status_error(
            &resp(
                422,
                r#"{"error":"Validation failed: Text can't be blank"}"#,
                &[],
            ),
            Target::Other,
            now,
        )
        .unwrap();
        assert!(
            matches!(&e, ConnectorError::Permanent(m) if m.contains("Validation failed: Text can't be blank")),
            "{e:?}"
        );
        for too_long in [
            "Validation failed: Text character limit of 500 exceeded",
            "Validation failed: Text is too long (maximum is 500 characters)",
        ] {
            let body = serde_json::json!({ "error": too_long }).to_string();
            let e = status_error(&resp(422, &body, &[]), Target::Other, now).unwrap();
            assert_eq!(e.kind(), "too_long", "{too_long}");
        }
        let e = status_error(
            &resp(429, "{}", &[("retry-after", "7")]),
            Target::Timeline,
            now,
        )
        .unwrap();
        assert!(
            matches!(e, ConnectorError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(7))
        );
        assert_eq!(
            status_error(&resp(502, "<html>", &[]), Target::Timeline, now)
                .unwrap()
                .kind(),
            "transient"
        );
        assert_eq!(
            status_error(&resp(404, "", &[]), Target::Timeline, now)
                .unwrap()
                .kind(),
            "transient"
        );
        assert_eq!(
            status_error(&resp(404, "", &[]), Target::Status, now)
                .unwrap()
                .kind(),
            "permanent"
        );
        assert!(status_error(&resp(200, "[]", &[]), Target::Timeline, now).is_none());
    }
}
