//! Embedded, versioned migrations. `PRAGMA user_version` holds the number of migrations applied;
//! each entry of [`MIGRATIONS`] runs once, in order, in its own transaction. Never edit a
//! released migration: append a new one.

use rusqlite::{Connection, TransactionBehavior};

use super::{Result, StoreError};

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[
    V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15,
];

/// The schema version this build understands.
pub(super) const fn known_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, known_version())
}

/// Applies the migrations up to version `target` (tests build older databases with it).
pub(super) fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = known_version();
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    let wanted = usize::try_from(target).unwrap_or(0);
    if found > 0 && found < target {
        // Some migrations rebuild an index over every item: minutes on a large database.
        tracing::info!(
            from = found,
            to = target,
            "store: upgrading the database schema; a large database can take a few minutes"
        );
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(wanted)
        .skip(found.max(0) as usize)
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        // user_version takes no bound parameter; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}

/// Times are unix microseconds (INTEGER). JSON columns hold serde_json text.
const V1: &str = r#"
CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    url             TEXT NOT NULL UNIQUE,
    schedule        TEXT,
    category        TEXT,
    settings        TEXT NOT NULL DEFAULT '{}',
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    cursor          TEXT,
    title           TEXT,
    site_url        TEXT,
    next_poll       INTEGER,
    last_poll       INTEGER,
    last_success    INTEGER,
    error_count     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_error_at   INTEGER,
    -- Live items, maintained by the items triggers below so listing sources is one scan of
    -- this table rather than a GROUP BY over every item.
    item_count      INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE INDEX sources_due ON sources (next_poll) WHERE enabled = 1;

CREATE TABLE items (
    -- Small, hot columns first: SQLite reads a row's columns in order, and a long body spills
    -- into overflow pages, so anything placed after content_html costs extra page reads.
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    sort_time       INTEGER NOT NULL,
    -- The primary item of this item's cross-source group (same canonical URL, seen earlier
    -- through another source); NULL for a primary. No foreign key: the store re-points a group
    -- before deleting its primary (items.rs `release_groups`).
    dup_of          INTEGER,
    -- The owner's own posts: never removed by retention.
    is_own          INTEGER NOT NULL DEFAULT 0,
    -- Retention hook: set while something (a pending or done delivery in the outbox, a pin)
    -- still needs the row. Retention skips rows with keep <> 0.
    keep            INTEGER NOT NULL DEFAULT 0,
    first_seen      INTEGER NOT NULL,
    published       INTEGER,
    updated         INTEGER,
    -- Hash of the normalized item, to tell a changed entry from a re-fetched one when the origin
    -- gives no `updated` time.
    content_hash    BLOB NOT NULL,
    kind            TEXT NOT NULL,
    visibility      TEXT NOT NULL,
    remote_id       TEXT NOT NULL,
    canonical_url   TEXT,
    url             TEXT,
    author_name     TEXT,
    author_handle   TEXT,
    author_url      TEXT,
    author_avatar   TEXT,
    language        TEXT,
    in_reply_to     TEXT,
    title           TEXT,
    content_warning TEXT,
    summary         TEXT,
    tags            TEXT NOT NULL DEFAULT '[]',
    attachments     TEXT NOT NULL DEFAULT '[]',
    content_text    TEXT,
    content_html    TEXT,
    UNIQUE (source_id, remote_id)
);
-- The merged timeline: keyset scans newest first over primaries only.
CREATE INDEX items_timeline ON items (sort_time, id) WHERE dup_of IS NULL;
-- One source's timeline, and per-source retention.
CREATE INDEX items_source_time ON items (source_id, sort_time, id);
CREATE INDEX items_canonical ON items (canonical_url) WHERE canonical_url IS NOT NULL;
CREATE INDEX items_dups ON items (dup_of) WHERE dup_of IS NOT NULL;
-- Search ranks FTS matches by (sort_time, id). Looking those up in this narrow index (ids are
-- appended in order, ~20 bytes an entry) instead of the wide table rows keeps a search over
-- thousands of matches in memory. See fts.rs.
CREATE INDEX items_search ON items (id, sort_time, dup_of, source_id);

