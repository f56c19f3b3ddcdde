//! `POST /sources/timeline`: one of an account's timelines as a source, as `braid source add
//! --account NAME --timeline home|list:ID|tag:NAME` does (`crate::subscribe::timeline`).

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext};
use super::add::{render, AddState, TimelineForm};
use super::notice::with_notice;
use super::{check_schedule, daemon, field, form, subscribe_error};
use crate::subscribe::{self, Added, Placement};

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources" / "timeline")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::body::bytes())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, body: bytes::Bytes| async move {
                let result = match form::<TimelineForm>(&body) {
                    Ok(f) => submit(&ctx, &owner, f).await,
                    Err(e) => Err(e),
                };
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn submit(ctx: &WebContext, owner: &Owner, f: TimelineForm) -> HandlerResult {
    match add(ctx, &f).await {
        Ok(added) => Ok(respond::see_other(&with_notice(
            &format!("/sources/{}", added.id),
            "added",
            &added.name,
        ))),
        Err(message) => {
            let state = AddState {
                timeline: f,
                timeline_error: Some(message),
                ..AddState::default()
            };
            render(ctx, owner, state, StatusCode::BAD_REQUEST).await
        }
    }
}

async fn add(ctx: &WebContext, f: &TimelineForm) -> Result<Added, String> {
    let poll = daemon(ctx)?;
    let schedule = field(&f.schedule);
    check_schedule(schedule.as_deref())?;
    let name = field(&f.account).ok_or("choose an account")?;
    let account = ctx
        .store
        .find_account(&name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("there is no account named {name:?}"))?;
    let timeline = field(&f.timeline).unwrap_or_else(|| "home".into());
    let placement = Placement {
        name: field(&f.name),
        schedule,
        category: field(&f.category),
    };
    subscribe::timeline(
        &ctx.store,
        &poll.connectors.registry,
        &account,
        &timeline,
        None,
        placement,
    )
    .await
    .map_err(|e| subscribe_error(&e))
}
