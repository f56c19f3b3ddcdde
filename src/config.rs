//! The typed configuration. Every field has a doc comment and a default; unknown keys are an
//! error that names the key. `config.example.toml` documents every option, and a test keeps it
//! in step with these structs.
//!
//! Precedence, lowest first: built-in defaults, the config file (`--config`, else `./braid.toml`
//! when present), `BRAID_*` environment variables, command-line flags.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::Retention;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub storage: StorageConfig,
    pub web: WebConfig,
    pub fetch: FetchConfig,
    pub scheduler: SchedulerConfig,
    pub retention: RetentionConfig,
    pub log: LogConfig,
    pub opml: OpmlConfig,
    pub outbox: OutboxConfig,
    /// Bridging rules kept in this file (`[[route]]` tables), applied when `braid run` starts
    /// and shown as coming from the config. A route removed from the file is removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub route: Vec<ConfigRoute>,
    /// Channels kept in this file (`[[channel]]` tables), applied like routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channel: Vec<ConfigChannel>,
}

/// A `[[route]]` table: a route's name and rule (see `braid route add --help` for each field).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigRoute {
    pub name: String,
    /// Sources by name, accounts by name (their own posts), or kinds (`feed`).
    pub from: Vec<String>,
    /// Accounts or channels by name.
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "crate::routes::Filter::is_empty")]
    pub filter: crate::routes::Filter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<braid_core::Visibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long: Option<braid_core::fit::LongText>,
    /// Thread or truncate per target: `{ "bob@example.social" = "truncate" }`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub long_for: BTreeMap<String, braid_core::fit::LongText>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub number: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_interval_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edits: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deletes: bool,
}

impl ConfigRoute {
    /// The rule, as the store keeps it.
    pub fn spec(&self) -> crate::routes::RouteSpec {
        crate::routes::RouteSpec {
            from: self.from.clone(),
            to: self.to.clone(),
            filter: self.filter.clone(),
            template: self.template.clone(),
            visibility: self.visibility,
            long: self.long,
            long_for: self.long_for.clone(),
            number: self.number,
            min_interval_secs: self.min_interval_secs,
            edits: self.edits,
            deletes: self.deletes,
        }
    }
}

