//! `GET /files/TOKEN`: the files of what the owner composed into channels, for the feed
//! readers (and, later, the followers) of those channels. Public like a channel's feed, and
//! safe to be: the token is 128 random bits made when the post was queued (`crate::outbox`'s
//! `own.rs`), so only someone who could read the item that names the file learns its address,
//! the way a feed link's token works.
//!
//! Only images, video and audio are served as what they are; anything else (SVG included,
//! which can carry script) is sent as a download (`application/octet-stream`). Every answer
//! carries a CSP that allows nothing and sandboxes the document, and `nosniff`, so no file can
//! run anything from our origin. A file never changes, so caches may keep it.

use std::sync::Arc;

use warp::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;

use super::respond::{self, Format};
use super::{with_ctx, WebContext};

/// Types served as themselves: what feed readers and browsers show inline without risk.
fn inline_type(media_type: &str) -> bool {
    let t = media_type.to_ascii_lowercase();
    matches!(
        t.as_str(),
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif"
    ) || t.starts_with("video/")
        || t.starts_with("audio/")
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("files" / String)
        .and(warp::get().or(warp::head()).unify())
        .and(with_ctx(ctx))
        .then(|token: String, ctx: Arc<WebContext>| async move {
            let found = if token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
                ctx.store.own_file(token).await
            } else {
                Ok(None)
            };
            match found {
                Ok(Some((media_type, bytes))) => serve(&media_type, bytes),
                Ok(None) => respond::error_page(
                    &ctx,
                    Format::Text,
                    StatusCode::NOT_FOUND,
                    "there is no such file",
                ),
                Err(e) => {
                    tracing::error!(error = %e, "web: reading a composed file");
                    respond::error_page(
                        &ctx,
                        Format::Text,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the file could not be read",
                    )
                }
            }
        })
}

fn serve(media_type: &str, bytes: Vec<u8>) -> Response {
    let inline = inline_type(media_type);
    let mut resp = Response::new(bytes.into());
    let headers = resp.headers_mut();
    let content_type = if inline {
        HeaderValue::from_str(media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    headers.insert(CONTENT_TYPE, content_type);
    if !inline {
        headers.insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    *resp.status_mut() = StatusCode::OK;
    resp
}
