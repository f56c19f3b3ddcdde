//! `GET /accounts`: each account with its network, who it is, its health (a refused login
//! shows "needs a new login" with the server's reason, as the store recorded it), the sources
//! that read through it, and the ways to log it in again or disconnect it.

use std::sync::Arc;

use askama::Template;
use serde::Deserialize;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::{safe_url, Layout, TimeView};
use super::super::{with_ctx, HandlerResult, WebContext};
use crate::store::{AccountRecord, SourceRecord};

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    layout: Layout,
    accounts: Vec<AccountView>,
    /// What the last action did, said above the list.
    notice: Option<String>,
    /// Why accounts cannot be added here (no daemon behind this server).
    needs_daemon: Option<&'static str>,
}

struct AccountView {
    id: i64,
    name: String,
    network: String,
    handle: Option<String>,
    display_name: Option<String>,
    profile: Option<String>,
    server: Option<String>,
    needs_login: bool,
    last_error: Option<String>,
    last_error_at: Option<TimeView>,
    last_verified: Option<TimeView>,
    sources: Vec<SourceLink>,
}

struct SourceLink {
    id: i64,
    name: String,
    enabled: bool,
    failing: bool,
    item_count: i64,
}

/// `?added=ID`, `?renewed=ID` (a login finished) or `?removed=1`.
#[derive(Deserialize)]
struct Done {
    added: Option<i64>,
    renewed: Option<i64>,
    removed: Option<u8>,
}

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("accounts")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::query::<Done>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, done: Done| async move {
                let result = page(&ctx, &owner, &done).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn page(ctx: &WebContext, owner: &Owner, done: &Done) -> HandlerResult {
    let sources = ctx.store.list_sources().await?;
    let accounts: Vec<AccountView> = ctx
        .store
        .list_accounts()
        .await?
        .iter()
        .map(|a| view(ctx, a, &sources))
        .collect();
    let named = |id: i64| accounts.iter().find(|a| a.id == id);
    let notice = if let Some(a) = done.added.and_then(named) {
        Some(match a.sources.as_slice() {
            [] => format!("Logged in as {}.", a.who()),
            [one] => format!(
                "Logged in as {}; “{}” is now a source, read on the next poll.",
                a.who(),
                one.name
            ),
            many => format!(
                "Logged in as {}; {} sources read through it.",
                a.who(),
                many.len()
            ),
        })
    } else if let Some(a) = done.renewed.and_then(named) {
        Some(format!(
            "{} is logged in again; its sources are read again on their next poll.",
            a.who()
        ))
    } else if done.removed.is_some() {
        Some("The account was disconnected, with the sources that read through it.".into())
    } else {
        None
    };
    let page = AccountsPage {
        layout: Layout::owned(ctx, "Accounts", "accounts", owner),
        accounts,
        notice,
        needs_daemon: ctx.hosted.is_none().then_some(super::NEEDS_DAEMON),
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}

fn view(ctx: &WebContext, a: &AccountRecord, sources: &[SourceRecord]) -> AccountView {
    AccountView {
        id: a.id.0,
        name: a.name.clone(),
        network: super::network_name(ctx, &a.kind),
        handle: a.handle.clone().filter(|h| h != &a.name),
        display_name: a.display_name.clone().filter(|d| !d.trim().is_empty()),
        profile: a.profile_url.as_deref().and_then(safe_url),
        server: a.server_url.clone(),
        needs_login: a.needs_login,
        last_error: a.last_error.clone(),
        last_error_at: TimeView::maybe(a.last_error_at),
        last_verified: TimeView::maybe(a.last_verified),
        sources: sources
            .iter()
            .filter(|s| s.account == Some(a.id))
            .map(|s| SourceLink {
                id: s.id.0,
                name: s.name.clone(),
                enabled: s.enabled,
                failing: s.error_count > 0,
                item_count: s.item_count,
            })
            .collect(),
    }
}

impl AccountView {
    /// The account as the notices name it: its handle, else its name.
    fn who(&self) -> &str {
        self.handle.as_deref().unwrap_or(&self.name)
    }
}
