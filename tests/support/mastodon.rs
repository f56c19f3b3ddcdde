//! Starts the real `mastodon-mock` server (PyPI, installed by tests/run.sh into .peers/venv)
//! on a free port on 127.0.0.1, and stops it when dropped.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running mastodon-mock instance.
pub struct MastodonMock {
    pub base: String,
    child: Child,
}

impl Drop for MastodonMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `mastodon_mock` executable beside the test Python, if installed.
fn executable() -> Option<PathBuf> {
    let python = super::python();
    let exe = python.parent()?.join("mastodon_mock");
    exe.exists().then_some(exe)
}

impl MastodonMock {
    /// Starts a fresh in-memory instance, or reports the missing peer (a failure under CI=true)
    /// and returns `None`.
    pub async fn start() -> Option<MastodonMock> {
        let Some(exe) = executable() else {
            super::missing_peer("mastodon-mock", "pip install mastodon-mock");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new(exe)
            .args([
                "serve",
                "--in-memory",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mastodon_mock");
        let mock = MastodonMock {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = client
                .get(format!("{}/api/v1/instance", mock.base))
                .send()
                .await
            {
                if r.status().is_success() {
                    return Some(mock);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("mastodon_mock did not start on port {port} within 30 s");
    }

    /// Creates a user and returns its access token.
    pub async fn user(&self, username: &str) -> String {
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/v1/_mock/dev_user", self.base))
            .json(&serde_json::json!({ "username": username }))
            .send()
            .await
            .expect("dev_user")
            .json()
            .await
            .expect("dev_user json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// A fresh token for an existing user (`POST /api/v1/_mock/login`).
    pub async fn login(&self, username: &str) -> String {
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/v1/_mock/login", self.base))
            .json(&serde_json::json!({ "username": username }))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Posts a status as the token's user, straight to the server (test setup, not Braid).
    pub async fn post(&self, token: &str, form: &[(&str, &str)]) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("{}/api/v1/statuses", self.base))
            .bearer_auth(token)
            .form(form)
            .send()
            .await
            .expect("post status")
            .json()
            .await
            .expect("status json")
    }

    /// Injects a fault (`POST /api/v1/_mock/faults`), e.g. `{"status": 429, "retry_after": 2}`.
    pub async fn fault(&self, spec: serde_json::Value) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("{}/api/v1/_mock/faults", self.base))
            .json(&spec)
            .send()
            .await
            .expect("fault")
            .json()
            .await
            .unwrap_or(serde_json::Value::Null)
    }
}
