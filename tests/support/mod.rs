//! Shared helpers for the integration tests: temporary databases, local servers on port 0, and
//! finding the real third-party peers that `tests/run.sh` installs.
#![allow(dead_code)]

pub mod browser;
pub mod daemon;
pub mod fedify;
pub mod mastodon;
pub mod proxy;
pub mod running;
pub mod server;

use std::path::PathBuf;
use std::process::Command;

/// True when running under CI, where a missing peer is a failure, never a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Call when a test's peer is missing. Under `CI=true` this fails the test; on a developer's
/// machine it prints a loud message and returns, and the caller returns early (a skip).
pub fn missing_peer(peer: &str, hint: &str) {
    let msg = format!(
        "\n!!!!!!!!!! PEER MISSING: {peer} — {hint}. Run tests/run.sh to install the test peers. !!!!!!!!!!\n"
    );
    if in_ci() {
        panic!("{msg}(CI=true: a missing peer is a failure)");
    }
    eprintln!("{msg}SKIPPING this test.");
}

/// The Python interpreter that has the test peers installed: `$BRAID_TEST_PYTHON`, else the
/// virtualenv `tests/run.sh` makes at `.peers/venv`, else `python3`.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("BRAID_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers/venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// True when `python -c "import <module>"` works.
pub fn python_has(module: &str) -> bool {
    Command::new(python())
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// True when `cmd --version` (or `cmd` with `args`) runs.
pub fn command_exists(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok()
}

/// A temporary directory that lives as long as the returned guard.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A store in a temporary directory plus a poll context: the whole pipeline, minus the web.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub store: braid::store::Store,
    pub ctx: std::sync::Arc<braid::scheduler::PollContext>,
}

impl Harness {
    /// Private addresses allowed (the peers live on 127.0.0.1); `tweak` adjusts the config.
    pub fn new(tweak: impl FnOnce(&mut braid::config::Config)) -> Harness {
        Self::with_http(tweak, |_| {})
    }

    /// Like `new`, with a hook on the HTTP client settings (resolve overrides).
    pub fn with_http(
        tweak: impl FnOnce(&mut braid::config::Config),
        http_tweak: impl FnOnce(&mut braid_core::http::HttpConfig),
    ) -> Harness {
        let dir = temp_dir();
        let mut config = braid::config::Config::default();
        config.storage.db = dir.path().join("braid.db");
        config.fetch.allow_private_networks = true;
        config.fetch.timeout_secs = 5;
        tweak(&mut config);
        let mut http = config.http_config();
        http_tweak(&mut http);
        Self::open(dir, config, http)
    }

    /// Opens the store `config` names and the poll context around it.
    fn open(
        dir: tempfile::TempDir,
        config: braid::config::Config,
        http: braid_core::http::HttpConfig,
    ) -> Harness {
        let store = braid::store::Store::open(&config.storage.db).expect("open store");
        let client = braid_core::http::SafeClient::new(http).expect("client");
        let ctx =
            braid::scheduler::PollContext::new(store.clone(), std::sync::Arc::new(config), client)
                .expect("poll context");
        Harness {
            dir,
            store,
            ctx: std::sync::Arc::new(ctx),
        }
    }

    /// A harness on a copy of the database `bytes` (a fixture written by an earlier Braid),
    /// after `prepare` ran on it with plain SQLite (to point its addresses at this test's
    /// servers): Braid opens it only then, migrating it.
    pub fn from_database(
        bytes: &[u8],
        prepare: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<()>,
    ) -> Harness {
        let dir = temp_dir();
        let path = dir.path().join("braid.db");
        std::fs::write(&path, bytes).expect("write the database");
        let db = rusqlite::Connection::open(&path).expect("open the fixture");
        prepare(&db).expect("prepare the fixture");
        drop(db);
        let mut config = braid::config::Config::default();
        config.storage.db = path;
        config.fetch.allow_private_networks = true;
        config.fetch.timeout_secs = 5;
        let http = config.http_config();
        Self::open(dir, config, http)
    }

    pub async fn add_feed(&self, name: &str, url: &str) -> braid_core::SourceId {
        self.store
            .add_source(braid::store::NewSource {
                name: name.into(),
                kind: "feed".into(),
                url: url.into(),
                schedule: None,
                category: None,
                settings: serde_json::json!({}),
                account: None,
            })
            .await
            .expect("add source")
    }

    pub async fn source(&self, id: braid_core::SourceId) -> braid::store::SourceRecord {
        self.store
            .source(id)
            .await
            .expect("read source")
            .expect("source exists")
    }

    /// Polls the source once, now.
    pub async fn poll(&self, id: braid_core::SourceId) -> braid::scheduler::PollOutcome {
        let source = self.source(id).await;
        braid::scheduler::poll_source(&self.ctx, &source).await
    }

