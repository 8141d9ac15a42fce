//! A disk that fills up under a running server on SQLite (issue 14). No loop mount without
//! root, and `PRAGMA max_page_count` limits one connection's database pages only (not its WAL,
//! and an update that fits its pages still succeeds), so the disk is filled the way the kernel
//! fills it for one process: its file-size limit (`RLIMIT_FSIZE`, set on the running server
//! with `prlimit(2)`, as its own user may) lowered to one byte — no write reaches the database
//! or its WAL. Measured with SQLite 3: a write that starts past the limit fails with `EFBIG`
//! (`SQLITE_IOERR_WRITE`), one cut short by it with `SQLITE_FULL`, as on a full disk
//! (`ENOSPC`). The server ignores SIGXFSZ (its default action is to die) and logs through a
//! pipe here, so its database is the only file the limit bites on.
//!
//! Every request that needs a write answers 503 with `Retry-After` and changes nothing; reads
//! answer; once the limit is lifted the same requests succeed without a restart, and every
//! answered change is stored and audited. SQLite only (`xtask/src/postgres.rs` `SQLITE_ONLY`):
//! PostgreSQL's disk is the database server's, and its outage is `outage_under_load.rs`.

mod common;

use std::time::{Duration, Instant};

use common::acknowledged::{resync, snapshot};
use common::*;
use serde_json::json;

/// Sets the running server's file-size limit (`None`: none). The hard limit stays unlimited,
/// so lifting it again needs no privilege.
fn limit_file_size(server: &Server, bytes: Option<u64>) {
    let pid = server.pid().expect("the server runs") as libc::pid_t;
    let limit = libc::rlimit {
        rlim_cur: bytes.unwrap_or(libc::RLIM_INFINITY),
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: prlimit reads `limit` and writes nothing (no old value asked for).
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &limit, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}

/// A 503 `ServiceUnavailable` with `Retry-After`: the answer to a write the disk refused.
fn unavailable(r: &Resp, what: &str) {
    assert_eq!(
        (r.status, r.code(), r.header("retry-after")),
        (503, "ServiceUnavailable", Some("1")),
        "{what}: {r:?}"
    );
}

#[tokio::test]
async fn a_full_disk_answers_503_with_retry_after_and_service_returns_when_space_does() {
    if pg::on_postgres() {
        eprintln!("skipped by design on PostgreSQL: the disk filled here is SQLite's");
        return;
    }
    let mut server = Server::start();
    server.stop();
    server.log_through_pipe();
    server.revive();
    let phone = server.device(ALICE_VIRTUAL);
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    let audit_before = snapshot(&server).await.audit.len();
    let mut step = now_step() - 1000;
    for _ in 0..3 {
        let r = resync(&mut admin, &phone, "alice", step).await;
        assert_eq!(r.status, 200, "{r:?}");
        step += 2;
    }
    let stored = server.device_row(ALICE_VIRTUAL).await;
    assert_eq!(stored.last_used_step, step as i64 - 2);

    limit_file_size(&server, Some(1));
    for _ in 0..3 {
        let r = admin
            .resync(
                Some("alice"),
                ALICE_VIRTUAL,
                &phone.at(step - 1),
                &phone.at(step),
            )
            .await;
        unavailable(&r, "a resync");
    }
    let mut bob = server.client();
    unavailable(&bob.sign_in("bob").await, "a sign-in (a new session)");
    let r = admin
        .post(
            "/api/iam/CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": "full"}),
        )
        .await;
    unavailable(&r, "a new device");
    // Reads need no write: they answer (their audit event is lost, and logged as such).
    let r = admin.list(Some("alice")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(admin.get("/api/session").await.status, 200);
    assert_eq!(probe(&server, "/healthz").await.0, 200);
    // Nothing changed: the device's row is the one before the refused writes.
    assert_eq!(server.device_row(ALICE_VIRTUAL).await, stored);

    limit_file_size(&server, None);
    // The same pair, until the server takes writes again: at once, as SQLite rolled the
    // failed ones back (bounded, never a restart).
    let deadline = Instant::now() + Duration::from_secs(10);
    let recovered = loop {
        let r = admin
            .resync(
                Some("alice"),
                ALICE_VIRTUAL,
                &phone.at(step - 1),
                &phone.at(step),
            )
            .await;
        if r.status == 200 || Instant::now() > deadline {
            break r;
        }
        unavailable(&r, "a resync before the space returned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(recovered.status, 200, "writes again: {recovered:?}");
    assert_eq!(bob.sign_in("bob").await.status, 200, "sign-ins again");
    let row = server.device_row(ALICE_VIRTUAL).await;
    assert_eq!(row.last_used_step, step as i64);
    assert_eq!(Some(row.drift_steps), recovered.body["DriftSteps"].as_i64());
    // The answered successes are audited, once each (the three before the disk filled too).
    let audit = snapshot(&server).await.audit;
    let ids: Vec<Option<&str>> = audit[audit_before..]
        .iter()
        .filter(|e| e.action == "ResyncMFADevice" && e.outcome == "Success")
        .map(|e| e.request_id.as_deref())
        .collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert_eq!(ids[3], recovered.header("x-request-id"));
    server.finish();
}
