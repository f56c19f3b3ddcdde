//! The unified store: one SQLite file (WAL) holding sources, items, tombstones and per-source
//! poll state, with FTS5 search over items.
//!
//! Every public method is `async` and runs its SQLite work on tokio's blocking pool
//! (`spawn_blocking`), so the async worker threads never wait on disk. One writer connection
//! (behind a mutex) and a small pool of read-only connections; WAL lets readers run while the
//! writer writes.
//!
//! Files: `conn.rs` (connections, pragmas, the blocking-pool bridge), `schema.rs` (embedded
//! versioned migrations), `sources.rs` (sources and poll state), `source_health.rs` (the sources page's pages, counts
//! and items per day), `items.rs` (upsert, tombstones,
//! cross-source linking), `timeline.rs` (keyset pages, row mapping), `fts.rs` (safe FTS5 queries from user
//! input), `search.rs` (the newest matches of a search, with bounded work), `retention.rs` (the
//! retention policy).
//!
//! Conventions: every time is stored as integer unix **microseconds** (the same unit as
//! [`PageKey::encode`]), so ordering is an integer comparison and the timeline index stays small.
//! Deleted items leave a row in `tombstones` and no row in `items`, so nothing ever has to filter
//! "deleted" flags on the hot read path.

mod accounts;
mod auth;
mod conn;
mod fts;
mod items;
mod outbox;
mod own;
mod perms;
mod publish;
mod retention;
mod routes;
mod schema;
mod search;
mod source_health;
mod sources;
mod state;
#[cfg(test)]
mod tests;
mod timeline;

use std::path::Path;
use std::sync::Arc;

use braid_core::{AccountId, Item, ItemId, SourceId};
use chrono::{DateTime, Utc};
pub use outbox::{DeliveryRecord, DeliveryState, Landed, NewMedia, NewPost, NewTarget, PostRecord};
pub use own::{audience_refusal, OwnPost, OWNER_KIND, OWNER_NAME};
pub use publish::{recipient_lane, EventRow, StreamChannel, StreamRef};
pub use routes::{
    ChannelRecord, ConfigApplied, NewChannel, RouteDecision, RouteItem, RouteLogEntry, RouteRecord,
};
use serde::Serialize;

/// Errors from the store. Messages start with `store:`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store: database {path}: {message}")]
    Open { path: String, message: String },
    #[error("store: schema version {found} is newer than this Braid understands ({known}); upgrade Braid")]
    TooNew { found: i64, known: i64 },
    #[error("store: a source named {0:?} already exists")]
    DuplicateName(String),
    #[error("store: a source with URL {0} already exists")]
    DuplicateUrl(String),
    #[error("store: no source {0}")]
    NoSuchSource(String),
    #[error("store: {0}")]
    Other(String),
    /// What the owner asked for breaks a rule; the message says which and what to do.
    #[error("{0}")]
    Refused(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A source to create.
#[derive(Debug, Clone)]
pub struct NewSource {
    /// Unique, human-chosen name (`braid sync --source NAME`).
    pub name: String,
    /// The network, as the registry names it (its factory's kind).
    pub kind: String,
    /// The URL polled (feed URL, instance URL).
    pub url: String,
    /// Cron expression; `None` uses the configured default.
    pub schedule: Option<String>,
    /// OPML category / folder.
    pub category: Option<String>,
    /// Connector-specific settings as JSON (`{}` for feeds).
    pub settings: serde_json::Value,
    /// The account the source reads through, if any.
    pub account: Option<AccountId>,
}

/// An account to create (a verified login).
#[derive(Clone, Default)]
pub struct NewAccount {
    /// Unique, human-chosen name (`--name`), by default the handle.
    pub name: String,
    /// The network, as the registry names it (its factory's kind).
    pub kind: String,
    /// Who the account is on its network, as its connector names it; unique per kind, so a
    /// second login to the same account finds it.
    pub identity: String,
    /// The handle people know the account by (`user@host`).
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub profile_url: Option<String>,
    /// The server the account lives on (`https://example.social/`), where the network has one.
    pub server_url: Option<String>,
    /// How the connector logs in: one value only the connector's crate reads. A secret: never
    /// logged, served or shown.
    pub credentials: serde_json::Value,
}

/// Redacts the secrets, so a `NewAccount` in a log line or an error never carries them.
impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("identity", &self.identity)
            .field("handle", &self.handle)
            .field("server_url", &self.server_url)
            .field("credentials", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// An account as the CLI and web show it: no secrets.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRecord {
    pub id: AccountId,
    pub name: String,
    pub kind: String,
    pub identity: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub profile_url: Option<String>,
    pub server_url: Option<String>,
    /// The server refused the credentials: the owner must log in again.
    pub needs_login: bool,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_verified: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A source with its health, as the CLI and the web UI show it.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRecord {
    pub id: SourceId,
    pub name: String,
    pub kind: String,
    pub url: String,
    /// The feed's own title and home page, learnt while polling.
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub schedule: Option<String>,
    pub category: Option<String>,
    pub settings: serde_json::Value,
    /// The account the source reads through, if any.
    pub account: Option<AccountId>,
    pub enabled: bool,
    /// Why the source was disabled (HTTP 410, too many failures), shown to the owner.
    pub disabled_reason: Option<String>,
    /// The opaque connector cursor (ETag/Last-Modified for feeds).
    pub cursor: Option<String>,
    pub next_poll: Option<DateTime<Utc>>,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// Consecutive failures since the last success.
    pub error_count: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Items this source has delivered into the timeline (live, not tombstoned).
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
    /// What the last successful poll could not read (entries skipped, content lost), shown
    /// beside the source's health; `None` when everything was read.
    pub last_warning: Option<String>,
    /// The owner paused it: not polled until resumed (unlike `enabled = false`, which Braid
    /// sets after errors).
    pub paused: bool,
}

/// Which sources a page of the sources list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SourceFilter {
    #[default]
    All,
    /// Enabled, and the last poll failed.
    Failing,
    /// Disabled by Braid after errors (or a 410 Gone).
    Disabled,
    /// Paused by the owner.
    Paused,
}

/// The sources list's summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SourceCounts {
    pub total: i64,
    pub failing: i64,
    pub disabled: i64,
    pub paused: i64,
    /// Polled without errors, but the last poll could not read everything.
    pub partial: i64,
}

