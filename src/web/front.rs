//! The front door: every request passes here before warp routes it.
//!
//! 1. **Host.** Only the public URL's host, the loopback names and `web.allowed_hosts` are
//!    answered (421 otherwise): a DNS-rebinding page, whose requests name the attacker's host,
//!    gets nothing.
//! 2. **Caller.** An `Authorization: Bearer` API token or the session cookie makes the request
//!    the owner's; the [`Owner`] is attached for the handlers.
//! 3. **Private by default.** Only the paths [`classify`] lists are public; everything else
//!    needs the owner: pages redirect to `/login`, `/api/*` answers 401.
//! 4. **State changes.** A request other than GET/HEAD/OPTIONS must come from our own origin
//!    (`Origin`, else `Sec-Fetch-Site`), and with a session it must carry the session's CSRF
//!    token (`X-CSRF-Token`, or the `csrf` field of a form or upload): 403 otherwise. API
//!    tokens need neither: a browser never sends them by itself. Its body is read here, under
//!    the size cap and the body timeout, so no handler ever waits on a slow client.
//! 5. **Headers.** Every response, ours or warp's, gets the security headers.

// A refusal is the response itself, built once per refused request; boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use tower_service::Service;
use warp::http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION, ORIGIN,
    SET_COOKIE, WWW_AUTHENTICATE,
};
use warp::http::{Method, Request, StatusCode};
use warp::reply::Response;

use super::owner::{self, Owner, Via};
use super::WebContext;

/// The client's address as the login rate limit sees it (the peer, or the proxy's
/// `X-Forwarded-For` entry when trusted). Attached to every request.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// What a path is, for the front door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// Answers anyone: health, login, setup, static assets, served feeds (which check their
    /// own token, and what a published channel shows without one).
    Public,
    /// A connector's listener: authenticates by its own protocol (HTTP signatures…).
    Listener,
    /// Everything else: the owner's.
    Private,
}

/// Paths that answer without the owner. Kept short on purpose; a new page is private unless
/// it is added here. The streams' pages are public to read only: a form posted to one of
/// their addresses stays private, so it could never skip the CSRF check.
pub(super) fn classify(ctx: &WebContext, method: &Method, path: &str) -> Class {
    let reads = matches!(*method, Method::GET | Method::HEAD);
    let public = matches!(
        path,
        "/healthz" | "/login" | "/setup" | "/feed.atom" | "/feed.rss" | "/feed.json"
    ) || path.starts_with("/static/")
        || is_channel_feed(path)
        || (reads && is_stream_page(path))
        || is_composed_file(path);
    if public {
        return Class::Public;
    }
    let mounted = ctx
        .hosted
        .as_ref()
        .is_some_and(|h| h.listeners.find(path).is_some());
    if mounted {
        Class::Listener
    } else {
        Class::Private
    }
}

/// `/files/TOKEN`: a file of what the owner composed into a channel, named by 128 random
/// bits (`files.rs`).
fn is_composed_file(path: &str) -> bool {
    path.strip_prefix("/files/")
        .is_some_and(|token| !token.is_empty() && !token.contains('/'))
}

/// The public page of a stream (to GET and HEAD): `/channels/NAME` or `/@NAME`. Their
/// handlers decide what to show (`streams/`): an unpublished channel, or another name after
/// `@`, is a 404 to anyone but the owner, as if there were no page.
fn is_stream_page(path: &str) -> bool {
    let name = path
        .strip_prefix("/channels/")
        .or_else(|| path.strip_prefix("/@"));
    name.is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// `/channels/NAME/feed.{atom,rss,json}`.
fn is_channel_feed(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/channels/") else {
        return false;
    };
    match rest.split_once('/') {
        Some((name, file)) => {
            !name.is_empty()
                && !name.contains('/')
                && matches!(file, "feed.atom" | "feed.rss" | "feed.json")
        }
        None => false,
    }
}

