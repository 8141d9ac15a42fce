//! Failover without a restart (issue 12): a primary, a synchronous streaming-replication standby
//! and one real `mfa-resync` server on the two-host URL. The primary is stopped as a crash
//! would (`pg_ctl stop -m immediate`), the standby promoted (`pg_ctl promote`); the server must
//! reach the new primary by itself, answer nothing but 200/401/429/503 (503 with `Retry-After`)
//! meanwhile, and lose no acknowledged resync.
//!
//! PostgreSQL only, by design: a SQLite file has no standby to fail over to. The PostgreSQL
//! pass of `cargo xtask test` runs it (`MFA_RESYNC_TEST_STORE=postgres`); the SQLite pass skips
//! it by name (`xtask/src/postgres.rs`, `POSTGRES_ONLY`), and a plain `cargo test` on SQLite
//! returns at once saying so.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::acknowledged::{Sent, assert_nothing_acknowledged_is_lost, resync, stored_states};
use common::pg::Cluster;
use common::*;

/// The devices resynced, by their owners (TOTP, six digits, 30 s).
const TARGETS: [(&str, &str); 3] = [
    ("alice", ALICE_VIRTUAL),
    ("alice", ALICE_FOB),
    ("bob", BOB_VIRTUAL),
];

fn serials() -> Vec<&'static str> {
    TARGETS.iter().map(|(_, serial)| *serial).collect()
}

