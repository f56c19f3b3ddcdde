//! Connections: one writer behind a mutex, a small pool of read-only connections, and the bridge
//! to tokio's blocking pool.
//!
//! WAL lets readers see the last committed state while the writer writes, so reads never wait
//! for a poll's transaction. An in-memory database cannot be shared that way (shared-cache
//! in-memory databases use table locks, not WAL, and readers would get `SQLITE_LOCKED`), so an
//! in-memory store uses its single connection for both roles.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use super::{schema, Result, StoreError};

/// How long a statement waits for a lock before failing with `SQLITE_BUSY`. Only checkpoints and
/// a second process could hold one: within the process there is one writer.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle read connections kept open; more are opened under load and closed after use.
const MAX_IDLE_READERS: usize = 8;

pub(super) struct Pool {
    writer: Mutex<Connection>,
    /// `None` for an in-memory store: the writer serves reads too.
    readers: Option<Readers>,
}

struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    pub(super) fn open(path: &Path) -> Result<Pool> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut writer = Connection::open(path).map_err(open_err)?;
        // journal_mode answers with a row, so it is read, not executed.
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open {
                path: path.display().to_string(),
                message: format!("could not switch to WAL (journal_mode is {mode})"),
            });
        }
        configure(&writer)?;
        schema::migrate(&mut writer)?;
        Ok(Pool {
            writer: Mutex::new(writer),
            readers: Some(Readers {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    pub(super) fn open_in_memory() -> Result<Pool> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        schema::migrate(&mut conn)?;
        Ok(Pool {
            writer: Mutex::new(conn),
            readers: None,
        })
    }

    /// Runs `f` with the writer. Blocks the calling (blocking-pool) thread while another write
    /// runs: that is the single-writer rule, enforced here rather than by `SQLITE_BUSY`.
    pub(super) fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // A panic while holding the lock drops any open `Transaction`, which rolls back, so the
        // connection is still consistent and the poison can be ignored.
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn)
    }

    pub(super) fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let Some(readers) = &self.readers else {
            let conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            return f(&conn);
        };
        let pooled = readers
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_reader(&readers.path)?,
        };
        let out = f(&conn);
        let mut idle = readers.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_READERS {
            // Kept with its prepared-statement cache, which is most of a reader's worth.
            idle.push(conn);
        }
        out
    }
}

fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Open {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(32);
    // Timeline pages read a few dozen rows scattered over the file. Memory-mapped reads skip a
    // pread and a copy per page; the OS page cache is shared by all readers, where SQLite's own
    // cache would be per connection.
    conn.execute_batch("PRAGMA mmap_size = 1073741824")?;
    Ok(conn)
}

/// Pragmas for the writer (and the in-memory connection).
fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // NORMAL is durable across application crashes in WAL mode; only a power loss can roll back
    // the last transactions, which a poller re-fetches anyway (sqlite.org/pragma.html#pragma_synchronous).
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         -- Ids about to be deleted (tombstones, retention, source removal), so their
         -- cross-source groups can be handed to a surviving member first.
         CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY);",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Runs blocking SQLite work on tokio's blocking pool so async workers never wait on disk.
pub(super) async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Other(format!("blocking task failed: {e}")))?
}

pub(super) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Our own columns only ever hold values written by [`micros`], so the fallback is unreachable
/// in practice; it avoids a panic path on a hand-edited database.
pub(super) fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

pub(super) fn opt_time(us: Option<i64>) -> Option<DateTime<Utc>> {
    us.map(from_micros)
}
