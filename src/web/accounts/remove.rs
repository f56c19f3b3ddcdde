//! `GET /accounts/ID/remove` asks, `POST /accounts/ID/remove` disconnects: the account and
//! the sources that read through it go, with their items, in one transaction (what `braid
//! account remove` does). Nothing changes on the network: the page says where to withdraw
//! Braid's access there. The question is a page of its own, so it needs no script.

use std::sync::Arc;

use askama::Template;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext};

#[derive(Template)]
#[template(path = "accounts_remove.html")]
struct ConfirmPage {
    layout: Layout,
    id: i64,
    name: String,
    network: String,
    server: Option<String>,
    sources: Vec<(String, i64)>,
    items: i64,
}

pub(super) fn confirm_route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("accounts" / i64 / "remove")
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(|id: i64, ctx: Arc<WebContext>, owner: Owner| async move {
            let result = confirm(&ctx, &owner, id).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("accounts" / i64 / "remove")
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(|id: i64, ctx: Arc<WebContext>, _owner: Owner| async move {
            let result = remove(&ctx, id).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

async fn confirm(ctx: &WebContext, owner: &Owner, id: i64) -> HandlerResult {
    let account = super::again::account(ctx, id).await?;
    let sources: Vec<(String, i64)> = ctx
        .store
        .list_sources()
        .await?
        .into_iter()
        .filter(|s| s.account == Some(account.id))
        .map(|s| (s.name, s.item_count))
        .collect();
    let page = ConfirmPage {
        layout: Layout::owned(
            ctx,
            &format!("Disconnect {}", account.name),
            "accounts",
            owner,
        ),
        id,
        network: super::network_name(ctx, &account.kind),
        server: account.server_url.clone(),
        name: account.handle.clone().unwrap_or(account.name),
        items: sources.iter().map(|(_, n)| n).sum(),
        sources,
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}

async fn remove(ctx: &WebContext, id: i64) -> HandlerResult {
    let account = super::again::account(ctx, id).await?;
    let sources = ctx.store.remove_account(account.id).await?;
    tracing::info!(account = %account.name, sources, "web: account disconnected");
    Ok(respond::see_other("/accounts?removed=1"))
}