impl SourceCounts {
    /// Sources the owner should look at: failing, disabled, or read in part.
    pub fn attention(&self) -> i64 {
        self.failing + self.disabled + self.partial
    }
}

/// What to record after a successful poll, committed in the same transaction as its items.
#[derive(Debug, Clone, Default)]
pub struct PollSuccess {
    /// New cursor; `None` keeps the stored one.
    pub cursor: Option<String>,
    pub next_poll: Option<DateTime<Utc>>,
    /// Permanent redirect: store this URL from now on.
    pub new_url: Option<String>,
    pub title: Option<String>,
    pub site_url: Option<String>,
    /// What this poll could not read, or `None` when it read everything. Replaces the stored
    /// warning (a 304 passes the stored one back unchanged).
    pub warning: Option<String>,
}

/// What to record after a failed poll.
#[derive(Debug, Clone)]
pub struct PollFailure {
    /// The one-sentence reason shown to the owner.
    pub message: String,
    pub next_poll: Option<DateTime<Utc>>,
    /// Disable the source with this reason (HTTP 410, too many consecutive failures).
    pub disable: Option<String>,
    /// False for rate limiting: the error is shown but does not count towards disabling.
    pub counts_as_failure: bool,
}

/// Counts from one ingest batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestStats {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Items skipped because they were deleted before (tombstoned).
    pub tombstoned: usize,
    /// Items removed because the source reported them deleted.
    pub deleted: usize,
}

/// An item as stored and shown.
#[derive(Debug, Clone, Serialize)]
pub struct StoredItem {
    pub id: ItemId,
    pub source: SourceId,
    pub source_name: String,
    #[serde(flatten)]
    pub item: Item,
    /// When Braid first saw it.
    pub first_seen: DateTime<Utc>,
    /// The time the timeline is ordered by: `published`, else `updated`, else `first_seen`.
    pub sort_time: DateTime<Utc>,
    /// The connector kind of the item's source (`feed`, `mastodon`, …): its network.
    pub network: String,
    /// Other sources through which the same post (same canonical URL) was seen.
    pub also_in: Vec<String>,
    /// The same post as those other sources hold it: each with its own link.
    pub origins: Vec<Origin>,
    /// The item this one replies to, when the store holds it (same source).
    pub parent: Option<ParentRef>,
}

/// One more place a post was seen: another source's copy of the same canonical URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub source: SourceId,
    pub source_name: String,
    /// The connector kind of that source.
    pub network: String,
    /// That copy's own web page, when it has one.
    pub url: Option<String>,
}

/// What a reply shows of its parent: who wrote it and its first words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParentRef {
    pub id: ItemId,
    pub author: Option<String>,
    /// The parent's title, else the start of its text (at most [`PARENT_EXCERPT_CHARS`]).
    pub excerpt: String,
}

/// Characters of a parent's text shown above its reply.
pub const PARENT_EXCERPT_CHARS: usize = 240;