/// The front door for one request; `routes` is warp's service of every route.
pub(super) async fn handle<S>(
    ctx: Arc<WebContext>,
    mut routes: S,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response, Infallible>
where
    S: Service<Request<Either<Incoming, Full<Bytes>>>, Response = Response, Error = Infallible>,
{
    let mut resp = match admit(&ctx, peer, req).await {
        Ok((req, set_cookie)) => {
            let mut resp = match routes.call(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            if let Some(cookie) = set_cookie {
                resp.headers_mut().append(SET_COOKIE, cookie);
            }
            resp
        }
        Err(refused) => refused,
    };
    security_headers(resp.headers_mut());
    Ok(resp)
}

type Admitted = (Request<Either<Incoming, Full<Bytes>>>, Option<HeaderValue>);

/// The request ready for the routes (with its body read when it changes state, and the
/// owner attached), and a refreshed session cookie to send back; or the refusal.
async fn admit(
    ctx: &WebContext,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Admitted, Response> {
    let host = request_host(&req).ok_or_else(|| {
        plain(
            StatusCode::BAD_REQUEST,
            "a request must name its host (Host header)",
        )
    })?;
    if !host_allowed(ctx, &host) {
        return Err(plain(
            StatusCode::MISDIRECTED_REQUEST,
            "this server does not answer for that host name; set web.base_url or web.allowed_hosts",
        ));
    }
    let client = client_addr(ctx, peer, req.headers());
    let class = classify(ctx, req.method(), req.uri().path());
    let identified = owner::identify(ctx, req.headers()).await.map_err(|err| {
        tracing::error!(error = %err, "web: checking the session failed");
        plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database could not answer; the log has the details",
        )
    })?;
    let (caller, set_cookie) = match identified {
        Some((owner, refresh)) => {
            // Only on private pages: a public answer (a stylesheet marked `public`) may sit in
            // a shared cache, and must never carry the session's token.
            let cookie = (refresh && class == Class::Private)
                .then(|| owner::session_cookie_refresh(ctx, req.headers()))
                .flatten();
            (Some(owner), cookie)
        }
        None => (None, None),
    };
    if class == Class::Private && caller.is_none() {
        return Err(login_first(&req));
    }
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let (mut parts, incoming) = req.into_parts();
    let body = if changes_state {
        let by_session = matches!(
            caller,
            Some(Owner {
                via: Via::Session { .. }
            })
        );
        if class != Class::Listener && (by_session || caller.is_none()) {
            same_origin(ctx, &parts.headers)?;
        }
        let cap = if class == Class::Listener {
            ctx.max_listener_body_bytes
        } else {
            ctx.max_upload_bytes
        };
        let bytes = read_body(ctx, &parts.headers, incoming, cap).await?;
        if let (
            Class::Private,
            Some(Owner {
                via: Via::Session { csrf, .. },
            }),
        ) = (class, &caller)
        {
            if !csrf_present(&parts.headers, &bytes, csrf).await {
                return Err(plain(
                    StatusCode::FORBIDDEN,
                    "this request lacks the page's CSRF token; reload the page and try again",
                ));
            }
        }
        Either::Right(Full::new(bytes))
    } else {
        Either::Left(incoming)
    };
    parts.extensions.insert(ClientAddr(client));
    if let Some(owner) = caller {
        parts.extensions.insert(owner);
    }
    Ok((Request::from_parts(parts, body), set_cookie))
}

/// The host the request names (`Host`, or the URI's authority), lowercase, without the port.
fn request_host(req: &Request<Incoming>) -> Option<String> {
    let authority = req
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))?;
    let authority: warp::http::uri::Authority = authority.parse().ok()?;
    Some(authority.host().to_ascii_lowercase())
}

fn host_allowed(ctx: &WebContext, host: &str) -> bool {
    ctx.allowed_hosts.iter().any(|h| h == host)
}

/// The peer, or — behind a trusted proxy on loopback — the last `X-Forwarded-For` entry (the
/// one our proxy added; earlier entries are whatever the client claimed).
fn client_addr(ctx: &WebContext, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if ctx.trust_proxy_headers && peer.ip().is_loopback() {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|a| a.trim().parse::<IpAddr>().ok());
        if let Some(addr) = forwarded {
            return addr;
        }
    }
    peer.ip()
}

/// A state-changing request must come from a page of ours: `Origin` (sent by browsers with
/// every POST) must be our public origin or the origin the request was addressed to; without
/// it, `Sec-Fetch-Site` must not say another site. Clients that send neither are not
/// browsers, and a session's CSRF token still guards them.
///
/// `Origin: null` is what a browser sends with a form of our own: our pages are served with
/// `Referrer-Policy: no-referrer`, and the Fetch standard ("serializing a request origin")
/// makes that `null` for every request but GET and HEAD. A sandboxed frame or a `data:` page
/// of another site sends `null` too; the browser's `Sec-Fetch-Site`, which no page can set,
/// tells them apart, so a `null` origin passes only as `same-origin`.
fn same_origin(ctx: &WebContext, headers: &HeaderMap) -> Result<(), Response> {
    let refuse = || {
        plain(
            StatusCode::FORBIDDEN,
            "this request comes from another site; Braid only accepts forms from its own pages",
        )
    };
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(ORIGIN) {
        if origin.as_bytes() == b"null" {
            return match fetch_site {
                Some("same-origin") => Ok(()),
                _ => Err(refuse()),
            };
        }
        let origin = origin.to_str().map_err(|_| refuse())?;
        let parsed = url::Url::parse(origin).map_err(|_| refuse())?;
        let ours = ctx.public_url.origin() == parsed.origin();
        // The origin the request was addressed to: `scheme://` and the Host header exactly
        // (browsers leave default ports out of both).
        let addressed = headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|h| {
                origin
                    .split_once("://")
                    .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(h))
            });
        return if ours || addressed {
            Ok(())
        } else {
            Err(refuse())
        };
    }
    match fetch_site {
        Some("cross-site") | Some("same-site") => Err(refuse()),
        _ => Ok(()),
    }
}

