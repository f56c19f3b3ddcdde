//! `GET /sources/ID`: one source, its health and chart, and its actions (pause or resume,
//! re-enable, change the schedule, remove after ticking a confirmation box).

use std::sync::Arc;

use askama::Template;
use braid_core::SourceId;
use chrono::Utc;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext};
use super::chart::{self, Chart};
use super::notice::Done;
use super::row::SourceRow;

#[derive(Template)]
#[template(path = "source_manage.html")]
struct ManagePage {
    layout: Layout,
    row: SourceRow,
    notice: Option<String>,
    /// The schedule field's value: the stored one, or what was typed when it was refused.
    schedule: String,
    schedule_error: Option<String>,
    /// The configured default schedule, shown beside the field.
    default_schedule: String,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources" / i64)
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::query::<Done>())
        .then(
            |id: i64, ctx: Arc<WebContext>, owner: Owner, done: Done| async move {
                let result = render(&ctx, &owner, SourceId(id), done.message(), None).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

/// The page of source `id`; `refused` is a typed schedule and why it was refused.
pub async fn render(
    ctx: &WebContext,
    owner: &Owner,
    id: SourceId,
    notice: Option<String>,
    refused: Option<(String, String)>,
) -> HandlerResult {
    let Some(record) = ctx.store.source(id).await? else {
        return Ok(respond::error_page(
            ctx,
            Format::Html,
            StatusCode::NOT_FOUND,
            "there is no such source (it may have been removed)",
        ));
    };
    if record.kind == crate::store::OWNER_KIND {
        // Braid's own, not a subscription: nothing here to pause, schedule or remove.
        return Ok(respond::error_page(
            ctx,
            Format::Html,
            StatusCode::NOT_FOUND,
            &format!(
                "{:?} is not a source you subscribed to: it holds what you composed into channels, and the timeline shows it (/?source={})",
                record.name, id.0
            ),
        ));
    }
    let start = chart::start(Utc::now());
    let counts = ctx
        .store
        .items_per_day(vec![id], start, chart::DAYS)
        .await?
        .remove(&id)
        .unwrap_or_default();
    let status = if refused.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let (schedule, schedule_error) = match refused {
        Some((typed, why)) => (typed, Some(why)),
        None => (record.schedule.clone().unwrap_or_default(), None),
    };
    let page = ManagePage {
        layout: Layout::owned(ctx, &record.name, "sources", owner),
        row: SourceRow::new(&record, Chart::new(&counts, start)),
        notice,
        schedule,
        schedule_error,
        default_schedule: ctx
            .hosted
            .as_deref()
            .map(|p| p.config.scheduler.default_schedule.clone())
            .unwrap_or_default(),
    };
    let mut resp = respond::no_store(respond::ok(page.render()?, respond::HTML));
    *resp.status_mut() = status;
    Ok(resp)
}
