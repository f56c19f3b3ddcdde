//! `POST /sources/ID/ACTION`: pause, resume, enable (after errors), schedule, remove. Each is
//! answered with a redirect back (`back`, one of the sources pages) carrying a notice of what
//! happened (POST/redirect/GET), so a reload never repeats it. Removing needs the form's
//! confirmation box ticked: a page without script cannot ask with a dialog.

use std::sync::Arc;

use braid_core::SourceId;
use chrono::Utc;
use serde::Deserialize;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext};
use super::notice::{back, with_notice};
use super::{field, form, manage};
use crate::scheduler::cron_expr::{next_after, parse_schedule};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ActionForm {
    back: Option<String>,
    schedule: String,
    confirm: String,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources" / i64 / String)
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::body::bytes())
        .then(
            |id: i64,
             action: String,
             ctx: Arc<WebContext>,
             owner: Owner,
             body: bytes::Bytes| async move {
                let result = match form::<ActionForm>(&body) {
                    Ok(f) => act(&ctx, &owner, SourceId(id), &action, f).await,
                    Err(e) => Err(e),
                };
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn act(
    ctx: &WebContext,
    owner: &Owner,
    id: SourceId,
    action: &str,
    f: ActionForm,
) -> HandlerResult {
    if !matches!(
        action,
        "pause" | "resume" | "enable" | "schedule" | "remove"
    ) {
        return Ok(respond::error_page(
            ctx,
            Format::Html,
            StatusCode::NOT_FOUND,
            "there is no such action; a source can be paused, resumed, enabled, rescheduled or \
             removed",
        ));
    }
    let Some(source) = ctx.store.source(id).await? else {
        return Ok(respond::error_page(
            ctx,
            Format::Html,
            StatusCode::NOT_FOUND,
            "there is no such source (it may have been removed already)",
        ));
    };
    let own_page = format!("/sources/{}", id.0);
    let to = back(f.back.as_deref()).to_owned();
    let code = match action {
        "pause" => {
            ctx.store.set_source_paused(id, true).await?;
            "paused"
        }
        "resume" => {
            ctx.store.set_source_paused(id, false).await?;
            "resumed"
        }
        "enable" => {
            ctx.store.enable_source(id).await?;
            "enabled"
        }
        "schedule" => {
            let schedule = field(&f.schedule);
            // The next poll the new schedule gives; a cleared schedule goes back to the
            // daemon's default (due now when this server has no daemon to ask).
            let parsed = match schedule.as_deref().map(parse_schedule).transpose() {
                Ok(parsed) => parsed,
                Err(why) => {
                    let why = format!("schedule: {why}");
                    return manage::render(ctx, owner, id, None, Some((f.schedule, why))).await;
                }
            };
            let rule = parsed
                .as_ref()
                .or(ctx.hosted.as_deref().map(|p| &p.default_schedule));
            let next = rule.and_then(|r| next_after(r, Utc::now()));
            ctx.store.set_source_schedule(id, schedule, next).await?;
            return Ok(respond::see_other(&with_notice(
                &own_page,
                "schedule",
                &source.name,
            )));
        }
        _ => {
            if !matches!(f.confirm.as_str(), "yes" | "on") {
                return Ok(respond::see_other(&with_notice(
                    &own_page,
                    "unconfirmed",
                    &source.name,
                )));
            }
            ctx.store.remove_source(id).await?;
            // Its own page is gone: back to the list.
            let to = if to.starts_with(&own_page) {
                "/sources"
            } else {
                &to
            };
            return Ok(respond::see_other(&with_notice(
                to,
                "removed",
                &source.name,
            )));
        }
    };
    tracing::info!(source_id = %id, action, "web: source {code}");
    Ok(respond::see_other(&with_notice(&to, code, &source.name)))
}
