//! `GET /channels`: every channel with its audience, whether it is published, how many items
//! it holds, the routes that fill it and its feeds' addresses, and the form for a new one;
//! `POST /channels` adds one, as `braid channel add` does ([`routes::new_channel`]). A refused
//! form comes back (422) with the reason and what was typed.

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::query::{self, RawQuery};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext};
use super::{channel_path, done_message, field, form_body, route_path, Fields};
use crate::routes::{self, RouteSpec};
use crate::store::{AccountRecord, ChannelRecord, RouteRecord, StoreError};

/// A channel as the list shows it.
pub(super) struct ChannelRow {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub audience: String,
    pub published: bool,
    pub items: i64,
    pub from_config: bool,
    /// Its Atom, RSS and JSON Feed addresses, absolute (what a feed reader is given).
    pub feeds: Vec<(&'static str, String)>,
    /// The routes that put items in it: (name, page).
    pub routes: Vec<(String, String)>,
    pub edit_href: String,
    pub remove_href: String,
    pub publish_action: String,
}

/// How an audience reads.
pub(super) fn audience_label(audience: &str) -> String {
    match audience {
        "public" => "public items".into(),
        "unlisted" => "public and unlisted items".into(),
        "followers_only" => "up to followers-only items".into(),
        other => other.to_owned(),
    }
}

/// The routes whose `to` names channel `c` (a plain name names it when no account has it).
pub(super) fn routes_into(
    c: &ChannelRecord,
    routes: &[RouteRecord],
    accounts: &[AccountRecord],
) -> Vec<(String, String)> {
    let plain = !accounts.iter().any(|a| a.name == c.name);
    let prefixed = format!("channel:{}", c.name);
    routes
        .iter()
        .filter(|r| {
            RouteSpec::from_value(&r.spec).is_ok_and(|s| {
                s.to.iter()
                    .any(|t| *t == prefixed || (plain && *t == c.name))
            })
        })
        .map(|r| (r.name.clone(), route_path(&r.name, "")))
        .collect()
}

impl ChannelRow {
    fn new(
        ctx: &WebContext,
        c: ChannelRecord,
        routes: &[RouteRecord],
        accounts: &[AccountRecord],
    ) -> ChannelRow {
        ChannelRow {
            feeds: [("Atom", "atom"), ("RSS", "rss"), ("JSON Feed", "json")]
                .into_iter()
                .map(|(label, ext)| {
                    let path = channel_path(&c.name, &format!("/feed.{ext}"));
                    (label, ctx.absolute(&path))
                })
                .collect(),
            routes: routes_into(&c, routes, accounts),
            edit_href: channel_path(&c.name, "/edit"),
            remove_href: channel_path(&c.name, "/remove"),
            publish_action: channel_path(
                &c.name,
                if c.published {
                    "/unpublish"
                } else {
                    "/publish"
                },
            ),
            audience: audience_label(&c.audience),
            from_config: c.origin == "config",
            name: c.name,
            title: c.title,
            description: c.description,
            published: c.published,
            items: c.items,
        }
    }
}

/// The new-channel form as typed.
#[derive(Debug, Clone, Default)]
struct NewForm {
    name: String,
    title: String,
    description: String,
    audience: String,
    public: bool,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    layout: Layout,
    done: Option<&'static str>,
    channels: Vec<ChannelRow>,
    form: NewForm,
    error: Option<String>,
}

pub(super) fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("channels")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(query::raw())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, raw: RawQuery| async move {
                let done = done_message(&raw);
                let result = render(&ctx, &owner, done, NewForm::default(), None).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

pub(super) fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("channels")
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

async fn render(
    ctx: &WebContext,
    owner: &Owner,
    done: Option<&'static str>,
    form: NewForm,
    error: Option<String>,
) -> HandlerResult {
    let routes = ctx.store.list_routes().await?;
    let accounts = ctx.store.list_accounts().await?;
    let channels = ctx
        .store
        .list_channels()
        .await?
        .into_iter()
        .map(|c| ChannelRow::new(ctx, c, &routes, &accounts))
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ChannelsPage {
        layout: Layout::owned(ctx, "Channels", "channels", owner),
        done,
        channels,
        form,
        error,
    };
    super::html(&page, status)
}

async fn create(ctx: &WebContext, owner: &Owner, fields: &Fields) -> HandlerResult {
    let form = NewForm {
        name: field(fields, "name").trim().to_owned(),
        title: field(fields, "title").to_owned(),
        description: field(fields, "description").to_owned(),
        audience: field(fields, "audience").to_owned(),
        public: !field(fields, "public").is_empty(),
    };
    let audience = if form.audience.is_empty() {
        "public"
    } else {
        form.audience.as_str()
    };
    let new = match routes::new_channel(
        &form.name,
        Some(form.title.clone()),
        Some(form.description.clone()),
        audience,
        form.public,
        "cli",
    ) {
        Ok(new) => new,
        Err(e) => return render(ctx, owner, None, form, Some(e)).await,
    };
    let name = new.name.clone();
    match ctx.store.add_channel(new).await {
        Ok(_) => {}
        // A name already taken.
        Err(StoreError::Other(e)) => return render(ctx, owner, None, form, Some(e)).await,
        Err(e) => return Err(e.into()),
    }
    tracing::info!(channel = %name, "web: channel added");
    Ok(respond::see_other("/channels?done=channel-created"))
}