-- (source, remote id) pairs that must never be ingested again. reason = 'deleted' (the origin
-- deleted it) or 'pruned' (retention removed it while the feed may still list it).
CREATE TABLE tombstones (
    source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    remote_id TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (source_id, remote_id)
) WITHOUT ROWID;

-- External-content FTS5: the text lives once, in items; the index is kept in step by triggers.
-- remove_diacritics 2 lets "cafe" find "café".
CREATE VIRTUAL TABLE items_fts USING fts5 (
    title, content_text, author_name,
    content = 'items', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- item_count: inserts only happen in record_poll_success, which adds its count once per poll
-- (a per-row trigger costs a sources update per item); deletes come from several places and
-- keep the trigger.
CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, content_text, author_name)
        VALUES (new.id, new.title, new.content_text, new.author_name);
END;
CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, content_text, author_name)
        VALUES ('delete', old.id, old.title, old.content_text, old.author_name);
    UPDATE sources SET item_count = item_count - 1 WHERE id = old.source_id;
END;
CREATE TRIGGER items_au AFTER UPDATE OF title, content_text, author_name ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, content_text, author_name)
        VALUES ('delete', old.id, old.title, old.content_text, old.author_name);
    INSERT INTO items_fts (rowid, title, content_text, author_name)
        VALUES (new.id, new.title, new.content_text, new.author_name);
END;
"#;

/// Accounts: logins on remote networks (Mastodon-family today). `token` and `client_secret` are
/// secrets: never logged, never served, never shown back (only `AccountRecord`, which has no
/// secret fields, leaves the store).
const V2: &str = r#"
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    instance_url  TEXT NOT NULL,
    server_type   TEXT,
    remote_id     TEXT,
    acct          TEXT,
    display_name  TEXT,
    profile_url   TEXT,
    token         TEXT NOT NULL,
    client_id     TEXT,
    client_secret TEXT,
    needs_login   INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    last_error_at INTEGER,
    last_verified INTEGER,
    created_at    INTEGER NOT NULL,
    UNIQUE (kind, instance_url, remote_id)
);
"#;

/// What a successful poll lost (entries skipped, content that could not be read): shown beside
/// the source's health so a feed never reads as a plain "ok" when something in it was dropped.
/// Replaced by every poll that parsed the document; kept by a 304.
const V3: &str = r#"
ALTER TABLE sources ADD COLUMN last_warning TEXT;
"#;

/// Search in timeline order (issue 6). FTS5 walks matches by rowid, so the index's rowid is now
/// `search_key`, which orders like the timeline: the second of `sort_time` in the high bits, the
/// low 27 bits of the id below (search.rs `search_key` computes the same in Rust; a test keeps
/// them equal). A search reads FTS5's matches newest first and stops after a page instead of
/// listing every match. A virtual column costs no space in the rows; its index finds the item
/// of a key (SQLite never treats an index on a virtual column as covering, so the row is read
/// too: only its first page, where the short columns are).
///
/// Two items share a key only if they share a second of `sort_time` and their ids differ by a
/// multiple of 2^27 (134 million); the index is UNIQUE so that such an insert fails with an
/// error on its source rather than corrupting the full-text index. Seconds are clamped to
/// ±2^35 (about ±1,000 years around 1970; sort_time is never more than a day ahead), which
/// keeps keys within an i64. The price: rowid gaps are larger than between ids, so the
/// full-text index takes ~20 % more space (1.55 → 1.85 GB for the 1M-item benchmark store).
const V4: &str = r#"
DROP TRIGGER items_ai;
DROP TRIGGER items_ad;
DROP TRIGGER items_au;
DROP TABLE items_fts;
DROP INDEX items_search;

ALTER TABLE items ADD COLUMN search_key INTEGER GENERATED ALWAYS AS (
    max(-34359738368, min(34359738367, sort_time / 1000000)) * 134217728 + (id & 134217727)
) VIRTUAL;
CREATE UNIQUE INDEX items_search_key ON items (search_key);

