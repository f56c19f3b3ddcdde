//! `GET /sources/add`: the ways to add sources (by URL, following someone on the fediverse,
//! OPML upload, an account's timeline), and `POST /sources/add`: by URL, as `braid source add URL` does
//! (`crate::subscribe::by_url`, after the same address rule). When the page at the URL
//! advertises several feeds, the form comes back with them as choices; the chosen feed's URL is
//! then subscribed to. Errors come back on the form with the typed values kept.

use std::sync::Arc;

use askama::Template;
use serde::Deserialize;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext};
use super::notice::with_notice;
use super::{check_schedule, daemon, field, form, login_context, subscribe_error};
use crate::subscribe::{self, Added, Placement};

/// The URL form's fields, as typed (kept when the form comes back).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UrlForm {
    pub url: String,
    pub name: String,
    pub schedule: String,
    pub category: String,
    /// The feed chosen among a page's, once there was a choice.
    pub feed: String,
}

/// The timeline form's fields, as typed.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TimelineForm {
    pub account: String,
    pub timeline: String,
    pub name: String,
    pub schedule: String,
    pub category: String,
}

impl Default for TimelineForm {
    fn default() -> Self {
        TimelineForm {
            account: String::new(),
            timeline: "home".into(),
            name: String::new(),
            schedule: String::new(),
            category: String::new(),
        }
    }
}

/// The fediverse form's fields, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FollowForm {
    /// A handle (`@user@host`) or a profile's URL.
    pub target: String,
    pub name: String,
}

/// Whether the page offers following someone, and if not quite, why.
pub enum FollowOffer {
    /// No network here follows accounts: the form is left out.
    None,
    /// A network follows, but Braid has no public address for its actor and inbox.
    NeedsBaseUrl,
    Ready,
}

/// One feed a page offers, as a radio button.
pub struct ChoiceView {
    pub url: String,
    pub label: String,
    pub checked: bool,
}

/// An account in the timeline form's select.
pub struct AccountOption {
    pub name: String,
    pub label: String,
}

/// What the page's forms show besides the empty defaults.
#[derive(Default)]
pub struct AddState {
    pub url: UrlForm,
    pub url_error: Option<String>,
    pub choices: Vec<ChoiceView>,
    pub timeline: TimelineForm,
    pub timeline_error: Option<String>,
    pub opml_error: Option<String>,
    pub follow: FollowForm,
    pub follow_error: Option<String>,
}

#[derive(Template)]
#[template(path = "source_add.html")]
struct AddPage {
    layout: Layout,
    state: AddState,
    accounts: Vec<AccountOption>,
    /// "home: the home timeline", … for each network the accounts are on.
    timeline_help: Vec<String>,
    /// Why nothing can be added here (no daemon), if so.
    unavailable: Option<String>,
    follow_offer: FollowOffer,
}

/// What the daemon offers for following someone (nothing without a daemon).
pub fn follow_offer(ctx: &WebContext) -> FollowOffer {
    let Ok(poll) = daemon(ctx) else {
        return FollowOffer::None;
    };
    if poll.connectors.registry.by_follow().is_err() {
        FollowOffer::None
    } else if matches!(poll.config.web_base_url(), Ok(Some(_))) {
        FollowOffer::Ready
    } else {
        FollowOffer::NeedsBaseUrl
    }
}

