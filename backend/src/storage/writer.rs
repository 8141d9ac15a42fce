//! SQLite's writes of every request: on one thread that commits whatever requests are waiting
//! together (group commit), or at once where the request is when nothing waits.
//!
//! A request hands its work (a closure over the connection, owning its data) to the thread and
//! awaits the answer; the runtime thread serves other requests meanwhile. The writer takes
//! every job queued, runs them in one `BEGIN IMMEDIATE … COMMIT`, each inside a savepoint of
//! its own (a job that fails is rolled back alone), and answers each one only after the
//! commit: no change is acknowledged before it is in the WAL. If the commit fails (a full
//! disk), every job of the batch gets that error and nothing of the batch is stored.
//!
//! Why (issue 13): with the connection behind a mutex that the runtime threads took in turn,
//! `perf` of the scheduler's switches showed the runtime threads asleep on that mutex, a core
//! idle meanwhile; waiting for it asynchronously instead (tokio's and async-lock's mutexes,
//! yielding) was measured worse (`direct.rs`). Here no runtime thread waits on the writer,
//! and a batch writes the pages its jobs share — the audit table's last page and its two
//! indexes, a user's code budget — once, under one lock and one WAL append.
//!
//! A request that finds the connection free, nothing queued and the write lock free runs its
//! work at once, in a transaction of its own, on its own thread: a lone request pays no
//! hand-off (measured, 1 client: 1,462–1,558 resyncs/s with every write handed off, 2,051–2,092
//! with this, 1,674–1,721 before the writer thread). It never waits there: anything taken
//! sends the work to the thread.
//!
//! The thread waits (sleeping [`BUSY_RETRY`] between tries, up to [`BUSY_LIMIT`]) when another
//! connection holds the write lock (the pool's, the checkpointer's restart): it is not a
//! runtime thread, so nothing else waits for it to be free.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

/// How long the writer waits for the write lock another connection holds.
pub(crate) const BUSY_LIMIT: Duration = Duration::from_secs(10);
/// The writer's pause between tries at a write lock another connection holds. Short: every
/// request's writes wait while it sleeps, and the lock is mostly the checkpointer's restart,
/// held ~1 ms (`checkpoint.rs`); a 1 ms pause made that wait up to twice as long.
const BUSY_RETRY: Duration = Duration::from_micros(50);

/// Jobs committed together at most.
const MAX_BATCH: usize = 64;

/// One request's work, queued for the writer.
trait Job: Send {
    /// Runs the work on the connection, in the batch's transaction.
    fn run(&mut self, conn: &Connection);
    /// Whether the work failed (its savepoint is rolled back).
    fn failed(&self) -> bool;
    /// Answers the request: its work's result if the batch committed (`None`), else the
    /// batch's error.
    fn answer(self: Box<Self>, batch: Option<&rusqlite::Error>);
}

/// A [`Job`] whose work returns `T`.
struct Work<T, F> {
    work: Option<F>,
    result: Option<rusqlite::Result<T>>,
    reply: oneshot::Sender<rusqlite::Result<T>>,
}

impl<T, F> Job for Work<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) {
        if let Some(work) = self.work.take() {
            self.result = Some(
                catch_unwind(AssertUnwindSafe(|| work(conn)))
                    .unwrap_or_else(|_| Err(failure("the work panicked"))),
            );
        }
    }

    fn failed(&self) -> bool {
        !matches!(self.result, Some(Ok(_)))
    }

    fn answer(self: Box<Self>, batch: Option<&rusqlite::Error>) {
        let result = match (batch, self.result) {
            (Some(e), _) => Err(copy(e)),
            (None, Some(result)) => result,
            (None, None) => Err(failure("the work did not run")),
        };
        // The request may have gone (its client left): nobody to answer.
        let _ = self.reply.send(result);
    }
}

/// The handle requests queue their work on.
#[derive(Debug)]
pub(crate) struct Writer {
    jobs: Sender<Box<dyn Job>>,
    /// The writing connection: the thread's for its batches, or a request's that finds it
    /// free with nothing queued.
    conn: Arc<Mutex<Connection>>,
    /// Jobs queued and not yet answered.
    pending: Arc<AtomicUsize>,
}