CREATE VIRTUAL TABLE items_fts USING fts5 (
    title, content_text, author_name,
    content = 'items', content_rowid = 'search_key',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO items_fts (items_fts) VALUES ('rebuild');

-- No insert trigger: items.rs indexes a poll's new items in one statement (`index_new`).
-- Through a trigger every INSERT INTO items was a statement of its own for FTS5, which flushes
-- its pending terms at each statement's savepoint: one index segment per item, and the merges
-- that follow were most of the cost of ingest.
CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, content_text, author_name)
        VALUES ('delete', old.search_key, old.title, old.content_text, old.author_name);
    UPDATE sources SET item_count = item_count - 1 WHERE id = old.source_id;
END;
-- sort_time too: it moves the key.
CREATE TRIGGER items_au AFTER UPDATE OF title, content_text, author_name, sort_time ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, content_text, author_name)
        VALUES ('delete', old.search_key, old.title, old.content_text, old.author_name);
    INSERT INTO items_fts (rowid, title, content_text, author_name)
        VALUES (new.search_key, new.title, new.content_text, new.author_name);
END;
"#;

/// Generic accounts (issue 7): one table for every network. The core keeps what it shows and
/// what it acts on (name, kind, display fields, health); how the connector logs in (tokens,
/// server software, OAuth app) is one JSON value, `credentials`, that only the connector's
/// crate reads, a secret like the token before it. `identity` is who the account is on its
/// network, as its connector names it (Mastodon family: the instance URL and the account id),
/// unique per kind so logging in again finds the account. Sources name their account in a real
/// column with a foreign key, instead of `settings.account`.
///
/// The Mastodon-family columns move into `credentials` as that connector's `Credentials` reads
/// them: `{"token", "server_type", "client_id", "client_secret"}`. A source whose settings named
/// an account that no longer exists keeps no link (its polls already failed saying so).
const V5: &str = r#"
CREATE TABLE accounts_v5 (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    identity      TEXT NOT NULL,
    handle        TEXT,
    display_name  TEXT,
    profile_url   TEXT,
    server_url    TEXT,
    credentials   TEXT NOT NULL,
    needs_login   INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    last_error_at INTEGER,
    last_verified INTEGER,
    created_at    INTEGER NOT NULL,
    UNIQUE (kind, identity)
);
INSERT INTO accounts_v5 (id, name, kind, identity, handle, display_name, profile_url, server_url,
                         credentials, needs_login, last_error, last_error_at, last_verified,
                         created_at)
    SELECT id, name, kind, instance_url || '#' || coalesce(remote_id, name), acct, display_name,
           profile_url, instance_url,
           json_object('token', token, 'server_type', server_type, 'client_id', client_id,
                       'client_secret', client_secret),
           needs_login, last_error, last_error_at, last_verified, created_at
    FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_v5 RENAME TO accounts;

ALTER TABLE sources ADD COLUMN account_id INTEGER REFERENCES accounts (id);
UPDATE sources SET account_id = json_extract(settings, '$.account')
    WHERE json_extract(settings, '$.account') IN (SELECT id FROM accounts);
UPDATE sources SET settings = json_remove(settings, '$.account')
    WHERE json_extract(settings, '$.account') IS NOT NULL;
CREATE INDEX sources_account ON sources (account_id) WHERE account_id IS NOT NULL;
"#;