/// The body, at most `cap` bytes, within the body timeout.
async fn read_body(
    ctx: &WebContext,
    headers: &HeaderMap,
    incoming: Incoming,
    cap: u64,
) -> Result<Bytes, Response> {
    let too_large = || {
        plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than {cap} bytes"),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let limited = Limited::new(incoming, usize::try_from(cap).unwrap_or(usize::MAX));
    match tokio::time::timeout(ctx.limits.body_timeout, limited.collect()).await {
        Err(_) => Err(plain(
            StatusCode::REQUEST_TIMEOUT,
            "the request body took too long to arrive",
        )),
        Ok(Err(err)) if err.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(_)) => Err(plain(
            StatusCode::BAD_REQUEST,
            "the request body was cut off",
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Whether the request carries the session's CSRF token: the `X-CSRF-Token` header (scripts),
/// or the `csrf` field of a urlencoded form or a multipart upload (pages without script).
async fn csrf_present(headers: &HeaderMap, body: &Bytes, expected: &str) -> bool {
    if let Some(sent) = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return crate::auth::same_secret(sent, expected);
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let sent = match essence.as_str() {
        "application/x-www-form-urlencoded" => url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned()),
        "multipart/form-data" => multipart_field(content_type, body.clone(), "csrf").await,
        _ => None,
    };
    sent.is_some_and(|sent| crate::auth::same_secret(&sent, expected))
}

/// The text of the multipart field `name` (forms put `csrf` first, so this reads no further).
async fn multipart_field(content_type: &str, body: Bytes, name: &str) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

/// Without the owner: pages (GET/HEAD) go to the login page and come back after; the API
/// answers 401 (with `WWW-Authenticate: Bearer`, RFC 6750); anything else is 401.
fn login_first(req: &Request<Incoming>) -> Response {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        let mut resp = Response::new(
            serde_json::json!({ "error": "log in first: send a session cookie or an `Authorization: Bearer` API token" })
                .to_string()
                .into(),
        );
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(super::respond::JSON));
        resp.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"braid\""),
        );
        return resp;
    }
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let next = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let location = if next == "/" {
            "/login".to_owned()
        } else {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish();
            format!("/login?{query}")
        };
        let mut resp = Response::new(Vec::new().into());
        *resp.status_mut() = StatusCode::SEE_OTHER;
        if let Ok(v) = HeaderValue::from_str(&location) {
            resp.headers_mut().insert(LOCATION, v);
        }
        return resp;
    }
    plain(StatusCode::UNAUTHORIZED, "log in first")
}

/// A short plain-text answer.
fn plain(status: StatusCode, message: &str) -> Response {
    let mut resp = Response::new(format!("{message}\n").into());
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(super::respond::TEXT));
    resp
}

/// Headers for every response. The CSP is set unless the handler set its own (the media
/// proxy's is stricter still).
fn security_headers(headers: &mut HeaderMap) {
    let pairs: [(&str, &'static str); 4] = [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    for (name, value) in pairs {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    headers
        .entry(HeaderName::from_static("content-security-policy"))
        .or_insert(HeaderValue::from_static(super::CONTENT_SECURITY_POLICY));
}

#[cfg(test)]
mod tests {
    use super::is_stream_page;

    #[test]
    fn only_the_stream_pages_themselves_are_public() {
        for public in ["/channels/news", "/@me", "/@someone-else"] {
            assert!(is_stream_page(public), "{public}");
        }
        for private in [
            "/channels",
            "/channels/",
            "/channels/news/edit",
            "/channels/news/",
            "/@",
            "/@me/",
            "/@me/followers",
            "/me",
        ] {
            assert!(!is_stream_page(private), "{private}");
        }
    }
}
