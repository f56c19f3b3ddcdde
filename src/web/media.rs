//! `GET /media/SIG/URL`: the media proxy. Pages never make the browser talk to third parties:
//! avatars, attached images and images inside items are shown through here, fetched by Braid
//! with the safe HTTP client (private addresses refused, like every fetch a feed asks for).
//!
//! - Only URLs Braid signed are fetched: `SIG` is an HMAC-SHA256 of the URL under a key made
//!   once from the OS's random source and kept in the store, so the proxy cannot be used to
//!   fetch arbitrary addresses, even by a page that knows the path.
//! - Only raster images come back (PNG, JPEG, GIF, WebP, AVIF), recognised by their first
//!   bytes, never by the remote's `Content-Type`; SVG, HTML and anything else is refused
//!   (415), so a hostile "image" cannot run script from our origin.
//! - At most [`MAX_IMAGE_BYTES`]; the answer carries its own CSP (`default-src 'none';
//!   sandbox`), `nosniff`, and the type Braid recognised.
//! - The path is private like every page: the owner's browser sends its session cookie with
//!   same-origin image requests.

use std::sync::Arc;

use braid_core::sanitize::SafeHtml;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use warp::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;

use super::owner::{self, Owner};
use super::{with_ctx, WebContext, WebError};

/// Largest image passed on.
pub const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;
/// The policy of the proxy's answers: an image, nothing else, and no document context.
const PROXY_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";
/// The store's name for the signing key.
const KEY_NAME: &str = "media-proxy-v1";

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks proxy URLs.
#[derive(Clone)]
pub struct MediaSigner {
    key: Arc<Vec<u8>>,
    /// Our own files' address (`{public_url}files/`): those are shown as they are, same-origin,
    /// since the proxy refuses our own (often loopback) address.
    own_files: Arc<str>,
    /// Bodies with their images made local, by a keyed hash of the stored body: making them
    /// local is a whole sanitizer pass (`SafeHtml::with_local_images`), most of what a
    /// timeline page costs, and the same items are shown again and again.
    local: Arc<LocalBodies>,
}

/// A bounded memo of [`SafeHtml::with_local_images`] results; emptied when full.
#[derive(Default)]
struct LocalBodies {
    hasher: std::hash::RandomState,
    map: std::sync::Mutex<std::collections::HashMap<u64, SafeHtml>>,
}

/// Bodies remembered (a few MB at most: list pages show bodies cut to a preview).
const LOCAL_BODIES: usize = 2_048;

impl MediaSigner {
    pub fn new(key: Vec<u8>, public_url: &url::Url) -> MediaSigner {
        MediaSigner {
            key: Arc::new(key),
            own_files: format!("{public_url}files/").into(),
            local: Arc::default(),
        }
    }

    /// `html` with its images through the proxy (and audio and video left as links), from the
    /// memo when this body was made local before. The key is SipHash under a random key of
    /// this process, so no body can be crafted to collide with another's.
    pub fn local_body(&self, html: &SafeHtml) -> SafeHtml {
        use std::hash::BuildHasher;
        let key = self.local.hasher.hash_one(html.as_str());
        let memo = |m: &std::sync::Mutex<std::collections::HashMap<u64, SafeHtml>>| {
            m.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&key)
                .cloned()
        };
        if let Some(hit) = memo(&self.local.map) {
            return hit;
        }
        let signer = self.clone();
        let local = html.with_local_images(move |u| signer.path(u));
        let mut map = self
            .local
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= LOCAL_BODIES {
            map.clear();
        }
        map.insert(key, local.clone());
        local
    }

    fn mac(&self, url: &str) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(url.as_bytes());
        Some(mac)
    }

    /// `/media/SIG/URL` for an http(s) URL, `/files/TOKEN` for one of our own composed files;
    /// `None` for anything else.
    pub fn path(&self, url: &str) -> Option<String> {
        let parsed = url::Url::parse(url.trim()).ok()?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return None;
        }
        if let Some(own) = self.own_file(parsed.as_str()) {
            return Some(own);
        }
        let url = parsed.as_str();
        let sig = URL_SAFE_NO_PAD.encode(self.mac(url)?.finalize().into_bytes());
        Some(format!("/media/{sig}/{}", URL_SAFE_NO_PAD.encode(url)))
    }

    /// `/files/TOKEN` for one of our own composed files (public, like their feeds), `None`
    /// for any other URL: all a page for visitors embeds, since the proxy is the owner's.
    pub fn own_file(&self, url: &str) -> Option<String> {
        let parsed = url::Url::parse(url.trim()).ok()?;
        let token = parsed.as_str().strip_prefix(&*self.own_files)?;
        (!token.is_empty() && token.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| format!("/files/{token}"))
    }

    /// The URL a path names, when its signature is ours.
    fn verify(&self, sig: &str, encoded: &str) -> Option<String> {
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let url = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
        self.mac(&url)?.verify_slice(&sig).ok()?;
        Some(url)
    }
}

