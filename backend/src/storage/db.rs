//! The database handle: SQLite (a file) or PostgreSQL (a URL), its pool and its migrations, and
//! the one place where the two engines differ.
//!
//! # The shape chosen, and why
//! One [`Storage`] over an enum of the two native pools ([`Pool`]), each statement written once
//! and run on the engine at hand by [`on_db!`], which expands the statement once per engine, so
//! each is type-checked against and executed by that engine's own sqlx driver. The alternatives
//! weighed (sqlx 0.9's sources and docs read):
//! - sqlx's `Any` driver: one pool type, but its values go through `AnyValueKind`, which decodes
//!   a `bool` only from a value the driver typed `Bool` — SQLite's 0/1 columns arrive as
//!   `BigInt` and fail; expression columns (`COUNT(*)`, `EXISTS`, `COALESCE`) on SQLite have no
//!   declared type; and it converts every row once more. Rejected.
//! - per-engine SQL everywhere (two repositories): the statements are nearly all portable
//!   already, and two copies of each would drift.
//! - tokio-postgres for PostgreSQL (it takes libpq's multi-host URLs and `target_session_attrs`
//!   natively): a second SQL layer, a second pool and a second migrator. sqlx's
//!   `PgConnectOptions` takes one host only (`parse.rs` reads `url.host_str()`, and the `url`
//!   crate refuses `a:5432,b:5432`), so [`PgTarget`] parses the multi-host URL itself into one
//!   `PgConnectOptions` per host and tries them in order, checking read-write when asked —
//!   at start and whenever the primary may have moved (`failover.rs`).
//!
//! The differences live here and in `backend/migrations/{sqlite,postgres}`:
//! - placeholders: statements are written with `?`; on PostgreSQL [`postgres_sql`] numbers them
//!   `$1, $2, …` in the same order (the order they are bound in);
//! - booleans: SQLite stores 0/1, PostgreSQL `BOOLEAN`; the SQL writes `TRUE`/`FALSE`, which
//!   both read (SQLite ≥ 3.23);
//! - integers are 64-bit on both (PostgreSQL `BIGINT`), bytes BLOB/BYTEA, text ordered by bytes
//!   (SQLite's BINARY, PostgreSQL's `COLLATE "C"` on every text column);
//! - upserts (`ON CONFLICT … DO …`) and `RETURNING` are the same on both;
//! - the caps (a count read by the statement that inserts or assigns): SQLite has one writer at
//!   a time, PostgreSQL does not, so on both the statement runs in a transaction that first
//!   takes the account's lock with an update that changes nothing (`devices.rs`,
//!   `LOCK_ACCOUNT`: a row lock on PostgreSQL, the write lock on SQLite) — two servers cannot
//!   both pass a count;
//! - the state compare-and-set and the throttle's count-before-evaluate stay single statements
//!   (`UPDATE … WHERE … RETURNING`): at READ COMMITTED PostgreSQL re-evaluates the `WHERE` on
//!   the row a concurrent writer committed, so exactly one of twenty identical resyncs wins and
//!   no attempt is counted past the lock, as on SQLite;
//! - serialization failures and deadlocks (SQLSTATE 40001, 40P01) are retried by [`on_db!`],
//!   and nowhere else. PostgreSQL at READ COMMITTED raises them rarely; engines that speak its
//!   protocol with serializable isolation (CockroachDB, YugabyteDB) require the retry.
//!
//! Nothing that decides security lives in a process's memory: sessions, the throttle counters
//! and locks (devices, principals, unknown names, code budgets), burned steps (the device's
//! `last_used_step`), accepted SigV4 signatures and the audit trail are rows, so servers that
//! share a database decide as one.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, SqlitePool};

use super::direct::Direct;
use super::failover::Primary;

