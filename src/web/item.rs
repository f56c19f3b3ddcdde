//! `GET /items/ID`: one item, whole (the timeline shows long items cut to a preview and links
//! here). 404 page for an unknown id.

use std::sync::Arc;

use askama::Template;
use braid_core::ItemId;
use warp::http::StatusCode;
use warp::Filter;

use super::owner::{self, Owner};
use super::respond::{self, Format};
use super::view::{ItemView, Layout};
use super::{with_ctx, HandlerResult, WebContext};

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    layout: Layout,
    item: ItemView,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("items" / i64)
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(|id: i64, ctx: Arc<WebContext>, owner: Owner| async move {
            let result = page(&ctx, &owner, id).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

async fn page(ctx: &WebContext, owner: &Owner, id: i64) -> HandlerResult {
    let Some(stored) = ctx.store.item(ItemId(id)).await? else {
        return Ok(respond::error_page(
            ctx,
            Format::Html,
            StatusCode::NOT_FOUND,
            &format!("there is no item {id}; it may have been deleted or expired"),
        ));
    };
    let item = ItemView::new(&stored).local_media(&stored, &ctx.media_signer().await?);
    let title = item
        .title
        .clone()
        .unwrap_or_else(|| format!("Item from {}", item.source_name));
    let page = ItemPage {
        layout: Layout::owned(ctx, &title, "", owner),
        item,
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}
