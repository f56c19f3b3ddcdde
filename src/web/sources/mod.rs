//! The sources pages: everything a person who does not use the terminal needs to manage their
//! sources.
//!
//! - `GET /sources` (`list.rs`): a page of sources by name (`?after=NAME`, `?show=failing`),
//!   with the summary line, each source's health and its items per day (`chart.rs`).
//! - `GET /sources/ID` (`manage.rs`): one source, with its actions.
//! - `GET /sources/add` and `POST /sources/add` (`add.rs`): by URL, with a choice when a page
//!   advertises several feeds; `POST /sources/opml` (`opml.rs`): an OPML upload;
//!   `POST /sources/timeline` (`timeline.rs`): one of an account's timelines;
//!   `POST /sources/follow` (`follow.rs`): someone on the fediverse. They run what
//!   `braid source add`, `braid follow` and `braid opml import` run (`crate::subscribe`).
//! - `POST /sources/ID/ACTION` (`actions.rs`): pause, resume, enable, schedule, remove;
//!   answered with a redirect and a notice (POST/redirect/GET).
//!
//! The front door has checked the owner, the origin and the CSRF token of every POST.

mod actions;
mod add;
mod chart;
mod follow;
mod list;
mod manage;
mod notice;
mod opml;
mod row;
mod timeline;

use std::sync::Arc;

use braid_core::LoginContext;
use warp::Filter;

use super::{WebContext, WebError};
use crate::scheduler::PollContext;

/// The GET pages.
pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    list::route(ctx.clone())
        .or(add::page(ctx.clone()))
        .unify()
        .or(manage::route(ctx))
        .unify()
}

/// The POST forms.
pub fn forms(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    add::submit(ctx.clone())
        .or(opml::route(ctx.clone()))
        .unify()
        .or(timeline::route(ctx.clone()))
        .unify()
        .or(follow::route(ctx.clone()))
        .unify()
        .or(actions::route(ctx))
        .unify()
}

/// What adding a source needs from the daemon: its connectors (registry and safe HTTP
/// client, whose address rules follow `fetch.allow_private_networks`) and its config.
fn daemon(ctx: &WebContext) -> Result<&PollContext, String> {
    ctx.hosted.as_deref().ok_or_else(|| {
        "adding sources needs the running daemon (`braid run`); this server has no poll \
         context"
            .to_owned()
    })
}

/// The context a factory fetches with: the daemon's safe client.
fn login_context(poll: &PollContext) -> LoginContext {
    LoginContext::new(poll.connectors.http.clone())
}

/// Reads an urlencoded form the front door already read (and capped).
fn form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| WebError::BadRequest(format!("the form could not be read: {e}")))
}

/// A form field: trimmed, `None` when empty.
fn field(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Checks a cron schedule the way `braid source add --schedule` does.
fn check_schedule(schedule: Option<&str>) -> Result<(), String> {
    match schedule {
        Some(s) => crate::scheduler::cron_expr::parse_schedule(s)
            .map(|_| ())
            .map_err(|e| format!("schedule: {e}")),
        None => Ok(()),
    }
}

/// The wording of a subscription error on the web (the CLI's says which flag to use).
fn subscribe_error(e: &crate::subscribe::SubscribeError) -> String {
    match e {
        crate::subscribe::SubscribeError::NameTaken(name) => {
            format!("a source named {name:?} already exists; choose another name")
        }
        other => other.to_string(),
    }
}