/// Renders the page with `state` and `status` (200, or 400 when a form came back with an error).
pub async fn render(
    ctx: &WebContext,
    owner: &Owner,
    state: AddState,
    status: StatusCode,
) -> HandlerResult {
    let accounts = ctx.store.list_accounts().await?;
    let mut timeline_help = Vec::new();
    if let Some(poll) = ctx.hosted.as_deref() {
        let mut kinds: Vec<&str> = accounts.iter().map(|a| a.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        // Which network a line is about matters only when the accounts are of several.
        let several = kinds.len() > 1;
        for kind in kinds {
            if let Ok(factory) = poll.connectors.registry.get(kind) {
                for t in factory.timelines() {
                    timeline_help.push(if several {
                        format!("{} ({}): {}", t.pattern, factory.display_name(), t.about)
                    } else {
                        format!("{}: {}", t.pattern, t.about)
                    });
                }
            }
        }
    }
    let page = AddPage {
        layout: Layout::owned(ctx, "Add sources", "sources", owner),
        accounts: accounts
            .iter()
            .map(|a| AccountOption {
                name: a.name.clone(),
                // The handle only when it says more than the name (by default they are one).
                label: match &a.handle {
                    Some(h) if h != &a.name => format!("{} ({}, {h})", a.name, a.kind),
                    _ => format!("{} ({})", a.name, a.kind),
                },
            })
            .collect(),
        timeline_help,
        unavailable: daemon(ctx).err(),
        follow_offer: follow_offer(ctx),
        state,
    };
    let mut resp = respond::no_store(respond::ok(page.render()?, respond::HTML));
    *resp.status_mut() = status;
    Ok(resp)
}

pub fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources" / "add")
        .and(with_ctx(ctx))
        .and(owner::required())
        .then(|ctx: Arc<WebContext>, owner: Owner| async move {
            let result = render(&ctx, &owner, AddState::default(), StatusCode::OK).await;
            respond::finish(&ctx, Format::Html, result)
        })
}

pub fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources" / "add")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::body::bytes())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, body: bytes::Bytes| async move {
                let result = match form::<UrlForm>(&body) {
                    Ok(f) => add(&ctx, &owner, f).await,
                    Err(e) => Err(e),
                };
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

/// What the URL form led to.
enum Outcome {
    Added(Added),
    /// The page offers several feeds: ask which.
    Choose(Vec<braid_core::factory::SourceChoice>),
}

async fn add(ctx: &WebContext, owner: &Owner, f: UrlForm) -> HandlerResult {
    match by_url(ctx, &f).await {
        Ok(Outcome::Added(added)) => Ok(respond::see_other(&with_notice(
            &format!("/sources/{}", added.id),
            "added",
            &added.name,
        ))),
        Ok(Outcome::Choose(choices)) => {
            let choices = choices
                .into_iter()
                .enumerate()
                .map(|(i, c)| ChoiceView {
                    label: match (&c.title, &c.kind) {
                        (Some(t), Some(k)) => format!("{t} ({k})"),
                        (Some(t), None) => t.clone(),
                        (None, Some(k)) => k.clone(),
                        (None, None) => c.url.to_string(),
                    },
                    url: c.url.to_string(),
                    // The best (first) is chosen unless the person picks another.
                    checked: i == 0,
                })
                .collect();
            let state = AddState {
                url: f,
                choices,
                ..AddState::default()
            };
            render(ctx, owner, state, StatusCode::OK).await
        }
        Err(message) => {
            let state = AddState {
                url: f,
                url_error: Some(message),
                ..AddState::default()
            };
            render(ctx, owner, state, StatusCode::BAD_REQUEST).await
        }
    }
}

/// Subscribes to the chosen feed, or to the URL unless its page offers a choice. Errors are
/// the sentence shown on the form.
async fn by_url(ctx: &WebContext, f: &UrlForm) -> Result<Outcome, String> {
    let poll = daemon(ctx)?;
    let schedule = field(&f.schedule);
    check_schedule(schedule.as_deref())?;
    let placement = Placement {
        name: field(&f.name),
        schedule,
        category: field(&f.category),
    };
    let allow_private = poll.config.fetch.allow_private_networks;
    let login = login_context(poll);
    let registry = &poll.connectors.registry;
    // The chosen feed passes the same address rule as a typed URL: the form could say anything.
    let chosen = field(&f.feed);
    let raw = match chosen.as_deref().or(field(&f.url).as_deref()) {
        Some(raw) => raw.to_owned(),
        None => {
            return Err("give the address of a feed, or of a web page that links to one".into())
        }
    };
    let url = crate::cli::check_feed_url(&raw, allow_private).map_err(|e| e.to_string())?;
    if chosen.is_none() {
        let choices = subscribe::choices(&ctx.store, registry, &login, &url)
            .await
            .map_err(|e| subscribe_error(&e))?;
        if choices.len() > 1 {
            return Ok(Outcome::Choose(choices));
        }
    }
    let added = subscribe::by_url(&ctx.store, registry, &login, &url, placement)
        .await
        .map_err(|e| subscribe_error(&e))?;
    Ok(Outcome::Added(added))
}
