//! SQLite's writes of every request, on one thread that owns the writing connection and
//! commits whatever requests are waiting together (group commit).
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
//! The thread waits in SQLite's busy handler (up to [`BUSY_LIMIT`]) when another connection
//! holds the write lock (the pool's, the checkpointer's restart): it is not a runtime thread,
//! so nothing else waits for it to be free.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::direct::into_sqlx;

/// How long the writer waits for the write lock another connection holds.
pub(crate) const BUSY_LIMIT: Duration = Duration::from_secs(10);

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
    reply: oneshot::Sender<Result<T, sqlx::Error>>,
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
        let _ = self.reply.send(result.map_err(into_sqlx));
    }
}

/// The handle requests queue their work on.
#[derive(Debug)]
pub(crate) struct Writer {
    jobs: Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the thread, which owns `conn` until every handle is gone.
    pub(crate) fn start(conn: Connection) -> std::io::Result<Writer> {
        let (jobs, queued) = channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write(&conn, &queued))?;
        Ok(Writer { jobs })
    }

    /// Runs `work` in the next batch's transaction and answers once it is committed.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Work {
            work: Some(work),
            result: None,
            reply,
        });
        self.jobs
            .send(job)
            .map_err(|_| into_sqlx(failure("the writer thread is gone")))?;
        answer
            .await
            .map_err(|_| into_sqlx(failure("the writer thread is gone")))?
    }
}

/// The thread: a batch of whatever is queued, until every handle is gone.
fn write(conn: &Connection, queued: &Receiver<Box<dyn Job>>) {
    let _ = conn.busy_timeout(BUSY_LIMIT);
    while let Ok(first) = queued.recv() {
        let mut batch = Vec::with_capacity(8);
        batch.push(first);
        batch.extend(queued.try_iter().take(MAX_BATCH - 1));
        let outcome = commit(conn, &mut batch);
        if outcome.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        let error = outcome.err();
        for job in batch {
            job.answer(error.as_ref());
        }
    }
}

/// Runs every job of `batch` in one transaction, each in a savepoint, and commits.
fn commit(conn: &Connection, batch: &mut [Box<dyn Job>]) -> rusqlite::Result<()> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
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