impl Writer {
    /// Starts the thread, which shares `conn` with the requests until every handle is gone.
    pub(crate) fn start(conn: Connection) -> std::io::Result<Writer> {
        let (jobs, queued) = channel();
        let conn = Arc::new(Mutex::new(conn));
        let pending = Arc::new(AtomicUsize::new(0));
        let (thread_conn, thread_pending) = (Arc::clone(&conn), Arc::clone(&pending));
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write(&thread_conn, &queued, &thread_pending))?;
        Ok(Writer {
            jobs,
            conn,
            pending,
        })
    }

    /// Runs `work` in a transaction of its own here, if the connection is free, nothing is
    /// queued and the write lock is free (no hand-off: what a lone request gets); otherwise
    /// in the writer thread's next batch. Answers once the work is committed.
    pub(crate) async fn run<T, F>(&self, work: F) -> rusqlite::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let work = match self.alone(work) {
            Ok(done) => return done,
            Err(work) => work,
        };
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Work {
            work: Some(work),
            result: None,
            reply,
        });
        self.pending.fetch_add(1, Ordering::AcqRel);
        if self.jobs.send(job).is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(failure("the writer thread is gone"));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(failure("the writer thread is gone")))
    }

    /// `work` run at once on the calling thread, or given back when it must queue: the
    /// connection taken, something queued, or the write lock held by another connection.
    /// Never waits.
    fn alone<T, F>(&self, work: F) -> Result<rusqlite::Result<T>, F>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T>,
    {
        if self.pending.load(Ordering::Acquire) != 0 {
            return Err(work);
        }
        let conn = match self.conn.try_lock() {
            Ok(conn) => conn,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Err(work),
        };
        if !conn.is_autocommit() {
            // Left open by work that panicked here.
            let _ = conn.execute_batch("ROLLBACK");
        }
        let began = conn
            .prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut b| b.execute([]));
        if began.is_err() {
            return Err(work);
        }
        let done = work(&conn).and_then(|value| {
            conn.prepare_cached("COMMIT")?.execute([])?;
            Ok(value)
        });
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        Ok(done)
    }
}

/// The thread: a batch of whatever is queued, until every handle is gone.
fn write(conn: &Mutex<Connection>, queued: &Receiver<Box<dyn Job>>, pending: &AtomicUsize) {
    while let Ok(first) = queued.recv() {
        let mut batch = Vec::with_capacity(8);
        batch.push(first);
        batch.extend(queued.try_iter().take(MAX_BATCH - 1));
        let error = {
            let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            let outcome = commit(&conn, &mut batch);
            if outcome.is_err() && !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            outcome.err()
        };
        // Before the answers: a request answered may write again at once, alone.
        pending.fetch_sub(batch.len(), Ordering::AcqRel);
        for job in batch {
            job.answer(error.as_ref());
        }
    }
}

/// Runs every job of `batch` in one transaction, each in a savepoint, and commits. Waits
/// (this thread only) for the write lock another connection holds, up to [`BUSY_LIMIT`].
fn commit(conn: &Connection, batch: &mut [Box<dyn Job>]) -> rusqlite::Result<()> {
    let start = Instant::now();
    loop {
        match conn.prepare_cached("BEGIN IMMEDIATE")?.execute([]) {
            Ok(_) => break,
            Err(e) if is_busy(&e) && start.elapsed() < BUSY_LIMIT => {
                std::thread::sleep(BUSY_RETRY);
            }
            Err(e) => return Err(e),
        }
    }
    for job in batch.iter_mut() {
        conn.prepare_cached("SAVEPOINT job")?.execute([])?;
        job.run(conn);
        if job.failed() {
            conn.prepare_cached("ROLLBACK TO job")?.execute([])?;
        }
        conn.prepare_cached("RELEASE job")?.execute([])?;
    }
    conn.prepare_cached("COMMIT")?.execute([])?;
    Ok(())
}

/// SQLITE_BUSY or SQLITE_LOCKED, with any extended code.
pub(crate) fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// An error of ours, as SQLite would report a generic one.
fn failure(message: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
        Some(message.to_owned()),
    )
}

/// The batch's error again, for each of its jobs (rusqlite's errors are not `Clone`): SQLite's
/// failures keep their code and message, anything else becomes an I/O error with its text.
fn copy(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
            Some(other.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work queued while the connection is taken runs on the thread: each job's outcome is its
    /// own (one that fails or panics is taken back alone, the others are committed), and once
    /// all are answered nothing is pending, so a lone request runs at once again.
    #[tokio::test]
    async fn queued_work_is_committed_or_taken_back_job_by_job() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("t.sqlite")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER)")
            .unwrap();
        let writer = Writer::start(conn).unwrap();
        let held = writer.conn.lock().unwrap();
        let kept = writer.run(|c| c.execute("INSERT INTO t VALUES (1)", []));
        let failed = writer.run(|c| {
            c.execute("INSERT INTO t VALUES (2)", [])?;
            c.execute("INSERT INTO nowhere VALUES (1)", [])
        });
        let panicked = writer.run(|c| -> rusqlite::Result<usize> {
            c.execute("INSERT INTO t VALUES (3)", [])?;
            panic!("work panicked")
        });
        let release = async {
            assert_eq!(
                writer.pending.load(Ordering::Acquire),
                3,
                "all three queued"
            );
            drop(held);
        };
        let (kept, failed, panicked, ()) = tokio::join!(kept, failed, panicked, release);
        assert_eq!(kept.unwrap(), 1);
        assert!(failed.unwrap_err().to_string().contains("nowhere"));
        assert!(panicked.unwrap_err().to_string().contains("panicked"));
        assert_eq!(writer.pending.load(Ordering::Acquire), 0);
        let rows: Vec<i64> = writer
            .run(|c| {
                c.prepare("SELECT v FROM t ORDER BY v")?
                    .query_map([], |r| r.get(0))?
                    .collect()
            })
            .await
            .unwrap();
        assert_eq!(rows, [1]);
    }
}