impl WebContext {
    /// The proxy's signer, its key read from the store (made the first time).
    pub async fn media_signer(&self) -> Result<MediaSigner, WebError> {
        if let Some(signer) = self.media.get() {
            return Ok(signer.clone());
        }
        let key = self
            .store
            .web_secret(KEY_NAME, || {
                crate::auth::new_token().ok().map(String::into_bytes)
            })
            .await?;
        Ok(self
            .media
            .get_or_init(|| MediaSigner::new(key, &self.public_url))
            .clone())
    }
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("media" / String / String)
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(
            |sig: String, encoded: String, ctx: Arc<WebContext>, _: Owner| async move {
                match proxy(&ctx, &sig, &encoded).await {
                    Ok(resp) => resp,
                    Err((status, why)) => refuse(status, &why),
                }
            },
        )
}

async fn proxy(
    ctx: &WebContext,
    sig: &str,
    encoded: &str,
) -> Result<Response, (StatusCode, String)> {
    let signer = ctx.media_signer().await.map_err(|e| {
        tracing::error!(error = %e, "web: media proxy key");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the proxy has no key".into(),
        )
    })?;
    let url = signer.verify(sig, encoded).ok_or((
        StatusCode::FORBIDDEN,
        "this media address is not signed by this Braid".into(),
    ))?;
    let url = url::Url::parse(&url).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let fetched = ctx
        .media_http
        .get(&url, Default::default())
        .await
        .map_err(|e| {
            tracing::debug!(%url, error = %e, "web: media proxy fetch failed");
            (
                StatusCode::BAD_GATEWAY,
                format!("could not fetch the image: {e}"),
            )
        })?;
    if !fetched.status.is_success() {
        return Err((
            StatusCode::BAD_GATEWAY,
            format!("the image's server answered {}", fetched.status),
        ));
    }
    let kind = raster_type(&fetched.body).ok_or((
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not a raster image (PNG, JPEG, GIF, WebP or AVIF)".into(),
    ))?;
    let mut resp = Response::new(fetched.body.to_vec().into());
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(PROXY_CSP),
    );
    headers.insert("content-disposition", HeaderValue::from_static("inline"));
    Ok(resp)
}

/// The image type by its signature bytes; `None` for anything that is not a raster image.
pub fn raster_type(body: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| body.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if body.len() >= 12 && starts(b"RIFF") && &body[8..12] == b"WEBP" {
        Some("image/webp")
    } else if body.len() >= 12
        && &body[4..8] == b"ftyp"
        && matches!(&body[8..12], b"avif" | b"avis")
    {
        Some("image/avif")
    } else {
        None
    }
}

fn refuse(status: StatusCode, why: &str) -> Response {
    let mut resp = Response::new(format!("{why}\n").into());
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(super::respond::TEXT));
    resp.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(PROXY_CSP),
    );
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("http://127.0.0.1:8080/").unwrap()
    }

    #[test]
    fn signed_paths_verify_and_tampered_ones_do_not() {
        let signer = MediaSigner::new(b"k".repeat(32), &base());
        let path = signer.path("https://cdn.example/a.png?x=1").unwrap();
        let mut parts = path.trim_start_matches("/media/").split('/');
        let (sig, url) = (parts.next().unwrap(), parts.next().unwrap());
        assert_eq!(
            signer.verify(sig, url).as_deref(),
            Some("https://cdn.example/a.png?x=1")
        );
        let other = URL_SAFE_NO_PAD.encode("https://evil.example/a.png");
        assert_eq!(signer.verify(sig, &other), None);
        assert_eq!(
            MediaSigner::new(b"j".repeat(32), &base()).verify(sig, url),
            None
        );
        assert_eq!(signer.path("javascript:alert(1)"), None);
        assert_eq!(signer.path("file:///etc/passwd"), None);
        // Our own composed files are shown as they are; anything else of ours is proxied
        // (and refused there, as a private address).
        let token = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            signer.path(&format!("http://127.0.0.1:8080/files/{token}")),
            Some(format!("/files/{token}"))
        );
        let other = signer
            .path("http://127.0.0.1:8080/files/../settings")
            .unwrap();
        assert!(other.starts_with("/media/"), "{other}");
    }

    #[test]
    fn only_raster_signatures_pass() {
        assert_eq!(raster_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(raster_type(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(raster_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(raster_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(raster_type(b"\0\0\0\x1cftypavif"), Some("image/avif"));
        assert_eq!(
            raster_type(b"<svg xmlns='http://www.w3.org/2000/svg'>"),
            None
        );
        assert_eq!(raster_type(b"<?xml version='1.0'?><svg/>"), None);
        assert_eq!(raster_type(b"<html><script>"), None);
        assert_eq!(raster_type(b""), None);
    }
}
