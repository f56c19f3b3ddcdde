//! Logging in with OAuth 2 (RFC 6749 §4.1, authorization code) through megalodon's helpers:
//! register an app (`POST /api/v1/apps`), send the person to the authorize URL, exchange the
//! code they paste for a token (`POST /oauth/token`). The redirect is the out-of-band URI, so
//! the server shows the code instead of redirecting (Braid may have no public address).
//!
//! Both calls run behind the private-network guard and a timeout (megalodon has its own HTTP
//! client and takes no timeout). The app's client secret is never shown (`Debug` hides it).

use braid_core::http::SafeClient;
use braid_core::ConnectorError;
use url::Url;

use crate::api;

/// Redirect URI that makes the server display the code (Mastodon's out-of-band flow).
pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";

/// The scopes Braid asks for: reading timelines and publishing.
pub const SCOPES: &[&str] = &["read", "write"];

/// A registered app waiting for the person to authorize it.
#[derive(Clone)]
pub struct PendingLogin {
    /// Where the person authorizes Braid.
    pub authorize_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// The server software (`mastodon`, `pleroma`, …), which picks megalodon's backend.
    pub server_type: String,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("authorize_url", &self.authorize_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<hidden>")
            .finish()
    }
}

fn megalodon_client(
    instance: &Url,
    token: Option<String>,
    server_type: &str,
    client: &SafeClient,
) -> Result<Box<dyn megalodon::Megalodon + Send + Sync>, ConnectorError> {
    megalodon::generator(
        crate::sns(server_type)?,
        api::megalodon_base(instance),
        token,
        Some(client.config().user_agent.clone()),
    )
    .map_err(crate::error::from_megalodon)
}

/// Registers Braid as an app on `instance` and returns the authorize URL to show.
pub async fn start(
    instance: &Url,
    server_type: &str,
    client: &SafeClient,
) -> Result<PendingLogin, ConnectorError> {
    api::check_instance_for_megalodon(instance, client).await?;
    let m = megalodon_client(instance, None, server_type, client)?;
    let options = megalodon::megalodon::AppInputOptions {
        scopes: Some(SCOPES.iter().map(|s| (*s).to_owned()).collect()),
        redirect_uris: Some(OOB_REDIRECT.to_owned()),
        website: None,
    };
    let app = api::with_timeout(
        "registering the app",
        client.config().timeout,
        m.register_app("Braid".to_owned(), &options),
    )
    .await?;
    let authorize_url = app.url.clone().ok_or_else(|| {
        ConnectorError::Transient("mastodon: the server gave no authorize URL".into())
    })?;
    Ok(PendingLogin {
        authorize_url,
        client_id: app.client_id,
        client_secret: app.client_secret,
        redirect_uri: app.redirect_uri.unwrap_or_else(|| OOB_REDIRECT.to_owned()),
        server_type: server_type.to_owned(),
    })
}

/// Exchanges the authorization `code` for an access token. A refused code is `Auth`.
pub async fn finish(
    instance: &Url,
    pending: &PendingLogin,
    code: &str,
    client: &SafeClient,
) -> Result<String, ConnectorError> {
    api::check_instance_for_megalodon(instance, client).await?;
    let m = megalodon_client(instance, None, &pending.server_type, client)?;
    let token = api::with_timeout(
        "exchanging the authorization code",
        client.config().timeout,
        m.fetch_access_token(
            pending.client_id.clone(),
            pending.client_secret.clone(),
            code.trim().to_owned(),
            pending.redirect_uri.clone(),
        ),
    )
    .await
    .map_err(|e| match e {
        // RFC 6749 §5.2: a bad code is `400 invalid_grant`.
        ConnectorError::Permanent(m) => ConnectorError::Auth(format!(
            "{m}; the authorization code was refused, run `braid account add` again"
        )),
        other => other,
    })?;
    Ok(token.access_token)
}
