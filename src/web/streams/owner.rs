//! `GET /@NAME`, where NAME is `web.owner_name`: the owner's public page: the site's title,
//! the owner's handle, and the owner's own posts anyone may read (the built-in owner
//! source's items, `crate::store::own`). Another name after `@` is a 404.

use std::sync::Arc;

use warp::reply::Response;
use warp::Filter;

use super::{before, listed, not_found, render, Shown};
use crate::store::TimelinePage;
use crate::web::owner::{self, Owner};
use crate::web::query::{self, RawQuery};
use crate::web::respond::{self, Format};
use crate::web::{with_ctx, HandlerResult, WebContext};

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path::param::<String>()
        .and_then(|segment: String| async move {
            match segment.strip_prefix('@') {
                Some(name) if !name.is_empty() => Ok(name.to_owned()),
                _ => Err(warp::reject::not_found()),
            }
        })
        .and(warp::path::end())
        .and(with_ctx(ctx))
        .and(owner::optional())
        .and(query::raw())
        .then(
            |name: String, ctx: Arc<WebContext>, owner: Option<Owner>, raw: RawQuery| async move {
                let result = page(&ctx, &name, owner.as_ref(), &raw).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn page(
    ctx: &WebContext,
    name: &str,
    owner: Option<&Owner>,
    raw: &RawQuery,
) -> HandlerResult {
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
