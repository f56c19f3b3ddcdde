//! `GET /static/*`: the stylesheet and the scripts of the compose and timeline pages, compiled
//! into the binary (no file access at run time, so the binary is the whole deployment).
//! Versionless names, so caches revalidate daily.

use warp::http::header::{HeaderValue, CACHE_CONTROL};
use warp::Filter;

use super::respond;

const BRAID_CSS: &str = include_str!("../../web/static/braid.css");
const COMPOSE_JS: &str = include_str!("../../web/static/compose.js");
const TIMELINE_JS: &str = include_str!("../../web/static/timeline.js");

pub fn route() -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let css =
        warp::path!("static" / "braid.css").map(|| asset(BRAID_CSS, "text/css; charset=utf-8"));
    let compose = warp::path!("static" / "compose.js")
        .map(|| asset(COMPOSE_JS, "text/javascript; charset=utf-8"));
    let timeline = warp::path!("static" / "timeline.js")
        .map(|| asset(TIMELINE_JS, "text/javascript; charset=utf-8"));
    css.or(compose).unify().or(timeline).unify()
}

fn asset(body: &'static str, content_type: &'static str) -> warp::reply::Response {
    let mut resp = respond::ok(body, content_type);
    resp.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    resp
}
