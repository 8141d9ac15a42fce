//! Throttling and lock-out (security rules 7–10), black box: one counter per device shared by
//! every path, 429 with Retry-After and no oracle, the lock after 100 failures.

mod common;

use common::*;
use serde_json::json;

/// Five failures and the sixth attempt, right or wrong, gets the same 429.
async fn assert_throttled(
    server: &Server,
    f: impl AsyncFn(&str, &str) -> Resp,
    right: (&str, &str),
) {
    let wrong = f("000000", "999999").await;
    let good = f(right.0, right.1).await;
    assert_eq!(wrong.status, 429, "{wrong:?}");
    assert_eq!(wrong.code(), "LimitExceeded");
    assert_eq!(
        (good.status, &good.body),
        (wrong.status, &wrong.body),
        "no oracle"
    );
    let retry: u64 = wrong.header("retry-after").unwrap().parse().unwrap();
    assert!((20..=30).contains(&retry), "{retry}");
    assert_eq!(good.header("retry-after"), wrong.header("retry-after"));
    let _ = server;
}

/// Rule 7 on each path: five failures, then 429 with Retry-After 30.
#[tokio::test]
async fn the_throttle_starts_after_five_failures_on_each_path() {
    let server = Server::start();
    // Self resync after MFA (bob's HOTP token).
    let token = server.device(BOB_HOTP);
    let c = token.counter.unwrap();
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    for _ in 0..5 {
        assert_eq!(
            bob.resync(None, BOB_HOTP, "111111", "222222").await.status,
            403
        );
    }
    let bob_cookie = bob.cookie.clone();
    let base = server.base.clone();
    let call = async |a: &str, b: &str| {
        let mut cl = server.client();
        cl.cookie = bob_cookie.clone();
        cl.base = base.clone();
        cl.resync(None, BOB_HOTP, a, b).await
    };
    assert_throttled(&server, call, (&token.hotp(c), &token.hotp(c + 1))).await;

    // Password-only resync (alice) and the MFA sign-in path share alice's phone's counter.
    let phone = server.device(ALICE_VIRTUAL);
    let mut alice = server.client();
    alice.sign_in("alice").await;
    for i in 0..5 {
        let r = if i % 2 == 0 {
            alice.mfa(ALICE_VIRTUAL, "000000").await
        } else {
            alice.resync(None, ALICE_VIRTUAL, "000000", "111111").await
        };
        assert_eq!(r.status, 403);
    }
    let r = alice.mfa(ALICE_VIRTUAL, &phone.now(10)).await;
    assert_eq!(r.status, 429, "mixed paths share one counter");
    let alice_cookie = alice.cookie.clone();
    let step = now_step();
    let call = async |a: &str, b: &str| {
        let mut cl = server.client();
        cl.cookie = alice_cookie.clone();
        cl.resync(None, ALICE_VIRTUAL, a, b).await
    };
    assert_throttled(&server, call, (&phone.at(step), &phone.at(step + 1))).await;

    // Root before sign-in.
    let root_phone = server.device(ROOT_VIRTUAL);
    let mut root = server.client();
    root.sign_in_root().await;
    for _ in 0..5 {
        assert_eq!(
            root.resync(None, ROOT_VIRTUAL, "000000", "111111")
                .await
                .status,
            403
        );
    }
    let root_cookie = root.cookie.clone();
    let call = async |a: &str, b: &str| {
        let mut cl = server.client();
        cl.cookie = root_cookie.clone();
        cl.resync(None, ROOT_VIRTUAL, a, b).await
    };
    assert_throttled(
        &server,
        call,
        (&root_phone.at(step), &root_phone.at(step + 1)),
    )
    .await;

    // An administrator for alice's fob; and alice herself then meets the same throttle.
    let fob = server.device(ALICE_FOB);
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    for _ in 0..5 {
        assert_eq!(
            admin
                .resync(Some("alice"), ALICE_FOB, "000000", "111111")
                .await
                .status,
            403
        );
    }
    let admin_cookie = admin.cookie.clone();
    let call = async |a: &str, b: &str| {
        let mut cl = server.client();
        cl.cookie = admin_cookie.clone();
        cl.resync(Some("alice"), ALICE_FOB, a, b).await
    };
    assert_throttled(&server, call, (&fob.at(step), &fob.at(step + 1))).await;
    let r = alice
        .resync(None, ALICE_FOB, &fob.at(step), &fob.at(step + 1))
        .await;
    assert_eq!(r.status, 429);

    // Expire the wait in the database: the next failure doubles it to 60 s; then a right pair
    // succeeds and resets the counter.
    server
        .exec(
            "UPDATE mfa_devices SET throttled_until = 0 WHERE serial_number = ?",
            ALICE_FOB,
        )
        .await;
    assert_eq!(
        admin
            .resync(Some("alice"), ALICE_FOB, "000000", "111111")
            .await
            .status,
        403
    );
    let r = admin
        .resync(Some("alice"), ALICE_FOB, &fob.at(step), &fob.at(step + 1))
        .await;
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((50..=60).contains(&retry), "{retry}");
    server
        .exec(
            "UPDATE mfa_devices SET throttled_until = 0 WHERE serial_number = ?",
            ALICE_FOB,
        )
        .await;
    let r = admin
        .resync(Some("alice"), ALICE_FOB, &fob.at(step), &fob.at(step + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let row = server.device_row(ALICE_FOB).await;
    assert_eq!((row.failures, row.throttled_until), (0, 0));
    server.finish();
}

/// After 100 consecutive failures the device is locked until an administrator unlocks it.
#[tokio::test]
async fn the_lock_after_one_hundred_failures_holds_until_an_administrator_unlocks() {
    let server = Server::start();
    let phone = server.device(ALICE_VIRTUAL);
    // 99 failures already (each throttle expired): as if edited over hours.
    server
        .exec(
            "UPDATE mfa_devices SET failures = 99 WHERE serial_number = ?",
            ALICE_VIRTUAL,
        )
        .await;
    let mut alice = server.client();
    alice.sign_in("alice").await;
    assert_eq!(
        alice
            .resync(None, ALICE_VIRTUAL, "000000", "111111")
            .await
            .status,
        403
    );
    let step = now_step();
    let r = alice
        .resync(None, ALICE_VIRTUAL, &phone.at(step), &phone.at(step + 1))
        .await;
    assert_eq!((r.status, r.code()), (429, "LimitExceeded"));
    assert_eq!(r.header("retry-after"), Some("3600"));
    let row = server.device_row(ALICE_VIRTUAL).await;
    assert!(row.locked);
    // Expiring the time does not help: the lock is not a wait.
    server
        .exec(
            "UPDATE mfa_devices SET throttled_until = 0 WHERE serial_number = ?",
            ALICE_VIRTUAL,
        )
        .await;
    assert_eq!(
        alice
            .resync(None, ALICE_VIRTUAL, &phone.at(step), &phone.at(step + 1))
            .await
            .status,
        429
    );
    let list = alice.list(None).await;
    let d = list.body["MFADevices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["SerialNumber"] == ALICE_VIRTUAL)
        .unwrap()
        .clone();
    assert_eq!(d["Locked"], true);
    // Alice may not unlock it herself; the administrator may.
    let unlock = json!({"UserName": "alice", "SerialNumber": ALICE_VIRTUAL});
    assert_eq!(
        alice
            .post("/api/iam/UnlockMFADevice", unlock.clone())
            .await
            .status,
        403
    );
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    assert_eq!(
        admin.post("/api/iam/UnlockMFADevice", unlock).await.status,
        200
    );
    let r = alice
        .resync(None, ALICE_VIRTUAL, &phone.at(step), &phone.at(step + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    // The command line unlocks too.
    server
        .exec(
            "UPDATE mfa_devices SET locked = 1 WHERE serial_number = ?",
            ALICE_FOB,
        )
        .await;
    server.cli(
        &[
            "device",
            "unlock",
            "--account",
            "demo",
            "--serial",
            ALICE_FOB,
        ],
        None,
    );
    assert!(!server.device_row(ALICE_FOB).await.locked);
    server.finish();
}
