//! A database made read-only under a running server on SQLite (issue 14): the filesystem
//! refuses every change to the database's files with `EROFS`, as the kernel does once it has
//! remounted a filesystem read-only, while the server keeps its files open.
//!
//! A real remount cannot be had here: Linux refuses to make a filesystem read-only while a file
//! on it is open for writing (`EBUSY`), which is exactly the case; ext4's own remount on an
//! error (`errors=remount-ro`) can never be made writable again and needs root and a loop
//! device. So the refusal comes from `common/read_only.c`, built here with the system's C
//! compiler and preloaded into the real server (`LD_PRELOAD`): while a switch file exists,
//! writes, syncs, truncation and opening for writing of the database's files fail with
//! `EROFS`. SQLite answers them as it does a read-only filesystem: `SQLITE_IOERR_WRITE` on a
//! connection that was open before, and a connection opened meanwhile is opened read-only
//! (`SQLITE_READONLY` on its writes, for as long as it lives).
//!
//! Every request that needs a write answers 503 with `Retry-After` and changes nothing; reads
//! answer; once the files take writes again, service returns without a restart — on every
//! pooled connection, the ones opened read-only meanwhile too — and every answered change is
//! stored and audited. SQLite only: PostgreSQL's read-only case is a standby
//! (`failover.rs`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::acknowledged::{resync, snapshot};
use common::*;
use serde_json::json;

/// Builds the preload library into `dir` with `cc` (the C compiler Rust links with).
fn build_read_only_filesystem(dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/read_only.c");
    let library = dir.join("read_only.so");
    let out = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o"])
        .arg(&library)
        .arg(&source)
        .arg("-ldl")
        .output()
        .expect("cc runs");
    assert!(
        out.status.success(),
        "cc {}: {}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    library
}

/// The server's open descriptors of the database file, and whether each is open for writing
/// (`/proc/PID/fdinfo`'s flags: O_WRONLY or O_RDWR).
fn database_descriptors(server: &Server) -> Vec<bool> {
    let pid = server.pid().expect("the server runs");
    let db = server.db();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
        let entry = entry.unwrap();
        if std::fs::read_link(entry.path()).ok().as_deref() != Some(db.as_path()) {
            continue;
        }
        let info = std::fs::read_to_string(format!(
            "/proc/{pid}/fdinfo/{}",
            entry.file_name().to_string_lossy()
        ))
        .unwrap();
        let flags = info
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .map(|f| u32::from_str_radix(f.trim(), 8).unwrap())
            .expect("fdinfo has flags");
        found.push(flags & 0o3 != 0);
    }
    found
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
async fn a_database_made_read_only_while_serving_answers_503_and_service_returns_when_it_is_writable()
 {
    if pg::on_postgres() {
        eprintln!("skipped by design on PostgreSQL: the files made read-only are SQLite's");
        return;
    }
    let mut server = Server::start();
    server.stop();
    let library = build_read_only_filesystem(server.dir.path());
    let switch = server.dir.path().join("read-only-now");
    server.env("LD_PRELOAD", library);
    server.env("MFA_RESYNC_READ_ONLY_PREFIX", server.db());
    server.env("MFA_RESYNC_READ_ONLY_SWITCH", &switch);
    server.revive();

    let phone = server.device(ALICE_VIRTUAL);
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    // Bob's sessions, for reads in parallel while the files are read-only (a sign-in writes).
    let mut readers = Vec::new();
    for _ in 0..12 {
        let mut bob = server.client();
        assert_eq!(bob.sign_in("bob").await.status, 200);
        readers.push(bob);
    }
    let audit_before = snapshot(&server).await.audit.len();
    let mut step = now_step() - 1000;
    for _ in 0..3 {
        let r = resync(&mut admin, &phone, "alice", step).await;
        assert_eq!(r.status, 200, "{r:?}");
        step += 2;
    }
    let stored = server.device_row(ALICE_VIRTUAL).await;
    assert_eq!(stored.last_used_step, step as i64 - 2);
    let writable_before = database_descriptors(&server);
    assert!(writable_before.iter().all(|w| *w), "{writable_before:?}");

    std::fs::write(&switch, b"").unwrap();
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
    unavailable(&server.client().sign_in("bob").await, "a sign-in");
    let r = admin
        .post(
            "/api/iam/CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": "read-only"}),
        )
        .await;
    unavailable(&r, "a new device");
    // Reads need no write: they answer. Twelve at once, in rounds until the pool has opened a
    // connection while the files are read-only (SQLite opens those read-only): how many it
    // needs depends on how busy the machine is, so the rounds are bounded by the pool's size.
    let mut during = Vec::new();
    for _ in 0..40 {
        let mut lists = tokio::task::JoinSet::new();
        for mut bob in readers {
            lists.spawn(async move {
                let r = bob.list(None).await;
                (bob, r)
            });
        }
        readers = Vec::new();
        for (bob, r) in lists.join_all().await {
            assert_eq!(r.status, 200, "{r:?}");
            readers.push(bob);
        }
        during = database_descriptors(&server);
        if during.iter().any(|w| !w) {
            break;
        }
    }
    assert!(
        during.iter().any(|w| !w),
        "a connection was opened while read-only: {during:?}"
    );
    assert_eq!(admin.get("/api/session").await.status, 200);
    assert_eq!(probe(&server, "/healthz").await.0, 200);
    // Nothing changed: the device's row is the one before the refused writes.
    assert_eq!(server.device_row(ALICE_VIRTUAL).await, stored);

    std::fs::remove_file(&switch).unwrap();
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
        unavailable(&r, "a resync before the files were writable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(recovered.status, 200, "writes again: {recovered:?}");
    // Writes through every pooled connection (the pool hands its idle connections out in
    // turn, and there are fewer than the descriptors counted): none of them is one of the
    // read-only ones. (Their descriptors may stay open after they close: SQLite keeps a closed
    // connection's file open while another connection of the process holds a lock on it.)
    for n in 0..during.len() + 2 {
        let r = admin
            .post(
                "/api/iam/CreateVirtualMFADevice",
                json!({"VirtualMFADeviceName": format!("after-{n}")}),
            )
            .await;
        assert_eq!(
            r.status, 200,
            "write {n} after the files were writable: {r:?}"
        );
        let serial = r.body["VirtualMFADevice"]["SerialNumber"].as_str().unwrap();
        let r = admin
            .post(
                "/api/iam/DeleteVirtualMFADevice",
                json!({"SerialNumber": serial}),
            )
            .await;
        assert_eq!(
            r.status, 200,
            "delete {n} after the files were writable: {r:?}"
        );
    }
    assert_eq!(
        server.client().sign_in("bob").await.status,
        200,
        "sign-ins again"
    );
    let row = server.device_row(ALICE_VIRTUAL).await;
    assert_eq!(row.last_used_step, step as i64);
    assert_eq!(Some(row.drift_steps), recovered.body["DriftSteps"].as_i64());
    // The answered successes are audited, once each (the three before too).
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
