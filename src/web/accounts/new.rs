//! `GET /accounts/new`: the networks with accounts (from the daemon's registry); with
//! `?network=KIND`, that network's login form.

use std::sync::Arc;

use braid_core::factory::LoginInput;
use serde::Deserialize;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext};
use super::form::{self, LoginForm, LoginPage, NetworkChoice};

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    network: String,
}

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("accounts" / "new")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::query::<NewQuery>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, q: NewQuery| async move {
                let result = page(&ctx, &owner, q.network.trim()).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn page(ctx: &WebContext, owner: &Owner, network: &str) -> HandlerResult {
    let Some(hosted) = &ctx.hosted else {
        return Ok(super::needs_daemon(ctx));
    };
    let registry = &hosted.connectors.registry;
    let mut page = LoginPage {
        layout: Layout::owned(ctx, "Add an account", "accounts", owner),
        networks: Vec::new(),
        form: None,
        error: None,
    };
    if network.is_empty() {
        page.networks = registry
            .with_accounts()
            .map(|f| NetworkChoice {
                kind: f.kind().to_owned(),
                name: f.display_name().to_owned(),
                about: f.about().to_owned(),
            })
            .collect();
    } else {
        let factory = super::factory(registry, network)?;
        page.layout.page_title = format!("Add an account: {}", factory.display_name());
        page.form = LoginForm::new(
            factory,
            &LoginInput::default(),
            &LoginInput::default(),
            None,
            "",
        );
    }
    form::render(&page, StatusCode::OK)
}
