//! The ActivityPub network's factory: its hosted connector makes Braid's streams actors; its
//! sources are the actors Braid follows.

use std::sync::Arc;

use async_trait::async_trait;
use braid_core::factory::{BuildContext, Factory, LoginContext, NewSourceSpec, SourceView};
use url::Url;

use crate::following::Followings;
use crate::remote::Remote;
use crate::source::ActorSource;
use crate::urls::Urls;
use braid_core::state::StateStore;
use braid_core::{AccountView, Connector, ConnectorError};
use serde_json::json;

use crate::service::Service;
use crate::signature::KeyPair;

/// The registry's entry for ActivityPub.
pub static FACTORY: ActivityPubFactory = ActivityPubFactory;

/// See the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct ActivityPubFactory;

/// Where the site's key pair is kept, in the network's state.
const KEY: &str = "site-key";

/// The site's key pair: made once, on first use, and kept (PKCS#8 PEM) in the network's
/// state. Every stream's actor publishes its public half under its own key id; they are all
/// the owner's, so one key serves them all.
pub async fn site_key(state: &StateStore) -> Result<KeyPair, ConnectorError> {
    // One maker at a time: the web server's and the scheduler's first builds would otherwise
    // each make a key, and the actor would publish one while deliveries are signed with the
    // other.
    static MAKING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = MAKING.lock().await;
    let bad = |e: crate::signature::SignatureError| {
        ConnectorError::Permanent(format!("activitypub: the site's key: {e}"))
    };
    let stored = |value: Option<serde_json::Value>| {
        value.and_then(|v| {
            v["pem"]
                .as_str()
                .map(|pem| KeyPair::from_pem(pem).map_err(bad))
        })
    };
    if let Some(key) = stored(state.get(KEY).await?) {
        return key;
    }
    // Generating an RSA key takes a moment: off the async threads.
    let key = tokio::task::spawn_blocking(KeyPair::generate)
        .await
        .map_err(|e| ConnectorError::Transient(format!("activitypub: key generation: {e}")))?
        .map_err(bad)?;
    let pem = key.to_pkcs8_pem().map_err(bad)?;
    state.put(KEY, json!({ "pem": pem.as_str() })).await?;
    tracing::info!("activitypub: made the site's key pair");
    // Read back: of two processes that made one at once, the key kept is the one used.
    stored(state.get(KEY).await?).unwrap_or(Ok(key))
}

#[async_trait]
impl Factory for ActivityPubFactory {
    fn kind(&self) -> &'static str {
        crate::KIND
    }

    fn display_name(&self) -> &'static str {
        "ActivityPub (the fediverse)"
    }

    fn short_name(&self) -> &'static str {
        "Fediverse"
    }

    fn about(&self) -> &'static str {
        "an actor on the fediverse (Mastodon, Pleroma, GoToSocial, …), followed by its handle or URL"
    }

    fn listens(&self) -> bool {
        true
    }

    fn follows(&self) -> bool {
        true
    }

    /// An actor to follow: `acct:user@host` is looked up by WebFinger; an http(s) URL must be
    /// an actor's (or answer one: a profile page's URL is tried as the actor's id).
    async fn subscribe(
        &self,
        ctx: &LoginContext,
        url: &Url,
    ) -> Result<NewSourceSpec, ConnectorError> {
        let remote = Remote::new(ctx.http.clone(), None, String::new());
        let id = match url.scheme() {
            "acct" => {
                let (user, host) = url.path().split_once('@').ok_or_else(|| {
                    ConnectorError::Permanent(format!("activitypub: {url} is not a handle"))
                })?;
                remote.resolve(user, host).await?
            }
            "http" | "https" => url.to_string(),
            other => {
                return Err(ConnectorError::Permanent(format!(
                    "activitypub: {other}: URLs are not followed"
                )))
            }
        };
        let actor = remote.actor(&id, true).await?;
        Ok(NewSourceSpec {
            name: actor
                .handle()
                .or(actor.name.clone())
                .unwrap_or_else(|| actor.id.clone()),
            url: actor.id,
            settings: json!({}),
            found_from: (id != url.as_str()).then(|| url.to_string()),
        })
    }

    async fn hosted(
        &self,
        ctx: &BuildContext,
    ) -> Result<Option<Arc<dyn Connector>>, ConnectorError> {
        let Some(site) = ctx.site.clone() else {
            return Ok(None);
        };
        let key = Arc::new(site_key(&ctx.network_state).await?);
        let service = Service::new(site, ctx.http.clone(), ctx.network_state.clone(), key)?;
        service.prepare().await?;
        Ok(Some(Arc::new(service)))
    }

    /// A followed actor: follows as the owner's actor when the site has a public address.
    async fn connector(
        &self,
        ctx: &BuildContext,
        source: &SourceView,
        account: Option<&AccountView>,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let _ = account;
        let (key, follower) = match &ctx.site {
            Some(site) => {
                let key = Arc::new(site_key(&ctx.network_state).await?);
                let owner = site.streams().await?.into_iter().next().map(|s| s.name);
                let urls = Urls::new(site.base_url());
                (Some(key), owner.map(|o| urls.actor(&o)))
            }
            None => (None, None),
        };
        let key_id = follower
            .as_deref()
            .map(|f| format!("{f}#main-key"))
            .unwrap_or_default();
        Ok(Arc::new(ActorSource {
            actor: source.url.clone(),
            remote: Arc::new(
                Remote::new(ctx.http.clone(), key, key_id)
                    .keeping_schemes(ctx.network_state.clone()),
            ),
            followings: Followings::new(ctx.network_state.clone()),
            follower,
        }))
    }
}
