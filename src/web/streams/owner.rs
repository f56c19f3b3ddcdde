//! `GET /@NAME`, where NAME is `web.owner_name`: the owner's public page: the site's title,
//! the owner's handle, and the owner's own posts anyone may read (the built-in owner
//! source's items, `crate::store::own`). Another name after `@` is a 404.

use std::sync::Arc;

use warp::reply::Response;
use warp::Filter;

use super::{before, listed, not_found, render, stream_route, Shown};
use crate::store::TimelinePage;
use crate::web::owner::Owner;
use crate::web::query::RawQuery;
use crate::web::{HandlerResult, WebContext};

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let name = warp::path::param::<String>().and_then(|segment: String| async move {
        match segment.strip_prefix('@') {
            Some(name) if !name.is_empty() => Ok(name.to_owned()),
            _ => Err(warp::reject::not_found()),
        }
    });
    stream_route(name, ctx, page)
}

async fn page(
    ctx: Arc<WebContext>,
    name: String,
    owner: Option<Owner>,
    raw: RawQuery,
) -> HandlerResult {
    let (ctx, owner, raw) = (&*ctx, owner.as_ref(), &raw);
    if !name.eq_ignore_ascii_case(&ctx.owner_name) {
        return Ok(not_found(ctx));
    }
    // No source until the owner's first post: nothing to show yet.
    let page = match ctx.store.owner_source().await? {
        Some(source) => {
            ctx.store
                .timeline(crate::store::TimelineQuery {
                    source: Some(source),
                    ..listed(before(raw)?)
                })
                .await?
        }
        None => TimelinePage {
            items: Vec::new(),
            next: None,
        },
    };
    let shown = Shown {
        title: ctx.site_title.clone(),
        description: None,
        handle: ctx
            .handle_domain
            .as_ref()
            .map(|d| format!("{}@{d}", ctx.owner_name)),
        feeds: Vec::new(),
        private_note: None,
        empty_note: "No public posts yet.".to_owned(),
        path: format!("/@{}", ctx.owner_name),
        page,
    };
    render(ctx, owner, raw, shown).await
}
