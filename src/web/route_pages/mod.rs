//! The owner's pages for routes (`/routes…`) and channels (`/channels…`): lists, the forms
//! that make and change them, each route's rule in words with its log, pause and resume,
//! publish and unpublish, and removal behind a confirmation page (no script needed).
//!
//! The forms build the same [`RouteSpec`](crate::routes::RouteSpec) the command line builds
//! and pass it through the same [`crate::routes::prepare`], so a rule is refused here for the
//! same reason as there. A route or channel from the config file (`origin = "config"`) is
//! shown but not changed here: the config applies again at the next start and would undo it.
//!
//! One handler per file: `list.rs` (`GET /routes`), `new.rs` (`/routes/new`), `edit.rs`
//! (`/routes/NAME/edit`), `show.rs` (`GET /routes/NAME`), `state.rs` (pause, resume),
//! `remove.rs` (`/routes/NAME/remove`), `channels.rs` (`/channels`, and adding one),
//! `channel_edit.rs`, `channel_publish.rs`, `channel_follows.rs` (hold follow requests for
//! approval), `channel_answer.rs` (accept or refuse one), `channel_remove.rs`. `form.rs` is the route form
//! both `new.rs` and `edit.rs` show, `describe.rs` says a rule in words.

mod channel_answer;
mod channel_edit;
mod channel_follows;
mod channel_publish;
mod channel_remove;
mod channels;
mod describe;
mod edit;
mod form;
mod list;
mod new;
mod remove;
mod show;
mod state;

use std::sync::Arc;

use askama::Template;
use warp::http::StatusCode;
use warp::Filter;

use super::owner::{self, Owner};
use super::{with_ctx, HandlerResult, WebContext};

/// The owner's pages (GET and HEAD).
pub fn pages(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    list::route(ctx.clone())
        .or(new::page(ctx.clone()))
        .unify()
        .or(edit::page(ctx.clone()))
        .unify()
        .or(remove::page(ctx.clone()))
        .unify()
        .or(show::route(ctx.clone()))
        .unify()
        .or(channels::page(ctx.clone()))
        .unify()
        .or(channel_edit::page(ctx.clone()))
        .unify()
        .or(channel_remove::page(ctx))
        .unify()
}

/// The owner's forms (POST): the front door has checked the origin and the CSRF token.
pub fn forms(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    new::submit(ctx.clone())
        .or(edit::submit(ctx.clone()))
        .unify()
        .or(state::route(ctx.clone()))
        .unify()
        .or(remove::submit(ctx.clone()))
        .unify()
        .or(channels::submit(ctx.clone()))
        .unify()
        .or(channel_edit::submit(ctx.clone()))
        .unify()
        .or(channel_publish::route(ctx.clone()))
        .unify()
        .or(channel_follows::route(ctx.clone()))
        .unify()
        .or(channel_answer::route(ctx.clone()))
        .unify()
        .or(channel_remove::submit(ctx))
        .unify()
}

/// A route's or channel's name from its path segment (percent-decoded: a route made with
/// the command line may have any name).
fn name() -> impl Filter<Extract = (String,), Error = warp::Rejection> + Clone {
    warp::path::param::<String>().and_then(|raw: String| async move {
        decode_segment(&raw).ok_or_else(warp::reject::not_found)
    })
}

