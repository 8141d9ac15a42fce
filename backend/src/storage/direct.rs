//! SQLite's statements of every request — the session, counting an attempt, the state
//! compare-and-set, the code budget, the audit row — run with rusqlite on connections the
//! server holds: the reads on the calling thread, the writes on one writer thread that commits
//! the waiting requests' writes together (`writer.rs`).
//!
//! # Why not sqlx for these
//! sqlx's SQLite driver runs each connection on a worker thread of its own and sends every
//! statement there and its answer back: two thread wake-ups per statement, six statements per
//! resync. Measured on the resync benchmark (`backend/examples/load/`, 8 clients, 2 cores,
//! `perf record`): 50 % of the server's CPU was the kernel, a third of it switching threads
//! (`finish_task_switch`, futex wake-ups from sqlx's `flume` channels), and SQLite's busy
//! handler slept (`clock_nanosleep`, ~6 per resync under `strace`) while eight pooled
//! connections took turns at the write lock. Here every statement comes from rusqlite's
//! prepared-statement cache, and a request's work is one closure: the session's statement
//! runs where the request is, on one of two reading connections ([`Direct::read`]; WAL lets
//! them read while the writer writes); a request's writes (two hops a resync: the count, then
//! the compare-and-set with its audit row) go to the writer thread ([`Direct::run`]).
//!
//! # Measured on the way (issue 13 note)
//! One connection behind a mutex taken on the runtime threads: `perf` of the scheduler's
//! switches showed 40 % of their sleeps on that mutex, a core idle meanwhile. Reads on their
//! own connections: ~+4 %. Waiting for the mutex without the thread — tokio's mutex (its fair
//! hand-off gives the connection to a task that may not run for a window scan's time: ~20 %
//! fewer resyncs), async-lock's, yielding until free (p99 9–10 ms: some requests passed over
//! again and again) — was worse. The writer thread with group commit: +10 % resyncs a second,
//! p99 6.1–6.7 → 5.1–5.5 ms, 385–424 → 365–368 µs a resync.
//!
//! A reader never waits inside SQLite (`busy_timeout` 0; readers are refused busy only while
//! the WAL restarts): a busy answer yields the runtime thread for [`BUSY_RETRY`] and tries
//! again, for up to [`BUSY_LIMIT`]. The writer thread, which is no runtime thread, waits for
//! the lock another connection holds (the pool's, the checkpointer's), trying again every
//! 50 µs (`writer.rs`).
//!
//! Durability is the pool's: WAL with `synchronous = NORMAL`. A committed transaction survives
//! the process being killed (it is in the WAL file, in the kernel's hands); a power loss or an
//! OS crash may take the transactions committed since the last checkpoint synced the WAL —
//! the checkpointer (`checkpoint.rs`) runs at least every second — and never corrupts the
//! file. `synchronous = FULL` would sync the WAL at every commit, three per resync.
//! PostgreSQL keeps sqlx: its statements cross a socket either way.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use sqlx::error::{DatabaseError, ErrorKind};

use super::checkpoint::Checkpointer;
use super::writer::{BUSY_LIMIT, Writer, is_busy};

/// The pause between tries at a lock that was busy.
const BUSY_RETRY: Duration = Duration::from_millis(1);
/// Prepared statements kept (rusqlite's default is 16; the hot ones are about a dozen, with
/// the sign-in's and the list's).
const STATEMENT_CACHE: usize = 64;

/// The server's own SQLite connection for the statements of every request.
pub(crate) struct Direct {
    /// The thread that owns the connection that writes and commits requests' writes together
    /// (`writer.rs`).
    writer: Writer,
    /// The database file, for the checkpoint at close.
    path: PathBuf,
    /// Connections that only read: the session's statement of every request runs here, so it
    /// never waits behind another request's writes (WAL lets readers and the writer run side
    /// by side). Two: one per runtime thread of the two-core machines measured on; a third
    /// reader at the same moment waits for the first.
    readers: [Mutex<Connection>; 2],
    /// Checkpoints the WAL off the request path (`checkpoint.rs`).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests"))]
    checkpointer: Checkpointer,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Direct")
    }
}

impl Direct {
    /// Opens the (already migrated) SQLite file with the pool's settings: the writer, the
    /// readers, and the checkpointer's connection.
    pub(crate) fn open(path: &Path) -> Result<Direct, sqlx::Error> {
        let mut writer = connection(path)?;
        // Replaces the hook the `wal_autocheckpoint` pragma set.
        let checkpointer = Checkpointer::start(path).map_err(into_sqlx)?;
        writer
            .wal_hook(Some(checkpointer.hook()))
            .map_err(into_sqlx)?;
        let reader = || -> Result<Mutex<Connection>, sqlx::Error> {
            let conn = connection(path)?;
            conn.execute_batch("PRAGMA query_only = ON;")
                .map_err(into_sqlx)?;
            Ok(Mutex::new(conn))
        };
        let readers = [reader()?, reader()?];
        Ok(Direct {
            writer: Writer::start(writer).map_err(sqlx::Error::Io)?,
            path: path.to_owned(),
            readers,
            checkpointer,
        })
    }

