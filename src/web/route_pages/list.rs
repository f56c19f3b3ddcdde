//! `GET /routes`: every route with where it carries from and to, whether it is paused, where
//! it was made (here or the command line, or the config file), its filter in a few words and
//! its last decision. 50 a page (`?page=N`).

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::query::{self, RawQuery};
use super::super::respond::{self, Format};
use super::super::view::{Layout, TimeView};
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::{describe, done_message, route_path};
use crate::routes::RouteSpec;

/// Routes a page: more than anyone scans at once, few enough to read each's last decision.
const PAGE_SIZE: usize = 50;

struct Row {
    name: String,
    href: String,
    path: String,
    summary: String,
    paused: bool,
    from_config: bool,
    last: Option<TimeView>,
    /// The stored rule cannot be read (written by a newer Braid?): said instead of a summary.
    unreadable: Option<String>,
}

#[derive(Template)]
#[template(path = "routes.html")]
struct ListPage {
    layout: Layout,
    done: Option<&'static str>,
    rows: Vec<Row>,
    total: usize,
    paused: usize,
    newer_href: Option<String>,
    older_href: Option<String>,
}

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("routes")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(query::raw())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, raw: RawQuery| async move {
                let result = page(&ctx, &owner, &raw).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

/// `?page=N` (from 1), 1 when absent.
fn page_number(raw: &RawQuery) -> Result<usize, WebError> {
    match raw.iter().find(|(k, _)| k == "page").map(|(_, v)| v.trim()) {
        None | Some("") => Ok(1),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            WebError::BadRequest(format!(
                "the `page` parameter {v:?} must be a number from 1"
            ))
        }),
    }
}

async fn page(ctx: &WebContext, owner: &Owner, raw: &RawQuery) -> HandlerResult {
    let number = page_number(raw)?;
    let routes = ctx.store.list_routes().await?;
    let total = routes.len();
    let paused = routes.iter().filter(|r| r.paused).count();
    let mut rows = Vec::new();
    for r in routes
        .into_iter()
        .skip((number - 1).saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
    {
        let last = ctx.store.route_log(r.id, 1).await?.first().map(|l| l.at);
        let (path, summary, unreadable) = match RouteSpec::from_value(&r.spec) {
            Ok(spec) => (describe::path(&spec), describe::summary(&spec), None),
            Err(e) => (String::new(), String::new(), Some(e)),
        };
        rows.push(Row {
            href: route_path(&r.name, ""),
            name: r.name,
            path,
            summary,
            paused: r.paused,
            from_config: r.origin == "config",
            last: TimeView::maybe(last),
            unreadable,
        });
    }
    let page = ListPage {
        layout: Layout::owned(ctx, "Routes", "routes", owner),
        done: done_message(raw),
        rows,
        total,
        paused,
        newer_href: (number > 1).then(|| format!("/routes?page={}", number - 1)),
        older_href: (number.saturating_mul(PAGE_SIZE) < total)
            .then(|| format!("/routes?page={}", number + 1)),
    };
    super::html(&page, StatusCode::OK)
}
