//! SQLite's WAL checkpoints, on a thread of their own instead of in a request's commit.
//!
//! In WAL mode a commit appends its pages to the `-wal` file; a checkpoint copies them back
//! into the database file and syncs it. SQLite's default runs the checkpoint inside whichever
//! commit takes the WAL past 1,000 pages — in a request, holding the server's connection
//! (`direct.rs`) and so every other request's statements, through two `fsync`s. Measured on
//! the resync benchmark (`backend/examples/load/`, 8 clients, ext4): the same server ran
//! ~3,450 resyncs/s with p99 ~8 ms on disk and ~4,200/s with p99 ~3.5 ms with the database on
//! tmpfs, where those syncs cost nothing. With this thread, alternated with the build before
//! it: 3,192–3,411 resyncs/s, p99 6.9–7.1 ms, against 2,599–3,134/s, p99 9.3–10.9 ms.
//!
//! So every connection the server opens has SQLite's automatic checkpoint off, and one thread
//! with a connection of its own checkpoints: woken by the request connection's commits once
//! the WAL holds [`CHECKPOINT_PAGES`] (SQLite's WAL hook), and every [`CHECKPOINT_IDLE`]
//! anyway for what the pool's connections commit. First `PASSIVE`, which copies the pages and
//! syncs while writers and readers go on; then, if it copied everything, `RESTART` for the
//! few pages committed meanwhile, which holds writers off for that long (they retry,
//! `writer.rs`) and waits for readers, so that the next writer starts the WAL from its
//! beginning. Passive checkpoints alone were measured never to catch up under load: a writer
//! restarts the WAL only if it finds every page copied, and there were always a few new ones
//! (the WAL reached 40,000 pages in 10 s, checkpointed continuously).
//!
//! The restart is the one moment every write waits: it syncs the WAL and the database file
//! (two `fsync`s, ~0.4 ms each on this project's machines) holding the write lock. So it
//! comes seldom — [`CHECKPOINT_PAGES`] is 10,000 pages (40 MB of WAL at SQLite's 4 KB page,
//! reused from its start after each restart), not SQLite's 1,000 — and its waits are short:
//! for readers it polls every [`RESTART_RETRY`], where SQLite's own busy handler sleeps 1, 2,
//! 5, 10 ms… while holding writers off. Measured (8 clients): with 1,000 pages and 1 ms
//! retries, ~40 restarts a second, the writer asleep on the lock 5 % of the time (`perf` of
//! the scheduler's switches) and the cores 15 % idle; with this, 9 % idle, and alternated
//! against the build before it 5,231–5,287 resyncs/s where it ran 4,401–4,613.
//!
//! Durability is unchanged: what is committed is in the WAL first (`direct.rs` on
//! `synchronous = NORMAL`); a checkpoint syncs the WAL before copying, so at most about a
//! second of commits is only in the kernel's hands.
//!
//! The thread ends when the request connection closes (its WAL hook holds the only sender).

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

/// WAL pages after which a commit wakes the checkpointer (SQLite's own automatic threshold is
/// 1,000; the module's doc says why ten times that).
pub(crate) const CHECKPOINT_PAGES: i32 = 10_000;

/// How long the checkpointer sleeps when nothing woke it (the pool's commits do not).
const CHECKPOINT_IDLE: Duration = Duration::from_secs(1);

/// How long the second, restarting checkpoint waits for the write lock and for readers.
const RESTART_WAIT: Duration = Duration::from_millis(100);

/// The restarting checkpoint's pause between tries at the write lock and at the readers.
const RESTART_RETRY: Duration = Duration::from_micros(50);

/// What the checkpointer has done, for whoever waits on it (tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Checkpoints run.
    pub runs: u64,
    /// Of them, those a commit past [`CHECKPOINT_PAGES`] asked for.
    pub woken: u64,
    /// The last one's answer: pages in the WAL, and of them copied into the database.
    pub last: (i64, i64),
    /// Checkpoints that copied everything and left the WAL to start again.
    pub restarts: u64,
}

/// The checkpointer's handle: wakes it, and tells what it did.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    wake: SyncSender<()>,
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the tests, `wait_until`")
    )]
    progress: Arc<(Mutex<Progress>, Condvar)>,
}

impl Checkpointer {
    /// Opens a connection of its own to the (migrated) database at `path` and starts the
    /// thread.
    pub(crate) fn start(path: &Path) -> rusqlite::Result<Checkpointer> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;")?;
        // How a RESTART waits for the writer and the readers, and how long before it gives up.
        conn.busy_handler(Some(restart_busy(RESTART_WAIT)))?;
        let (wake, woken) = sync_channel(1);
        let progress = Arc::new((Mutex::new(Progress::default()), Condvar::new()));
        let shared = Arc::clone(&progress);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &woken, &shared))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Checkpointer { wake, progress })
    }

    /// A waker for the request connection's WAL hook: wakes the thread once the WAL holds
    /// [`CHECKPOINT_PAGES`] pages, and costs nothing below that.
    pub(crate) fn hook(
        &self,
    ) -> impl FnMut(&mut rusqlite::hooks::Wal, i32) -> rusqlite::Result<()> + Send + 'static {
        let wake = self.wake.clone();
        move |_, pages| {
            if pages >= CHECKPOINT_PAGES {
                // Full: a wake-up is already pending.
                let _ = wake.try_send(());
            }
            Ok(())
        }
    }

    /// Waits, at most `limit`, until what the thread has done satisfies `done`; returns it
    /// as it is then.
    #[cfg(test)]
    pub(crate) fn wait_until(&self, limit: Duration, done: impl Fn(&Progress) -> bool) -> Progress {
        let (lock, ran) = &*self.progress;
        let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = ran
            .wait_timeout_while(guard, limit, |p| !done(p))
            .unwrap_or_else(PoisonError::into_inner);
        *guard
    }
}

