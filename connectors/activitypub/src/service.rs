//! The hosted connector: Braid's streams (the owner, the published channels) as actors. Its
//! listener answers discovery (WebFinger, host-meta, NodeInfo), actors, their collections and
//! items, and the inboxes; its publisher turns stream events into activities for followers.

use std::sync::Arc;

use async_trait::async_trait;
use braid_core::connector::{Handled, Listener, ListenerRequest, ListenerResponse};
use braid_core::host::{
    EventKind, FollowerView, Outgoing, Publisher, Recipient, Site, Stream, StreamEvent,
};
use braid_core::http::SafeClient;
use braid_core::state::StateStore;
use braid_core::{Connector, ConnectorError, Visibility};
use bytes::Bytes;
use serde_json::Value;

use crate::documents::{self, ACTIVITY_JSON};
use crate::followers::{FollowState, Followers};
use crate::following::FollowStatus;
use crate::remote::Remote;
use crate::signature::KeyPair;
use crate::urls::{Route, Urls, MOUNTS};

/// Items on one outbox page.
const PAGE: usize = 20;

/// See the module documentation.
pub struct Service {
    pub(crate) site: Arc<dyn Site>,
    pub(crate) urls: Urls,
    pub(crate) followers: Followers,
    pub(crate) followings: crate::following::Followings,
    pub(crate) remote: Arc<Remote>,
    pub(crate) public_pem: String,
    /// Deliver to a server's shared inbox once instead of to each follower's inbox.
    pub(crate) shared_inbox: bool,
}

impl Service {
    pub fn new(
        site: Arc<dyn Site>,
        http: SafeClient,
        state: StateStore,
        key: Arc<KeyPair>,
    ) -> Result<Self, ConnectorError> {
        let urls = Urls::new(site.base_url());
        let public_pem = key
            .public_key_pem()
            .map_err(|e| ConnectorError::Permanent(format!("activitypub: {e}")))?;
        Ok(Service {
            remote: Arc::new(
                Remote::new(http, Some(key), String::new()).keeping_schemes(state.clone()),
            ),
            followers: Followers::new(state.clone()),
            followings: crate::following::Followings::new(state),
            site,
            urls,
            public_pem,
            shared_inbox: true,
        })
    }

    /// Reads what the service needs from the site before it serves: fetches are signed as
    /// the owner. Sends nothing: building the connector (a command listing followers, say)
    /// must have no effect on other servers; [`Publisher::tidy`] does that, in the daemon.
    pub async fn prepare(&self) -> Result<(), ConnectorError> {
        if let Some(owner) = self.site.streams().await?.into_iter().next() {
            self.remote.set_fetch_key_id(self.urls.key_id(&owner.name));
        }
        Ok(())
    }

    /// Follows whose source was removed get an `Undo`, one after the other; one that cannot
    /// be sent for now is tried again at the next call (the follow is forgotten once sent,
    /// or once the actor is gone for good).
    async fn unfollow_removed(&self) -> Result<(), ConnectorError> {
        let sources: std::collections::HashSet<String> = self
            .site
            .sources()
            .await?
            .into_iter()
            .map(|s| s.url)
            .collect();
        let gone = self
            .followings
            .all()
            .await?
            .into_iter()
            .filter(|f| !sources.contains(&f.actor));
        for f in gone {
            if f.status == FollowStatus::Gone {
                // The account deleted itself: there is no one to tell.
                self.followings.remove(&f.actor).await?;
                continue;
            }
            let sent = match self.remote.actor(&f.actor, false).await {
                Ok(actor) => self.remote.post(&actor.inbox, &f.undo_activity()).await,
                Err(e) => Err(e),
            };
            match sent {
                Ok(()) => {
                    tracing::info!(actor = %f.actor, "activitypub: unfollowed");
                    self.followings.remove(&f.actor).await?;
                }
                Err(ConnectorError::Permanent(e)) => {
                    tracing::info!(actor = %f.actor, error = %e,
                        "activitypub: could not unfollow; forgetting the follow");
                    self.followings.remove(&f.actor).await?;
                }
                Err(e) => tracing::warn!(actor = %f.actor, error = %e,
                    "activitypub: could not unfollow; will try again"),
            }
        }
        Ok(())
    }

    /// Whether the request asks for ActivityStreams JSON rather than a page.
    fn wants_json(req: &ListenerRequest) -> bool {
        let accept = req
            .header("accept")
            .unwrap_or_default()
            .to_ascii_lowercase();
        [ACTIVITY_JSON, "application/ld+json", "application/json"]
            .iter()
            .any(|t| accept.contains(t))
    }

    async fn stream(&self, name: &str) -> Result<Option<Stream>, ConnectorError> {
        self.site.stream(name).await
    }

