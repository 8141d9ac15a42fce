//! Following PostgreSQL's primary from host to host without a restart (issue 12): with a
//! multi-host `--db` URL, when the primary dies and a standby is promoted, the pool reaches the
//! new primary by itself.
//!
//! # The shape chosen, and why
//! One sqlx pool for the life of the server, whose connect options name the host currently
//! believed to be the primary, and a [`Primary`] watcher that changes them
//! ([`sqlx::Pool::set_connect_options`]). sqlx 0.9 reads the options afresh on every attempt of
//! its connect loop (`pool/inner.rs`: a refused connection is retried with back-off until the
//! acquire timeout), so a request already waiting for a connection to the dead host is served by
//! the new one as soon as the options change. Two pool hooks keep the connections honest:
//! - `after_connect` refuses a connection to a host whose sessions are read-only (`SHOW
//!   transaction_read_only`: a standby in recovery) when the URL asks for `read-write`, and wakes
//!   the watcher: no write can ever be sent to a standby;
//! - `before_acquire` discards every connection opened before the last switch ([`Primary`]'s
//!   `retired_before`): after a switch, or a read-only transaction error (SQLSTATE 25006), no
//!   connection to the old host is used again, even one that still answers; and it pings a
//!   connection idle for [`PING_WHEN_IDLE_FOR`] or more, so connections to a dead host are
//!   discarded, not given to a request. (sqlx's `test_before_acquire` pinged every connection
//!   on every acquire, on top of sqlx's ping when a connection is released: off.) A connection
//!   that breaks between its release and its next use fails that one request with 503, and
//!   is closed by the failed ping at its release.
//!
//! The watcher wakes when a statement fails in a way that may mean another host is primary now
//! (connection lost or refused, the pool timed out, SQLSTATE class 08, 57P01–57P03, 25006 —
//! [`points_elsewhere`]), or when `/readyz` finds no answer; it then tries the hosts in the URL's
//! order, takes the first that answers and (for `read-write`) takes writes, and while none does
//! it tries again every [`SEARCH_INTERVAL`]. Meanwhile requests fail with those errors, which
//! `error.rs` answers 503 with `Retry-After` — at once while a search has found no usable host
//! ([`Primary::missing`]), not after the pool's acquire timeout for each statement; a
//! transaction cut by the failure is rolled back by PostgreSQL, so no change is half applied.
//!
//! The alternatives weighed: a pool rebuilt and swapped (`RwLock<PgPool>`) on each switch —
//! every statement would read the lock, and the old pool's connections would have to be drained
//! by hand; libpq-style host lists inside the connect options — sqlx's `PgConnectOptions` takes
//! one host only (`db.rs`); `before_acquire` asking every connection whether it is read-only —
//! one more round trip on every request, where a switch is rare.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

/// How long the watcher waits between two searches while no host is usable.
pub(crate) const SEARCH_INTERVAL: Duration = Duration::from_millis(200);

/// An idle connection is pinged before use when it has been idle this long. sqlx pings every
/// connection when it is released, so one idle for less was answering a moment ago; pinging
/// it again (sqlx's `test_before_acquire`) cost a third of the round trips of a resync
/// (measured: 18 per resync with it, 12 without; `backend/examples/load`).
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// How long one host may take to answer a probe before the next is tried.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The hosts of one `--db` URL and which of them the pool connects to.
pub(crate) struct Primary {
    hosts: Vec<PgConnectOptions>,
    read_write: bool,
    /// The index in `hosts` of the host the pool's options name.
    current: Mutex<usize>,
    /// Connections opened before this instant are not used again (set by a switch or 25006).
    retired_before: Mutex<Option<Instant>>,
    /// Whether the last search found a usable host (true until a search finds none).
    found: AtomicBool,
    /// Wakes the watcher.
    wake: tokio::sync::Notify,
}