/// SQLite's busy handler for the checkpointer: sleeps [`RESTART_RETRY`] and tries again
/// until `limit` has passed since the wait began (SQLite counts a wait's calls from 0).
fn restart_busy(limit: Duration) -> impl FnMut(i32) -> bool + Send + 'static {
    let mut began = Instant::now();
    move |tries| {
        if tries == 0 {
            began = Instant::now();
        }
        if tries < 0 || began.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(RESTART_RETRY);
        true
    }
}

/// The thread: a passive checkpoint each time it is woken or [`CHECKPOINT_IDLE`] passes,
/// until every sender is gone.
fn run(conn: &Connection, woken: &Receiver<()>, progress: &(Mutex<Progress>, Condvar)) {
    loop {
        let asked = match woken.recv_timeout(CHECKPOINT_IDLE) {
            Ok(()) => true,
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // Busy (another checkpoint runs, the one at close) or failing (a full disk): the WAL
        // keeps the commits, and the next wake-up tries again.
        let checkpoint = |mode: &str| {
            conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .inspect_err(|e| tracing::debug!(error = %e, mode, "background checkpoint"))
            .unwrap_or((1, -1, -1))
        };
        // The bulk of the copy and its syncs, blocking nobody.
        let (busy, log, copied) = checkpoint("PASSIVE");
        let (last, restarted) = if busy == 0 && log > 0 && copied == log {
            // Everything was copied: the few pages committed since, with writers held off
            // (they retry, `writer.rs`), so that the next writer starts the WAL again.
            let (busy, log, copied) = checkpoint("RESTART");
            ((log, copied), busy == 0 && copied == log)
        } else {
            ((log, copied), false)
        };
        let (lock, ran) = progress;
        let mut p = lock.lock().unwrap_or_else(PoisonError::into_inner);
        p.runs += 1;
        p.woken += u64::from(asked);
        p.last = last;
        p.restarts += u64::from(restarted);
        ran.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Storage;

    /// The restart polls for readers and the write lock until `limit` has passed since the
    /// wait began, then gives up (the next wake-up tries again); each wait starts afresh.
    #[test]
    fn the_restart_gives_up_after_its_wait() {
        let limit = Duration::from_millis(2);
        let mut busy = restart_busy(limit);
        for _ in 0..2 {
            let began = Instant::now();
            let mut tries = 0;
            while busy(tries) {
                tries += 1;
            }
            assert!(began.elapsed() >= limit, "gave up after {tries} tries");
            assert!(tries >= 1);
        }
        assert!(!busy(-1));
    }

    /// Past [`CHECKPOINT_PAGES`] the request connection's commits wake the thread, which copies
    /// the WAL into the database and lets the next writer start the WAL again; nothing else
    /// checkpoints (every connection has SQLite's automatic checkpoint off).
    #[tokio::test]
    async fn commits_past_the_threshold_are_checkpointed_by_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let storage = Storage::open(&path).await.unwrap();
        let direct = storage.direct.as_ref().unwrap();
        let auto: i64 = direct
            .run(|c| c.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(auto, 0, "the request connection");
        let crate::storage::db::Pool::Sqlite(pool) = &storage.pool else {
            unreachable!()
        };
        let auto: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(auto, 0, "the pool's connections");

        direct
            .run(|c| c.execute_batch("CREATE TABLE scratch (page BLOB)"))
            .await
            .unwrap();
        // Each commit appends at least the ten pages of its new row: past the threshold
        // within CHECKPOINT_PAGES / 10 of them — unless the thread's idle round restarted the
        // WAL on the way; then on until a commit wakes it.
        let bulk = vec![7u8; 10 * 4000];
        let checkpointer = direct.checkpointer();
        let mut commits = 0;
        let done = loop {
            let done = checkpointer.wait_until(Duration::ZERO, |p| p.woken >= 1);
            if done.woken >= 1 {
                break done;
            }
            assert!(
                commits < 3 * CHECKPOINT_PAGES / 10,
                "no commit woke the thread"
            );
            let bulk = bulk.clone();
            direct
                .run(move |c| c.execute("INSERT INTO scratch VALUES (?)", [&bulk]))
                .await
                .unwrap();
            commits += 1;
        };
        let limit = Duration::from_secs(20);
        // Once a checkpoint after the last commit has copied everything and restarted,
        // the next commit starts the WAL again: it holds that commit's pages only.
        let restarts = done.restarts;
        let done = checkpointer.wait_until(limit, |p| p.restarts > restarts);
        assert!(done.restarts > restarts, "{done:?}");
        let page = vec![7u8; 4000];
        direct
            .run(move |c| c.execute("INSERT INTO scratch VALUES (?)", [&page]))
            .await
            .unwrap();
        // Asked, on a connection of the test's own, until the thread is not checkpointing at
        // the same moment (busy).
        let probe = rusqlite::Connection::open(&path).unwrap();
        let mut log = -1;
        for _ in 0..10_000 {
            let (busy, frames): (i64, i64) = probe
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap();
            if busy == 0 {
                log = frames;
                break;
            }
            std::thread::yield_now();
        }
        assert!((1..10).contains(&log), "WAL pages after the restart: {log}");
        let rows: i64 = direct
            .read(|c| c.query_row("SELECT COUNT(*) FROM scratch", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(rows, i64::from(commits) + 1);
    }
}
