//! `/readyz` while PostgreSQL goes away and comes back (issue 12), in a test binary of its own:
//! it stops the test process's PostgreSQL cluster, which every other test of the binary shares.

mod common;

use std::time::{Duration, Instant};

use common::{Server, pg, probe};

/// `/readyz`, asked until it answers `want` (the pool finds the database again on its own
/// schedule), at most for `bound`; returns the last answer.
async fn readyz_until(
    server: &Server,
    want: u16,
    bound: Duration,
) -> (u16, Option<String>, String) {
    let start = Instant::now();
    loop {
        let got = probe(server, "/readyz").await;
        if got.0 == want || start.elapsed() > bound {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// PostgreSQL stopped under a running server: `/readyz` answers 503 with `Retry-After` (within
/// its timeout, not a hang), `/healthz` 200, a request that needs the database 503 with
/// `Retry-After`; started again, `/readyz` is 200 without a restart of
/// the server. (A SQLite file cannot go away under its server; this is PostgreSQL's case.)
#[tokio::test]
async fn readyz_follows_the_database_going_away_and_coming_back() {
    if !pg::on_postgres() {
        // A plain `cargo test` on SQLite (`cargo xtask test` skips it by name there): nothing to
        // stop. The PostgreSQL pass checks it.
        eprintln!("skipped by design on SQLite: a SQLite file cannot go away under its server");
        return;
    }
    let server = Server::start();
    assert_eq!(probe(&server, "/readyz").await.0, 200);
    tokio::task::spawn_blocking(pg::stop).await.unwrap();
    let asked = Instant::now();
    let (status, retry, body) = probe(&server, "/readyz").await;
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(
        (status, retry.as_deref(), body.as_str()),
        (503, Some("1"), "database unavailable\n")
    );
    assert_eq!(probe(&server, "/healthz").await.0, 200);
    // A request that needs the database meanwhile: 503 with `Retry-After`, never a 500.
    let mut c = server.client();
    let r = c.sign_in("bob").await;
    assert_eq!(
        (r.status, r.code(), r.header("retry-after")),
        (503, "ServiceUnavailable", Some("1")),
        "{r:?}"
    );
    tokio::task::spawn_blocking(pg::start).await.unwrap();
    let (status, _, _) = readyz_until(&server, 200, Duration::from_secs(15)).await;
    assert_eq!(status, 200, "ready again after the database came back");
    assert_eq!(c.sign_in("bob").await.status, 200, "and serving");
    server.finish();
}
