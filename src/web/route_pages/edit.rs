//! `GET /routes/NAME/edit`: the route form filled with its rule; `POST` saves the changed
//! rule after the same checks as a new one ([`routes::prepare`]).
//!
//! Only the rule changes: the route's cursor (the last item it weighed) and `since` stay, so
//! an edit never makes it carry old items again; the changed rule applies to what arrives
//! from now on, and what it carried before still counts against posting an entry twice. A
//! route from the config file is refused (409): the config would undo the change at the next
//! start.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::Owner;
use super::super::respond::{self, Format};
use super::super::{HandlerResult, WebContext};
use super::form::{self, Place, RouteForm};
use super::{config_managed, form_body, named, route_path, Fields};
use crate::routes::{self, RouteSpec};
use crate::store::RouteRecord;

pub(super) fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("routes", "edit", ctx).then(
        |name: String, ctx: Arc<WebContext>, owner: Owner| async move {
            let result = show(&ctx, &owner, &name).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

pub(super) fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("routes", "edit", ctx).and(form_body()).then(
        |name: String, ctx: Arc<WebContext>, owner: Owner, fields: Fields| async move {
            let result = save(&ctx, &owner, &name, &fields).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

fn place(name: &str) -> Place {
    Place {
        creating: false,
        action: route_path(name, "/edit"),
        cancel: route_path(name, ""),
    }
}

/// The route if the web may change it; else the page that says why not.
async fn editable(
    ctx: &WebContext,
    name: &str,
) -> Result<Result<RouteRecord, warp::reply::Response>, super::super::WebError> {
    match ctx.store.route(name.to_owned()).await? {
        None => Ok(Err(super::not_found(ctx, "route", name)?)),
        Some(r) if r.origin == "config" => Ok(Err(super::refuse(
            ctx,
            StatusCode::CONFLICT,
            &config_managed("route", name),
        )?)),
        Some(r) => Ok(Ok(r)),
    }
}

async fn show(ctx: &WebContext, owner: &Owner, name: &str) -> HandlerResult {
    let route = match editable(ctx, name).await? {
        Ok(r) => r,
        Err(refused) => return Ok(refused),
    };
    let (form, error) = match RouteSpec::from_value(&route.spec) {
        Ok(spec) => (RouteForm::of(&route.name, &spec), None),
        Err(e) => (
            RouteForm {
                name: route.name.clone(),
                ..RouteForm::default()
            },
            Some(format!(
                "the stored rule cannot be read ({e}); saving replaces it"
            )),
        ),
    };
    form::render(ctx, owner, place(name), form, error, StatusCode::OK).await
}

async fn save(ctx: &WebContext, owner: &Owner, name: &str, fields: &Fields) -> HandlerResult {
    if let Err(refused) = editable(ctx, name).await? {
        return Ok(refused);
    }
    let mut form = RouteForm::parse(fields);
    form.name = name.to_owned();
    let prepared = match form.spec() {
        Ok(spec) => routes::prepare(&ctx.store, &super::kinds(ctx), spec).await,
        Err(e) => Err(e),
    };
    let spec = match prepared {
        Ok(spec) => spec,
        Err(reason) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return form::render(ctx, owner, place(name), form, Some(reason), status).await;
        }
    };
    if !ctx
        .store
        .update_route(name.to_owned(), spec.to_value())
        .await?
    {
        // Removed (or replaced by the config) since the check above.
        return super::not_found(ctx, "route made here", name);
    }
    tracing::info!(route = %name, "web: route changed");
    Ok(respond::see_other(&route_path(name, "?done=saved")))
}
