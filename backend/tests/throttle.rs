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

/// Ends the waits of the device and of its owner's code budget (rule 29), as time would.
async fn expire_waits(server: &Server, serial: &str) {
    server
        .exec(
            "UPDATE mfa_devices SET throttled_until = 0 WHERE serial_number = ?",
            serial,
        )
        .await;
    server
        .exec(
            "UPDATE code_budgets SET throttled_until = 0 WHERE principal_id = \
             (SELECT owner_id FROM mfa_devices WHERE serial_number = ?)",
            serial,
        )
        .await;
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
    // succeeds and resets the counter. Alice has now had 10 wrong codes across her devices, so
    // her own budget (rule 29) waits too: expire it as well.
    expire_waits(&server, ALICE_FOB).await;
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
    expire_waits(&server, ALICE_FOB).await;
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
            "UPDATE mfa_devices SET locked = TRUE WHERE serial_number = ?",
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

/// Rule 23: the exact repeat of the last accepted pair or code — a double submit, a replay —
/// is "already used" and counted nowhere, however often; the owner's next code still works.
/// Other wrong codes still count. (Before: five replays, then the owner's right code got 429.)
#[tokio::test]
async fn repeats_of_the_last_accepted_codes_are_already_used_and_count_nothing() {
    let server = Server::start();
    let phone = server.device(ALICE_VIRTUAL);
    let mut alice = server.client();
    alice.sign_in("alice").await;
    let step = now_step();
    let (c1, c2) = (phone.at(step), phone.at(step + 1));
    assert_eq!(
        alice.resync(None, ALICE_VIRTUAL, &c1, &c2).await.status,
        200
    );
    for _ in 0..8 {
        let r = alice.resync(None, ALICE_VIRTUAL, &c1, &c2).await;
        assert_eq!((r.status, r.code()), (403, "InvalidAuthenticationCode"));
        let message = r.body["Error"]["Message"].as_str().unwrap();
        assert!(message.contains("already used"), "{message}");
    }
    assert_eq!(server.device_row(ALICE_VIRTUAL).await.failures, 0);
    assert_eq!(code_budget(&server, ALICE_VIRTUAL).await, 0);
    // Not a repeat: the pair shifted by one (one code burned, one fresh) counts.
    let r = alice
        .resync(None, ALICE_VIRTUAL, &c2, &phone.at(step + 2))
        .await;
    assert!(!r.body.to_string().contains("already used"), "{r:?}");
    assert_eq!(server.device_row(ALICE_VIRTUAL).await.failures, 1);
    // Sign-in: the code just used, sent again and again from another session.
    let next = phone.at(step + 2);
    assert_eq!(alice.mfa(ALICE_VIRTUAL, &next).await.status, 200);
    for _ in 0..8 {
        let mut again = server.client();
        again.sign_in("alice").await;
        let r = again.mfa(ALICE_VIRTUAL, &next).await;
        assert_eq!(r.status, 403);
        assert!(r.body.to_string().contains("already used"), "{r:?}");
    }
    let row = server.device_row(ALICE_VIRTUAL).await;
    assert_eq!((row.failures, row.throttled_until), (0, 0));
    let mut later = server.client();
    later.sign_in("alice").await;
    assert_eq!(
        later.mfa(ALICE_VIRTUAL, &phone.at(step + 3)).await.status,
        200
    );
    // HOTP: the last pair of counters.
    let token = server.device(BOB_HOTP);
    let c = token.counter.unwrap();
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    let (h1, h2) = (token.hotp(c), token.hotp(c + 1));
    assert_eq!(bob.resync(None, BOB_HOTP, &h1, &h2).await.status, 200);
    for _ in 0..6 {
        let r = bob.resync(None, BOB_HOTP, &h1, &h2).await;
        assert!(r.body.to_string().contains("already used"), "{r:?}");
    }
    assert_eq!(server.device_row(BOB_HOTP).await.failures, 0);
    server.finish();
}

/// Rule 29: wrong codes count on the owner too, across all its devices: 4 + 4 + 2 wrong codes
/// on three devices throttle none of them, but the principal's tenth throttles every device,
/// a right code on a fresh one included; a success then clears the budget.
#[tokio::test]
async fn ten_wrong_codes_across_a_principals_devices_throttle_every_device() {
    let server = Server::start();
    let third = "GAHT10000003";
    server.cli(
        &[
            "device",
            "import",
            "--account",
            "demo",
            "--user-name",
            "alice",
            "--serial",
            third,
            "--kind",
            "hardware-totp",
        ],
        Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n"),
    );
    let mut alice = server.client();
    alice.sign_in("alice").await;
    for (serial, n) in [(ALICE_VIRTUAL, 4), (ALICE_FOB, 4), (third, 2)] {
        for i in 0..n {
            let wrong = format!("00000{i}");
            let r = alice.resync(None, serial, &wrong, "999999").await;
            assert_eq!(r.status, 403, "{serial} {r:?}");
        }
    }
    for serial in [ALICE_VIRTUAL, ALICE_FOB, third] {
        let row = server.device_row(serial).await;
        assert!(
            row.failures < 5 && row.throttled_until == 0,
            "{serial} {row:?}"
        );
    }
    assert_eq!(code_budget(&server, ALICE_VIRTUAL).await, 10);
    let step = now_step();
    let phone = server.device(ALICE_VIRTUAL);
    let r = alice
        .resync(None, ALICE_VIRTUAL, &phone.at(step), &phone.at(step + 1))
        .await;
    assert_eq!((r.status, r.code()), (429, "LimitExceeded"), "{r:?}");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((20..=30).contains(&retry), "{retry}");
    // Refused by the budget, so not evaluated and not counted on the device.
    assert_eq!(server.device_row(ALICE_VIRTUAL).await.failures, 4);
    // The budget's wait over, a right pair succeeds and clears it.
    expire_waits(&server, ALICE_VIRTUAL).await;
    let r = alice
        .resync(None, ALICE_VIRTUAL, &phone.at(step), &phone.at(step + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(code_budget(&server, ALICE_VIRTUAL).await, 0);
    // Bob's budget is his own.
    assert_eq!(code_budget(&server, BOB_VIRTUAL).await, 0);
    server.finish();
}

/// The failures on the code budget of the owner of `serial` (0 without a row).
async fn code_budget(server: &Server, serial: &str) -> i64 {
    let n: Option<i64> = on_store!(server, |pool, sql| sqlx::query_scalar(sql(
        "SELECT failures FROM code_budgets WHERE principal_id = \
         (SELECT owner_id FROM mfa_devices WHERE serial_number = ?)",
    ))
    .bind(serial)
    .fetch_optional(&pool)
    .await
    .unwrap());
    n.unwrap_or(0)
}
