//! The documents Braid serves about itself: WebFinger, host-meta, NodeInfo, actors,
//! collections, and items as ActivityStreams objects. Pure functions of the site's streams
//! and items; the listener ([`crate::hosted`]) decides who may read what.

use braid_core::host::{Stream, StreamItem, StreamKind};
use braid_core::{ItemKind, Visibility};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::urls::Urls;

pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
/// The audience "everyone".
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The JSON-LD form ActivityPub also accepts.
pub const LD_JSON: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// The `@context` of actors: ActivityStreams, the security vocabulary (public keys) and the
/// extension terms Mastodon reads.
fn actor_context() -> Value {
    json!([
        AS_CONTEXT,
        SECURITY_CONTEXT,
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable"
        }
    ])
}

/// Time as ActivityStreams writes it (RFC 3339, UTC, seconds).
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The WebFinger answer (RFC 7033) for `stream`.
pub fn webfinger(urls: &Urls, stream: &Stream) -> Value {
    let actor = urls.actor(&stream.name);
    json!({
        "subject": format!("acct:{}", urls.handle(&stream.name)),
        "aliases": [actor, stream.page_url],
        "links": [
            { "rel": "self", "type": ACTIVITY_JSON, "href": actor },
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": stream.page_url
            }
        ]
    })
}

/// host-meta (RFC 6415): where WebFinger is, for the clients that still look here first.
pub fn host_meta(urls: &Urls) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" type=\"application/jrd+json\" template=\"{}?resource={{uri}}\"/>\n\
         </XRD>\n",
        xml_escape(&urls.webfinger())
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `/.well-known/nodeinfo`: where the NodeInfo document is.
pub fn nodeinfo_links(urls: &Urls) -> Value {
    json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": urls.nodeinfo()
        }]
    })
}

/// NodeInfo 2.1: what software this is, that it speaks ActivityPub, and its size.
pub fn nodeinfo(title: &str, local_posts: u64) -> Value {
    json!({
        "version": "2.1",
        "software": {
            "name": "braid",
            "version": env!("CARGO_PKG_VERSION"),
            "repository": "https://github.com/braid-social/braid",
            "homepage": "https://github.com/braid-social/braid"
        },
        "protocols": ["activitypub"],
        "services": { "inbound": ["atom1.0", "rss2.0"], "outbound": ["atom1.0", "rss2.0"] },
        "openRegistrations": false,
        "usage": {
            "users": { "total": 1, "activeMonth": 1, "activeHalfyear": 1 },
            "localPosts": local_posts
        },
        "metadata": { "nodeName": title }
    })
}

/// A stream's actor: a `Person` for the owner, a `Service` for a channel (a feed people
/// follow, not a person).
pub fn actor(urls: &Urls, stream: &Stream, public_key_pem: &str) -> Value {
    let id = urls.actor(&stream.name);
    let kind = match stream.kind {
        StreamKind::Owner => "Person",
        StreamKind::Channel => "Service",
    };
    json!({
        "@context": actor_context(),
        "id": id,
        "type": kind,
        "preferredUsername": stream.name,
        "name": stream.title,
        "summary": paragraphs(&stream.description),
        "url": stream.page_url,
        "inbox": urls.inbox(&stream.name),
        "outbox": urls.outbox(&stream.name),
        "followers": urls.followers(&stream.name),
        "following": urls.following(&stream.name),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "manuallyApprovesFollowers": stream.approve_follows,
        "discoverable": stream.audience == Visibility::Public,
        "indexable": stream.audience == Visibility::Public,
        "publicKey": {
            "id": urls.key_id(&stream.name),
            "owner": id,
            "publicKeyPem": public_key_pem
        }
    })
}

/// Plain text as HTML paragraphs, escaped.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", html_escape(p).replace('\n', "<br>")))
        .collect()
}