    async fn get(&self, req: &ListenerRequest) -> Result<ListenerResponse, ConnectorError> {
        let route = self.urls.route(&req.path);
        Ok(match route {
            Route::WebFinger => self.webfinger(req).await?,
            Route::HostMeta => respond(
                200,
                "application/xrd+xml; charset=utf-8",
                documents::host_meta(&self.urls).into(),
            ),
            Route::NodeInfoLinks => json(
                200,
                "application/json",
                &documents::nodeinfo_links(&self.urls),
            ),
            Route::NodeInfo => {
                let mut posts = 0;
                for s in self.site.streams().await? {
                    posts += self.site.count(&s.name).await?;
                }
                json(
                    200,
                    "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
                    &documents::nodeinfo(self.site.title(), posts),
                )
            }
            Route::Actor(name) => match self.stream(name).await? {
                Some(stream) if Self::wants_json(req) => {
                    activity_json(&documents::actor(&self.urls, &stream, &self.public_pem))
                }
                Some(stream) => redirect(&stream.page_url),
                None => not_found(),
            },
            Route::Outbox(name) => match self.stream(name).await? {
                Some(stream) => self.outbox(req, &stream).await?,
                None => not_found(),
            },
            Route::Followers(name) => match self.stream(name).await? {
                Some(stream) => activity_json(&documents::counted_collection(
                    &self.urls.followers(&stream.name),
                    self.followers.count(&stream.name).await?,
                )),
                None => not_found(),
            },
            Route::Following(name) => match self.stream(name).await? {
                Some(stream) => {
                    let total = match stream.kind {
                        braid_core::host::StreamKind::Owner => self.site.sources().await?.len(),
                        braid_core::host::StreamKind::Channel => 0,
                    };
                    activity_json(&documents::counted_collection(
                        &self.urls.following(&stream.name),
                        total as u64,
                    ))
                }
                None => not_found(),
            },
            Route::Object(name, id) | Route::Create(name, id) => {
                let Some(stream) = self.stream(name).await? else {
                    return Ok(not_found());
                };
                let Some(item) = self.site.item(&stream.name, id).await? else {
                    return Ok(not_found());
                };
                // Only what anyone may see is served to anyone.
                if !matches!(
                    documents::audience(&stream, &item),
                    Some(Visibility::Public | Visibility::Unlisted)
                ) {
                    return Ok(not_found());
                }
                if !Self::wants_json(req) {
                    let page = item.item.url.clone().unwrap_or(stream.page_url.clone());
                    return Ok(redirect(&page));
                }
                let doc = match route {
                    Route::Create(..) => documents::create(&self.urls, &stream, &item),
                    _ => documents::object(&self.urls, &stream, &item).map(|mut o| {
                        o["@context"] = Value::String(documents::AS_CONTEXT.into());
                        o
                    }),
                };
                match doc {
                    Some(doc) => activity_json(&doc),
                    None => not_found(),
                }
            }
            Route::Inbox(_) | Route::SharedInbox => {
                respond(405, "text/plain", "POST only\n".into())
            }
            Route::Unknown => not_found(),
        })
    }

    async fn webfinger(&self, req: &ListenerRequest) -> Result<ListenerResponse, ConnectorError> {
        let query = req.query.as_deref().unwrap_or_default();
        let resource = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "resource")
            .map(|(_, v)| v.into_owned());
        let Some(resource) = resource else {
            return Ok(respond(
                400,
                "text/plain",
                "webfinger: resource is required\n".into(),
            ));
        };
        let name = if let Some(acct) = resource.strip_prefix("acct:") {
            let acct = acct.trim_start_matches('@');
            match acct.rsplit_once('@') {
                Some((name, host)) if host.eq_ignore_ascii_case(&self.urls.authority()) => {
                    Some(name.to_owned())
                }
                _ => None,
            }
        } else {
            self.urls.actor_name(&resource).map(str::to_owned)
        };
        let Some(name) = name else {
            return Ok(not_found());
        };
        Ok(match self.stream(&name).await? {
            Some(stream) => {
                let mut r = json(
                    200,
                    "application/jrd+json",
                    &documents::webfinger(&self.urls, &stream),
                );
                r.headers
                    .push(("access-control-allow-origin".into(), "*".into()));
                r
            }
            None => not_found(),
        })
    }

    async fn outbox(
        &self,
        req: &ListenerRequest,
        stream: &Stream,
    ) -> Result<ListenerResponse, ConnectorError> {
        let params: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query.as_deref().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if param("page").is_none() {
            let total = self.site.count(&stream.name).await?;
            return Ok(activity_json(&documents::outbox(&self.urls, stream, total)));
        }
        let before = param("before").and_then(|b| b.parse().ok());
        let page = self.site.items(&stream.name, before, PAGE).await?;
        let base = self.urls.outbox(&stream.name);
        let this = match before {
            Some(b) => format!("{base}?page=true&before={b}"),
            None => format!("{base}?page=true"),
        };
        let next = page.next.map(|n| format!("{base}?page=true&before={n}"));
        Ok(activity_json(&documents::outbox_page(
            &self.urls,
            stream,
            &page.items,
            &this,
            next,
        )))
    }
}

pub(crate) fn respond(status: u16, content_type: &str, body: Bytes) -> ListenerResponse {
    ListenerResponse {
        status,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("vary".into(), "Accept".into()),
        ],
        body,
    }
}

pub(crate) fn json(status: u16, content_type: &str, value: &Value) -> ListenerResponse {
    respond(status, content_type, value.to_string().into())
}