/// Position for keyset pagination: the `(sort_time, id)` of the last item shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageKey {
    pub sort_time: DateTime<Utc>,
    pub id: ItemId,
}

impl PageKey {
    /// Compact form for URLs: `<unix micros>_<id>`.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.sort_time.timestamp_micros(), self.id.0)
    }

    pub fn decode(s: &str) -> Option<PageKey> {
        let (t, id) = s.split_once('_')?;
        Some(PageKey {
            sort_time: DateTime::from_timestamp_micros(t.parse().ok()?)?,
            id: ItemId(id.parse().ok()?),
        })
    }
}

/// A timeline request: newest first.
#[derive(Debug, Clone, Default)]
pub struct TimelineQuery {
    /// Items strictly older than this key.
    pub before: Option<PageKey>,
    pub limit: usize,
    pub source: Option<SourceId>,
    /// FTS5 search over title, text and author. User input: quoted safely by the store, so
    /// `"foo bar"`, `foo OR bar` and stray punctuation never cause a syntax error.
    pub search: Option<String>,
    /// Only items of sources of this connector kind (`feed`, `mastodon`, …).
    pub network: Option<String>,
    /// Only items in this channel (its id), copies included.
    pub channel: Option<i64>,
    /// Only items with at least one attachment.
    pub has_media: bool,
    /// Only items stored after this one (ids grow as items arrive): the live view's "new
    /// since the page was loaded".
    pub after_id: Option<ItemId>,
    /// Only items anyone may read: public and unlisted ones, never followers-only or direct
    /// (the public pages of the owner and the published channels).
    pub listed_only: bool,
}

/// One page of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelinePage {
    pub items: Vec<StoredItem>,
    /// Key to ask for the next (older) page; `None` at the end.
    pub next: Option<PageKey>,
}

/// Retention rule: keep items newer than `max_age_days` and at most `max_items` per source.
/// `None` means no limit. The owner's own posts and items referenced by a delivery are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub max_age_days: Option<u32>,
    pub max_items: Option<u32>,
}

/// How the read pool has been used since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReaderStats {
    /// Read connections allowed at once (0 for an in-memory store, which reads on its writer).
    pub max: usize,
    /// Read connections opened: never more than `max`, since they are kept.
    pub opened: usize,
    /// Reads that found every connection busy and waited for one.
    pub waited: usize,
}

