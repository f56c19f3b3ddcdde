//! `GET /routes/new`: the form for a new route; `POST /routes/new` makes it, as `braid route
//! add` does: the same rule, the same checks ([`routes::prepare`]), the route starting from
//! now (its cursor at the newest item), and an optional backfill of the newest N items.
//! A refused form comes back (422) with the reason and everything typed.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use super::form::{self, Place, RouteForm};
use super::{form_body, route_path, Fields};
use crate::routes;
use crate::store::StoreError;

pub(super) fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("routes" / "new")
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(|ctx: Arc<WebContext>, owner: Owner| async move {
            let form = RouteForm::default();
            let result = form::render(&ctx, &owner, place(), form, None, StatusCode::OK).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

pub(super) fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("routes" / "new")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(form_body())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, fields: Fields| async move {
                let result = create(&ctx, &owner, &fields).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

fn place() -> Place {
    Place {
        creating: true,
        action: "/routes/new".into(),
        cancel: "/routes".into(),
    }
}

async fn create(ctx: &WebContext, owner: &Owner, fields: &Fields) -> HandlerResult {
    let form = RouteForm::parse(fields);
    match add(ctx, &form).await? {
        Ok(location) => Ok(respond::see_other(&location)),
        Err(reason) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            form::render(ctx, owner, place(), form, Some(reason), status).await
        }
    }
}

/// Adds the route the form says: the page to go to, or why not (a sentence for the form).
async fn add(ctx: &WebContext, form: &RouteForm) -> Result<Result<String, String>, WebError> {
    let name = form.name.as_str();
    if name.is_empty() {
        return Ok(Err("name: a route needs a name".into()));
    }
    if name == "new" || name.chars().any(char::is_control) {
        return Ok(Err(format!(
            "name: {name:?} cannot be a route's name here (\"new\" is this form's address)"
        )));
    }
    let spec = match form.spec() {
        Ok(spec) => spec,
        Err(e) => return Ok(Err(e)),
    };
    let backfill = match form.backfill() {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    // A backfill fetches the items' files and queues posts: the daemon's work.
    let hosted = ctx.hosted.clone();
    if backfill > 0 && hosted.is_none() {
        return Ok(Err(
            "backfill: this server runs without the daemon (`braid run`), which carries items"
                .into(),
        ));
    }
    let spec = match routes::prepare(&ctx.store, &super::kinds(ctx), spec).await {
        Ok(spec) => spec,
        Err(e) => return Ok(Err(e)),
    };
    match ctx.store.add_route(name.to_owned(), spec.to_value()).await {
        Ok(_) => {}
        // A name already taken.
        Err(StoreError::Other(e)) => return Ok(Err(format!("name: {e}"))),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(route = %name, "web: route added");
    let mut location = route_path(name, "?done=created");
    if let (Some(hosted), true) = (hosted, backfill > 0) {
        let carried = routes::backfill(&hosted, name, backfill).await?;
        location.push_str(&format!("&backfilled={carried}"));
    }
    Ok(Ok(location))
}