/// Text escaped for HTML.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Who may see an item of `stream`: the more private of the item's visibility and the
/// stream's audience. `None`: never published (direct messages).
pub fn audience(stream: &Stream, item: &StreamItem) -> Option<Visibility> {
    let v = item.item.visibility.max(stream.audience);
    (v != Visibility::Direct).then_some(v)
}

/// `to` and `cc` for `visibility`, as Mastodon addresses them: public to everyone with the
/// followers in copy; unlisted to the followers with everyone in copy; followers-only to the
/// followers alone.
pub fn addressing(urls: &Urls, stream: &Stream, visibility: Visibility) -> (Value, Value) {
    let followers = urls.followers(&stream.name);
    match visibility {
        Visibility::Public => (json!([PUBLIC]), json!([followers])),
        Visibility::Unlisted => (json!([followers]), json!([PUBLIC])),
        Visibility::FollowersOnly | Visibility::Direct => (json!([followers]), json!([])),
    }
}

/// An item as a `Note` (or an `Article` when it is one: a titled post from a feed). `None`
/// for what is never published.
pub fn object(urls: &Urls, stream: &Stream, item: &StreamItem) -> Option<Value> {
    let visibility = audience(stream, item)?;
    let (to, cc) = addressing(urls, stream, visibility);
    let i = &item.item;
    let id = urls.object(&stream.name, item.id);
    let article = i.kind == ItemKind::Article && i.title.is_some();
    let mut content = i
        .content_html
        .as_ref()
        .map(|h| h.as_str().to_owned())
        .filter(|h| !h.trim().is_empty())
        .or_else(|| i.content_text.as_deref().map(paragraphs))
        .unwrap_or_default();
    if !article {
        if let Some(title) = i.title.as_deref().filter(|t| !t.trim().is_empty()) {
            // A Note has no title of its own: the title leads the text, linked to the page.
            let title = html_escape(title.trim());
            let head = match i.url.as_deref() {
                Some(url) => format!("<p><a href=\"{}\">{title}</a></p>", html_escape(url)),
                None => format!("<p><strong>{title}</strong></p>"),
            };
            content = format!("{head}{content}");
        }
    }
    let published = i.published.unwrap_or(item.added);
    let mut doc = json!({
        "id": id,
        "type": if article { "Article" } else { "Note" },
        "attributedTo": urls.actor(&stream.name),
        "content": content,
        "published": time(published),
        "url": i.url.clone().unwrap_or_else(|| id.clone()),
        "to": to,
        "cc": cc,
    });
    let o = doc.as_object_mut()?;
    if article {
        o.insert("name".into(), json!(i.title));
    }
    if let Some(updated) = i.updated.filter(|u| *u > published) {
        o.insert("updated".into(), json!(time(updated)));
    }
    if let Some(cw) = i
        .content_warning
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        o.insert("summary".into(), json!(cw));
        o.insert("sensitive".into(), json!(true));
    }
    if let Some(lang) = i.language.as_deref().filter(|l| !l.is_empty()) {
        o.insert("contentMap".into(), json!({ lang: content }));
    }
    let attachments: Vec<Value> = i
        .attachments
        .iter()
        .filter(|a| a.url.starts_with("https://") || a.url.starts_with("http://"))
        .map(|a| {
            let mut att = json!({ "type": "Document", "url": a.url });
            if let Some(t) = &a.media_type {
                att["mediaType"] = json!(t);
            }
            if let Some(alt) = a.alt.as_deref().filter(|s| !s.is_empty()) {
                att["name"] = json!(alt);
            }
            att
        })
        .collect();
    if !attachments.is_empty() {
        o.insert("attachment".into(), Value::Array(attachments));
    }
    let tags: Vec<Value> = i
        .tags
        .iter()
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map(|t| json!({ "type": "Hashtag", "name": format!("#{t}") }))
        .collect();
    if !tags.is_empty() {
        o.insert("tag".into(), Value::Array(tags));
    }
    Some(doc)
}

