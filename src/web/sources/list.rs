//! `GET /sources`: one page of sources by name (`?after=NAME` continues after that name; names
//! are unique, so the order is stable while sources come and go), filtered by `?show=failing`,
//! `disabled` or `paused`, with a summary line over all sources and each source's health and
//! items per day.

use std::sync::Arc;

use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::chart::{self, Chart};
use super::notice::Done;
use super::row::SourceRow;
use crate::store::{SourceCounts, SourceFilter};

/// Sources on one page: a few hundred KB of HTML at most, whatever the total.
pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    show: Option<String>,
    #[serde(flatten)]
    done: Done,
}

/// A filter link of the page.
struct FilterLink {
    label: String,
    href: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    layout: Layout,
    counts: SourceCounts,
    rows: Vec<SourceRow>,
    filters: Vec<FilterLink>,
    /// What the current filter is called ("failing"), empty for all.
    showing: &'static str,
    notice: Option<String>,
    /// This page's address without the notice: where its forms send the browser back.
    back: String,
    /// The next page's address, when there are more sources.
    next: Option<String>,
    /// The first page's, when this is not the first.
    first: Option<String>,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::query::<ListQuery>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, q: ListQuery| async move {
                let result = page(&ctx, &owner, q).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

fn filter(show: Option<&str>) -> Result<(SourceFilter, &'static str), WebError> {
    Ok(match show.unwrap_or("") {
        "" | "all" => (SourceFilter::All, ""),
        "failing" => (SourceFilter::Failing, "failing"),
        "disabled" => (SourceFilter::Disabled, "disabled"),
        "paused" => (SourceFilter::Paused, "paused"),
        other => {
            return Err(WebError::BadRequest(format!(
                "show={other:?} is not a filter; use failing, disabled or paused"
            )))
        }
    })
}

/// `/sources` with `show` and `after` (each when set).
fn address(showing: &str, after: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !showing.is_empty() {
        query.append_pair("show", showing);
    }
    if let Some(after) = after {
        query.append_pair("after", after);
    }
    let query = query.finish();
    if query.is_empty() {
        "/sources".to_owned()
    } else {
        format!("/sources?{query}")
    }
}

async fn page(ctx: &WebContext, owner: &Owner, q: ListQuery) -> HandlerResult {
    let (which, showing) = filter(q.show.as_deref())?;
    let after = q.after.filter(|a| !a.is_empty());
    let mut records = ctx
        .store
        .sources_page(which, after.clone(), PAGE_SIZE + 1)
        .await?;
    let more = records.len() > PAGE_SIZE;
    records.truncate(PAGE_SIZE);
    let start = chart::start(Utc::now());
    let mut per_day = ctx
        .store
        .items_per_day(records.iter().map(|r| r.id).collect(), start, chart::DAYS)
        .await?;
    let rows = records
        .iter()
        .map(|r| {
            let counts = per_day.remove(&r.id).unwrap_or_default();
            SourceRow::new(r, Chart::new(&counts, start))
        })
        .collect();
    let counts = ctx.store.source_counts().await?;
    let filters = [
        ("", format!("All ({})", counts.total), "/sources"),
        (
            "failing",
            format!("Failing ({})", counts.failing),
            "/sources?show=failing",
        ),
        (
            "disabled",
            format!("Disabled ({})", counts.disabled),
            "/sources?show=disabled",
        ),
        (
            "paused",
            format!("Paused ({})", counts.paused),
            "/sources?show=paused",
        ),
    ]
    .into_iter()
    .map(|(key, label, href)| FilterLink {
        label,
        href,
        current: key == showing,
    })
    .collect();
    let page = SourcesPage {
        layout: Layout::owned(ctx, "Sources", "sources", owner),
        counts,
        next: more
            .then(|| records.last().map(|r| address(showing, Some(&r.name))))
            .flatten(),
        first: after.is_some().then(|| address(showing, None)),
        back: address(showing, after.as_deref()),
        rows,
        filters,
        showing,
        notice: q.done.message(),
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}