    /// Runs `work` on the writing connection, in the writer thread's next batch, and answers
    /// once that batch is committed (`writer.rs`): `work`'s changes are kept if it returns
    /// `Ok`, taken back if it returns an error.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.writer.run(work).await.map_err(into_sqlx)
    }

    /// Runs `work`, which only reads, on a reading connection: reads never wait behind the
    /// writes of other requests (WAL lets them run side by side). When SQLite answers busy
    /// (rare for a reader: the WAL being restarted), the runtime gets the thread for
    /// [`BUSY_RETRY`] and `work` runs again, for up to [`BUSY_LIMIT`].
    pub(crate) async fn read<T>(
        &self,
        mut work: impl FnMut(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, sqlx::Error> {
        let connections = &self.readers;
        let start = Instant::now();
        loop {
            // A free reader, or (every one taken) the first, waited for: a read takes
            // microseconds (the module's doc says why not an async wait). The guard lives in
            // this block only, never across an `await`.
            let done = {
                let conn = connections
                    .iter()
                    .find_map(|c| match c.try_lock() {
                        Ok(conn) => Some(conn),
                        Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
                        Err(TryLockError::WouldBlock) => None,
                    })
                    .unwrap_or_else(|| {
                        connections[0]
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                    });
                if !conn.is_autocommit() {
                    // Left open by a `work` that panicked (the lock was poisoned).
                    let _ = conn.execute_batch("ROLLBACK");
                }
                let done = work(&conn);
                if !conn.is_autocommit() {
                    // A transaction `work` began and did not finish (its error came first).
                    let _ = conn.execute_batch("ROLLBACK");
                }
                done
            };
            match done {
                Err(e) if is_busy(&e) && start.elapsed() < BUSY_LIMIT => {
                    tokio::time::sleep(BUSY_RETRY).await;
                }
                done => return done.map_err(into_sqlx),
            }
        }
    }

    /// The background checkpointer.
    #[cfg(test)]
    pub(crate) fn checkpointer(&self) -> &Checkpointer {
        &self.checkpointer
    }

    /// Checkpoints the WAL into the database file (at close, as sqlx's pool does).
    pub(crate) fn checkpoint(&self) {
        // On a connection of its own (the writer's is its thread's); waiting for the
        // background checkpointer, if at work, rather than failing busy.
        let done = connection(&self.path).and_then(|conn| {
            conn.busy_timeout(BUSY_LIMIT).map_err(into_sqlx)?;
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .map_err(into_sqlx)
        });
        if let Err(e) = done {
            tracing::debug!(error = %e, "checkpoint at close");
        }
    }
}

/// A connection to the (migrated) database with the pool's settings, SQLite's automatic
/// checkpoint off (`checkpoint.rs`) and the planner's stability guarantee on.
fn connection(path: &Path) -> Result<Connection, sqlx::Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(into_sqlx)?;
    conn.busy_timeout(Duration::ZERO).map_err(into_sqlx)?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;",
    )
    .map_err(into_sqlx)?;
    // The query planner stability guarantee: a cached statement keeps its plan. Without it
    // SQLite (built with STAT4) marks statements whose plan a bound value might change and
    // compiles them again on every new binding — the session's join was recompiled on each
    // request (`sqlite3Reprepare` under `sqlite3_step` in `perf`).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(into_sqlx)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// A rusqlite error as the rest of the server sees every database error: a `sqlx::Error`, with
/// SQLite's extended result code as its code, exactly as sqlx's SQLite driver reports it (so
/// unique violations and the other constraints are told apart the same way) — except the codes
/// that say the file cannot take a write now (a full disk, a read-only file, an I/O error, a
/// lock held too long: [`crate::error::sqlite_unavailable`]), which become `sqlx::Error::Io`,
/// the database away, answered 503 with `Retry-After` like sqlx's own errors with those codes.
pub(crate) fn into_sqlx(error: rusqlite::Error) -> sqlx::Error {
    match error {
        rusqlite::Error::SqliteFailure(e, message) => {
            let failure = Failure {
                code: e.extended_code,
                message: message.unwrap_or_else(|| e.to_string()),
            };
            if crate::error::sqlite_unavailable(failure.code) {
                sqlx::Error::Io(std::io::Error::other(failure))
            } else {
                sqlx::Error::Database(Box::new(failure))
            }
        }
        rusqlite::Error::QueryReturnedNoRows => sqlx::Error::RowNotFound,
        other => sqlx::Error::Decode(Box::new(other)),
    }
}