/// The `Create` of an item: the activity that first published it.
pub fn create(urls: &Urls, stream: &Stream, item: &StreamItem) -> Option<Value> {
    let object = object(urls, stream, item)?;
    Some(json!({
        "@context": AS_CONTEXT,
        "id": urls.create(&stream.name, item.id),
        "type": "Create",
        "actor": urls.actor(&stream.name),
        "published": object["published"],
        "to": object["to"],
        "cc": object["cc"],
        "object": object,
    }))
}

/// The `Update` of an item that changed; `event` makes each update's id its own.
pub fn update(urls: &Urls, stream: &Stream, item: &StreamItem, event: i64) -> Option<Value> {
    let mut object = object(urls, stream, item)?;
    let now = time(Utc::now());
    if object.get("updated").is_none() {
        object["updated"] = json!(now);
    }
    Some(json!({
        "@context": AS_CONTEXT,
        "id": format!("{}#updates/{event}", urls.object(&stream.name, item.id)),
        "type": "Update",
        "actor": urls.actor(&stream.name),
        "published": now,
        "to": object["to"],
        "cc": object["cc"],
        "object": object,
    }))
}

/// The `Delete` of an item, with a `Tombstone` in its place.
pub fn delete(urls: &Urls, stream: &Stream, item: braid_core::ItemId) -> Value {
    let id = urls.object(&stream.name, item);
    let (to, cc) = addressing(urls, stream, Visibility::Public);
    json!({
        "@context": AS_CONTEXT,
        "id": format!("{id}#delete"),
        "type": "Delete",
        "actor": urls.actor(&stream.name),
        "to": to,
        "cc": cc,
        "object": { "id": id, "type": "Tombstone" },
    })
}

/// The `Accept` (or `Reject`) of a `Follow` that `follow` is (as it arrived).
pub fn answer_follow(urls: &Urls, stream: &Stream, follow: &Value, accept: bool) -> Value {
    let kind = if accept { "Accept" } else { "Reject" };
    let follow_id = follow["id"].as_str().unwrap_or_default();
    json!({
        "@context": AS_CONTEXT,
        "id": format!("{}#{}/{}", urls.actor(&stream.name), kind.to_ascii_lowercase(),
            short_hash(follow_id)),
        "type": kind,
        "actor": urls.actor(&stream.name),
        "to": [follow["actor"]],
        "object": {
            "id": follow_id,
            "type": "Follow",
            "actor": follow["actor"],
            "object": follow["object"],
        },
    })
}

/// A short stable token of `s`, for ids derived from another id.
pub fn short_hash(s: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(s.as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// An `OrderedCollection` that shows only its size (followers and following are not listed).
pub fn counted_collection(id: &str, total: u64) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    })
}

/// An outbox: the collection, pointing at its first page.
pub fn outbox(urls: &Urls, stream: &Stream, total: u64) -> Value {
    let id = urls.outbox(&stream.name);
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": format!("{id}?page=true"),
    })
}