/// A `[[channel]]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigChannel {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The most private items it may hold: `public` (default), `unlisted`, `followers_only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<braid_core::Visibility>,
    /// Publish it: its public items are served without a feed token (never anything less
    /// public). Off: its feeds need a token like every other.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Path of the SQLite database file (created on first run). Env: `BRAID_DB`; flag: `--db`.
    pub db: PathBuf,
    /// Largest body (HTML, and its plain text) stored per item, in bytes. Longer items are cut
    /// at a tag boundary and marked as shortened, with a link to the original.
    pub max_content_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Address the web UI listens on. Any address but loopback needs `base_url` (the address
    /// people and feed readers use). Env: `BRAID_LISTEN`; flag: `braid run --listen`.
    pub listen: SocketAddr,
    /// Title shown on pages and in the feeds Braid serves.
    pub title: String,
    /// Public URL of this instance (`https://braid.example/`): every absolute link (served
    /// feeds, the setup link) is built from it, its host is the one requests may name, and an
    /// `https` URL makes the session cookie `Secure`. Empty: `http://` and the listen address.
    pub base_url: String,
    /// More host names requests may name besides `base_url`'s and the loopback names (a LAN
    /// address, say). Any other `Host` is refused (421), against DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// The owner's name where others address them: on the fediverse, `NAME@host` (with
    /// `base_url`'s host and port). Lower-case letters, digits, `_`, `-` and `.`; no channel
    /// may have it.
    pub owner_name: String,
    /// Behind a reverse proxy on this machine: take the client's address from the last entry
    /// of `X-Forwarded-For` when the connection comes from loopback (for the login rate limit).
    pub trust_proxy_headers: bool,
    /// Days a browser session lasts without being used.
    pub session_days: u64,
    /// Open connections at most; more wait to be accepted.
    pub max_connections: u64,
    /// Seconds a client may take to send a request's headers (and the longest idle time of a
    /// kept-alive connection).
    pub header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body.
    pub body_timeout_secs: u64,
    /// Largest form or upload body (compose with files, OPML) the UI accepts, in bytes.
    pub max_upload_bytes: u64,
    /// Largest request body a connector's listener (an inbox, a push callback) accepts, in
    /// bytes; a larger one is refused with 413 before the connector sees it.
    pub max_listener_body_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Allow fetching loopback, private and link-local addresses (home networks, tests).
    /// Off by default so a feed cannot make Braid reach into your network.
    /// Env: `BRAID_ALLOW_PRIVATE_NETWORKS=1`.
    pub allow_private_networks: bool,
    /// User-Agent sent with every request. Empty: `Braid/<version> (…)`.
    pub user_agent: String,
    /// Seconds to wait for a TCP/TLS connection.
    pub connect_timeout_secs: u64,
    /// Seconds for a whole request: redirects, headers and body.
    pub timeout_secs: u64,
    /// Largest response body accepted, in bytes, after decompression.
    pub max_body_bytes: u64,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Send every request through this HTTP(S) proxy (`http://host:port`, with
    /// `user:password@` if it needs them). Empty: connect directly. The `HTTP_PROXY`,
    /// `HTTPS_PROXY` and `ALL_PROXY` variables of the environment are never used, since a proxy
    /// resolves names itself, past Braid's private-address check; with a proxy named here each
    /// target is resolved and checked before the request goes to the proxy.
    pub proxy: String,
    /// Domains nothing is fetched from or delivered to, each with its subdomains: feeds,
    /// fediverse servers (their inbox deliveries are refused too). `braid block DOMAIN` adds
    /// more, kept in the database.
    pub blocked_domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Cron schedule for sources without their own. Unix 5-field form (`*/30 * * * *`) or
    /// the 6/7-field form with seconds (`0 */30 * * * *`).
    pub default_schedule: String,
    /// Polls running at once, over all sources.
    pub max_concurrency: usize,
    /// Polls running at once against one host.
    pub max_per_host: usize,
    /// Consecutive failures after which a source is disabled (its reason stays visible).
    pub max_failures: u32,
    /// First retry delay after a failure, in seconds; doubles with each further failure.
    pub backoff_base_secs: u64,
    /// Longest retry delay after failures, in seconds.
    pub backoff_max_secs: u64,
    /// Cron schedule on which the retention policy runs.
    pub retention_schedule: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Delete items older than this many days (0 keeps them forever). Your own posts and
    /// anything in a delivery are always kept.
    pub max_age_days: u32,
    /// Keep at most this many items per source (0: no limit).
    pub max_items_per_source: u32,
    /// Per-source overrides, by source name: `[retention.sources."Example Blog"]`.
    pub sources: BTreeMap<String, SourceRetention>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceRetention {
    /// Days to keep this source's items (0: no age limit).
    pub max_age_days: u32,
    /// Items to keep for this source (0: no count limit).
    pub max_items: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `off`, `error`, `warn`, `info`, `debug` or `trace`, or a filter of `target=level`
    /// pairs (`braid=debug,warn`). Unset: `warn` for one-shot commands, `info` for `braid run`.
    /// Flag: `--log-level`; env: `BRAID_LOG`.
    pub level: Option<String>,
    /// `text` for people, `json` for log collectors. Flag: `--log-format`.
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            db: PathBuf::from("./braid.db"),
            max_content_bytes: crate::ingest::DEFAULT_MAX_CONTENT_BYTES,
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            title: "Braid".into(),
            base_url: String::new(),
            allowed_hosts: Vec::new(),
            owner_name: "me".into(),
            trust_proxy_headers: false,
            session_days: 30,
            max_connections: 512,
            header_timeout_secs: 10,
            body_timeout_secs: 60,
            max_upload_bytes: 64 * 1024 * 1024,
            max_listener_body_bytes: 1024 * 1024,
        }
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow_private_networks: false,
            user_agent: String::new(),
            connect_timeout_secs: 10,
            timeout_secs: 30,
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            proxy: String::new(),
            blocked_domains: Vec::new(),
        }
    }
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            default_schedule: "*/30 * * * *".into(),
            max_concurrency: 16,
            max_per_host: 2,
            max_failures: 10,
            backoff_base_secs: 60,
            backoff_max_secs: 24 * 3600,
            retention_schedule: "17 4 * * *".into(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: None,
            format: LogFormat::Text,
        }
    }
}

