//! Three servers on one PostgreSQL database behave as one (issue 12): sessions, the
//! compare-and-set of a device's state, the throttle and the SigV4 replay cache are rows every
//! server reads, and a server killed with SIGKILL loses nothing it acknowledged.
//!
//! PostgreSQL only, by design (servers share a database server; the SQLite pass skips these by
//! name, `xtask/src/postgres.rs` `POSTGRES_ONLY`, and a plain `cargo test` on SQLite returns at
//! once saying so).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::acknowledged::{Sent, assert_nothing_acknowledged_is_lost, resync, stored_states};
use common::query::{Signing, create_key, error_code, post_signed, signed_headers};
use common::*;
use serde_json::json;

/// Three servers on one fresh database (the first seeds the demo account), their database
/// connections open.
async fn three_servers() -> Option<[Server; 3]> {
    if !pg::on_postgres() {
        eprintln!("skipped by design on SQLite: servers share a PostgreSQL database");
        return None;
    }
    let first = Server::start();
    let servers = [Server::join(&first), Server::join(&first), first];
    for server in &servers {
        server.warm_pool().await;
    }
    Some(servers)
}

/// A client of `server` on the session of `other`.
fn on_session(server: &Server, other: &Client) -> Client {
    let mut c = server.client();
    c.cookie = other.cookie.clone();
    c
}

fn finish(servers: [Server; 3]) {
    for server in servers {
        server.finish();
    }
}

/// A session opened on one server works on the others; signed out on a second, it is over on
/// all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_one_on_every_server_and_sign_out_ends_it_everywhere() {
    let Some(servers) = three_servers().await else {
        return;
    };
    let mut bob = servers[0].client();
    bob.sign_in_with_mfa("bob", &servers[0].device(BOB_VIRTUAL))
        .await;
    for server in &servers {
        let s = on_session(server, &bob).get("/api/session").await;
        assert_eq!(
            (s.status, &s.body["MfaPresent"]),
            (200, &json!(true)),
            "{s:?}"
        );
    }
    let r = on_session(&servers[1], &bob)
        .post("/api/sign-out", json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    for server in &servers {
        let s = on_session(server, &bob).get("/api/session").await;
        assert_eq!(s.status, 401, "signed out everywhere: {s:?}");
    }
    finish(servers);
}

/// Twenty identical valid resyncs at once, spread over the three servers: exactly one is
/// accepted, and the stored state is the one it answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_identical_resyncs_over_three_servers_succeed_once() {
    let Some(servers) = three_servers().await else {
        return;
    };
    let phone = servers[0].device(ALICE_VIRTUAL);
    let mut admin = servers[0].client();
    admin
        .sign_in_with_mfa("admin", &servers[0].device(ADMIN_VIRTUAL))
        .await;
    let step = now_step() - 500;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let mut c = on_session(&servers[i % 3], &admin);
            let (c1, c2) = (phone.at(step), phone.at(step + 1));
            tokio::spawn(async move { c.resync(Some("alice"), ALICE_VIRTUAL, &c1, &c2).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let accepted: Vec<&Resp> = answers.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        accepted.len(),
        1,
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in answers.iter().filter(|r| r.status != 200) {
        assert!(matches!(r.status, 403 | 429), "{r:?}");
    }
    let row = servers[2].device_row(ALICE_VIRTUAL).await;
    assert_eq!(row.last_used_step, step as i64 + 1);
    assert_eq!(
        Some(row.drift_steps),
        accepted[0].body["DriftSteps"].as_i64()
    );
    finish(servers);
}

/// Five wrong pairs spread over the three servers: the sixth attempt on any of them, right
/// pair or wrong, is 429 with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_over_three_servers_throttle_on_all() {
    let Some(servers) = three_servers().await else {
        return;
    };
    let fob = servers[0].device(ALICE_FOB);
    let mut admin = servers[0].client();
    admin
        .sign_in_with_mfa("admin", &servers[0].device(ADMIN_VIRTUAL))
        .await;
    for i in 0..5 {
        let r = on_session(&servers[i % 3], &admin)
            .resync(Some("alice"), ALICE_FOB, "000000", "999999")
            .await;
        assert_eq!(
            (r.status, r.code()),
            (403, "InvalidAuthenticationCode"),
            "{r:?}"
        );
    }
    let step = now_step();
    for server in &servers {
        for (c1, c2) in [
            ("000000".to_owned(), "999999".to_owned()),
            (fob.at(step), fob.at(step + 1)),
        ] {
            let r = on_session(server, &admin)
                .resync(Some("alice"), ALICE_FOB, &c1, &c2)
                .await;
            assert_eq!((r.status, r.code()), (429, "LimitExceeded"), "{r:?}");
            let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=30).contains(&wait), "{wait}");
        }
    }
    let row = servers[1].device_row(ALICE_FOB).await;
    assert_eq!(row.failures, 5);
    assert_eq!(
        row.last_used_step,
        servers[0].device_row(ALICE_FOB).await.last_used_step
    );
    finish(servers);
}