/// SQLite's schema history (moved from `backend/migrations/` unchanged: sqlx records each
/// version with the checksum of its file's contents, so existing databases stay current).
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
/// PostgreSQL's. sqlx's PostgreSQL migrator holds `pg_advisory_lock` while it runs, so
/// servers started at once migrate one after the other.
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Where the data lives: what `--db` names.
#[derive(Clone, Debug)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (one host or several).
    Postgres(PgTarget),
}

/// Why a `--db` value cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseUrlError {
    /// The URL is not a libpq URL this server reads.
    #[error("the database URL is not valid: {0}")]
    Invalid(String),
}

impl FromStr for Database {
    type Err = DatabaseUrlError;

    /// A `postgres://` or `postgresql://` URL is PostgreSQL; anything else is a SQLite file path.
    fn from_str(s: &str) -> Result<Database, DatabaseUrlError> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            PgTarget::parse(s).map(Database::Postgres)
        } else if s.is_empty() {
            Err(DatabaseUrlError::Invalid("empty".into()))
        } else {
            Ok(Database::Sqlite(PathBuf::from(s)))
        }
    }
}

impl fmt::Display for Database {
    /// The file, or the hosts and database name: never a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(target) => {
                let hosts: Vec<String> = target
                    .hosts
                    .iter()
                    .map(|o| format!("{}:{}", o.get_host(), o.get_port()))
                    .collect();
                let name = target.hosts[0].get_database().unwrap_or("");
                write!(f, "postgres://{}/{name}", hosts.join(","))
            }
        }
    }
}

/// A PostgreSQL URL in libpq's form, possibly with several hosts
/// (`postgres://user@a:5432,b:5432/mfa?target_session_attrs=read-write`): one set of options
/// per host, tried in order.
#[derive(Clone)]
pub struct PgTarget {
    hosts: Vec<PgConnectOptions>,
    /// `target_session_attrs=read-write`: skip a host whose sessions are read-only (a standby).
    read_write: bool,
}

impl fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|o| {
                format!(
                    "{}:{}/{}",
                    o.get_host(),
                    o.get_port(),
                    o.get_database().unwrap_or("")
                )
            })
            .collect();
        f.debug_struct("PgTarget")
            .field("hosts", &hosts)
            .field("read_write", &self.read_write)
            .finish()
    }
}