/// Limits on `braid opml import`, so a huge or hostile file cannot exhaust memory or flood the
/// scheduler: a file over `max_file_bytes` is refused before it is parsed, and parsing stops at
/// the first feed past `max_outlines`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpmlConfig {
    /// Largest OPML file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Most feed outlines accepted in one file.
    pub max_outlines: u64,
}

/// Delivering posts (`braid post`, and the daemon for what is left).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Attempts per delivery before it is marked failed (with its reason; `braid outbox retry
    /// ID` queues it again).
    pub max_attempts: u32,
    /// First wait after a failed attempt, in seconds; doubled each time, with up to a quarter
    /// more at random, never shorter than the server's `Retry-After`.
    pub backoff_base_secs: u64,
    /// Longest wait between attempts, in seconds.
    pub backoff_max_secs: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            max_attempts: 8,
            backoff_base_secs: 30,
            backoff_max_secs: 3600,
        }
    }
}

impl Default for OpmlConfig {
    fn default() -> Self {
        OpmlConfig {
            max_file_bytes: 5 * 1024 * 1024,
            max_outlines: 10_000,
        }
    }
}

/// A config problem, worded for the person editing the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config: {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads `path`, or `./braid.toml` when `path` is `None` and that file exists, else the
    /// built-in defaults; then applies `BRAID_*` environment variables.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let default_path = Path::new("braid.toml");
        let chosen = match path {
            Some(p) => Some(p),
            None if default_path.exists() => Some(default_path),
            None => None,
        };
        let mut config = match chosen {
            Some(p) => Self::from_file(p)?,
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        config.validate()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses TOML; the error names the offending key and line.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().to_owned();
            let line = e.span().map(|s| {
                text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            });
            match line {
                Some(l) => format!("line {l}: {msg}"),
                None => msg,
            }
        })
    }

    /// Applies `BRAID_DB`, `BRAID_LISTEN`, `BRAID_ALLOW_PRIVATE_NETWORKS`, `BRAID_LOG`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(db) = var("BRAID_DB").filter(|v| !v.is_empty()) {
            self.storage.db = PathBuf::from(db);
        }
        if let Some(listen) = var("BRAID_LISTEN").filter(|v| !v.is_empty()) {
            self.web.listen = listen.parse().map_err(|_| {
                ConfigError::Invalid(format!(
                    "BRAID_LISTEN={listen:?} is not an address like 127.0.0.1:8080"
                ))
            })?;
        }
        if let Some(v) = var("BRAID_ALLOW_PRIVATE_NETWORKS").filter(|v| !v.is_empty()) {
            self.fetch.allow_private_networks = match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "BRAID_ALLOW_PRIVATE_NETWORKS={v:?} must be 1 or 0"
                    )))
                }
            };
        }
        if let Some(level) = var("BRAID_LOG").filter(|v| !v.is_empty()) {
            log_level::check(&level)
                .map_err(|e| ConfigError::Invalid(format!("BRAID_LOG={level:?}: {e}")))?;
            self.log.level = Some(level);
        }
        Ok(())
    }

    /// Checks values serde cannot: cron expressions, ranges, URLs.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check_bounds()?;
        let mut names = std::collections::HashSet::new();
        for r in &self.route {
            if !names.insert(&r.name) || r.name.trim().is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "[[route]] name {:?} is empty or used twice",
                    r.name
                )));
            }
            r.spec()
                .validate()
                .map_err(|e| ConfigError::Invalid(format!("[[route]] {:?}: {e}", r.name)))?;
        }
        let mut names = std::collections::HashSet::new();
        for c in &self.channel {
            if !names.insert(&c.name) || !crate::routes::valid_channel_name(&c.name) {
                return Err(ConfigError::Invalid(format!(
                    "[[channel]] name {:?} is used twice or is not a name (letters, digits, - and _)",
                    c.name
                )));
            }
            if c.audience == Some(braid_core::Visibility::Direct) {
                return Err(ConfigError::Invalid(format!(
                    "[[channel]] {:?}: a channel cannot hold direct messages",
                    c.name
                )));
            }
        }
        if let Some(level) = &self.log.level {
            log_level::check(level)
                .map_err(|e| ConfigError::Invalid(format!("log.level = {level:?}: {e}")))?;
        }
        crate::scheduler::cron_expr::parse_schedule(&self.scheduler.default_schedule)
            .map_err(|e| ConfigError::Invalid(format!("scheduler.default_schedule: {e}")))?;
        crate::scheduler::cron_expr::parse_schedule(&self.scheduler.retention_schedule)
            .map_err(|e| ConfigError::Invalid(format!("scheduler.retention_schedule: {e}")))?;
        if !self.fetch.proxy.is_empty() {
            self.proxy_url()?;
        }
        self.web_base_url()?;
        for d in &self.fetch.blocked_domains {
            if braid_core::http::Blocklist::normalize(d).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "fetch.blocked_domains: {d:?} is not a domain (example.social, without a scheme or path)"
                )));
            }
        }
        if !is_stream_name(&self.web.owner_name) {
            return Err(ConfigError::Invalid(format!(
                "web.owner_name = {:?}: use lower-case letters, digits, _, - and . (at most 64)",
                self.web.owner_name
            )));
        }
        Ok(())
    }

    /// `web.base_url` checked (http or https, a host, no query), with a trailing slash; `None`
    /// when it is empty. A listen address other than loopback needs one.
    pub fn web_base_url(&self) -> Result<Option<url::Url>, ConfigError> {
        let raw = self.web.base_url.trim();
        if raw.is_empty() {
            if !self.web.listen.ip().is_loopback() {
                return Err(ConfigError::Invalid(format!(
                    "web.listen = {} is not loopback, so web.base_url must say the address \
                     people use (https://braid.example/)",
                    self.web.listen
                )));
            }
            return Ok(None);
        }
        let bad = |why: String| ConfigError::Invalid(format!("web.base_url {raw:?}: {why}"));
        let mut url = url::Url::parse(raw).map_err(|e| bad(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad("must be an http or https URL with a host".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must have no query or fragment".into()));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Some(url))
    }

    /// The address this instance is reached at: `web.base_url`, else `http://` and the listen
    /// address. Every absolute link is built from it, never from a request's `Host`.
    pub fn public_url(&self) -> Result<url::Url, ConfigError> {
        if let Some(url) = self.web_base_url()? {
            return Ok(url);
        }
        let listen = self.web.listen;
        url::Url::parse(&format!("http://{listen}/"))
            .map_err(|e| ConfigError::Invalid(format!("web.listen = {listen}: {e}")))
    }

    /// The safe HTTP client settings.
    pub fn http_config(&self) -> braid_core::http::HttpConfig {
        let mut http = braid_core::http::HttpConfig {
            connect_timeout: Duration::from_secs(self.fetch.connect_timeout_secs),
            timeout: Duration::from_secs(self.fetch.timeout_secs),
            max_body_bytes: self.fetch.max_body_bytes,
            max_redirects: self.fetch.max_redirects,
            allow_private_networks: self.fetch.allow_private_networks,
            ..Default::default()
        };
        if !self.fetch.user_agent.is_empty() {
            http.user_agent = self.fetch.user_agent.clone();
        }
        // Checked by `validate`; a config that skipped it connects directly.
        http.proxy = self.proxy_url().ok().flatten();
        http.blocked = braid_core::http::Blocklist::of(&self.fetch.blocked_domains);
        http
    }

    /// `fetch.proxy` as a URL; `None` when empty. The message never repeats the URL, which may
    /// hold a password.
    fn proxy_url(&self) -> Result<Option<url::Url>, ConfigError> {
        if self.fetch.proxy.is_empty() {
            return Ok(None);
        }
        let url = url::Url::parse(&self.fetch.proxy)
            .map_err(|e| ConfigError::Invalid(format!("fetch.proxy is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ConfigError::Invalid(
                "fetch.proxy must be an http:// or https:// URL with a host".into(),
            ));
        }
        Ok(Some(url))
    }

    /// Global retention as the store takes it.
    pub fn global_retention(&self) -> Retention {
        Retention {
            max_age_days: nonzero(self.retention.max_age_days),
            max_items: nonzero(self.retention.max_items_per_source),
        }
    }
}

impl SourceRetention {
    pub fn to_retention(&self) -> Retention {
        Retention {
            max_age_days: nonzero(self.max_age_days),
            max_items: nonzero(self.max_items),
        }
    }
}

fn nonzero(v: u32) -> Option<u32> {
    (v > 0).then_some(v)
}

mod bounds;
pub mod log_level;

#[cfg(test)]
mod tests;

/// A name a stream (the owner, a channel) can be addressed by: `NAME@host`.
pub fn is_stream_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
        && !name.starts_with('.')
        && !name.ends_with('.')
}
