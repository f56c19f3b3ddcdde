//! Building responses: content types, and turning errors and warp's rejections into pages in
//! the format the route speaks (an HTML page, `{"error": …}` for the API, plain text for feeds).

use askama::Template;
use warp::http::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use warp::http::{Method, StatusCode};
use warp::path::FullPath;
use warp::reply::Response;
use warp::Reply;

use super::view::Layout;
use super::{HandlerResult, WebContext, WebError};

pub const HTML: &str = "text/html; charset=utf-8";
pub const JSON: &str = "application/json";
pub const TEXT: &str = "text/plain; charset=utf-8";

/// How a route reports errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
    Text,
}

/// A 200 response with `body` and `content_type`.
pub fn ok(body: impl Into<Vec<u8>>, content_type: &'static str) -> Response {
    let mut resp = body.into().into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// A 303 to `location` (a path of ours): the answer to a form, so reloading the page it leads
/// to does not send the form again (POST/redirect/GET).
pub fn see_other(location: &str) -> Response {
    let mut resp = Response::new(Vec::new().into());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(warp::http::header::LOCATION, v);
    }
    resp
}

/// Pages show live data: caches may keep them only briefly and must revalidate.
pub fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// The handler's response, or its error as a page in `format`. Client errors are the client's
/// business (debug log); server errors are ours (error log with the full message, while the
/// page says only what failed, never internals such as SQL).
pub fn finish(ctx: &WebContext, format: Format, result: HandlerResult) -> Response {
    match result {
        Ok(resp) => resp,
        Err(WebError::BadRequest(message)) => {
            tracing::debug!(%message, "web: bad request");
            error_page(ctx, format, StatusCode::BAD_REQUEST, &message)
        }
        Err(err) => {
            tracing::error!(error = %err, "web: request failed");
            let message = match err {
                WebError::Store(_) => "the database could not answer; the log has the details",
                _ => "the page could not be built; the log has the details",
            };
            error_page(ctx, format, StatusCode::INTERNAL_SERVER_ERROR, message)
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    reason: &'a str,
    message: &'a str,
}

/// An error response with `status` and a one-sentence `message` in the route's format.
pub fn error_page(ctx: &WebContext, format: Format, status: StatusCode, message: &str) -> Response {
    let (body, content_type) = match format {
        Format::Json => (serde_json::json!({ "error": message }).to_string(), JSON),
        Format::Text => (format!("{message}\n"), TEXT),
        Format::Html => {
            let page = ErrorPage {
                layout: Layout::new(ctx, status.canonical_reason().unwrap_or("Error"), ""),
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("Error"),
                message,
            };
            match page.render() {
                Ok(html) => (html, HTML),
                // The error page itself failed: fall back to text rather than nothing.
                Err(err) => {
                    tracing::error!(error = %err, "web: rendering the error page");
                    (format!("{message}\n"), TEXT)
                }
            }
        }
    };
    let mut resp = ok(body, content_type);
    *resp.status_mut() = status;
    resp
}

/// What answers when no route matched: 405 for a method other than GET/HEAD (the UI is read-only
/// until the owner login exists), else 404. API paths answer in JSON, the rest with a page.
pub fn fallback(ctx: &WebContext, path: &FullPath, method: &Method) -> Response {
    let format = if path.as_str().starts_with("/api/") {
        Format::Json
    } else {
        Format::Html
    };
    if method != Method::GET && method != Method::HEAD {
        let mut resp = error_page(
            ctx,
            format,
            StatusCode::METHOD_NOT_ALLOWED,
            "this address only answers GET requests",
        );
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    error_page(
        ctx,
        format,
        StatusCode::NOT_FOUND,
        "there is no page at this address",
    )
}
