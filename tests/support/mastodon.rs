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
    ///
    /// mastodon-mock cannot listen on port 0 and say which port it got, so a port is chosen
    /// here. It is taken below Linux's ephemeral range (where the tests' own port-0 servers
    /// land), checked free, and the instance counts as started only if it is still running once
    /// it answers: one that lost a race for its port exits, and another port is tried.
    pub async fn start() -> Option<MastodonMock> {
        let Some(exe) = executable() else {
            super::missing_peer("mastodon-mock", "pip install mastodon-mock");
            return None;
        };
        for attempt in 0..10u16 {
            let port = candidate_port(attempt);
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            let child = Command::new(&exe)
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
            let mut mock = MastodonMock {
                base: format!("http://127.0.0.1:{port}"),
                child,
            };
            if mock.wait_ready().await {
                return Some(mock);
            }
        }
        panic!("mastodon_mock could not be started on a free port");
    }

    /// True once this instance answers and is still running; false if it exited.
    async fn wait_ready(&mut self) -> bool {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return false;
            }
            let answered = client
                .get(format!("{}/api/v1/instance", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if answered {
                tokio::time::sleep(Duration::from_millis(200)).await;
                return self.child.try_wait().ok().flatten().is_none();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("mastodon_mock did not answer on {} within 30 s", self.base);
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

    /// Every status of the token's own account, newest first, all pages, as plain text (so a
    /// test can count what landed).
    pub async fn own_statuses(&self, token: &str) -> Vec<String> {
        self.own_status_objects(token)
            .await
            .iter()
            .map(|s| braid_core::sanitize::html_to_text(s["content"].as_str().unwrap_or_default()))
            .collect()
    }

    /// Every status of the token's own account, newest first, all pages, as the API gives it.
    pub async fn own_status_objects(&self, token: &str) -> Vec<serde_json::Value> {
        let http = reqwest::Client::new();
        let get = |url: String| {
            let req = http.get(url).bearer_auth(token);
            async move {
                req.send()
                    .await
                    .expect("request")
                    .json::<serde_json::Value>()
                    .await
                    .expect("json")
            }
        };
        let me = get(format!("{}/api/v1/accounts/verify_credentials", self.base)).await;
        let id = me["id"].as_str().expect("account id").to_owned();
        let mut statuses = Vec::new();
        let mut max_id: Option<String> = None;
        loop {
            let mut url = format!("{}/api/v1/accounts/{id}/statuses?limit=40", self.base);
            if let Some(m) = &max_id {
                url.push_str(&format!("&max_id={m}"));
            }
            let page = get(url).await;
            let Some(page) = page.as_array().filter(|p| !p.is_empty()) else {
                return statuses;
            };
            max_id = page
                .last()
                .and_then(|s| s["id"].as_str())
                .map(str::to_owned);
            statuses.extend(page.iter().cloned());
        }
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

/// A port in 10000..32000 (below the ephemeral range), different per process, call and attempt.
fn candidate_port(attempt: u16) -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static CALLS: AtomicU16 = AtomicU16::new(0);
    let call = CALLS.fetch_add(1, Ordering::SeqCst);
    let seed = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or_default();
    let mixed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(u64::from(call) * 7919 + u64::from(attempt) * 104729);
    10_000 + (mixed % 22_000) as u16
}

/// Logs `token` in on the server at `base` (the mock, or a proxy before it) through the
/// registry's factory, as `braid account add mastodon
/// URL --token T --backfill N` does: the account and its home timeline as a source.
pub async fn log_in(
    h: &super::Harness,
    base: &str,
    token: &str,
    backfill: u32,
) -> (braid::store::AccountRecord, braid_core::SourceId) {
    let factory = h
        .ctx
        .connectors
        .registry
        .get("mastodon")
        .expect("the registry has the Mastodon API family");
    let input = braid_core::factory::LoginInput::from_pairs([
        ("instance", base.to_owned()),
        ("token", token.to_owned()),
        ("backfill", backfill.to_string()),
    ]);
    let ctx = braid_core::LoginContext::new(h.ctx.connectors.http.clone());
    let outcome = braid::accounts::login_unattended(&h.store, factory, &ctx, None, &input)
        .await
        .expect("log in");
    let home = h
        .store
        .find_source(&outcome.sources[0])
        .await
        .expect("read source")
        .expect("the home timeline is a source");
    (outcome.account, home.id)
}
