//! Who may see an object, read from its addressing as Mastodon reads it
//! (`ActivityPub::Parser::StatusParser#visibility`): the public collection in `to` is
//! public, in `cc` only unlisted; else the author's followers collection in `to` or `cc` is
//! followers only; anything else (people named one by one, another actor's followers, a
//! list) is direct. Never wider than the addressing says: what is not recognized narrows.

use braid_core::Visibility;
use serde_json::Value;

use crate::documents::PUBLIC;
use crate::remote::{id_of, RemoteActor};

/// The recipients looked at in one of `to` or `cc`: a hostile object may list millions.
const MAX_RECIPIENTS: usize = 1024;

/// The public collection, in each spelling ActivityStreams allows: the full IRI, and the
/// compact `as:Public` and `Public` that JSON-LD compaction makes of it (Fedify's
/// `toJsonLd` writes `"to": "as:Public"`; see w3c/activitypub#404).
fn is_public(recipient: &str) -> bool {
    matches!(recipient, PUBLIC | "as:Public" | "Public")
}

/// The followers collection of `actor`: the one its document names, else `{id}/followers`,
/// where Mastodon, Pleroma, Akkoma, Misskey, GoToSocial, WriteFreely and Fedify's examples all
/// put it (a wrong guess takes followers-only posts as direct, the narrower of the two).
pub fn followers_collection(actor: &RemoteActor) -> String {
    actor
        .followers
        .clone()
        .unwrap_or_else(|| format!("{}/followers", actor.id.trim_end_matches('/')))
}

/// The recipients in `to` or `cc`: a string, an object with an `id`, or an array of them.
fn recipients(v: &Value) -> Vec<&str> {
    match v {
        Value::Array(a) => a.iter().take(MAX_RECIPIENTS).filter_map(id_of).collect(),
        v => id_of(v).into_iter().collect(),
    }
}

/// The visibility of `object` (or activity) sent by `actor`. See the module documentation.
pub fn visibility(object: &Value, actor: &RemoteActor) -> Visibility {
    let to = recipients(&object["to"]);
    let cc = recipients(&object["cc"]);
    if to.iter().any(|r| is_public(r)) {
        return Visibility::Public;
    }
    if cc.iter().any(|r| is_public(r)) {
        return Visibility::Unlisted;
    }
    let followers = followers_collection(actor);
    if to.iter().chain(&cc).any(|r| *r == followers) {
        return Visibility::FollowersOnly;
    }
    Visibility::Direct
}
