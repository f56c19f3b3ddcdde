//! Listener routes: a request under a path a connector's listener mounted goes to it, any
//! method, with its full path, query, headers and body as received (see `crate::listeners`).
//! The body is read up to `web.max_listener_body_bytes`; a larger one is answered 413 and
//! never reaches the connector. Core routes come first, so no mount can shadow a page.

use std::sync::Arc;

use braid_core::connector::{ListenerRequest, ListenerResponse};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use warp::http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH};
use warp::http::{Method, StatusCode};
use warp::path::FullPath;
use warp::reply::Response;
use warp::Filter;

use super::WebContext;
use crate::listeners::Mount;
use crate::scheduler::PollContext;

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let query = warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    warp::path::full()
        .and_then(move |path: FullPath| {
            let found = ctx.hosted.as_ref().and_then(|hosted| {
                hosted
                    .listeners
                    .find(path.as_str())
                    .map(|mount| (hosted.clone(), mount))
            });
            async move { found.ok_or_else(warp::reject::not_found) }
        })
        .and(warp::method())
        .and(warp::path::full())
        .and(query)
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .then(
            |(hosted, mount): (Arc<PollContext>, Mount),
             method: Method,
             path: FullPath,
             query: Option<String>,
             headers: HeaderMap,
             body| async move {
                let cap = hosted.config.web.max_listener_body_bytes;
                let declared = headers
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                if declared.is_some_and(|n| n > cap) {
                    return too_large(cap);
                }
                let body = match read_capped(body, cap).await {
                    Ok(body) => body,
                    Err(Capped::TooLarge) => return too_large(cap),
                    Err(Capped::Broken) => return status(StatusCode::BAD_REQUEST),
                };
                let request = ListenerRequest {
                    method: method.as_str().to_owned(),
                    path: path.as_str().to_owned(),
                    query,
                    headers: headers
                        .iter()
                        .filter_map(|(n, v)| {
                            Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned()))
                        })
                        .collect(),
                    body,
                };
                reply(crate::listeners::handle(&hosted, &mount, request).await)
            },
        )
}

enum Capped {
    TooLarge,
    Broken,
}

/// The body, or `TooLarge` as soon as it passes `cap` bytes (a body sent without a length is
/// read no further than that either).
async fn read_capped<S, B>(body: S, cap: u64) -> Result<Bytes, Capped>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| Capped::Broken)?;
        if (buf.len() + chunk.remaining()) as u64 > cap {
            return Err(Capped::TooLarge);
        }
        while chunk.has_remaining() {
            let piece = chunk.chunk();
            let n = piece.len();
            buf.put_slice(piece);
            chunk.advance(n);
        }
    }
    Ok(buf.freeze())
}

fn status(code: StatusCode) -> Response {
    let mut resp = Response::new(Vec::new().into());
    *resp.status_mut() = code;
    resp
}

fn too_large(cap: u64) -> Response {
    let mut resp = Response::new(format!("request body over {cap} bytes\n").into());
    *resp.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    resp
}

/// The listener's answer as an HTTP response; headers that are not valid HTTP are left out.
fn reply(answer: ListenerResponse) -> Response {
    let mut resp = Response::new(answer.body.to_vec().into());
    *resp.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}
