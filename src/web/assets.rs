//! `GET /static/*`: the stylesheet, compiled into the binary (no file access at run time, so
//! the binary is the whole deployment). Versionless names, so caches revalidate daily.

use warp::http::header::{HeaderValue, CACHE_CONTROL};
use warp::Filter;

use super::respond;

const BRAID_CSS: &str = include_str!("../../web/static/braid.css");

pub fn route() -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("static" / "braid.css").map(|| {
        let mut resp = respond::ok(BRAID_CSS, "text/css; charset=utf-8");
        resp.headers_mut().insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        );
        resp
    })
}