impl PgTarget {
    /// Splits libpq's host list (which sqlx's parser does not take) and parses each host's URL
    /// with sqlx's, the user, database and other parameters shared.
    fn parse(url: &str) -> Result<PgTarget, DatabaseUrlError> {
        let invalid = |why: &str| DatabaseUrlError::Invalid(why.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("no scheme"))?;
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((user, hosts)) => (format!("{user}@"), hosts),
            None => (String::new(), authority),
        };
        let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
        let mut read_write = false;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("target_session_attrs", "read-write")) => read_write = true,
                Some(("target_session_attrs", "any")) => read_write = false,
                Some(("target_session_attrs", other)) => {
                    return Err(DatabaseUrlError::Invalid(format!(
                        "target_session_attrs={other} is not supported (any, read-write)"
                    )));
                }
                _ => kept.push(pair),
            }
        }
        let query = if kept.is_empty() {
            String::new()
        } else {
            format!("?{}", kept.join("&"))
        };
        let hosts = hosts
            .split(',')
            .map(|host| {
                if host.is_empty() {
                    return Err(invalid("a host is empty"));
                }
                PgConnectOptions::from_str(&format!("{scheme}://{userinfo}{host}{path}{query}"))
                    .map_err(|e| DatabaseUrlError::Invalid(format!("{host}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PgTarget { hosts, read_write })
    }
}

/// The pool of the engine in use.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    /// A SQLite file in WAL mode.
    Sqlite(SqlitePool),
    /// A PostgreSQL server.
    Postgres(PgPool),
}

/// The database.
#[derive(Clone)]
pub struct Storage {
    pub(crate) pool: Pool,
    /// PostgreSQL's host watcher (`failover.rs`), told of every failed statement.
    pub(crate) primary: Option<Arc<Primary>>,
    /// SQLite's connection for the statements of every request (`direct.rs`).
    pub(crate) direct: Option<Arc<Direct>>,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage").field("pool", &self.pool).finish()
    }
}

/// Connections in the pool (each runs on its own sqlx worker thread). Measured on the resync
/// benchmark (`backend/examples/load/`, 2 busy cores, 8 clients): one connection halves the
/// server's CPU per resync (no writers queueing on SQLite's lock) and wins with the ±100-step
/// window (~2,100–2,200 against ~1,700–2,000 requests/s), but with the ±2880-step window it
/// leaves a core idle — the connection is handed from request to request by the async workers,
/// which are busy scanning — and its p99 latency grows (21–39 ms against 16–19 ms). 2 and 4
/// connections were no better than 8.
const POOL_CONNECTIONS: u32 = 8;

/// Pooled SQLite connections opened while the database's files could not be written.
///
/// SQLite opens a database read-only, silently, when its file cannot be opened for writing
/// (a filesystem remounted read-only, a file made read-only), and such a connection stays
/// read-only for as long as it lives: after the files are writable again, every write that
/// reaches it would still be refused (503) until the pool retires it (30 min). So a connection
/// opened read-only is counted at connect, and while any is counted, each connection the pool
/// hands out is asked whether it is read-only and closed if it is (the next one is opened
/// read-write once the files take writes). The check is a hop to the connection's thread, so
/// it is made only while the count is above zero — never on a healthy server. A read-only
/// connection that the pool closes for idleness leaves the count above zero: the check then
/// goes on, costing a hop per acquire, and stays correct (`tests/read_only.rs`).
mod read_only {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use sqlx::sqlite::SqliteConnection;

    static OPEN: AtomicUsize = AtomicUsize::new(0);

    /// Whether `conn`'s main database is read-only.
    async fn is_read_only(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
        let mut handle = conn.lock_handle().await?;
        // SAFETY: the handle is locked out of its worker thread for this call, and
        // sqlite3_db_readonly only reads the connection's state for the schema named.
        let answer = unsafe {
            rusqlite::ffi::sqlite3_db_readonly(handle.as_raw_handle().as_ptr(), c"main".as_ptr())
        };
        Ok(answer == 1)
    }

    /// `after_connect`: counts a connection SQLite opened read-only (it still serves reads).
    pub(super) async fn note_if_read_only(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        if is_read_only(conn).await? {
            tracing::warn!("a database connection opened read-only (its files refuse writes)");
            OPEN.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// `before_acquire`: false (close it) for a read-only connection, while any was opened.
    pub(super) async fn keep(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
        if OPEN.load(Ordering::Relaxed) == 0 || !is_read_only(conn).await? {
            return Ok(true);
        }
        // Saturating: a connection counted in another pool of this process (tests open
        // several) may be the one closed here.
        let _ = OPEN.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        Ok(false)
    }
}

/// How long a request waits for a PostgreSQL connection before it fails (and `/readyz` says
/// 503): a database that is away must not hold requests for sqlx's default 30 s.
const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How many times a statement that met a serialization failure or deadlock is run again.
const SERIALIZATION_RETRIES: u32 = 8;

impl Storage {
    /// Opens (creating it and its folder if needed) the SQLite file in WAL mode and migrates it.
    pub async fn open(path: &Path) -> Result<Storage, sqlx::Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode, NORMAL is durable against a crash of the application (a committed
            // transaction is in the WAL file); only a power loss or OS crash may lose the last
            // commits before a checkpoint, never corrupt the database. SQLite's recommended
            // setting for WAL.
            .synchronous(SqliteSynchronous::Normal)
            // Checkpoints run on a thread of their own (`checkpoint.rs`), not in a commit.
            .pragma("wal_autocheckpoint", "0")
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_CONNECTIONS)
            // No ping before handing out a connection: a SQLite connection is a file handle in
            // this process, it cannot have been cut off. Each ping is a round trip to the
            // connection's worker thread (sqlx's SQLite driver runs each connection on its own
            // thread); statements on a pooled connection took three (ping, statement, the ping
            // on release), now two.
            .test_before_acquire(false)
            .after_connect(|conn, _| Box::pin(read_only::note_if_read_only(conn)))
            .before_acquire(|conn, _| Box::pin(read_only::keep(conn)))
            .connect_with(options)
            .await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        let direct = Direct::open(path)?;
        Ok(Storage {
            pool: Pool::Sqlite(pool),
            primary: None,
            direct: Some(Arc::new(direct)),
        })
    }

    /// Opens `database` (a SQLite file, or the first PostgreSQL host that answers and, when
    /// asked, takes writes) and migrates it.
    pub async fn connect(database: &Database) -> Result<Storage, sqlx::Error> {
        match database {
            Database::Sqlite(path) => Storage::open(path).await,
            Database::Postgres(target) => {
                let options = PgPoolOptions::new()
                    .max_connections(POOL_CONNECTIONS)
                    .acquire_timeout(PG_ACQUIRE_TIMEOUT);
                let (pool, primary) =
                    Primary::connect(target.hosts.clone(), target.read_write, options).await?;
                POSTGRES_MIGRATIONS.run(&pool).await?;
                Ok(Storage {
                    pool: Pool::Postgres(pool),
                    primary: Some(primary),
                    direct: None,
                })
            }
        }
    }

    /// Whether the database answers and holds every migration this binary knows (`/readyz`).
    pub async fn ready(&self) -> Result<bool, sqlx::Error> {
        let (migrator, applied): (&Migrator, Option<i64>) = match &self.pool {
            Pool::Sqlite(pool) => (
                &SQLITE_MIGRATIONS,
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(pool)
                    .await?,
            ),
            Pool::Postgres(_) if let Some(e) = self.no_primary() => return Err(e),
            Pool::Postgres(pool) => (
                &POSTGRES_MIGRATIONS,
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(pool)
                    .await
                    .inspect_err(|e| self.after_error(e))?,
            ),
        };
        let latest = migrator.iter().map(|m| m.version).max();
        Ok(applied == latest)
    }

    /// Tells PostgreSQL's host watcher of a failed statement (`failover.rs`): an error that may
    /// mean the primary moved makes it look for the primary again.
    pub(crate) fn after_error(&self, error: &sqlx::Error) {
        if let Some(primary) = &self.primary {
            primary.after_error(error);
        }
    }

    /// PostgreSQL with no host taking writes now (`failover.rs`): the error to fail with at once.
    pub(crate) fn no_primary(&self) -> Option<sqlx::Error> {
        self.primary.as_ref().and_then(|p| p.missing())
    }

    /// The database did not answer in time (`/readyz`): PostgreSQL's host watcher looks for
    /// the primary again. Nothing on SQLite.
    pub fn suspect_unreachable(&self) {
        if let Some(primary) = &self.primary {
            primary.suspect();
        }
    }

    /// The engine's name, for logs.
    pub fn engine(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Closes the pool (checkpointing WAL on SQLite).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => {
                pool.close().await;
                if let Some(direct) = &self.direct {
                    direct.checkpoint();
                }
            }
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// A statement for SQLite: as written.
pub(crate) fn sqlite_sql(sql: impl Into<Cow<'static, str>>) -> AssertSqlSafe<Cow<'static, str>> {
    AssertSqlSafe(sql.into())
}

/// A statement for PostgreSQL: its `?` placeholders numbered `$1, $2, …` in order (outside
/// quoted literals and identifiers), which is the order they are bound in.
pub(crate) fn postgres_sql(sql: impl Into<Cow<'static, str>>) -> AssertSqlSafe<Cow<'static, str>> {
    let sql = sql.into();
    if !sql.contains('?') {
        return AssertSqlSafe(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quote = None;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '?') => {
                n += 1;
                out.push_str(&format!("${n}"));
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    AssertSqlSafe(Cow::Owned(out))
}

/// Whether `error` is a serialization failure or deadlock worth running the statement again
/// for, counting the attempt in `attempt`.
pub(crate) fn should_retry(error: &sqlx::Error, attempt: &mut u32) -> bool {
    let retryable = matches!(
        error,
        sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("40001" | "40P01"))
    );
    if retryable && *attempt < SERIALIZATION_RETRIES {
        *attempt += 1;
        tracing::debug!(attempt = *attempt, "serialization failure, running again");
        true
    } else {
        false
    }
}

/// Runs `$body` on the engine in use: `$pool` is that engine's pool and `$sql(...)` makes a
/// statement for it from SQL written with `?` placeholders ([`sqlite_sql`], [`postgres_sql`]).
/// `$body` is an expression of type `Result<_, sqlx::Error>`; on PostgreSQL it is run again
/// after a serialization failure or deadlock (so it must be safe to run again: one statement,
/// or one transaction begun and committed inside it), and its last error is passed to
/// [`Storage::after_error`] (the failover watcher's cue).
macro_rules! on_db {
    ($storage:expr, |$pool:ident, $sql:ident| $body:expr) => {
        match &$storage.pool {
            $crate::storage::db::Pool::Sqlite($pool) => {
                #[allow(unused)]
                fn $sql(
                    sql: impl Into<::std::borrow::Cow<'static, str>>,
                ) -> ::sqlx::AssertSqlSafe<::std::borrow::Cow<'static, str>> {
                    $crate::storage::db::sqlite_sql(sql)
                }
                $body
            }
            $crate::storage::db::Pool::Postgres($pool) => {
                #[allow(unused)]
                fn $sql(
                    sql: impl Into<::std::borrow::Cow<'static, str>>,
                ) -> ::sqlx::AssertSqlSafe<::std::borrow::Cow<'static, str>> {
                    $crate::storage::db::postgres_sql(sql)
                }
                let mut attempt = 0u32;
                let done = match $storage.no_primary() {
                    Some(e) => Err(e),
                    None => loop {
                        match $body {
                            Err(e) if $crate::storage::db::should_retry(&e, &mut attempt) => {
                                continue;
                            }
                            done => break done,
                        }
                    },
                };
                if let Err(e) = &done {
                    $storage.after_error(e);
                }
                done
            }
        }
    };
}
pub(crate) use on_db;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        let AssertSqlSafe(sql) = postgres_sql("SELECT '?' FROM t WHERE a = ? AND \"b?\" IN (?, ?)");
        assert_eq!(sql, "SELECT '?' FROM t WHERE a = $1 AND \"b?\" IN ($2, $3)");
    }

    #[test]
    fn a_multi_host_url_becomes_one_target_per_host() {
        let db: Database = "postgres://u:secret@a:5433,b/mfa?target_session_attrs=read-write"
            .parse()
            .unwrap();
        let Database::Postgres(target) = &db else {
            panic!("not postgres: {db:?}")
        };
        assert!(target.read_write);
        let hosts: Vec<(&str, u16, Option<&str>, &str)> = target
            .hosts
            .iter()
            .map(|o| {
                (
                    o.get_host(),
                    o.get_port(),
                    o.get_database(),
                    o.get_username(),
                )
            })
            .collect();
        assert_eq!(
            hosts,
            [("a", 5433, Some("mfa"), "u"), ("b", 5432, Some("mfa"), "u")]
        );
        assert_eq!(db.to_string(), "postgres://a:5433,b:5432/mfa");
        assert!(!db.to_string().contains("secret"));
    }

    #[test]
    fn paths_are_sqlite_and_bad_urls_are_refused() {
        assert!(matches!(
            "./data/x.sqlite".parse::<Database>(),
            Ok(Database::Sqlite(_))
        ));
        for bad in [
            "postgres://a,,b/mfa",
            "postgresql://a/mfa?target_session_attrs=standby",
            "",
        ] {
            assert!(bad.parse::<Database>().is_err(), "{bad}");
        }
    }
}
