//! `GET /channels/NAME`: a published channel's public page: its title, description, handle
//! and feeds, and its newest items anyone may read. An unpublished or unknown channel is a
//! 404, except to the owner, who sees the page of any channel with a note that it is private.

use std::sync::Arc;

use braid_core::Visibility;
use warp::reply::Response;
use warp::Filter;

use super::{before, listed, not_found, render, stream_route, FeedLink, Shown};
use crate::store::TimelinePage;
use crate::web::owner::Owner;
use crate::web::query::RawQuery;
use crate::web::route_pages::{decode_segment, segment};
use crate::web::{HandlerResult, WebContext};

pub(super) fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let name = warp::path("channels").and(warp::path::param::<String>());
    stream_route(name, ctx, page)
}

async fn page(
    ctx: Arc<WebContext>,
    raw_name: String,
    owner: Option<Owner>,
    raw: RawQuery,
) -> HandlerResult {
    let (ctx, owner, raw) = (&*ctx, owner.as_ref(), &raw);
    let Some(name) = decode_segment(&raw_name) else {
        return Ok(not_found(ctx));
    };
    let channel = match ctx.store.channel(name).await? {
        Some(c) if c.published || owner.is_some() => c,
        _ => return Ok(not_found(ctx)),
    };
    // The owner's name is the owner's actor: a channel that has it is no stream of its own
    // (`crate::site`), so it gets no handle.
    let is_stream = channel.published && !channel.name.eq_ignore_ascii_case(&ctx.owner_name);
    // What anyone may read is the more private of an item's visibility and the channel's
    // audience, as the ActivityPub connector addresses it: a followers-only channel shows
    // visitors nothing, whatever its items say.
    let audience = Visibility::parse(&channel.audience).unwrap_or(Visibility::Public);
    let open = audience <= Visibility::Unlisted;
    let page = if open {
        ctx.store
            .timeline(crate::store::TimelineQuery {
                channel: Some(channel.id),
                ..listed(before(raw)?)
            })
            .await?
    } else {
        TimelinePage {
            items: Vec::new(),
            next: None,
        }
    };
    let dir = format!("/channels/{}/", segment(&channel.name));
    let shown = Shown {
        title: channel.title.clone().unwrap_or_else(|| channel.name.clone()),
        description: channel.description.clone(),
        handle: is_stream
            .then(|| ctx.handle_domain.as_ref().map(|d| format!("{}@{d}", channel.name)))
            .flatten(),
        feeds: FeedLink::all(&dir),
        private_note: (!channel.published).then(|| {
            "This channel is not published: only you can see this page (anyone else gets “not found”). Publish it under Channels for anyone to read it and, over ActivityPub, to follow it.".to_owned()
        }),
        empty_note: if open {
            "Nothing public in this channel yet.".to_owned()
        } else {
            "This channel's posts are for its followers only.".to_owned()
        },
        path: dir.trim_end_matches('/').to_owned(),
        page,
    };
    render(ctx, owner, raw, shown).await
}
