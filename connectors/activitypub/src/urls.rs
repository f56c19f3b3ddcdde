//! Where everything Braid serves over ActivityPub lives, built from the site's address
//! (`web.base_url`). One place, so the documents, the listener's routes and the ids in
//! activities always agree.
//!
//! ```text
//! /.well-known/webfinger  /.well-known/host-meta  /.well-known/nodeinfo
//! /ap/nodeinfo/2.1
//! /ap/inbox                              the shared inbox
//! /ap/actors/NAME                        a stream's actor (the owner, a channel)
//! /ap/actors/NAME/{inbox,outbox,followers,following}
//! /ap/actors/NAME/items/ID               an item as a Note or Article
//! /ap/actors/NAME/items/ID/activity      its Create
//! ```

use braid_core::ItemId;
use url::Url;

/// Path prefixes the listener mounts.
pub const MOUNTS: &[&str] = &[
    "/.well-known/webfinger",
    "/.well-known/host-meta",
    "/.well-known/nodeinfo",
    "/ap",
];

/// The site's ActivityPub addresses.
#[derive(Debug, Clone)]
pub struct Urls {
    base: Url,
}

impl Urls {
    /// From the site's address, which ends in `/`.
    pub fn new(base: &Url) -> Self {
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Urls { base }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn join(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The host as handles carry it: `host`, or `host:port` when the address has a port.
    pub fn authority(&self) -> String {
        let host = self.base.host_str().unwrap_or_default();
        match self.base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// `name@host[:port]`.
    pub fn handle(&self, name: &str) -> String {
        format!("{name}@{}", self.authority())
    }

    /// The path part of the site's address (`/`, or `/braid/` behind a proxy).
    pub fn base_path(&self) -> &str {
        self.base.path()
    }

    pub fn actor(&self, name: &str) -> String {
        self.join(&format!("ap/actors/{name}"))
    }

    pub fn key_id(&self, name: &str) -> String {
        format!("{}#main-key", self.actor(name))
    }

    pub fn inbox(&self, name: &str) -> String {
        format!("{}/inbox", self.actor(name))
    }

    pub fn shared_inbox(&self) -> String {
        self.join("ap/inbox")
    }

    pub fn outbox(&self, name: &str) -> String {
        format!("{}/outbox", self.actor(name))
    }

    pub fn followers(&self, name: &str) -> String {
        format!("{}/followers", self.actor(name))
    }

    pub fn following(&self, name: &str) -> String {
        format!("{}/following", self.actor(name))
    }

    pub fn object(&self, name: &str, item: ItemId) -> String {
        format!("{}/items/{}", self.actor(name), item.0)
    }

    pub fn create(&self, name: &str, item: ItemId) -> String {
        format!("{}/activity", self.object(name, item))
    }

    pub fn nodeinfo(&self) -> String {
        self.join("ap/nodeinfo/2.1")
    }

    pub fn webfinger(&self) -> String {
        self.join(".well-known/webfinger")
    }

    /// The stream an actor URL names, when it is one of ours.
    pub fn actor_name<'a>(&self, url: &'a str) -> Option<&'a str> {
        let prefix = self.join("ap/actors/");
        let name = url.strip_prefix(prefix.as_str())?;
        (!name.is_empty() && !name.contains('/') && !name.contains('#')).then_some(name)
    }

    /// What a request path (as received, without the query) asks for.
    pub fn route<'a>(&self, path: &'a str) -> Route<'a> {
        let Some(rest) = path.strip_prefix(self.base_path()) else {
            return Route::Unknown;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [".well-known", "webfinger"] => Route::WebFinger,
            [".well-known", "host-meta"] => Route::HostMeta,
            [".well-known", "nodeinfo"] => Route::NodeInfoLinks,
            ["ap", "nodeinfo", "2.1"] => Route::NodeInfo,
            ["ap", "inbox"] => Route::SharedInbox,
            ["ap", "actors", name] => Route::Actor(name),
            ["ap", "actors", name, "inbox"] => Route::Inbox(name),
            ["ap", "actors", name, "outbox"] => Route::Outbox(name),
            ["ap", "actors", name, "followers"] => Route::Followers(name),
            ["ap", "actors", name, "following"] => Route::Following(name),
            ["ap", "actors", name, "items", id] => match id.parse() {
                Ok(id) => Route::Object(name, ItemId(id)),
                Err(_) => Route::Unknown,
            },
            ["ap", "actors", name, "items", id, "activity"] => match id.parse() {
                Ok(id) => Route::Create(name, ItemId(id)),
                Err(_) => Route::Unknown,
            },
            _ => Route::Unknown,
        }
    }
}

/// A request's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    WebFinger,
    HostMeta,
    NodeInfoLinks,
    NodeInfo,
    SharedInbox,
    Actor(&'a str),
    Inbox(&'a str),
    Outbox(&'a str),
    Followers(&'a str),
    Following(&'a str),
    Object(&'a str, ItemId),
    Create(&'a str, ItemId),
    Unknown,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn addresses_and_routes_agree() {
        let urls = Urls::new(&Url::parse("http://127.0.0.1:8080/").unwrap());
        assert_eq!(urls.handle("me"), "me@127.0.0.1:8080");
        assert_eq!(urls.actor("blog"), "http://127.0.0.1:8080/ap/actors/blog");
        assert_eq!(urls.actor_name(&urls.actor("blog")), Some("blog"));
        assert_eq!(urls.actor_name(&urls.inbox("blog")), None);
        assert_eq!(urls.route("/ap/actors/blog"), Route::Actor("blog"));
        assert_eq!(
            urls.route("/ap/actors/blog/items/12"),
            Route::Object("blog", ItemId(12))
        );
        assert_eq!(urls.route("/ap/actors/blog/items/x"), Route::Unknown);
        assert_eq!(urls.route("/ap/inbox"), Route::SharedInbox);
        assert_eq!(urls.route("/.well-known/webfinger"), Route::WebFinger);

        let proxied = Urls::new(&Url::parse("https://example.com/braid").unwrap());
        assert_eq!(proxied.route("/braid/ap/actors/me"), Route::Actor("me"));
        assert_eq!(proxied.handle("me"), "me@example.com");
    }
}