/// One signed Query request (a resync with bob's access key) sent to two servers at once is
/// accepted by one; the other answers `RequestAlreadyUsed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_sent_to_two_servers_is_accepted_once() {
    let Some(servers) = three_servers().await else {
        return;
    };
    let key = create_key(&servers[0], &["--user-name", "bob"]);
    let phone = servers[0].device(BOB_VIRTUAL);
    let step = now_step() - 300;
    let (c1, c2) = (phone.at(step), phone.at(step + 1));
    servers[0]
        .sent
        .lock()
        .unwrap()
        .extend([c1.clone(), c2.clone()]);
    let serial = BOB_VIRTUAL.replace(':', "%3A").replace('/', "%2F");
    let body = format!(
        "Action=ResyncMFADevice&Version=2010-05-08&UserName=bob&SerialNumber={serial}\
         &AuthenticationCode1={c1}&AuthenticationCode2={c2}"
    );
    // Signed once, for the name both servers answer to behind a load balancer (here the
    // first's address), and the same bytes sent to both.
    let headers = signed_headers(&servers[0], &Signing::new(&key), &body);
    let (a, b) = tokio::join!(
        post_signed(&servers[0].base, &headers, &body),
        post_signed(&servers[1].base, &headers, &body),
    );
    let mut statuses = [(a.0, a.2), (b.0, b.2)];
    statuses.sort_by_key(|(status, _)| *status);
    assert_eq!(statuses[0].0, 200, "{statuses:?}");
    assert_eq!(
        (statuses[1].0, error_code(&statuses[1].1)),
        (403, "RequestAlreadyUsed"),
        "{statuses:?}"
    );
    assert_eq!(
        servers[2].device_row(BOB_VIRTUAL).await.last_used_step,
        step as i64 + 1
    );
    finish(servers);
}

/// A resync loop on each server, each on its own device; one server is killed (SIGKILL) in
/// the middle. Every resync any server acknowledged is stored, and the two others answer every
/// request throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_loop_loses_nothing_acknowledged() {
    let Some(servers) = three_servers().await else {
        return;
    };
    const TARGETS: [(&str, &str); 3] = [
        ("alice", ALICE_VIRTUAL),
        ("alice", ALICE_FOB),
        ("bob", BOB_VIRTUAL),
    ];
    let mut admin = servers[0].client();
    admin
        .sign_in_with_mfa("admin", &servers[0].device(ADMIN_VIRTUAL))
        .await;
    let servers: Vec<Arc<Mutex<Server>>> = servers
        .into_iter()
        .map(|s| Arc::new(Mutex::new(s)))
        .collect();
    let running = Arc::new(AtomicBool::new(true));
    let log = Arc::new(Mutex::new(Vec::<Sent>::new()));
    let first = now_step() - 2000;
    let loops: Vec<_> = TARGETS
        .iter()
        .enumerate()
        .map(|(i, &(user, serial))| {
            let (running, log) = (running.clone(), log.clone());
            let (mut client, dev) = {
                let server = servers[i].lock().unwrap();
                (on_session(&server, &admin), server.device(serial))
            };
            tokio::spawn(async move {
                let mut step = first + i as u64 * 1000;
                while running.load(Ordering::Relaxed) {
                    let r = resync(&mut client, &dev, user, step).await;
                    let dead = r.status == 0;
                    log.lock().unwrap().push(r);
                    if dead {
                        break;
                    }
                    step += 2;
                }
            })
        })
        .collect();
    let acknowledged = |serial: &str| {
        let log = log.lock().unwrap();
        log.iter()
            .filter(|s| s.serial == serial && s.status == 200)
            .count()
    };
    let wait_for = |serial: &'static str, n: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        async move {
            while acknowledged(serial) < n {
                assert!(
                    Instant::now() < deadline,
                    "{serial}: fewer than {n} acknowledged"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    for (_, serial) in TARGETS {
        wait_for(serial, 5).await;
    }
    servers[0].lock().unwrap().kill();
    // The others go on: ten more acknowledged each after the kill.
    for (_, serial) in &TARGETS[1..] {
        let n = acknowledged(serial);
        wait_for(serial, n + 10).await;
    }
    running.store(false, Ordering::Relaxed);
    for t in loops {
        t.await.unwrap();
    }
    let sent = std::mem::take(&mut *log.lock().unwrap());
    for s in &sent {
        if s.serial == TARGETS[0].1 {
            assert!(matches!(s.status, 200 | 0), "{s:?}");
        } else {
            assert_eq!(
                s.status, 200,
                "the servers not killed answer throughout: {s:?}"
            );
        }
    }
    assert!(
        sent.iter().any(|s| s.status == 0),
        "the killed server's loop saw it die"
    );
    let url = servers[1].lock().unwrap().pg_url().unwrap().to_owned();
    let serials: Vec<&str> = TARGETS.iter().map(|(_, s)| *s).collect();
    assert_nothing_acknowledged_is_lost(&sent, &serials, &stored_states(&url).await);
    for server in servers {
        let server = Arc::try_unwrap(server).ok().unwrap().into_inner().unwrap();
        server.finish();
    }
}

/// Migrations are safe when several servers start at once on an empty database (sqlx's
/// PostgreSQL migrator holds an advisory lock while it runs): four servers started together
/// all become ready, and each migration is recorded once.
#[tokio::test]
async fn four_servers_started_at_once_on_an_empty_database_migrate_it_once() {
    if !pg::on_postgres() {
        eprintln!("skipped by design on SQLite: servers share a PostgreSQL database");
        return;
    }
    use std::io::BufRead;
    let url = pg::fresh_database_url();
    let mut children: Vec<std::process::Child> = (0..4)
        .map(|_| {
            std::process::Command::new(BIN)
                .args(["--db", &url, "serve", "--addr", "127.0.0.1:0"])
                .env(
                    "MFA_RESYNC_KEY",
                    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in &mut children {
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("listening on "), "not ready: {line:?}");
    }
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let recorded: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, COUNT(*) FROM _sqlx_migrations GROUP BY version ORDER BY version",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(recorded.len(), files, "{recorded:?}");
    assert!(recorded.iter().all(|(_, n)| *n == 1), "{recorded:?}");
    for mut child in children {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