/// An error SQLite returned.
#[derive(Debug)]
struct Failure {
    /// The extended result code.
    code: i32,
    message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for Failure {}

impl DatabaseError for Failure {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Errors keep SQLite's extended code and sqlx's kinds, as sqlx's own driver gives them.
    #[tokio::test]
    async fn errors_read_as_sqlx_reports_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
            .unwrap();
        let direct = Direct::open(&path).unwrap();
        let insert = |k: &'static str| {
            move |c: &Connection| c.execute("INSERT INTO t (k, v) VALUES (?, 1)", [k])
        };
        assert_eq!(direct.run(insert("a")).await.unwrap(), 1);
        let sqlx::Error::Database(e) = direct.run(insert("a")).await.unwrap_err() else {
            panic!("not a database error");
        };
        assert!(e.is_unique_violation());
        assert_eq!(e.code().as_deref(), Some("1555"));
        let sqlx::Error::Database(e) = direct
            .run(|c| c.execute("INSERT INTO t (k, v) VALUES ('b', NULL)", []))
            .await
            .unwrap_err()
        else {
            panic!("not a database error");
        };
        assert_eq!(e.kind(), ErrorKind::NotNullViolation);
        assert_eq!(e.code().as_deref(), Some("1299"));
    }

    /// SQLite's "cannot write now" errors, met for real through this connection's error path,
    /// answer 503 with `Retry-After` (security rule 31); a constraint error stays a 500. The
    /// file read-only: a connection opened read-only, as SQLite answers on a read-only file or
    /// mount (`SQLITE_READONLY`, 8).
    #[tokio::test]
    async fn a_read_only_database_is_503_and_a_constraint_is_not() {
        use crate::error::Error;
        use shared::api::ErrorCode;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY)")
            .unwrap();
        let read_only =
            Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let refused = read_only
            .execute("INSERT INTO t VALUES ('a')", [])
            .unwrap_err();
        assert_eq!(
            refused.sqlite_error_code(),
            Some(rusqlite::ErrorCode::ReadOnly)
        );
        let error = Error::Database(into_sqlx(refused));
        assert_eq!(
            (error.code(), error.status(), error.retry_after()),
            (ErrorCode::ServiceUnavailable, 503, Some(1))
        );
        let direct = Direct::open(&path).unwrap();
        let insert = |c: &Connection| c.execute("INSERT INTO t VALUES ('a')", []);
        direct.run(insert).await.unwrap();
        let error = Error::Database(direct.run(insert).await.unwrap_err());
        assert_eq!(
            (error.code(), error.status(), error.retry_after()),
            (ErrorCode::ServiceFailure, 500, None)
        );
    }

    /// A write that meets another connection's write lock waits for it on the writer's thread,
    /// not the runtime's (this test's runtime has one thread, which commits the other
    /// connection meanwhile); work that fails or panics is taken back alone, and the writer
    /// goes on.
    #[tokio::test]
    async fn a_busy_lock_is_waited_for_and_failed_work_taken_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER)")
            .unwrap();
        let direct = Direct::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let write = direct.run(|c| c.execute("INSERT INTO t VALUES (1)", []));
        let second = direct.run(|c| c.execute("INSERT INTO t VALUES (2)", []));
        let release = async {
            tokio::task::yield_now().await;
            other.execute_batch("COMMIT").unwrap();
        };
        let (a, b, ()) = tokio::join!(write, second, release);
        assert_eq!((a.unwrap(), b.unwrap()), (1, 1));
        let count =
            || direct.read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0)));
        assert_eq!(count().await.unwrap(), 2);
        let failed = direct
            .run(|c| {
                c.execute("INSERT INTO t VALUES (3)", [])?;
                c.execute("INSERT INTO nowhere VALUES (1)", [])
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(count().await.unwrap(), 2, "the failed work was taken back");
        // Work that panics panics the request when it ran on the caller's thread (alone), or
        // is answered with an error when the writer thread ran it (queued: the checkpointer
        // may hold the write lock at that moment); either way its insert is taken back.
        let direct = std::sync::Arc::new(direct);
        let panicking = direct.clone();
        let joined = tokio::spawn(async move {
            panicking
                .run(|c| {
                    c.execute("INSERT INTO t VALUES (4)", [])?;
                    panic!("work panicked");
                    #[allow(unreachable_code)]
                    Ok(())
                })
                .await
        })
        .await;
        match joined {
            Err(e) => assert!(e.is_panic()),
            Ok(answer) => assert!(answer.unwrap_err().to_string().contains("panicked")),
        }
        let count =
            || direct.read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0)));
        assert_eq!(
            count().await.unwrap(),
            2,
            "the panicked work was taken back"
        );
        assert_eq!(
            direct
                .run(|c| c.execute("INSERT INTO t VALUES (5)", []))
                .await
                .unwrap(),
            1
        );
        assert_eq!(count().await.unwrap(), 3);
    }
}