/// `/readyz` until it answers `want`, at most for `bound`; the last answer.
async fn readyz_until(server: &Server, want: u16, bound: Duration) -> u16 {
    let start = Instant::now();
    loop {
        let (status, _, _) = probe(server, "/readyz").await;
        if status == want || start.elapsed() > bound {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promoted_standby_is_followed_without_a_restart() {
    if !pg::on_postgres() {
        eprintln!("skipped by design on SQLite: failover needs PostgreSQL (its pass runs it)");
        return;
    }
    // The primary and its standby; then the standby made synchronous (set after the base
    // backup, which a synchronous primary without standby would wait for forever), so a
    // commit is acknowledged only once the standby has it.
    let primary = Cluster::primary(&[]);
    primary.create_database("mfa");
    let standby = Cluster::standby_of(&primary);
    primary.psql(
        "postgres",
        "ALTER SYSTEM SET synchronous_standby_names = 'walreceiver'",
    );
    primary.psql("postgres", "SELECT pg_reload_conf()");
    let deadline = Instant::now() + Duration::from_secs(30);
    while primary.psql(
        "postgres",
        "SELECT string_agg(sync_state, ',') FROM pg_stat_replication",
    ) != "sync"
    {
        assert!(
            Instant::now() < deadline,
            "the standby never became synchronous"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/mfa?target_session_attrs=read-write",
        primary.port(),
        standby.port()
    );
    let server = Server::start_on(&url);
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    server.warm_pool().await;

    // Acknowledged resyncs before the failure: each device walks forward two steps a time.
    let first = now_step() - 2000;
    let mut sent = Vec::new();
    for (i, (user, serial)) in TARGETS.iter().enumerate() {
        let r = resync(
            &mut admin,
            &server.device(serial),
            user,
            first + i as u64 * 1000,
        )
        .await;
        assert_eq!(r.status, 200, "{r:?}");
        sent.push(r);
    }

    // A resync loop per device, running through the failure and the promotion, each on the
    // administrator's session (a row: it is on the standby too).
    let running = Arc::new(AtomicBool::new(true));
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = Arc::new(server);
    let loops: Vec<_> = TARGETS
        .iter()
        .enumerate()
        .map(|(i, &(user, serial))| {
            let (server, running, log) = (server.clone(), running.clone(), log.clone());
            let mut client = server.client();
            client.cookie = admin.cookie.clone();
            tokio::spawn(async move {
                let mut step = first + i as u64 * 1000 + 2;
                while running.load(Ordering::Relaxed) {
                    let r = resync(&mut client, &server.device(serial), user, step).await;
                    let unavailable = r.status == 503;
                    log.lock().unwrap().push(r);
                    step += 2;
                    if unavailable {
                        // A client's pause before it tries again (not synchronisation): each
                        // try takes two steps of the ±2880-step window.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                step
            })
        })
        .collect();
    let acknowledged = |log: &Mutex<Vec<Sent>>| {
        let log = log.lock().unwrap();
        log.iter().filter(|s| s.status == 200).count()
    };
    // The crash comes in the middle of the loops: after some acknowledged resyncs of each.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged(&log) < 5 * TARGETS.len() {
        assert!(Instant::now() < deadline, "{:?}", log.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The primary crashes. Until the standby is promoted no host takes writes: the server
    // says it is not ready, and a change is refused with 503 and Retry-After, not applied.
    {
        let cluster = Arc::new(primary);
        let stopping = cluster.clone();
        tokio::task::spawn_blocking(move || stopping.stop_immediate())
            .await
            .unwrap();
        let (status, retry, _) = probe(&server, "/readyz").await;
        assert_eq!((status, retry.as_deref()), (503, Some("1")));
        let r = resync(
            &mut admin,
            &server.device(ADMIN_VIRTUAL),
            "admin",
            now_step() + 10,
        )
        .await;
        assert_eq!(
            (r.status, r.retry_after.as_deref()),
            (503, Some("1")),
            "{r:?}"
        );
        sent.push(r);
    }
    let standby = Arc::new(standby);
    let promoting = standby.clone();
    tokio::task::spawn_blocking(move || promoting.promote())
        .await
        .unwrap();
    let ready = readyz_until(&server, 200, Duration::from_secs(30)).await;
    assert_eq!(
        ready,
        200,
        "ready again without a restart: {}",
        server.logs()
    );

    // The loops go on until each has an acknowledged resync after the switch, then stop;
    // what they were told must all be stored.
    let before = acknowledged(&log);
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged(&log) < before + TARGETS.len() {
        assert!(Instant::now() < deadline, "no resync after the switch");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running.store(false, Ordering::Relaxed);
    let mut next = Vec::new();
    for task in loops {
        next.push(task.await.unwrap());
    }
    sent.extend(std::mem::take(&mut *log.lock().unwrap()));
    let during = |status| sent.iter().filter(|s| s.status == status).count();
    assert!(during(503) >= 1, "the switch was seen");
    assert!(during(200) >= 5 * TARGETS.len() + TARGETS.len());
    for s in &sent {
        assert!(
            matches!(s.status, 200 | 401 | 429 | 503),
            "an answer during the switch: {s:?}"
        );
        if s.status == 503 {
            assert_eq!(s.retry_after.as_deref(), Some("1"), "{s:?}");
        }
    }
    let new_primary = standby.url("mfa");
    assert_nothing_acknowledged_is_lost(&sent, &serials(), &stored_states(&new_primary).await);

    // The same server keeps working: a new resync of each device succeeds and is what is
    // stored.
    for (&(user, serial), step) in TARGETS.iter().zip(next) {
        let r = resync(&mut admin, &server.device(serial), user, step).await;
        assert_eq!(r.status, 200, "{r:?}");
        let (drift, last) = stored_states(&new_primary).await[serial];
        assert_eq!((Some(drift), last), (r.drift, r.step));
    }
    let logs = server.logs();
    assert!(
        logs.contains("PostgreSQL primary moved"),
        "the switch is logged"
    );
    Arc::try_unwrap(server)
        .ok()
        .expect("the loops are done")
        .finish();
}

/// A primary whose sessions turn read-only under a running server (as a host does when it is
/// demoted and restarted as a standby): the writes that reach it fail with SQLSTATE 25006,
/// which is answered 503 with `Retry-After` — never 500 — and changes nothing; the server
/// then opens new connections, refuses the read-only host, and serves again by itself once the
/// host takes writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_refused_by_a_read_only_host_are_503_and_reconnect() {
    if !pg::on_postgres() {
        eprintln!("skipped by design on SQLite: read-only hosts are PostgreSQL's");
        return;
    }
    let cluster = Cluster::primary(&[]);
    cluster.create_database("mfa");
    let url = format!("{}?target_session_attrs=read-write", cluster.url("mfa"));
    let server = Server::start_on(&url);
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    server.warm_pool().await;
    let (user, serial) = TARGETS[0];
    let mut step = now_step() - 100;
    let ok = resync(&mut admin, &server.device(serial), user, step).await;
    assert_eq!(ok.status, 200, "{ok:?}");

    cluster.psql(
        "postgres",
        "ALTER SYSTEM SET default_transaction_read_only = on",
    );
    cluster.psql("postgres", "SELECT pg_reload_conf()");
    // The pooled sessions take the setting at their next statement: resync until refused.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut acknowledged = ok;
    let refused = loop {
        step += 2;
        let r = resync(&mut admin, &server.device(serial), user, step).await;
        match r.status {
            200 => acknowledged = r,
            503 => break r,
            _ => panic!("{r:?}"),
        }
        assert!(Instant::now() < deadline, "writes were never refused");
    };
    assert_eq!(refused.retry_after.as_deref(), Some("1"), "{refused:?}");
    assert!(
        server
            .logs()
            .contains("a write reached a read-only PostgreSQL session")
    );
    let (status, retry, _) = probe(&server, "/readyz").await;
    assert_eq!((status, retry.as_deref()), (503, Some("1")), "not ready");
    let stored = stored_states(&cluster.url("mfa")).await;
    assert_eq!(
        stored[serial],
        (acknowledged.drift.unwrap(), acknowledged.step),
        "the refused write changed nothing"
    );

    cluster.psql(
        "postgres",
        "ALTER SYSTEM RESET default_transaction_read_only",
    );
    cluster.psql("postgres", "SELECT pg_reload_conf()");
    assert_eq!(
        readyz_until(&server, 200, Duration::from_secs(30)).await,
        200
    );
    let r = resync(&mut admin, &server.device(serial), user, step + 2).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        stored_states(&cluster.url("mfa")).await[serial],
        (r.drift.unwrap(), r.step)
    );
    server.finish();
}