/// V6: each connector's own key/value store (`braid_core::state`): a network's shared state
/// (`scope = 'network'`), an account's (`'account:ID'`) or a source's (`'source:ID'`). The
/// account and source columns only make the rows go with their record (ON DELETE CASCADE); the
/// scope text is the key. Values are JSON text.
///
/// And a change counter, bumped by triggers whenever a source or an account is added, removed,
/// or changed in what its connector is built from. Only a real change counts: a poll writes
/// `url = coalesce(?, url)` every time, and `UPDATE OF` fires on naming a column. A running
/// daemon reads it every couple of seconds to notice what `braid source`/`braid account` did
/// in another process, and rebuilds or drops its kept connectors and mounted listeners.
const V6: &str = r#"
CREATE TABLE connector_state (
    kind       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    source_id  INTEGER REFERENCES sources (id) ON DELETE CASCADE,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, scope, key)
) WITHOUT ROWID;
CREATE INDEX connector_state_account ON connector_state (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX connector_state_source ON connector_state (source_id) WHERE source_id IS NOT NULL;

CREATE TABLE changes (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL
);
INSERT INTO changes (id, counter) VALUES (1, 0);
CREATE TRIGGER sources_added AFTER INSERT ON sources
    BEGIN UPDATE changes SET counter = counter + 1; END;
CREATE TRIGGER sources_removed AFTER DELETE ON sources
    BEGIN UPDATE changes SET counter = counter + 1; END;
CREATE TRIGGER sources_changed AFTER UPDATE OF kind, url, settings, account_id ON sources
    WHEN OLD.kind IS NOT NEW.kind OR OLD.url IS NOT NEW.url OR OLD.settings IS NOT NEW.settings
        OR OLD.account_id IS NOT NEW.account_id
    BEGIN UPDATE changes SET counter = counter + 1; END;
CREATE TRIGGER accounts_added AFTER INSERT ON accounts
    BEGIN UPDATE changes SET counter = counter + 1; END;
CREATE TRIGGER accounts_removed AFTER DELETE ON accounts
    BEGIN UPDATE changes SET counter = counter + 1; END;
CREATE TRIGGER accounts_changed
    AFTER UPDATE OF kind, server_url, credentials, needs_login ON accounts
    WHEN OLD.kind IS NOT NEW.kind OR OLD.server_url IS NOT NEW.server_url
        OR OLD.credentials IS NOT NEW.credentials OR OLD.needs_login IS NOT NEW.needs_login
    BEGIN UPDATE changes SET counter = counter + 1; END;
"#;

/// V7: the outbox. A post (what the owner composed, with its idempotency key and files) fans
/// out into one delivery per target, each moving `pending` → `in_flight` (claimed in a
/// committed transaction before the send) → `done` (with where it landed) or `failed` (with
/// why), or `cancelled`. A delivery keeps the media refs it uploaded, so a retry never uploads
/// again, and `last_sent_at`, when its previous attempt went out (for reconciling).
const V7: &str = r#"
CREATE TABLE posts (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    draft      TEXT NOT NULL,
    not_before INTEGER,
    created_at INTEGER NOT NULL
);
CREATE TABLE post_media (
    post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    alt        TEXT,
    bytes      BLOB NOT NULL,
    PRIMARY KEY (post_id, position)
) WITHOUT ROWID;
CREATE TABLE deliveries (
    id            INTEGER PRIMARY KEY,
    post_id       INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    target        TEXT NOT NULL,
    key           TEXT NOT NULL UNIQUE,
    state         TEXT NOT NULL
                  CHECK (state IN ('pending', 'in_flight', 'done', 'failed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  INTEGER NOT NULL,
    claimed_at    INTEGER,
    last_sent_at  INTEGER,
    media         TEXT,
    remote_id     TEXT,
    local_id      TEXT,
    url           TEXT,
    reply_ref     TEXT,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX deliveries_open ON deliveries (account_id, id)
    WHERE state IN ('pending', 'in_flight');
CREATE INDEX deliveries_post ON deliveries (post_id);
"#;

/// V8: the bridge (issue 8).
///
/// - A delivery is **fitted** once, before its first send (`fitted`: the parts of a thread or
///   the truncated text, the files kept, and warnings), and each part that landed is a row of
///   `delivery_parts`, so a thread resumes at its next part after a crash and a copy read back
///   from a target is recognised by its remote id (loop prevention).
/// - An **edit** or **delete** of something delivered is a delivery too (`op`), ordered with
///   the others to its target, naming the delivery it acts on (`of_delivery`); an edit carries
///   its new draft (`payload`).
/// - A post made by a **route** names the route and the item it carries (`route_id`,
///   `item_id`); `options` says how to fit it (thread or truncate, numbering, a link back).
/// - **Channels** are Braid-hosted targets; `channel_items` is what routes put in each.
/// - **Routes** hold their rule as JSON (`spec`), a `cursor` (the last item id considered), and
///   `since` (items older than this are never carried: adding or resuming a route does not
///   flood). `route_sent` holds each carried entry's fingerprints (its id, its link, its text)
///   per route and source, so an entry that comes back re-dated or under a new id is known;
///   `route_log` says what each route sent and skipped, and why.
/// - `item_events`: a routed item that changed or was deleted at its origin, for the routes
///   that carry edits and deletes to the copies. Filled by triggers, so every path that
///   updates or tombstones an item is covered.
const V8: &str = r#"
ALTER TABLE posts ADD COLUMN route_id INTEGER;
ALTER TABLE posts ADD COLUMN item_id INTEGER;
ALTER TABLE posts ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
CREATE INDEX posts_item ON posts (item_id) WHERE item_id IS NOT NULL;

ALTER TABLE deliveries ADD COLUMN fitted TEXT;
ALTER TABLE deliveries ADD COLUMN op TEXT NOT NULL DEFAULT 'create'
    CHECK (op IN ('create', 'edit', 'delete'));
ALTER TABLE deliveries ADD COLUMN of_delivery INTEGER REFERENCES deliveries (id);
ALTER TABLE deliveries ADD COLUMN payload TEXT;

CREATE TABLE delivery_parts (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    part        INTEGER NOT NULL,
    remote_id   TEXT NOT NULL,
    local_id    TEXT,
    url         TEXT,
    reply_ref   TEXT,
    PRIMARY KEY (delivery_id, part)
) WITHOUT ROWID;
CREATE INDEX delivery_parts_remote ON delivery_parts (remote_id);
INSERT INTO delivery_parts (delivery_id, part, remote_id, local_id, url, reply_ref)
    SELECT id, 0, remote_id, local_id, url, reply_ref FROM deliveries
    WHERE state = 'done' AND remote_id IS NOT NULL;

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    title       TEXT,
    description TEXT,
    audience    TEXT NOT NULL DEFAULT 'public'
                CHECK (audience IN ('public', 'unlisted', 'followers_only')),
    origin      TEXT NOT NULL DEFAULT 'cli',
    created_at  INTEGER NOT NULL
);
CREATE TABLE channel_items (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    item_id    INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    route_id   INTEGER,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (channel_id, item_id)
) WITHOUT ROWID;
CREATE INDEX channel_items_time ON channel_items (channel_id, added_at);
CREATE INDEX channel_items_item ON channel_items (item_id);

CREATE TABLE routes (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    spec       TEXT NOT NULL,
    paused     INTEGER NOT NULL DEFAULT 0,
    origin     TEXT NOT NULL DEFAULT 'cli',
    since      INTEGER NOT NULL,
    cursor     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE route_sent (
    route_id    INTEGER NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    source_id   INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    item_id     INTEGER NOT NULL,
    PRIMARY KEY (route_id, source_id, fingerprint)
) WITHOUT ROWID;
CREATE TABLE route_log (
    id       INTEGER PRIMARY KEY,
    route_id INTEGER NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    item_id  INTEGER,
    target   TEXT,
    decision TEXT NOT NULL,
    reason   TEXT NOT NULL,
    post_id  INTEGER,
    at       INTEGER NOT NULL
);
CREATE INDEX route_log_route ON route_log (route_id, id);

CREATE TABLE item_events (
    id      INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('updated', 'deleted')),
    at      INTEGER NOT NULL
);
CREATE TRIGGER routed_item_updated AFTER UPDATE OF content_hash ON items
    WHEN OLD.content_hash IS NOT NEW.content_hash
        AND EXISTS (SELECT 1 FROM posts WHERE item_id = NEW.id)
    BEGIN
        INSERT INTO item_events (item_id, kind, at) VALUES (NEW.id, 'updated', CAST(unixepoch('subsec') * 1000000 AS INTEGER));
    END;
CREATE TRIGGER routed_item_deleted AFTER INSERT ON tombstones
    WHEN NEW.reason = 'deleted'
    BEGIN
        INSERT INTO item_events (item_id, kind, at)
            SELECT i.id, 'deleted', NEW.at FROM items AS i
            WHERE i.source_id = NEW.source_id AND i.remote_id = NEW.remote_id
                AND EXISTS (SELECT 1 FROM posts WHERE item_id = i.id);
    END;
"#;

/// V9: delivery **lanes**. Deliveries keep their order per lane, not per account: today a lane
/// is an account (`account:ID`); the ActivityPub connector's deliveries to followers' inboxes
/// will each have an inbox's lane (a shared inbox once), so one post fans out to thousands of
/// inboxes as thousands of independent lanes. `lanes` lists the lanes that have open
/// deliveries (kept by triggers), so finding what is due costs one index probe per busy lane,
/// whatever the backlog behind each head.
const V9: &str = r#"
ALTER TABLE deliveries ADD COLUMN lane TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET lane = 'account:' || coalesce(account_id, 'gone-' || id);
DROP INDEX deliveries_open;
CREATE INDEX deliveries_lane ON deliveries (lane, id) WHERE state IN ('pending', 'in_flight');
CREATE TABLE lanes (lane TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT OR IGNORE INTO lanes (lane)
    SELECT lane FROM deliveries WHERE state IN ('pending', 'in_flight');
CREATE TRIGGER deliveries_lane_opened AFTER INSERT ON deliveries
    WHEN NEW.state IN ('pending', 'in_flight')
    BEGIN INSERT OR IGNORE INTO lanes (lane) VALUES (NEW.lane); END;
CREATE TRIGGER deliveries_lane_reopened AFTER UPDATE OF state ON deliveries
    WHEN NEW.state IN ('pending', 'in_flight')
    BEGIN INSERT OR IGNORE INTO lanes (lane) VALUES (NEW.lane); END;
CREATE TRIGGER deliveries_lane_closed AFTER UPDATE OF state ON deliveries
    WHEN NEW.state NOT IN ('pending', 'in_flight')
    BEGIN
        DELETE FROM lanes WHERE lane = NEW.lane AND NOT EXISTS (
            SELECT 1 FROM deliveries
            WHERE lane = NEW.lane AND state IN ('pending', 'in_flight'));
    END;
CREATE TRIGGER deliveries_lane_deleted AFTER DELETE ON deliveries
    BEGIN
        DELETE FROM lanes WHERE lane = OLD.lane AND NOT EXISTS (
            SELECT 1 FROM deliveries
            WHERE lane = OLD.lane AND state IN ('pending', 'in_flight'));
    END;
"#;

/// V10: the owner (issue 9). One owner, whose password is an Argon2id PHC string; the browser
/// sessions, API tokens and served feeds' tokens, each stored as the SHA-256 of a random
/// token (see `crate::auth`), never the token itself; a channel may be `published`: its public
/// items served without a token; `web_secrets` holds keys the server signs with (the media
/// proxy's URLs), made once from the OS's random source.
const V10: &str = r#"
CREATE TABLE owner (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    password_hash TEXT NOT NULL,
    changed_at    INTEGER NOT NULL
);
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    address    TEXT,
    user_agent TEXT
) WITHOUT ROWID;
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
-- A feed token opens one feed: the merged timeline (channel_id NULL) or one channel's.
CREATE TABLE feed_tokens (
    id         INTEGER PRIMARY KEY,
    channel_id INTEGER REFERENCES channels (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE UNIQUE INDEX feed_tokens_name ON feed_tokens (coalesce(channel_id, 0), name);
CREATE TABLE web_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
ALTER TABLE channels ADD COLUMN published INTEGER NOT NULL DEFAULT 0;
"#;

/// V11: the sources page (issue 9). `paused`: the owner stopped polling a source on purpose
/// (`enabled = 0` stays what Braid did after errors, with its reason), so the two read apart
/// and resuming one never hides the other. `items_source_seen`: the page's chart counts a
/// source's items per day of `first_seen` over the last 30 days; without it that count reads
/// every item the page's sources ever stored (`items_source_time` orders by `sort_time`, the
/// published time, which a backfill of old entries puts outside any recent window).
const V11: &str = r#"
ALTER TABLE sources ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
CREATE INDEX items_source_seen ON items (source_id, first_seen);
"#;

/// V12: the timeline page (issue 9). `card`: the origin's preview of the page an item links
/// to (`LinkCard` as JSON), NULL for none; last in the row, after the bodies: only pages that
/// show an item read it. `items_media`: the "with media" filter walks the items that have
/// files in timeline order, instead of the whole timeline when few have one.
const V12: &str = r#"
ALTER TABLE items ADD COLUMN card TEXT;
CREATE INDEX items_media ON items (sort_time, id) WHERE dup_of IS NULL AND attachments <> '[]';
"#;

/// V13: composing into channels (issue 9). A post the owner composes into channels is also an
/// item of Braid's own (in the built-in "owner's posts" source, `kind = 'owner'`, made when
/// first needed; see `own.rs`), and its files are served to feed readers at
/// `/files/TOKEN`: `token` is 128 random bits, so a file's address is as hard to guess as a
/// feed token, and only files of such posts have one.
const V13: &str = r#"
ALTER TABLE post_media ADD COLUMN token TEXT;
CREATE UNIQUE INDEX post_media_token ON post_media (token) WHERE token IS NOT NULL;
"#;

/// V14: Braid's own streams published to a network that hosts them (issue 10: ActivityPub).
///
/// - `stream_events`: each item put in a stream (a channel, or the owner's own posts), changed
///   or deleted there, in order. Filled by triggers, so every path that adds, edits or
///   tombstones such an item is covered in its own transaction; a publishing network reads
///   them after its cursor (`publish_cursors`) and turns each into deliveries, cursor and
///   deliveries in one transaction. Events every network has read are pruned; ids are
///   AUTOINCREMENT, never reused after a prune, so a cursor and a delivery key always mean
///   one event.
/// - A delivery may go to a network's **recipient** (a follower's inbox) instead of an
///   account: `network` is the publishing network's kind and `recipient` its address, which
///   only that network reads; `account_id` is NULL.
/// - `channels.approve_follows`: follow requests wait for the owner.
const V14: &str = r#"
CREATE TABLE stream_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    stream  TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('added', 'updated', 'deleted')),
    at      INTEGER NOT NULL
);
CREATE TABLE publish_cursors (
    network TEXT PRIMARY KEY,
    cursor  INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE deliveries ADD COLUMN network TEXT;
ALTER TABLE deliveries ADD COLUMN recipient TEXT;
ALTER TABLE channels ADD COLUMN approve_follows INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER stream_channel_added AFTER INSERT ON channel_items
    BEGIN
        INSERT INTO stream_events (stream, item_id, kind, at)
            VALUES ('channel:' || NEW.channel_id, NEW.item_id, 'added', NEW.added_at);
    END;
CREATE TRIGGER stream_own_added AFTER INSERT ON items
    WHEN NEW.is_own
    BEGIN
        INSERT INTO stream_events (stream, item_id, kind, at)
            VALUES ('owner', NEW.id, 'added', NEW.first_seen);
    END;
CREATE TRIGGER stream_item_updated AFTER UPDATE OF content_hash ON items
    WHEN OLD.content_hash IS NOT NEW.content_hash
    BEGIN
        INSERT INTO stream_events (stream, item_id, kind, at)
            SELECT 'channel:' || channel_id, NEW.id, 'updated',
                   CAST(unixepoch('subsec') * 1000000 AS INTEGER)
            FROM channel_items WHERE item_id = NEW.id;
        INSERT INTO stream_events (stream, item_id, kind, at)
            SELECT 'owner', NEW.id, 'updated', CAST(unixepoch('subsec') * 1000000 AS INTEGER)
            WHERE NEW.is_own;
    END;
CREATE TRIGGER stream_item_deleted AFTER INSERT ON tombstones
    WHEN NEW.reason = 'deleted'
    BEGIN
        INSERT INTO stream_events (stream, item_id, kind, at)
            SELECT 'channel:' || ci.channel_id, i.id, 'deleted', NEW.at
            FROM items AS i JOIN channel_items AS ci ON ci.item_id = i.id
            WHERE i.source_id = NEW.source_id AND i.remote_id = NEW.remote_id;
        INSERT INTO stream_events (stream, item_id, kind, at)
            SELECT 'owner', i.id, 'deleted', NEW.at FROM items AS i
            WHERE i.source_id = NEW.source_id AND i.remote_id = NEW.remote_id AND i.is_own;
    END;
"#;

/// V15: domains the owner blocked with `braid block` (besides `fetch.blocked_domains` in the
/// config): nothing is fetched from them or delivered to them, and their inbox deliveries are
/// refused. A change moves the change counter, so a running daemon applies it within seconds.
const V15: &str = r#"
CREATE TABLE blocked_domains (
    domain     TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER blocked_domains_added AFTER INSERT ON blocked_domains
    BEGIN UPDATE changes SET counter = counter + 1; END;
CREATE TRIGGER blocked_domains_removed AFTER DELETE ON blocked_domains
    BEGIN UPDATE changes SET counter = counter + 1; END;
"#;
