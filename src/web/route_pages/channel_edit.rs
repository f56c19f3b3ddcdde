//! `GET /channels/NAME/edit`: a channel's title, description and audience in a form; `POST`
//! saves them. Its name stays (it is its feeds' address, which feed readers keep). A narrower
//! audience applies to what routes put in it from then on. A channel from the config file is
//! refused (409): the config would undo the change at the next start.
//!
//! A published channel with a public address (`web.base_url`) is also an actor on the
//! fediverse: the page shows its handle, whether follow requests wait for the owner's approval
//! (`channel_follows.rs` saves it) and its followers, with Accept and Refuse for the waiting
//! ones (`channel_answer.rs`), as `braid channel follows|followers|accept|refuse` do.

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::Owner;
use super::super::query::{self, RawQuery};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{HandlerResult, WebContext, WebError};
use super::{channel_path, config_managed, done_message, field, form_body, named, Fields};
use crate::followers;
use crate::routes;
use crate::store::ChannelRecord;

#[derive(Template)]
#[template(path = "channels_edit.html")]
struct EditPage {
    layout: Layout,
    name: String,
    title: String,
    description: String,
    audience: String,
    action: String,
    error: Option<String>,
    done: Option<&'static str>,
    fediverse: Option<FediverseView>,
}

/// A published channel as an actor on the fediverse.
struct FediverseView {
    /// `NAME@DOMAIN`.
    handle: String,
    /// Follow requests wait for the owner's answer.
    approve: bool,
    follows_action: String,
    answer_action: String,
    followers: Vec<FollowerRow>,
    /// Why the followers could not be listed, if so.
    followers_error: Option<String>,
}

struct FollowerRow {
    id: String,
    pending: bool,
    since: String,
}

pub(super) fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("channels", "edit", ctx).and(query::raw()).then(
        |name: String, ctx: Arc<WebContext>, owner: Owner, raw: RawQuery| async move {
            let result = show(&ctx, &owner, &name, done_message(&raw)).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

pub(super) fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    named("channels", "edit", ctx).and(form_body()).then(
        |name: String, ctx: Arc<WebContext>, owner: Owner, fields: Fields| async move {
            let result = save(&ctx, &owner, &name, &fields).await;
            respond::finish(&ctx, Format::Html, result)
        },
    )
}

/// The channel if the web may change it; else the page that says why not.
pub(super) async fn editable(
    ctx: &WebContext,
    name: &str,
) -> Result<Result<ChannelRecord, warp::reply::Response>, WebError> {
    match ctx.store.channel(name.to_owned()).await? {
        None => Ok(Err(super::not_found(ctx, "channel", name)?)),
        Some(c) if c.origin == "config" => Ok(Err(super::refuse(
            ctx,
            StatusCode::CONFLICT,
            &config_managed("channel", name),
        )?)),
        Some(c) => Ok(Ok(c)),
    }
}

/// The fediverse part of the page: only for a published channel, and only when Braid has a
/// public address (a handle on a listen address is not one anybody else can reach).
async fn fediverse(
    ctx: &WebContext,
    channel: &ChannelRecord,
) -> Result<Option<FediverseView>, WebError> {
    let Some(domain) = ctx.handle_domain.as_deref() else {
        return Ok(None);
    };
    if !channel.published {
        return Ok(None);
    }
    let approve = ctx
        .store
        .stream_channels()
        .await?
        .into_iter()
        .find(|s| s.id == channel.id)
        .is_some_and(|s| s.approve_follows);
    let (followers, followers_error) = match ctx.hosted.as_deref() {
        None => (
            Vec::new(),
            Some("the followers are listed by the running daemon (`braid run`)".to_owned()),
        ),
        Some(poll) => match list_followers(poll, &channel.name).await {
            Ok(rows) => (rows, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        },
    };
    Ok(Some(FediverseView {
        handle: format!("{}@{domain}", channel.name),
        approve,
        follows_action: channel_path(&channel.name, "/follows"),
        answer_action: channel_path(&channel.name, "/answer"),
        followers,
        followers_error,
    }))
}

/// The running daemon's hosted connectors are asked: building new ones here would be work
/// (a key read, the streams) on every page view.
async fn list_followers(
    poll: &crate::scheduler::PollContext,
    name: &str,
) -> Result<Vec<FollowerRow>, followers::FollowersError> {
    let publishers = poll.hosted.all(&poll.connectors, &poll.store).await;
    Ok(followers::list(&publishers, name)
        .await?
        .into_iter()
        .map(|f| FollowerRow {
            id: f.view.id,
            pending: f.view.pending,
            since: f.view.since.format("%Y-%m-%d").to_string(),
        })
        .collect())
}

async fn edit_page(
    ctx: &WebContext,
    owner: &Owner,
    channel: &ChannelRecord,
    (title, description, audience): (String, String, String),
    error: Option<String>,
    done: Option<&'static str>,
) -> HandlerResult {
    let name = channel.name.as_str();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = EditPage {
        layout: Layout::owned(ctx, &format!("Edit channel {name}"), "channels", owner),
        name: name.to_owned(),
        title,
        description,
        audience,
        action: channel_path(name, "/edit"),
        error,
        done,
        fediverse: fediverse(ctx, channel).await?,
    };
    super::html(&page, status)
}

async fn show(
    ctx: &WebContext,
    owner: &Owner,
    name: &str,
    done: Option<&'static str>,
) -> HandlerResult {
    let c = match editable(ctx, name).await? {
        Ok(c) => c,
        Err(refused) => return Ok(refused),
    };
    let typed = (
        c.title.clone().unwrap_or_default(),
        c.description.clone().unwrap_or_default(),
        c.audience.clone(),
    );
    edit_page(ctx, owner, &c, typed, None, done).await
}

async fn save(ctx: &WebContext, owner: &Owner, name: &str, fields: &Fields) -> HandlerResult {
    let c = match editable(ctx, name).await? {
        Ok(c) => c,
        Err(refused) => return Ok(refused),
    };
    let typed = (
        field(fields, "title").to_owned(),
        field(fields, "description").to_owned(),
        field(fields, "audience").to_owned(),
    );
    let audience = match routes::channel_audience(&typed.2) {
        Ok(a) => a,
        Err(e) => return edit_page(ctx, owner, &c, typed, Some(e), None).await,
    };
    let changed = ctx
        .store
        .update_channel(
            name.to_owned(),
            routes::nonempty(Some(typed.0)),
            routes::nonempty(Some(typed.1)),
            audience.to_owned(),
        )
        .await?;
    if !changed {
        return super::not_found(ctx, "channel made here", name);
    }
    tracing::info!(channel = %name, "web: channel changed");
    Ok(respond::see_other("/channels?done=channel-saved"))
}
