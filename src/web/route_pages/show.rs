//! `GET /routes/NAME`: a route's rule in words, its state, the buttons that change it, and its
//! log, newest first, 50 lines a page (`?before=LINE`): each decision with its item, target
//! and reason, as `braid route log` prints them.

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::query::{self, RawQuery};
use super::super::respond::{self, Format};
use super::super::view::{Layout, TimeView};
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::{describe, done_message, name, route_path};
use crate::routes::RouteSpec;
use crate::store::RouteLogEntry;

/// Log lines a page.
const PAGE_SIZE: usize = 50;

struct LogRow {
    time: TimeView,
    item_id: Option<i64>,
    /// The item's title or the start of its text.
    item: Option<String>,
    target: Option<String>,
    decision: String,
    /// How the decision reads, and its badge's class.
    label: &'static str,
    class: &'static str,
    reason: String,
    post_id: Option<i64>,
}

impl LogRow {
    fn new(l: RouteLogEntry) -> LogRow {
        let (label, class) = match l.decision.as_str() {
            "queued" => ("sent (queued)", "ok"),
            "channel" => ("sent to channel", "ok"),
            "edited" => ("edit sent", "ok"),
            "deleted" => ("delete sent", "ok"),
            "skipped" => ("skipped", "warn"),
            "note" => ("note", "muted"),
            _ => ("", "muted"),
        };
        LogRow {
            time: TimeView::new(l.at),
            item_id: l.item_id,
            item: l
                .item
                .map(|t| t.lines().next().unwrap_or_default().to_owned())
                .filter(|t| !t.trim().is_empty()),
            target: l.target,
            label,
            class,
            decision: l.decision,
            reason: l.reason,
            post_id: l.post_id,
        }
    }
}

#[derive(Template)]
#[template(path = "routes_show.html")]
struct ShowPage {
    layout: Layout,
    done: Option<&'static str>,
    backfilled: Option<usize>,
    name: String,
    paused: bool,
    from_config: bool,
    path: String,
    conditions: Vec<String>,
    delivery: Vec<String>,
    template: Option<String>,
    unreadable: Option<String>,
    since: TimeView,
    edit_href: String,
    remove_href: String,
    pause_action: String,
    resume_action: String,
    log: Vec<LogRow>,
    is_later_page: bool,
    newest_href: String,
    older_href: Option<String>,
}

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path("routes")
        .and(name())
        .and(warp::path::end())
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(query::raw())
        .then(
            |name: String, ctx: Arc<WebContext>, owner: Owner, raw: RawQuery| async move {
                let result = page(&ctx, &owner, &name, &raw).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

fn number<T: std::str::FromStr>(raw: &RawQuery, key: &str) -> Result<Option<T>, WebError> {
    match raw.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<T>().map(Some).map_err(|_| {
            WebError::BadRequest(format!("the `{key}` parameter {v:?} must be a number"))
        }),
    }
}

async fn page(ctx: &WebContext, owner: &Owner, name: &str, raw: &RawQuery) -> HandlerResult {
    let before: Option<i64> = number(raw, "before")?;
    let Some(route) = ctx.store.route(name.to_owned()).await? else {
        return super::not_found(ctx, "route", name);
    };
    let mut lines = ctx
        .store
        .route_log_page(route.id, before, PAGE_SIZE + 1)
        .await?;
    let more = lines.len() > PAGE_SIZE;
    lines.truncate(PAGE_SIZE);
    let older_href = more
        .then(|| {
            lines
                .last()
                .map(|l| route_path(name, &format!("?before={}", l.id)))
        })
        .flatten();
    let (spec, unreadable) = match RouteSpec::from_value(&route.spec) {
        Ok(spec) => (spec, None),
        Err(e) => (RouteSpec::default(), Some(e)),
    };
    let page = ShowPage {
        layout: Layout::owned(ctx, &format!("Route {name}"), "routes", owner),
        done: done_message(raw),
        backfilled: number(raw, "backfilled").ok().flatten(),
        name: route.name.clone(),
        paused: route.paused,
        from_config: route.origin == "config",
        path: describe::path(&spec),
        conditions: describe::conditions(&spec),
        delivery: describe::delivery(&spec),
        template: spec.template.clone(),
        unreadable,
        since: TimeView::new(route.since),
        edit_href: route_path(name, "/edit"),
        remove_href: route_path(name, "/remove"),
        pause_action: route_path(name, "/pause"),
        resume_action: route_path(name, "/resume"),
        log: lines.into_iter().map(LogRow::new).collect(),
        is_later_page: before.is_some(),
        newest_href: route_path(name, ""),
        older_href,
    };
    super::html(&page, StatusCode::OK)
}
