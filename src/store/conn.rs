//! Connections: one writer behind a mutex, a small pool of read-only connections, and the bridge
//! to tokio's blocking pool.
//!
//! WAL lets readers see the last committed state while the writer writes, so reads never wait
//! for a poll's transaction. An in-memory database cannot be shared that way (shared-cache
//! in-memory databases use table locks, not WAL, and readers would get `SQLITE_LOCKED`), so an
//! in-memory store uses its single connection for both roles.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{schema, ReaderStats, Result, StoreError};

/// How long a statement waits for a lock before failing with `SQLITE_BUSY`. Only checkpoints and
/// a second process could hold one: within the process there is one writer.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections open at most. Reads are short and CPU-bound (the file is memory-mapped), so
/// more connections than a few per core only queue on the CPU; a few more than the cores keep
/// one slow read (a search) from holding up the quick ones behind it.
pub(super) const DEFAULT_MAX_READERS: usize = 8;

pub(super) struct Pool {
    writer: Mutex<Connection>,
    /// `None` for an in-memory store: the writer serves reads too.
    readers: Option<Readers>,
}

/// A bounded pool: at most `max` connections, opened on first need and kept for the life of
/// the store (with their prepared-statement caches, which are most of a reader's worth).
///
/// Opening a connection costs far more than a read (the schema is parsed, the file mapped), and
/// under load an unbounded pool opened one per request beyond its idle ones and closed it after
/// use: 50 concurrent clients got under a third of the throughput 8 got (issue 6). So a read
/// that finds no free connection waits for one instead.
struct Readers {
    path: PathBuf,
    max: usize,
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection that may exist, taken on the async side *before* the read is
    /// handed to tokio's blocking pool: waiting reads queue here (fairly, first come first
    /// served) without occupying a blocking thread, and at most `max` blocking threads run
    /// reads at once, so writes and other blocking work always find a thread.
    permits: Arc<Semaphore>,
    opened: AtomicUsize,
    waited: AtomicUsize,
}

/// The right to use one read connection; see [`Pool::read_permit`].
pub(super) struct ReadPermit {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Pool {
    pub(super) fn open(path: &Path, max_readers: usize) -> Result<Pool> {
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
        let max = max_readers.max(1);
        Ok(Pool {
            writer: Mutex::new(writer),
            readers: Some(Readers {
                path: path.to_owned(),
                max,
                idle: Mutex::new(Vec::with_capacity(max)),
                permits: Arc::new(Semaphore::new(max)),
                opened: AtomicUsize::new(0),
                waited: AtomicUsize::new(0),
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

    /// Waits (asynchronously) until a read connection is free. Take it before `spawn_blocking`
    /// and move it into the blocking closure, so it is released when the read is done, even
    /// when the request that asked for it went away meanwhile.
    pub(super) async fn read_permit(&self) -> Result<ReadPermit> {
        let Some(readers) = &self.readers else {
            return Ok(ReadPermit { _permit: None });
        };
        let permit = match readers.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                readers.waited.fetch_add(1, Ordering::Relaxed);
                readers
                    .permits
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| StoreError::Other("the read pool is closed".to_owned()))?
            }
        };
        Ok(ReadPermit {
            _permit: Some(permit),
        })
    }

    /// Runs `f` on a read connection. The caller must hold a [`ReadPermit`] (`Store::read` and
    /// `Store::apply_retention` do): permits are what bound how many connections exist, since
    /// each holder uses at most one and gives it back.
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
            None => {
                let conn = open_reader(&readers.path)?;
                readers.opened.fetch_add(1, Ordering::Relaxed);
                conn
            }
        };
        let out = f(&conn);
        readers
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        out
    }

    pub(super) fn reader_stats(&self) -> ReaderStats {
        match &self.readers {
            Some(r) => ReaderStats {
                max: r.max,
                opened: r.opened.load(Ordering::Relaxed),
                waited: r.waited.load(Ordering::Relaxed),
            },
            None => ReaderStats::default(),
        }
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
    stable_plans(&conn)?;
    conn.set_prepared_statement_cache_capacity(32);
    // Timeline pages read a few dozen rows scattered over the file. Memory-mapped reads skip a
    // pread and a copy per page; the OS page cache is shared by all readers, where SQLite's own
    // cache would be per connection.
    conn.execute_batch("PRAGMA mmap_size = 1073741824")?;
    Ok(conn)
}

/// Compiles each cached statement once. SQLite's planner otherwise reads some bound values
/// (since 3.47 a `LIMIT ?`, with STAT4 any range bound) and marks the statement to be compiled
/// again whenever such a parameter is bound, which is every execution: a timeline page spent
/// 40% of its time in the SQL parser (issue 6). With the query planner stability guarantee the
/// plan depends on the SQL alone; our queries name their indexes' conditions literally, so
/// they lose nothing by it.
fn stable_plans(conn: &Connection) -> Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Pragmas for the writer (and the in-memory connection).
fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    stable_plans(conn)?;
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
