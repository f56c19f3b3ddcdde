//! Connector errors. Each variant tells the scheduler what to do next, and its message is what
//! the owner sees on the sources page, so it starts with the component (`feed: …`).

use std::time::Duration;
use thiserror::Error;

use crate::http::HttpError;

/// What went wrong in a connector call, classified by what the caller should do about it.
#[derive(Debug, Error)]
pub enum ConnectorError {
    /// The remote asked us to slow down (HTTP 429, 503 with `Retry-After`, rate-limit headers).
    /// The scheduler waits at least `retry_after` (when given) and does not count a failure
    /// towards disabling the source.
    #[error("{message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// Worth retrying later with backoff: timeouts, connection errors, 5xx, a malformed document
    /// (the publisher may fix it). Counts towards disabling the source.
    #[error("{0}")]
    Transient(String),
    /// Credentials are missing, expired or revoked: the owner must log in again.
    #[error("{0}")]
    Auth(String),
    /// Retrying will not help (HTTP 410 Gone, a refused private address, a URL that is not a
    /// feed): the source is disabled at once with this reason.
    #[error("{0}")]
    Permanent(String),
    /// The connector cannot do this at all (a read-only network asked to publish).
    #[error("{0}")]
    Unsupported(String),
    /// The network refused a post's text as too long, though it was fitted to the limits the
    /// sink gave (servers count differently: code points, full URLs). Nothing was created; the
    /// outbox fits the text again by the strictest count and tries once more.
    #[error("{0}")]
    TooLong(String),
}

impl ConnectorError {
    /// A short stable name for the kind, for logs and the JSON API.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectorError::RateLimited { .. } => "rate_limited",
            ConnectorError::Transient(_) => "transient",
            ConnectorError::Auth(_) => "auth",
            ConnectorError::Permanent(_) => "permanent",
            ConnectorError::Unsupported(_) => "unsupported",
            ConnectorError::TooLong(_) => "too_long",
        }
    }

    /// Builds the error for a failed HTTP exchange, prefixing `component` (`"feed"`).
    pub fn from_http(component: &str, err: HttpError) -> Self {
        let message = format!("{component}: {err}");
        match err {
            HttpError::PrivateAddress { .. } | HttpError::BadUrl(_) | HttpError::Blocked(_) => {
                ConnectorError::Permanent(message)
            }
            HttpError::TooManyRedirects(_)
            | HttpError::TooLarge { .. }
            | HttpError::Timeout(_)
            | HttpError::Connect(_)
            | HttpError::Other(_) => ConnectorError::Transient(message),
        }
    }
}
