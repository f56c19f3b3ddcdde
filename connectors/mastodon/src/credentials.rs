//! What a Mastodon-family account logs in with, as the core stores it: one opaque JSON value
//! per account (`accounts.credentials`) that only this crate reads. A secret: `Debug` redacts
//! the token and the client secret.

use serde::{Deserialize, Serialize};
use url::Url;

use braid_core::ConnectorError;

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The OAuth access token.
    #[serde(default)]
    pub token: String,
    /// The server software megalodon talks to (`mastodon`, `pleroma`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_type: Option<String>,
    /// The OAuth app Braid registered on the instance, when it logged in through OAuth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("token", &"[redacted]")
            .field("server_type", &self.server_type)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl Credentials {
    /// The stored form.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Reads the stored form; credentials without a token cannot log in, whatever else they
    /// hold.
    pub fn from_value(value: &serde_json::Value) -> Result<Credentials, ConnectorError> {
        let creds: Credentials = serde_json::from_value(value.clone()).unwrap_or_default();
        if creds.token.trim().is_empty() {
            return Err(ConnectorError::Auth(
                "mastodon: this account has no access token".into(),
            ));
        }
        Ok(creds)
    }
}

/// Who an account is, for the store's `accounts.identity`: its instance and its id there.
pub fn identity(instance: &Url, account_id: &str) -> String {
    format!("{}#{account_id}", instance.as_str())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_and_redacts() {
        let creds = Credentials {
            token: "secret-token".into(),
            server_type: Some("pleroma".into()),
            client_id: Some("id".into()),
            client_secret: Some("shh".into()),
        };
        let value = creds.to_value();
        assert_eq!(Credentials::from_value(&value).unwrap(), creds);
        let shown = format!("{creds:?}");
        assert!(
            !shown.contains("secret-token") && !shown.contains("shh"),
            "{shown}"
        );
        // Schema V5 wrote these from the old columns, nulls included.
        let migrated = serde_json::json!({
            "token": "t", "server_type": null, "client_id": null, "client_secret": null
        });
        assert_eq!(Credentials::from_value(&migrated).unwrap().token, "t");
        for empty in [
            serde_json::json!({}),
            serde_json::json!({"token": " "}),
            serde_json::Value::Null,
        ] {
            assert!(matches!(
                Credentials::from_value(&empty),
                Err(ConnectorError::Auth(_))
            ));
        }
        let instance = Url::parse("https://social.example/").unwrap();
        assert_eq!(identity(&instance, "42"), "https://social.example/#42");
    }
}