pub(crate) fn activity_json(value: &Value) -> ListenerResponse {
    json(200, &format!("{ACTIVITY_JSON}; charset=utf-8"), value)
}

pub(crate) fn not_found() -> ListenerResponse {
    respond(404, "text/plain", "not found\n".into())
}

fn redirect(to: &str) -> ListenerResponse {
    ListenerResponse {
        status: 303,
        headers: vec![
            ("location".into(), to.into()),
            ("vary".into(), "Accept".into()),
        ],
        body: Bytes::new(),
    }
}

impl Connector for Service {
    fn kind(&self) -> &'static str {
        crate::KIND
    }

    fn listener(&self) -> Option<&dyn Listener> {
        Some(self)
    }

    fn publisher(&self) -> Option<&dyn Publisher> {
        Some(self)
    }
}

#[async_trait]
impl Listener for Service {
    fn mounts(&self) -> Vec<String> {
        MOUNTS.iter().map(|m| (*m).to_owned()).collect()
    }

    async fn handle(&self, request: ListenerRequest) -> Handled {
        let result = match request.method.as_str() {
            "GET" | "HEAD" => self.get(&request).await.map(Handled::respond),
            "POST" => match self.urls.route(&request.path) {
                Route::Inbox(_) | Route::SharedInbox => Ok(self.receive(&request).await),
                _ => Ok(Handled::respond(respond(
                    405,
                    "text/plain",
                    "GET only\n".into(),
                ))),
            },
            _ => Ok(Handled::respond(respond(
                405,
                "text/plain",
                "GET or POST\n".into(),
            ))),
        };
        result.unwrap_or_else(|e| {
            tracing::warn!(error = %e, path = %request.path, "activitypub: request failed");
            let status = match e {
                ConnectorError::Transient(_) | ConnectorError::RateLimited { .. } => 503,
                _ => 500,
            };
            Handled::respond(respond(status, "text/plain", format!("{e}\n").into()))
        })
    }
}

#[async_trait]
impl Publisher for Service {
    async fn followers(&self, stream: &str) -> Result<Vec<FollowerView>, ConnectorError> {
        Ok(self
            .followers
            .all(stream)
            .await?
            .into_iter()
            .map(|f| FollowerView {
                id: f.actor,
                pending: f.state == FollowState::Pending,
                since: f.since,
            })
            .collect())
    }

    async fn answer(
        &self,
        stream: &str,
        follower: &str,
        accept: bool,
    ) -> Result<Vec<Outgoing>, ConnectorError> {
        let Some(s) = self.site.stream(stream).await? else {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: no published stream {stream:?}"
            )));
        };
        let Some(mut f) = self.followers.get(&s.name, follower).await? else {
            return Err(ConnectorError::Permanent(format!(
                "activitypub: {follower} has not asked to follow {stream}"
            )));
        };
        let message = documents::answer_follow(&self.urls, &s, &f.follow, accept);
        if accept {
            f.state = FollowState::Accepted;
            self.followers.put(&s.name, &f).await?;
        } else {
            self.followers.remove(&s.name, follower).await?;
        }
        Ok(vec![Outgoing {
            message,
            recipients: vec![Recipient::new(f.inbox.clone())],
            summary: format!(
                "{} of {}'s follow of {}",
                if accept { "Accept" } else { "Reject" },
                f.actor,
                s.name
            ),
        }])
    }

    async fn fanout(&self, event: &StreamEvent) -> Result<Vec<Outgoing>, ConnectorError> {
        let stream = &event.stream;
        let message = match (event.kind, &event.item) {
            (EventKind::Added, Some(item)) => documents::create(&self.urls, stream, item),
            (EventKind::Updated, Some(item)) => {
                documents::update(&self.urls, stream, item, event.id)
            }
            (EventKind::Deleted, _) => Some(documents::delete(&self.urls, stream, event.item_id)),
            // Added or changed, then gone before it was published: its deletion follows.
            (_, None) => None,
        };
        let Some(message) = message else {
            return Ok(Vec::new());
        };
        // A blocked server gets nothing (a delivery to it would only fail).
        let recipients: Vec<Recipient> = self
            .followers
            .recipients(&stream.name, self.shared_inbox)
            .await?
            .into_iter()
            .filter(|r| {
                url::Url::parse(&r.address)
                    .ok()
                    .and_then(|u| u.host_str().map(|h| !self.remote.is_blocked(h)))
                    .unwrap_or(false)
            })
            .collect();
        if recipients.is_empty() {
            return Ok(Vec::new());
        }
        let kind = message["type"].as_str().unwrap_or("activity").to_owned();
        Ok(vec![Outgoing {
            message,
            recipients,
            summary: format!("{kind} of item {} in {}", event.item_id.0, stream.name),
        }])
    }

    async fn deliver(&self, recipient: &Recipient, message: &Value) -> Result<(), ConnectorError> {
        self.remote.post(&recipient.address, message).await
    }

    async fn tidy(&self) -> Result<(), ConnectorError> {
        self.unfollow_removed().await
    }
}