impl Primary {
    /// Finds the first usable host (with each skipped host's reason in the error when none is),
    /// opens the pool on it with the hooks above and starts the watcher.
    pub(crate) async fn connect(
        hosts: Vec<PgConnectOptions>,
        read_write: bool,
        pool_options: PgPoolOptions,
    ) -> Result<(PgPool, Arc<Primary>), sqlx::Error> {
        let mut failures = Vec::new();
        let mut found = None;
        for (i, options) in hosts.iter().enumerate() {
            match probe(options, read_write).await {
                Ok(()) => {
                    found = Some(i);
                    break;
                }
                Err(e) => failures.push(format!("{}: {e}", name(options))),
            }
        }
        let Some(index) = found else {
            return Err(sqlx::Error::Configuration(
                format!("no usable PostgreSQL host ({})", failures.join("; ")).into(),
            ));
        };
        let primary = Arc::new(Primary {
            hosts,
            read_write,
            current: Mutex::new(index),
            retired_before: Mutex::new(None),
            found: AtomicBool::new(true),
            wake: tokio::sync::Notify::new(),
        });
        let on_connect = primary.clone();
        let on_acquire = primary.clone();
        let pool = pool_options
            .after_connect(move |conn, _| {
                let primary = on_connect.clone();
                Box::pin(async move {
                    if primary.read_write && read_only(conn).await? {
                        primary.wake.notify_one();
                        return Err(sqlx::Error::Configuration(
                            "the host is read-only (a standby); looking for the primary".into(),
                        ));
                    }
                    Ok(())
                })
            })
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                let retired = on_acquire.opened_before_retirement(meta.age);
                Box::pin(async move {
                    if retired {
                        return Ok(false);
                    }
                    if meta.idle_for >= PING_WHEN_IDLE_FOR {
                        use sqlx::Connection;
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(primary.hosts[index].clone())
            .await?;
        tokio::spawn(watch(primary.clone(), pool.clone()));
        Ok((pool, primary))
    }

    /// Called with every failed statement's error: wakes the watcher when the error may mean
    /// the primary is elsewhere, and after a read-only transaction error retires every open
    /// connection (one of them reached a standby).
    pub(crate) fn after_error(&self, error: &sqlx::Error) {
        if !points_elsewhere(error) {
            return;
        }
        if is_read_only_error(error) {
            tracing::warn!("a write reached a read-only PostgreSQL session; reconnecting");
            self.retire_open_connections();
        }
        self.wake.notify_one();
    }

    /// While the watcher's last search found no usable host: the error every statement fails
    /// with at once (503), rather than waiting for the pool's acquire timeout, request after
    /// request, for a host that is not there.
    pub(crate) fn missing(&self) -> Option<sqlx::Error> {
        (!self.found.load(Ordering::Relaxed)).then(|| {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "no PostgreSQL host of --db takes writes now",
            ))
        })
    }

    /// Wakes the watcher (the database did not answer `/readyz` in time).
    pub(crate) fn suspect(&self) {
        self.wake.notify_one();
    }

    fn retire_open_connections(&self) {
        *self.retired_before.lock().expect("not poisoned") = Some(Instant::now());
    }

    /// Whether a connection `age` old was opened before the last retirement.
    fn opened_before_retirement(&self, age: Duration) -> bool {
        let retired = *self.retired_before.lock().expect("not poisoned");
        retired.is_some_and(|at| {
            Instant::now()
                .checked_sub(age)
                .is_some_and(|opened| opened < at)
        })
    }

    /// The first usable host, in the URL's order.
    async fn search(&self) -> Option<usize> {
        for (i, options) in self.hosts.iter().enumerate() {
            match probe(options, self.read_write).await {
                Ok(()) => return Some(i),
                Err(e) => tracing::debug!(host = %name(options), error = %e, "host skipped"),
            }
        }
        None
    }
}

/// The watcher: on each wake, searches until a usable host answers, and points the pool at it
/// if it is another host. Ends when the pool is closed.
async fn watch(primary: Arc<Primary>, pool: PgPool) {
    loop {
        tokio::select! {
            () = primary.wake.notified() => {}
            () = pool.close_event() => return,
        }
        let found = loop {
            if let Some(i) = primary.search().await {
                break i;
            }
            if primary.found.swap(false, Ordering::Relaxed) {
                tracing::warn!("no PostgreSQL host takes writes; answering 503 until one does");
            }
            tokio::select! {
                () = tokio::time::sleep(SEARCH_INTERVAL) => {}
                () = pool.close_event() => return,
            }
        };
        let mut current = primary.current.lock().expect("not poisoned");
        if *current != found {
            tracing::warn!(
                from = %name(&primary.hosts[*current]),
                to = %name(&primary.hosts[found]),
                "PostgreSQL primary moved; reconnecting"
            );
            *current = found;
            pool.set_connect_options(primary.hosts[found].clone());
            drop(current);
            primary.retire_open_connections();
        }
        primary.found.store(true, Ordering::Relaxed);
    }
}

/// One connection of its own to `options`' host (whose error, such as "connection refused",
/// says why a host is skipped; the pool's would only say it timed out), refused for
/// `read_write` when that host's sessions are read-only.
async fn probe(options: &PgConnectOptions, read_write: bool) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let attempt = async {
        let mut conn = options.connect().await?;
        let read_only = read_write && read_only(&mut conn).await?;
        conn.close().await?;
        if read_only {
            return Err(sqlx::Error::Configuration(
                "read-only (target_session_attrs=read-write)".into(),
            ));
        }
        Ok(())
    };
    tokio::time::timeout(PROBE_TIMEOUT, attempt)
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

/// Whether the connection's sessions are read-only (libpq's test for `read-write`).
async fn read_only(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    let value: String = sqlx::query_scalar("SHOW transaction_read_only")
        .fetch_one(conn)
        .await?;
    Ok(value != "off")
}

/// `host:port`, for logs.
fn name(options: &PgConnectOptions) -> String {
    format!("{}:{}", options.get_host(), options.get_port())
}

/// SQLSTATE 25006, read_only_sql_transaction: a write sent to a standby.
fn is_read_only_error(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("25006"))
}

/// Whether `error` may mean the primary is no longer where the pool connects: the connection
/// failed or was refused, the pool found none in time, the server is shutting down or starting
/// (57P01–57P03), a connection exception (class 08), or a read-only transaction (25006).
pub(crate) fn points_elsewhere(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "25006")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_point_elsewhere_and_query_errors_do_not() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(points_elsewhere(&refused));
        assert!(points_elsewhere(&sqlx::Error::PoolTimedOut));
        assert!(!points_elsewhere(&sqlx::Error::RowNotFound));
        assert!(!points_elsewhere(&sqlx::Error::PoolClosed));
    }
}