/// `/KIND/NAME/ACTION`, the owner's: the decoded name, the context and the owner.
fn named(
    kind: &'static str,
    action: &'static str,
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (String, Arc<WebContext>, Owner), Error = warp::Rejection> + Clone {
    warp::path(kind)
        .and(name())
        .and(warp::path(action))
        .and(warp::path::end())
        .and(with_ctx(ctx))
        .and(owner::required())
}

/// A form's fields, in order, repeated names kept (checkboxes).
type Fields = Vec<(String, String)>;

fn form_body() -> impl Filter<Extract = (Fields,), Error = warp::Rejection> + Clone {
    warp::body::form::<Fields>()
}

/// The last value of field `key`, or "".
fn field<'a>(fields: &'a Fields, key: &str) -> &'a str {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of field `key` (a group of checkboxes).
fn all(fields: &Fields, key: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

/// A comma-separated field as a list.
fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `name` as one path segment: everything but unreserved characters percent-encoded
/// (RFC 3986 §2.3), so `/`, `?`, `#` and spaces in a name cannot change the address.
pub(super) fn segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`segment`]; `None` for a malformed escape or bytes that are not UTF-8.
pub(super) fn decode_segment(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The page at `/routes/NAME` (with `suffix`, such as `/edit`).
fn route_path(name: &str, suffix: &str) -> String {
    format!("/routes/{}{suffix}", segment(name))
}

fn channel_path(name: &str, suffix: &str) -> String {
    format!("/channels/{}{suffix}", segment(name))
}

/// The connector kinds a route's `from` may name: the daemon's registry, else the built-in
/// one (the same list in practice; a test may add its own network to the daemon's).
fn kinds(ctx: &WebContext) -> Vec<&'static str> {
    ctx.hosted.as_ref().map_or_else(
        || crate::connectors::Registry::builtin().kinds(),
        |h| h.connectors.registry.kinds(),
    )
}

/// What refuses to change a route or channel from the config file.
fn config_managed(what: &str, name: &str) -> String {
    format!(
        "the {what} {name:?} comes from the config file: change or remove it there (the config \
         is applied again at the next start, and would undo a change made here)"
    )
}

/// A rendered page with `status`, not cached.
fn html(page: &impl Template, status: StatusCode) -> HandlerResult {
    let mut resp =
        super::respond::no_store(super::respond::ok(page.render()?, super::respond::HTML));
    *resp.status_mut() = status;
    Ok(resp)
}

/// An error page in HTML with `status`.
fn refuse(ctx: &WebContext, status: StatusCode, message: &str) -> HandlerResult {
    Ok(super::respond::error_page(
        ctx,
        super::respond::Format::Html,
        status,
        message,
    ))
}

/// The answer for a name that is not there.
fn not_found(ctx: &WebContext, what: &str, name: &str) -> HandlerResult {
    refuse(
        ctx,
        StatusCode::NOT_FOUND,
        &format!("there is no {what} named {name:?}"),
    )
}

/// A one-line confirmation after a form (POST/redirect/GET): `?done=KEY` names one of a
/// fixed set of sentences, so no text from the address is ever shown.
fn done_message(raw: &super::query::RawQuery) -> Option<&'static str> {
    let key = raw
        .iter()
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.as_str())?;
    Some(match key {
        "created" => "Route created: it carries what arrives from now on.",
        "saved" => "Route saved: the changed rule applies to what arrives from now on.",
        "paused" => "Route paused: nothing is carried until it is resumed.",
        "resumed" => "Route resumed: it carries what arrives from now on (not what arrived while it was paused).",
        "removed" => "Route removed. What it queued stays in the outbox.",
        "channel-created" => "Channel created.",
        "channel-saved" => "Channel saved.",
        "published" => "Channel published: its public items are served to anyone, without a token.",
        "unpublished" => "Channel unpublished: its feeds need a private link again.",
        "channel-removed" => "Channel removed; its items stay in the timeline.",
        "follows-held" => "Follow requests now wait for your approval here.",
        "follows-open" => "Follow requests are now accepted at once.",
        "accepted" => "Accepted: they follow the channel; `braid run` tells them.",
        "refused" => "Refused: they are forgotten; `braid run` tells them.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_survive_the_address() {
        for name in ["plain", "with space", "a/b?c#d", "Grüße", "100%"] {
            let seg = segment(name);
            assert!(!seg.contains(['/', '?', '#', ' ']), "{seg}");
            assert_eq!(decode_segment(&seg).as_deref(), Some(name));
        }
        assert_eq!(decode_segment("%zz"), None);
        assert_eq!(decode_segment("%"), None);
        assert_eq!(decode_segment("%FF"), None);
    }
}
