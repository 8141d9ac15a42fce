//! PostgreSQL stopped and started under load (issue 14), in a test binary of its own: it stops
//! the test process's PostgreSQL cluster, which every other test of a binary shares
//! (`readiness_outage.rs` checks `/readyz` alone). PostgreSQL only (`xtask/src/postgres.rs`
//! `POSTGRES_ONLY`): a SQLite file cannot go away under its server (its full disk is
//! `disk_full.rs`).

mod common;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use common::acknowledged::{Sent, assert_nothing_acknowledged_is_lost, resync, stored_states};
use common::*;

/// Every answer of a loop while the database goes and comes back: 200, or 503 with
/// `Retry-After` — never a 500, never silence.
fn assert_200_or_503(status: u16, retry_after: Option<&str>, what: &str) {
    assert!(
        status == 200 || (status == 503 && retry_after == Some("1")),
        "{what}: {status} (Retry-After {retry_after:?})"
    );
}

/// Until `done` holds, at most `bound`.
async fn until(done: impl Fn() -> bool, bound: Duration, what: &str) {
    let deadline = Instant::now() + bound;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A resync loop (the administrator on alice's phone) and a sign-in loop (bob's password)
/// run while PostgreSQL is stopped at once and started again: every answer is 200 or 503 with
/// `Retry-After`, both loops get 503s during the outage and 200s after it without a restart of
/// the server, and every resync acknowledged is stored.
#[tokio::test]
async fn postgres_stopped_and_started_under_load_answers_503_then_serves_losing_nothing() {
    if !pg::on_postgres() {
        eprintln!("skipped by design on SQLite: a SQLite file cannot go away under its server");
        return;
    }
    let server = Server::start();
    server.warm_pool().await;
    let phone = server.device(ALICE_VIRTUAL);
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    let resyncs = RefCell::new(Vec::<Sent>::new());
    let sign_ins = RefCell::new(Vec::<u16>::new());
    let running = std::cell::Cell::new(true);
    let count = |log: &RefCell<Vec<Sent>>, status: u16| {
        log.borrow().iter().filter(|s| s.status == status).count()
    };
    let resync_loop = async {
        let mut step = now_step() - 2000;
        while running.get() {
            let r = resync(&mut admin, &phone, "alice", step).await;
            assert_200_or_503(r.status, r.retry_after.as_deref(), "a resync");
            resyncs.borrow_mut().push(r);
            step += 2;
        }
    };
    let sign_in_loop = async {
        let mut bob = server.client();
        while running.get() {
            bob.cookie = None;
            let r = bob.sign_in("bob").await;
            assert_200_or_503(r.status, r.header("retry-after"), "a sign-in");
            sign_ins.borrow_mut().push(r.status);
        }
    };
    let outage = async {
        until(
            || count(&resyncs, 200) >= 5,
            Duration::from_secs(30),
            "resyncs",
        )
        .await;
        tokio::task::spawn_blocking(pg::stop).await.unwrap();
        let (r503, s503) = (count(&resyncs, 503), sign_ins.borrow().len());
        until(
            || count(&resyncs, 503) >= r503 + 3 && sign_ins.borrow()[s503..].contains(&503),
            Duration::from_secs(60),
            "503s while PostgreSQL is down",
        )
        .await;
        tokio::task::spawn_blocking(pg::start).await.unwrap();
        let (r200, s200) = (count(&resyncs, 200), sign_ins.borrow().len());
        until(
            || count(&resyncs, 200) >= r200 + 5 && sign_ins.borrow()[s200..].contains(&200),
            Duration::from_secs(30),
            "service again after PostgreSQL came back",
        )
        .await;
        running.set(false);
    };
    tokio::join!(resync_loop, sign_in_loop, outage);
    let sent = resyncs.into_inner();
    eprintln!(
        "PostgreSQL outage under load: {} resyncs (200: {}, 503: {}), {} sign-ins",
        sent.len(),
        sent.iter().filter(|s| s.status == 200).count(),
        sent.iter().filter(|s| s.status == 503).count(),
        sign_ins.borrow().len()
    );
    let url = server.pg_url().unwrap().to_owned();
    assert_nothing_acknowledged_is_lost(&sent, &[ALICE_VIRTUAL], &stored_states(&url).await);
    server.finish();
}