    /// A fresh poll context on the same store: what `braid run` starts with after a restart
    /// (no kept connectors, cursors from the database).
    pub fn restart(&mut self) {
        let ctx = braid::scheduler::PollContext::new(
            self.store.clone(),
            self.ctx.config.clone(),
            self.ctx.connectors.http.clone(),
        )
        .expect("poll context");
        self.ctx = std::sync::Arc::new(ctx);
    }

    /// This harness with `factory` in its registry too (a test's own network).
    pub fn with_factory(mut self, factory: &'static dyn braid_core::Factory) -> Harness {
        let mut ctx = braid::scheduler::PollContext::new(
            self.store.clone(),
            self.ctx.config.clone(),
            self.ctx.connectors.http.clone(),
        )
        .expect("poll context");
        ctx.connectors.registry = self.ctx.connectors.registry.clone().with(factory);
        self.ctx = std::sync::Arc::new(ctx);
        self
    }

    /// The source's connector, as the scheduler gets it: from the registry, kept between polls.
    pub async fn connector(
        &self,
        id: braid_core::SourceId,
    ) -> Result<std::sync::Arc<dyn braid_core::Connector>, braid_core::ConnectorError> {
        let source = self.source(id).await;
        self.ctx
            .kept
            .connector(&source, &self.ctx.connectors, &self.store)
            .await
    }

    /// A connector publishing as `account`, as `braid post` builds it: from the registry.
    pub async fn sink(
        &self,
        account: braid_core::AccountId,
    ) -> std::sync::Arc<dyn braid_core::Connector> {
        let record = self
            .store
            .account(account)
            .await
            .expect("read account")
            .expect("account exists");
        braid::connectors::sink(&record, &self.ctx.connectors, &self.store)
            .await
            .expect("sink")
    }

    /// Every live item of the source, newest first.
    pub async fn items(&self, id: braid_core::SourceId) -> Vec<braid::store::StoredItem> {
        self.store
            .timeline(braid::store::TimelineQuery {
                before: None,
                limit: 500,
                source: Some(id),
                search: None,
                ..Default::default()
            })
            .await
            .expect("timeline")
            .items
    }
}

/// Braid's web server on a free port of 127.0.0.1, over `store`, with the default config.
pub struct Web {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    /// A client that sends an owner's API token with every request.
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Web {
    /// Stops the server.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn serve_web(store: &braid::store::Store) -> Web {
    serve_web_with(store, None, |_| {}).await
}

/// [`serve_web`] with the config changed by `tweak`, hosting `hosted`'s listeners.
pub async fn serve_web_with(
    store: &braid::store::Store,
    hosted: Option<std::sync::Arc<braid::scheduler::PollContext>>,
    tweak: impl FnOnce(&mut braid::config::Config),
) -> Web {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let local = listener.local_addr().expect("addr");
    let mut config = braid::config::Config::default();
    tweak(&mut config);
    let web_ctx =
        braid::web::WebContext::new(store.clone(), &config, local, hosted).expect("web context");
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(braid::web::serve(web_ctx, listener, async {
        let _ = rx.await;
    }));
    Web {
        base: format!("http://{local}"),
        client: owner_client(store).await,
        stop: Some(stop),
    }
}

/// A new API token of the owner's (named uniquely), as the CLI makes one.
pub async fn api_token(store: &braid::store::Store) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let token = braid::auth::new_api_token().expect("token");
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    store
        .add_api_token(format!("tests-{n}"), braid::auth::token_hash(&token))
        .await
        .expect("add token");
    token
}

/// A browser session of the owner's, made directly in the store: the `Cookie` header value
/// (`braid_session=…`) and the CSRF token its forms must carry (field `csrf` or header
/// `X-CSRF-Token`). State-changing requests also need our origin: send `Origin: BASE`.
pub async fn owner_session(store: &braid::store::Store) -> (String, String) {
    let token = braid::auth::new_token().expect("token");
    store
        .add_session(braid::auth::token_hash(&token), None, None)
        .await
        .expect("add session");
    (
        format!("braid_session={token}"),
        braid::auth::csrf_token(&token),
    )
}

/// A client that sends a new owner API token with every request.
pub async fn owner_client(store: &braid::store::Store) -> reqwest::Client {
    let token = api_token(store).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

/// `braid ARGS…` as a child process on the harness's database (its directory is the working
/// directory), private addresses allowed for the local peers.
pub fn braid(h: &Harness, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .current_dir(h.dir.path())
        .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
        .env("BRAID_LOG", "warn")
        .args(args)
        .output()
        .expect("run braid")
}