/// One page of an outbox: the `Create` of each public or unlisted item, newest first.
pub fn outbox_page(
    urls: &Urls,
    stream: &Stream,
    items: &[StreamItem],
    this: &str,
    next: Option<String>,
) -> Value {
    let created: Vec<Value> = items
        .iter()
        .filter(|i| {
            matches!(
                audience(stream, i),
                Some(Visibility::Public | Visibility::Unlisted)
            )
        })
        .filter_map(|i| create(urls, stream, i))
        .map(|mut c| {
            if let Some(o) = c.as_object_mut() {
                o.remove("@context");
            }
            c
        })
        .collect();
    let mut page = json!({
        "@context": AS_CONTEXT,
        "id": this,
        "type": "OrderedCollectionPage",
        "partOf": urls.outbox(&stream.name),
        "orderedItems": created,
    });
    if let Some(next) = next {
        page["next"] = json!(next);
    }
    page
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use braid_core::sanitize::clean_html;
    use braid_core::{Item, ItemId};

    fn stream(audience: Visibility) -> Stream {
        Stream {
            kind: StreamKind::Channel,
            name: "blog".into(),
            title: "A <blog>".into(),
            description: "One\n\nTwo & three".into(),
            audience,
            approve_follows: false,
            page_url: "http://127.0.0.1:8080/channels/blog".into(),
        }
    }

    fn item(visibility: Visibility) -> StreamItem {
        StreamItem {
            id: ItemId(7),
            item: Item {
                remote_id: "x".into(),
                title: Some("Hello".into()),
                content_html: Some(clean_html("<p>Body <script>x</script></p>")),
                url: Some("https://blog.example/hello".into()),
                visibility,
                tags: vec!["rust".into(), "bad tag".into()],
                ..Item::default()
            },
            added: Utc::now(),
        }
    }

    fn urls() -> Urls {
        Urls::new(&url::Url::parse("http://127.0.0.1:8080/").unwrap())
    }

    #[test]
    fn an_actor_says_who_and_where() {
        let a = actor(&urls(), &stream(Visibility::Public), "PEM");
        assert_eq!(a["type"], "Service");
        assert_eq!(a["id"], "http://127.0.0.1:8080/ap/actors/blog");
        assert_eq!(a["publicKey"]["owner"], a["id"]);
        assert_eq!(
            a["endpoints"]["sharedInbox"],
            "http://127.0.0.1:8080/ap/inbox"
        );
        assert_eq!(a["summary"], "<p>One</p><p>Two &amp; three</p>");
        let w = webfinger(&urls(), &stream(Visibility::Public));
        assert_eq!(w["subject"], "acct:blog@127.0.0.1:8080");
        assert_eq!(w["links"][0]["href"], a["id"]);
    }

    #[test]
    fn items_are_never_more_public_than_their_author_or_stream_made_them() {
        let urls = urls();
        let public = object(
            &urls,
            &stream(Visibility::Public),
            &item(Visibility::Public),
        )
        .unwrap();
        assert_eq!(public["to"], json!([PUBLIC]));
        let unlisted = object(
            &urls,
            &stream(Visibility::Unlisted),
            &item(Visibility::Public),
        )
        .unwrap();
        assert_eq!(unlisted["cc"], json!([PUBLIC]));
        assert_eq!(unlisted["to"], json!([urls.followers("blog")]));
        let followers = object(
            &urls,
            &stream(Visibility::Public),
            &item(Visibility::FollowersOnly),
        )
        .unwrap();
        assert_eq!(followers["to"], json!([urls.followers("blog")]));
        assert_eq!(followers["cc"], json!([]));
        assert!(object(
            &urls,
            &stream(Visibility::Public),
            &item(Visibility::Direct)
        )
        .is_none());
        // Not in the outbox either.
        let page = outbox_page(
            &urls,
            &stream(Visibility::Public),
            &[item(Visibility::FollowersOnly)],
            "x",
            None,
        );
        assert_eq!(page["orderedItems"], json!([]));
    }

    #[test]
    fn a_note_carries_its_title_and_sanitized_body() {
        let n = object(
            &urls(),
            &stream(Visibility::Public),
            &item(Visibility::Public),
        )
        .unwrap();
        assert_eq!(n["type"], "Note");
        let content = n["content"].as_str().unwrap();
        assert!(content.starts_with("<p><a href=\"https://blog.example/hello\">Hello</a></p>"));
        assert!(!content.contains("script"));
        assert_eq!(n["tag"], json!([{ "type": "Hashtag", "name": "#rust" }]));
        let d = delete(&urls(), &stream(Visibility::Public), ItemId(7));
        assert_eq!(d["object"]["type"], "Tombstone");
        assert_eq!(d["object"]["id"], n["id"]);
    }
}