/// Handle to the store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Arc<conn::Pool>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, sets WAL and runs pending migrations.
    /// A new database file is created owner-only (it holds access tokens); an existing one that
    /// other users can read is opened with a warning.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with_readers(path, conn::DEFAULT_MAX_READERS)
    }

    /// [`Store::open`] with at most `max_readers` read connections (at least one). Reads beyond
    /// that many at once wait for a free connection.
    pub fn open_with_readers(path: &Path, max_readers: usize) -> Result<Store> {
        perms::create_private(path)?;
        let pool = conn::Pool::open(path, max_readers)?;
        perms::check(path);
        Ok(Store {
            pool: Arc::new(pool),
        })
    }

    /// How the read pool has been used since the store was opened (tests, diagnostics).
    pub fn reader_stats(&self) -> ReaderStats {
        self.pool.reader_stats()
    }

    /// The cheapest real read, for health checks: a pooled read connection answers a query
    /// that touches the items table.
    pub async fn ping(&self) -> Result<()> {
        self.read(|c| {
            c.prepare_cached("SELECT 1 FROM items LIMIT 1")?
                .exists([])?;
            Ok(())
        })
        .await
    }

    /// A private in-memory database (tests, benchmarks).
    pub fn open_in_memory() -> Result<Store> {
        Ok(Store {
            pool: Arc::new(conn::Pool::open_in_memory()?),
        })
    }

    // ---- accounts ----
    pub async fn add_account(&self, new: NewAccount) -> Result<AccountId> {
        self.write(move |c| accounts::add(c, &new, Utc::now()))
            .await
    }
    pub async fn account(&self, id: AccountId) -> Result<Option<AccountRecord>> {
        self.read(move |c| accounts::by_id(c, id)).await
    }
    /// By name, else by `user@host`.
    pub async fn find_account(&self, name: &str) -> Result<Option<AccountRecord>> {
        let key = name.to_owned();
        self.read(move |c| accounts::find(c, &key)).await
    }
    pub async fn list_accounts(&self) -> Result<Vec<AccountRecord>> {
        self.read(accounts::list).await
    }
    /// The account's credentials, for the connector that uses them. Never log the result.
    pub async fn account_credentials(&self, id: AccountId) -> Result<Option<serde_json::Value>> {
        self.read(move |c| accounts::credentials(c, id)).await
    }
    /// Stores new credentials after the owner logged in again; clears `needs_login`.
    pub async fn relogin_account(
        &self,
        id: AccountId,
        credentials: serde_json::Value,
    ) -> Result<()> {
        self.write(move |c| accounts::relogin(c, id, &credentials, Utc::now()))
            .await
    }
    /// Records an error seen through the account; `needs_login` marks a refused token.
    pub async fn record_account_error(
        &self,
        id: AccountId,
        message: String,
        needs_login: bool,
    ) -> Result<()> {
        self.write(move |c| accounts::record_error(c, id, &message, needs_login, Utc::now()))
            .await
    }
    /// Removes the account and the sources that read through it (with their items), in one
    /// transaction. Returns how many sources went.
    pub async fn remove_account(&self, id: AccountId) -> Result<usize> {
        self.write(move |c| accounts::remove(c, id)).await
    }

    // ---- sources ----
    pub async fn add_source(&self, new: NewSource) -> Result<SourceId> {
        self.write(move |c| sources::add(c, &new, Utc::now())).await
    }
    pub async fn source(&self, id: SourceId) -> Result<Option<SourceRecord>> {
        self.read(move |c| sources::by_id(c, id)).await
    }
    /// By exact name, else by exact URL.
    pub async fn find_source(&self, name_or_url: &str) -> Result<Option<SourceRecord>> {
        let key = name_or_url.to_owned();
        self.read(move |c| sources::find(c, &key)).await
    }
    /// All sources, by name.
    pub async fn list_sources(&self) -> Result<Vec<SourceRecord>> {
        self.read(sources::list).await
    }
    /// Up to `limit` sources matching `filter`, by name, after the one named `after`.
    pub async fn sources_page(
        &self,
        filter: SourceFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<SourceRecord>> {
        self.read(move |c| source_health::page(c, filter, after.as_deref(), limit))
            .await
    }
    /// How many sources there are, failing, disabled and paused.
    pub async fn source_counts(&self) -> Result<SourceCounts> {
        self.read(source_health::counts).await
    }
    /// Each source's items per UTC day (by when Braid stored them), `days` days from `start`.
    pub async fn items_per_day(
        &self,
        ids: Vec<SourceId>,
        start: DateTime<Utc>,
        days: usize,
    ) -> Result<std::collections::HashMap<SourceId, Vec<u32>>> {
        self.read(move |c| source_health::per_day(c, &ids, start, days))
            .await
    }
    /// Pauses (not polled until resumed) or resumes (due at once) a source.
    pub async fn set_source_paused(&self, id: SourceId, paused: bool) -> Result<()> {
        self.write(move |c| sources::set_paused(c, id, paused))
            .await
    }
    /// Sets a source's cron schedule (`None`: the default) and its next poll.
    pub async fn set_source_schedule(
        &self,
        id: SourceId,
        schedule: Option<String>,
        next_poll: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.write(move |c| sources::set_schedule(c, id, schedule.as_deref(), next_poll))
            .await
    }
    /// A number that changes whenever a source or account is added, removed, or changed in
    /// what its connector is built from, by any process (schema V6 triggers).
    pub async fn change_counter(&self) -> Result<i64> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT counter FROM changes WHERE id = 1")?
                    .query_row([], |r| r.get(0))?,
            )
        })
        .await
    }
    /// The ids of every source (cheap: the daemon sweeps its kept connectors with it).
    pub async fn source_ids(&self) -> Result<Vec<SourceId>> {
        self.read(|c| {
            let ids = c
                .prepare_cached("SELECT id FROM sources")?
                .query_map([], |r| Ok(SourceId(r.get(0)?)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        })
        .await
    }
    /// Removes the source and its items (tombstones go too).
    pub async fn remove_source(&self, id: SourceId) -> Result<()> {
        self.write(move |c| sources::remove(c, id)).await
    }
    /// Enabled sources whose `next_poll` is null or not after `now`, soonest first.
    pub async fn due_sources(&self, now: DateTime<Utc>) -> Result<Vec<SourceRecord>> {
        self.read(move |c| sources::due(c, now)).await
    }
    /// Re-enables a disabled source and clears its error count. Also clears `next_poll`, so the
    /// source is due at once: the owner who re-enables it wants to see whether it works now.
    pub async fn enable_source(&self, id: SourceId) -> Result<()> {
        self.write(move |c| sources::enable(c, id)).await
    }
    pub async fn set_next_poll(&self, id: SourceId, at: DateTime<Utc>) -> Result<()> {
        self.write(move |c| sources::set_next_poll(c, id, at)).await
    }

    // ---- polling ----
    /// Stores a successful poll in one transaction: upserts `items` (sanitized already),
    /// tombstones `deleted`, records the new cursor and metadata, resets the error count.
    ///
    /// `success.next_poll` is stored as given (`None` makes the source due at once);
    /// `cursor`, `new_url`, `title` and `site_url` keep the stored value when `None`.
    pub async fn record_poll_success(
        &self,
        source: SourceId,
        items: Vec<Item>,
        deleted: Vec<braid_core::RemoteId>,
        success: PollSuccess,
    ) -> Result<IngestStats> {
        self.write(move |c| {
            items::record_poll_success(c, source, &items, &deleted, &success, Utc::now())
        })
        .await
    }
    /// Stores what a listener received for `source` (items and deletions), the same way as a
    /// poll's page, without touching the source's polling state (cursor, schedule, errors).
    pub async fn record_push(
        &self,
        source: SourceId,
        items: Vec<Item>,
        deleted: Vec<braid_core::RemoteId>,
    ) -> Result<IngestStats> {
        self.write(move |c| items::record_push(c, source, &items, &deleted, Utc::now()))
            .await
    }
    /// Records a failed poll: keeps the last error with its time, bumps the error count when
    /// it counts, sets the next poll, disables when asked.
    pub async fn record_poll_failure(&self, source: SourceId, failure: PollFailure) -> Result<()> {
        self.write(move |c| sources::record_failure(c, source, &failure, Utc::now()))
            .await
    }

    // ---- outbox ----
    /// Queues a post and its deliveries in one transaction; a key already queued returns that
    /// post and `false`.
    pub async fn enqueue_post(&self, new: NewPost) -> Result<(i64, bool)> {
        self.write(move |c| outbox::enqueue(c, &new, Utc::now()))
            .await
    }
    /// A file of the owner's posts by its token (`/files/TOKEN`): its type and bytes.
    pub async fn own_file(&self, token: String) -> Result<Option<(String, Vec<u8>)>> {
        self.read(move |c| own::file(c, &token)).await
    }
    /// The channels the item of post `post` is in, by name.
    pub async fn channels_of_post(&self, post: i64) -> Result<Vec<String>> {
        self.read(move |c| own::channels_of_post(c, post)).await
    }
    pub async fn post(&self, id: i64) -> Result<Option<PostRecord>> {
        self.read(move |c| outbox::post(c, id)).await
    }
    pub async fn delivery(&self, id: i64) -> Result<Option<DeliveryRecord>> {
        self.read(move |c| outbox::delivery(c, id)).await
    }
    pub async fn deliveries_of_post(&self, post: i64) -> Result<Vec<DeliveryRecord>> {
        self.read(move |c| outbox::of_post(c, post)).await
    }
    /// The newest deliveries first.
    pub async fn list_deliveries(&self, limit: usize) -> Result<Vec<DeliveryRecord>> {
        self.read(move |c| outbox::list(c, limit)).await
    }
    /// Deliveries due now, the oldest open one per target.
    pub async fn due_deliveries(&self, limit: usize) -> Result<Vec<DeliveryRecord>> {
        self.read(move |c| outbox::due(c, Utc::now(), limit)).await
    }
    /// Claims a delivery as it was read; false when another process got it first.
    pub async fn claim_delivery(
        &self,
        seen: DeliveryRecord,
        deadline: DateTime<Utc>,
    ) -> Result<bool> {
        self.write(move |c| outbox::claim(c, &seen, Utc::now(), deadline))
            .await
    }
    pub async fn save_delivery_media(&self, id: i64, refs: serde_json::Value) -> Result<()> {
        self.write(move |c| outbox::save_media(c, id, &refs)).await
    }
    /// Queues an edit or a delete of every copy of `post` (see `outbox::queue_op`).
    pub async fn queue_op(
        &self,
        post: i64,
        op: &'static str,
        payload: Option<serde_json::Value>,
        tag: String,
    ) -> Result<Vec<i64>> {
        self.write(move |c| outbox::queue_op(c, post, op, payload.as_ref(), &tag, Utc::now()))
            .await
    }

    // ---- routes and channels ----

    /// Adds a route that carries items newer than now.
    pub async fn add_route(&self, name: String, spec: serde_json::Value) -> Result<i64> {
        self.write(move |c| routes::add(c, &name, &spec, "cli", Utc::now()))
            .await
    }
    /// Applies a `[[route]]` of the config.
    pub async fn apply_config_route(
        &self,
        name: String,
        spec: serde_json::Value,
    ) -> Result<ConfigApplied> {
        self.write(move |c| routes::apply_config(c, &name, &spec, Utc::now()))
            .await
    }
    pub async fn route(&self, name: String) -> Result<Option<RouteRecord>> {
        self.read(move |c| routes::by_name(c, &name)).await
    }
    pub async fn list_routes(&self) -> Result<Vec<RouteRecord>> {
        self.read(routes::list).await
    }
    pub async fn remove_route(&self, name: String) -> Result<bool> {
        self.write(move |c| routes::remove(c, &name)).await
    }
    /// Pauses, or resumes from now.
    pub async fn set_route_paused(&self, name: String, paused: bool) -> Result<bool> {
        self.write(move |c| routes::set_paused(c, &name, paused, Utc::now()))
            .await
    }
    /// Items stored after `cursor`, oldest first.
    pub async fn items_after(&self, cursor: i64, limit: usize) -> Result<Vec<RouteItem>> {
        self.read(move |c| routes::items_after(c, cursor, limit))
            .await
    }
    /// The newest items of `sources`, newest first.
    pub async fn newest_items(&self, sources: Vec<i64>, limit: usize) -> Result<Vec<RouteItem>> {
        self.read(move |c| routes::newest_items(c, &sources, limit))
            .await
    }
    pub async fn route_item(&self, id: i64) -> Result<Option<RouteItem>> {
        self.read(move |c| routes::item(c, id)).await
    }
    /// The item `route` carried earlier from `source` under one of `fingerprints`.
    pub async fn sent_as(
        &self,
        route: i64,
        source: i64,
        fingerprints: Vec<String>,
    ) -> Result<Option<i64>> {
        self.read(move |c| routes::sent_as(c, route, source, &fingerprints))
            .await
    }
    pub async fn route_last_slot(&self, route: i64, account: i64) -> Result<Option<DateTime<Utc>>> {
        self.read(move |c| routes::last_slot(c, route, account))
            .await
    }
    /// Applies a pass of a route in one transaction; returns the posts queued.
    pub async fn apply_route(
        &self,
        route: i64,
        cursor: i64,
        decisions: Vec<RouteDecision>,
    ) -> Result<Vec<i64>> {
        self.write(move |c| routes::apply(c, route, cursor, &decisions, Utc::now()))
            .await
    }
    pub async fn route_log_line(
        &self,
        route: i64,
        item: Option<i64>,
        target: Option<String>,
        decision: &'static str,
        reason: String,
        post: Option<i64>,
    ) -> Result<()> {
        self.write(move |c| {
            routes::log(
                c,
                route,
                item,
                (target.as_deref(), decision, &reason),
                post,
                Utc::now(),
            )
        })
        .await
    }
    pub async fn route_log(&self, route: i64, limit: usize) -> Result<Vec<RouteLogEntry>> {
        self.read(move |c| routes::log_of(c, route, None, limit))
            .await
    }
    /// A page of a route's log: the newest `limit` lines older than line `before`.
    pub async fn route_log_page(
        &self,
        route: i64,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<RouteLogEntry>> {
        self.read(move |c| routes::log_of(c, route, before, limit))
            .await
    }
    /// Replaces a route's rule (not a configured route's); its cursor stays, so nothing
    /// already weighed is carried again. False when there is no such route to change.
    pub async fn update_route(&self, name: String, spec: serde_json::Value) -> Result<bool> {
        self.write(move |c| routes::update_spec(c, &name, &spec, Utc::now()))
            .await
    }
    /// When the oldest delivery in flight to `account` was claimed, if one is.
    pub async fn in_flight_since(&self, account: i64) -> Result<Option<DateTime<Utc>>> {
        self.read(move |c| routes::in_flight_since(c, account))
            .await
    }
    /// Forgets the parts of a delivery from `from` on (deleted by an edit that shortened it).
    pub async fn forget_parts(&self, delivery: i64, from: i64) -> Result<()> {
        self.write(move |c| outbox::forget_parts(c, delivery, from))
            .await
    }
    pub async fn item_events(&self, after: i64, limit: usize) -> Result<Vec<(i64, i64, String)>> {
        self.read(move |c| routes::item_events(c, after, limit))
            .await
    }
    /// The id of the newest stored item (0 when there is none).
    pub async fn newest_item_id(&self) -> Result<i64> {
        self.read(routes::newest_item).await
    }
    pub async fn has_item_events(&self) -> Result<bool> {
        self.read(routes::has_item_events).await
    }
    pub async fn done_item_events(&self, last: i64) -> Result<()> {
        self.write(move |c| routes::done_item_events(c, last)).await
    }
    pub async fn posts_of_item(&self, item: i64) -> Result<Vec<(i64, Option<i64>)>> {
        self.read(move |c| routes::posts_of_item(c, item)).await
    }
    pub async fn add_channel(&self, new: NewChannel) -> Result<i64> {
        self.write(move |c| routes::add_channel(c, &new, Utc::now()))
            .await
    }
    pub async fn apply_config_channel(&self, new: NewChannel) -> Result<ConfigApplied> {
        self.write(move |c| routes::apply_config_channel(c, &new, Utc::now()))
            .await
    }
    /// The owner's built-in source (their own posts), if it exists yet.
    pub async fn owner_source(&self) -> Result<Option<SourceId>> {
        self.read(own::source_id).await
    }
    pub async fn channel(&self, name: String) -> Result<Option<ChannelRecord>> {
        self.read(move |c| routes::channel_by_name(c, &name)).await
    }
    pub async fn list_channels(&self) -> Result<Vec<ChannelRecord>> {
        self.read(routes::channels).await
    }
    /// Each channel's name and title, without the item counts `list_channels` computes.
    pub async fn channel_names(&self) -> Result<Vec<(String, Option<String>)>> {
        self.read(routes::channel_names).await
    }
    pub async fn remove_channel(&self, name: String) -> Result<bool> {
        self.write(move |c| routes::remove_channel(c, &name)).await
    }
    /// A channel's items, newest first; with `public_only`, its public items only.
    pub async fn channel_item_ids(
        &self,
        channel: i64,
        limit: usize,
        public_only: bool,
    ) -> Result<Vec<i64>> {
        self.read(move |c| routes::channel_item_ids(c, channel, limit, public_only))
            .await
    }
    /// Changes a channel's title, description and audience (not a configured channel's);
    /// false when there is no such channel to change.
    pub async fn update_channel(
        &self,
        name: String,
        title: Option<String>,
        description: Option<String>,
        audience: String,
    ) -> Result<bool> {
        self.write(move |c| {
            routes::update_channel(
                c,
                &name,
                title.as_deref(),
                description.as_deref(),
                &audience,
            )
        })
        .await
    }
    /// Publishes a channel or stops; false when there is no such channel.
    pub async fn set_channel_published(&self, name: String, published: bool) -> Result<bool> {
        self.write(move |c| routes::set_channel_published(c, &name, published))
            .await
    }

    /// Finishes an edit or delete, with a note on what was left as it was.
    pub async fn finish_delivery(&self, id: i64, note: Option<String>) -> Result<()> {
        self.write(move |c| outbox::finish(c, id, note.as_deref(), Utc::now()))
            .await
    }
    /// Records where part `part` landed; `last` finishes the delivery.
    pub async fn land_part(&self, id: i64, part: i64, last: bool, landed: Landed) -> Result<()> {
        self.write(move |c| outbox::land_part(c, id, part, last, &landed, Utc::now()))
            .await
    }
    pub async fn save_fitted(&self, id: i64, fitted: serde_json::Value) -> Result<()> {
        self.write(move |c| outbox::save_fitted(c, id, &fitted))
            .await
    }
    pub async fn delivery_parts(&self, id: i64) -> Result<Vec<Landed>> {
        self.read(move |c| outbox::parts(c, id)).await
    }
    /// The delivery that made the post `remote_id`, if Braid made it.
    pub async fn copy_of(&self, remote_id: String) -> Result<Option<i64>> {
        self.read(move |c| outbox::copy_of(c, &remote_id)).await
    }
    pub async fn delivery_later(
        &self,
        id: i64,
        state: DeliveryState,
        next: DateTime<Utc>,
        error: String,
    ) -> Result<()> {
        self.write(move |c| outbox::later(c, id, state, next, &error, Utc::now()))
            .await
    }
    pub async fn fail_delivery(&self, id: i64, reason: String) -> Result<()> {
        self.write(move |c| outbox::fail(c, id, &reason, Utc::now()))
            .await
    }
    /// Queues a failed or cancelled delivery again; false when it is neither.
    pub async fn retry_delivery(&self, id: i64) -> Result<bool> {
        self.write(move |c| outbox::retry(c, id, Utc::now())).await
    }
    /// Cancels a waiting or failed delivery; false when it is in flight or finished.
    pub async fn cancel_delivery(&self, id: i64) -> Result<bool> {
        self.write(move |c| outbox::cancel(c, id, Utc::now())).await
    }

    // ---- reading ----
    pub async fn timeline(&self, query: TimelineQuery) -> Result<TimelinePage> {
        self.read(move |c| timeline::page(c, &query)).await
    }
    /// Stream events after `cursor`, oldest first (schema V14).
    pub async fn stream_events(&self, cursor: i64, limit: usize) -> Result<Vec<EventRow>> {
        self.read(move |c| publish::events_after(c, cursor, limit))
            .await
    }
    /// Where publishing network `network` stands in the stream events (made at the newest
    /// event the first time).
    pub async fn publish_cursor(&self, network: String) -> Result<i64> {
        // Read first: the pass asks every second, and only a network's first pass writes.
        let name = network.clone();
        if let Some(cursor) = self
            .read(move |c| publish::existing_cursor(c, &name))
            .await?
        {
            return Ok(cursor);
        }
        self.write(move |c| publish::cursor(c, &network)).await
    }
    /// Deletes the stream events every network in `networks` has read.
    pub async fn prune_stream_events(&self, networks: Vec<String>) -> Result<usize> {
        self.write(move |c| publish::prune_events(c, &networks))
            .await
    }
    /// Queues a publishing network's messages, one delivery per recipient, under keys made
    /// from `key`; moves the network's event cursor to `event` in the same transaction.
    pub async fn queue_outgoing(
        &self,
        network: String,
        key: String,
        outgoing: Vec<braid_core::host::Outgoing>,
        event: Option<i64>,
    ) -> Result<usize> {
        self.write(move |c| publish::queue(c, &network, &key, &outgoing, event, Utc::now()))
            .await
    }
    /// Sets whether follows of channel `name` wait for the owner's approval.
    pub async fn set_channel_approve_follows(&self, name: String, approve: bool) -> Result<bool> {
        self.write(move |c| publish::set_approve_follows(c, &name, approve))
            .await
    }
    /// The domains blocked with `braid block`.
    pub async fn blocked_domains(&self) -> Result<Vec<String>> {
        self.read(publish::blocked_domains).await
    }
    /// Blocks `domain` (normalized by the caller); false when it was blocked already.
    pub async fn block_domain(&self, domain: String) -> Result<bool> {
        self.write(move |c| publish::block(c, &domain, Utc::now()))
            .await
    }
    /// Unblocks `domain`; false when it was not blocked.
    pub async fn unblock_domain(&self, domain: String) -> Result<bool> {
        self.write(move |c| publish::unblock(c, &domain)).await
    }
    /// The published channels, as streams.
    pub async fn stream_channels(&self) -> Result<Vec<StreamChannel>> {
        self.read(publish::stream_channels).await
    }
    /// A page of a stream's items, newest first, with the stream's total.
    pub async fn stream_items(
        &self,
        stream: StreamRef,
        before: Option<i64>,
        limit: usize,
    ) -> Result<(publish::StreamItems, u64)> {
        self.read(move |c| publish::stream_items(c, stream, before, limit))
            .await
    }
    /// Item `id` when `stream` holds it.
    pub async fn stream_item(
        &self,
        stream: StreamRef,
        id: ItemId,
    ) -> Result<Option<(StoredItem, DateTime<Utc>)>> {
        self.read(move |c| publish::stream_item(c, stream, id))
            .await
    }
    /// The sources of connector kind `kind`: id, name, URL, settings (JSON text).
    pub async fn sources_of_kind(
        &self,
        kind: String,
    ) -> Result<Vec<(SourceId, String, String, String)>> {
        self.read(move |c| publish::sources_of_kind(c, &kind)).await
    }
    pub async fn item(&self, id: ItemId) -> Result<Option<StoredItem>> {
        self.read(move |c| timeline::item(c, id)).await
    }
    /// The connector kinds that have sources, for the timeline's network filter.
    pub async fn source_kinds(&self) -> Result<Vec<String>> {
        self.read(timeline::source_kinds).await
    }

    // ---- housekeeping ----
    /// Applies `global` to every source, overridden per source by `per_source`. Returns the
    /// number of items removed.
    ///
    /// Removed items are remembered as "pruned" (see `retention.rs`) so a feed that still lists
    /// them does not bring them back on the next poll.
    pub async fn apply_retention(
        &self,
        global: Retention,
        per_source: std::collections::HashMap<SourceId, Retention>,
    ) -> Result<usize> {
        let pool = self.pool.clone();
        // Retention reads through the pool too: its permit keeps the pool's bound.
        let permit = pool.read_permit().await?;
        conn::blocking(move || {
            let _permit = permit;
            retention::apply(&pool, global, &per_source, Utc::now())
        })
        .await
    }

    /// Runs `f` on the writer connection, on the blocking pool.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        conn::blocking(move || pool.with_writer(f)).await
    }

    /// Runs `f` on a read-only connection (the writer for in-memory stores), on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        // Wait for a free connection here, not on a blocking thread (see `conn::Readers`).
        let permit = pool.read_permit().await?;
        conn::blocking(move || {
            let _permit = permit;
            pool.with_reader(f)
        })
        .await
    }
}
