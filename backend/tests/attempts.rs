//! Attempts are counted before they are evaluated (security review of 29 Nov, findings 1, 3, 5
//! and 6; rules 7–10 and 21), black box: parallel requests cannot get past the throttle or the
//! lock, a correct password never clears a lock, unknown names are throttled like users, and the
//! audit trail never stores what was typed as an unknown name.

mod common;

use common::*;
use serde_json::{Value, json};

const ACCOUNT_ID: &str = "123456789012";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A six-digit code the device shows at none of the steps around now.
fn wrong_code(dev: &Device) -> String {
    let step = now_step();
    let shown: Vec<String> = (step - 3..=step + 3).map(|s| dev.at(s)).collect();
    ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|c| !shown.iter().any(|s| s == c))
        .unwrap()
        .to_owned()
}

/// (failures, throttled_until, locked) of an IAM user's password throttle.
async fn principal_throttle(server: &Server, user: &str) -> (i64, i64, bool) {
    on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT failures, throttled_until, locked FROM principals WHERE user_name = ?",
    ))
    .bind(user)
    .fetch_one(&pool)
    .await
    .unwrap())
}

async fn set_principal(server: &Server, statement: &'static str, user: &str) {
    on_store!(server, |pool, sql| sqlx::query(sql(statement))
        .bind(user)
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected());
}

fn password_body(user: &str, password: &str) -> Value {
    json!({"Account": "demo", "UserName": user, "Password": password})
}

/// Sends every body to `path` at once (each on its own client, the same cookie); the answers
/// in the order given.
async fn in_parallel(
    server: &Server,
    cookie: Option<String>,
    path: &str,
    bodies: Vec<Value>,
) -> Vec<Resp> {
    server.warm_pool().await;
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let mut c = server.client();
            c.cookie = cookie.clone();
            let path = path.to_owned();
            tokio::spawn(async move { c.post(&path, body).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn count(rs: &[Resp], status: u16) -> usize {
    rs.iter().filter(|r| r.status == status).count()
}

/// The 429 every throttled attempt gets, whatever it holds.
fn assert_same_refusal(a: &Resp, b: &Resp) {
    assert_eq!((a.status, a.code()), (429, "LimitExceeded"), "{a:?}");
    assert_eq!((b.status, &b.body), (a.status, &a.body), "no oracle");
    let ra: i64 = a.header("retry-after").unwrap().parse().unwrap();
    let rb: i64 = b.header("retry-after").unwrap().parse().unwrap();
    assert!((ra - rb).abs() <= 1, "{ra} {rb}");
}

/// Finding 1 (rules 7, 8, 10): 50 wrong codes in parallel on one device are counted before
/// they are evaluated, so exactly five are evaluated (403) and 45 meet the throttle (429); the
/// row ends with exactly five failures and the 30 s wait. A right code then gets the same 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_wrong_codes_evaluate_exactly_five() {
    let server = Server::start();
    let phone = server.device(ALICE_VIRTUAL);
    let mut alice = server.client();
    assert_eq!(alice.sign_in("alice").await.status, 200);
    let wrong = wrong_code(&phone);
    let before = now_ms();
    let bodies = (0..50)
        .map(|_| json!({"AuthenticationCode": wrong, "SerialNumber": ALICE_VIRTUAL}))
        .collect();
    let rs = in_parallel(&server, alice.cookie.clone(), "/api/sign-in/mfa", bodies).await;
    let after = now_ms();
    assert_eq!(
        (count(&rs, 403), count(&rs, 429)),
        (5, 45),
        "{:?}",
        rs.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in rs.iter().filter(|r| r.status == 403) {
        assert_eq!(r.code(), "InvalidAuthenticationCode");
    }
    let throttled: Vec<&Resp> = rs.iter().filter(|r| r.status == 429).collect();
    for r in &throttled {
        assert_same_refusal(throttled[0], r);
        let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=30).contains(&retry), "{retry}");
    }
    let row = server.device_row(ALICE_VIRTUAL).await;
    assert_eq!((row.failures, row.locked), (5, false));
    assert!(
        (before + 30_000..=after + 30_000).contains(&row.throttled_until),
        "{} not 30 s after {before}..{after}",
        row.throttled_until
    );
    // While throttled a right code is not evaluated: the same answer, nothing changes.
    let right = alice.mfa(ALICE_VIRTUAL, &phone.now(0)).await;
    let wrong_again = alice.mfa(ALICE_VIRTUAL, &wrong).await;
    assert_same_refusal(&wrong_again, &right);
    assert_eq!(server.device_row(ALICE_VIRTUAL).await, row);
    server.finish();
}

/// Finding 1 for resync pairs, and rule 9: four failures, then a right pair resets the counter
/// it had reserved (no failure is left behind by a success).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_pairs_evaluate_exactly_five_and_a_success_leaves_no_count() {
    let server = Server::start();
    let fob = server.device(ALICE_FOB);
    let mut alice = server.client();
    alice.sign_in("alice").await;
    let wrong = wrong_code(&fob);
    let bodies = (0..30)
        .map(|_| json!({"SerialNumber": ALICE_FOB, "AuthenticationCode1": wrong, "AuthenticationCode2": wrong}))
        .collect();
    let rs = in_parallel(
        &server,
        alice.cookie.clone(),
        "/api/iam/ResyncMFADevice",
        bodies,
    )
    .await;
    assert_eq!((count(&rs, 403), count(&rs, 429)), (5, 25));
    let row = server.device_row(ALICE_FOB).await;
    assert_eq!((row.failures, row.locked), (5, false));
    // Four failures (the wait expired), then a right pair: counter, wait and state reset.
    server
        .exec(
            "UPDATE mfa_devices SET failures = 3, throttled_until = 0 WHERE serial_number = ?",
            ALICE_FOB,
        )
        .await;
    assert_eq!(
        alice.resync(None, ALICE_FOB, &wrong, &wrong).await.status,
        403
    );
    assert_eq!(server.device_row(ALICE_FOB).await.failures, 4);
    let step = now_step();
    let r = alice
        .resync(None, ALICE_FOB, &fob.at(step), &fob.at(step + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let row = server.device_row(ALICE_FOB).await;
    assert_eq!(
        (row.failures, row.throttled_until, row.locked),
        (0, 0, false)
    );
    assert_eq!(row.last_used_step, step as i64 + 1);
    server.finish();
}

/// Finding 1 for passwords: 50 wrong passwords in parallel, exactly five checked (401) and 45
/// throttled (429); then bob's right password gets the same 429 as a wrong one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_wrong_passwords_check_exactly_five() {
    let server = Server::start();
    let before = now_ms();
    let bodies = (0..50)
        .map(|i| password_body("bob", &format!("wrong-password-{i}")))
        .collect();
    let rs = in_parallel(&server, None, "/api/sign-in", bodies).await;
    let after = now_ms();
    assert_eq!((count(&rs, 401), count(&rs, 429)), (5, 45));
    assert!(rs.iter().all(|r| r.header("set-cookie").is_none()));
    let (failures, until, locked) = principal_throttle(&server, "bob").await;
    assert_eq!((failures, locked), (5, false));
    assert!(
        (before + 30_000..=after + 30_000).contains(&until),
        "{until}"
    );
    let mut c = server.client();
    let right = c.sign_in("bob").await;
    let wrong = c
        .post("/api/sign-in", password_body("bob", "wrong-password"))
        .await;
    assert_same_refusal(&wrong, &right);
    assert!(right.header("set-cookie").is_none());
    assert_eq!(principal_throttle(&server, "bob").await, (5, until, false));
    server.finish();
}

/// Finding 3 (rule 9): a correct password does not clear a lock; only an administrator does.
#[tokio::test]
async fn a_correct_password_does_not_clear_a_lock() {
    let server = Server::start();
    set_principal(
        &server,
        "UPDATE principals SET failures = 100, locked = TRUE WHERE user_name = ?",
        "bob",
    )
    .await;
    let mut c = server.client();
    let right = c.sign_in("bob").await;
    let wrong = c
        .post("/api/sign-in", password_body("bob", "wrong-password"))
        .await;
    assert_eq!((right.status, right.code()), (429, "LimitExceeded"));
    assert_eq!(right.header("retry-after"), Some("3600"));
    assert_same_refusal(&wrong, &right);
    assert_eq!(principal_throttle(&server, "bob").await, (100, 0, true));
    server.cli(
        &["user", "unlock", "--account", "demo", "--user-name", "bob"],
        None,
    );
    assert_eq!(principal_throttle(&server, "bob").await, (0, 0, false));
    assert_eq!(c.sign_in("bob").await.status, 200);
    server.finish();
}

/// Finding 3 under concurrency: at 99 failures, ten wrong passwords and a right one at once.
/// Exactly one attempt is checked (the 100th); if it was a wrong one the lock stands and the
/// right password got 429; a right 100th attempt is not a failure, so it signs in and leaves
/// no lock. Before the fix every attempt was checked and the right one cleared the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hundredth_attempt_is_the_only_one_checked() {
    let server = Server::start();
    set_principal(
        &server,
        "UPDATE principals SET failures = 99, throttled_until = 0 WHERE user_name = ?",
        "bob",
    )
    .await;
    let mut bodies: Vec<Value> = (0..10)
        .map(|i| password_body("bob", &format!("wrong-password-{i}")))
        .collect();
    bodies.insert(5, password_body("bob", "demo-bob-password"));
    let rs = in_parallel(&server, None, "/api/sign-in", bodies).await;
    let statuses: Vec<u16> = rs.iter().map(|r| r.status).collect();
    assert_eq!(count(&rs, 429), 10, "{statuses:?}");
    if rs[5].status == 200 {
        assert_eq!(principal_throttle(&server, "bob").await, (0, 0, false));
    } else {
        assert_eq!((rs[5].status, count(&rs, 401)), (429, 1), "{statuses:?}");
        assert_eq!(rs[5].header("retry-after"), Some("3600"));
        assert_eq!(principal_throttle(&server, "bob").await, (100, 0, true));
        assert_eq!(server.client().sign_in("bob").await.status, 429);
    }
    server.finish();
}

/// Finding 5: unknown names are throttled exactly like users, so the status sequence, bodies
/// and Retry-After of a real user and of a name nobody has are the same (and for root emails).
#[tokio::test]
async fn unknown_and_known_names_answer_identically() {
    let server = Server::start();
    let mut c = server.client();
    let mut run = async |path: &str, body: Value| {
        let mut out = Vec::new();
        for _ in 0..7 {
            let r = c.post(path, body.clone()).await;
            out.push((
                r.status,
                r.body.clone(),
                r.header("retry-after").map(str::to_owned),
            ));
        }
        out
    };
    let known = run("/api/sign-in", password_body("bob", "wrong-password")).await;
    let unknown = run("/api/sign-in", password_body("zed", "wrong-password")).await;
    let no_account = run(
        "/api/sign-in",
        json!({"Account": "nope", "UserName": "bob", "Password": "wrong-password"}),
    )
    .await;
    let root = run(
        "/api/sign-in/root",
        json!({"Email": "root@demo.example", "Password": "wrong-password"}),
    )
    .await;
    let no_root = run(
        "/api/sign-in/root",
        json!({"Email": "nobody@demo.example", "Password": "wrong-password"}),
    )
    .await;
    let statuses: Vec<u16> = known.iter().map(|r| r.0).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    for other in [&unknown, &no_account, &root, &no_root] {
        assert_eq!(other.len(), known.len());
        for (a, b) in known.iter().zip(other.iter()) {
            assert_eq!((a.0, &a.1), (b.0, &b.1));
            assert_eq!(a.2.is_some(), b.2.is_some());
            if let (Some(x), Some(y)) = (&a.2, &b.2) {
                let (x, y): (i64, i64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((25..=30).contains(&x) && (25..=30).contains(&y), "{x} {y}");
            }
        }
    }
    // The same name in another case is the same counter; the typed names are not stored.
    let r = c
        .post("/api/sign-in", password_body("ZED", "wrong-password"))
        .await;
    assert_eq!(r.status, 429);
    let keys: Vec<(String, i64)> = on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT key, failures FROM sign_in_throttle ORDER BY key"
    ))
    .fetch_all(&pool)
    .await
    .unwrap());
    assert_eq!(keys.len(), 3, "zed, nope/bob, nobody@: {keys:?}");
    for (k, failures) in &keys {
        assert_eq!(*failures, 5);
        assert!(
            k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()),
            "{k}"
        );
    }
    server.finish();
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct Audit {
    account_id: Option<String>,
    actor: String,
    action: String,
    target_user: Option<String>,
    serial_number: Option<String>,
    outcome: String,
    error_code: Option<String>,
    /// Identical refusals from one source are one row (security rule 25).
    repeats: i64,
}

async fn audit_rows(server: &Server) -> Vec<Audit> {
    on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT account_id, actor, action, target_user, serial_number, outcome, error_code, \
         repeats FROM audit_events ORDER BY id",
    ))
    .fetch_all(&pool)
    .await
    .unwrap())
}

fn audit(
    actor: &str,
    action: &str,
    target: Option<&str>,
    serial: Option<&str>,
    error: Option<&str>,
) -> Audit {
    Audit {
        account_id: Some(ACCOUNT_ID.to_owned()),
        actor: actor.to_owned(),
        action: action.to_owned(),
        target_user: target.map(str::to_owned),
        serial_number: serial.map(str::to_owned),
        outcome: if error.is_some() {
            "Failure"
        } else {
            "Success"
        }
        .to_owned(),
        error_code: error.map(str::to_owned),
        repeats: 1,
    }
}

/// Finding 6 (rule 21): failed sign-ins, failed MFA and throttled attempts are audited; an
/// unknown name is recorded as actor "unknown" without a target user, and what was typed (here
/// a password typed into the name field) is in neither the database nor the logs.
#[tokio::test]
async fn audit_rows_of_failures_and_no_typed_unknown_name() {
    let server = Server::start();
    let typed = "Hunter2PasswordInNameField";
    let mut c = server.client();
    assert_eq!(
        c.post("/api/sign-in", password_body(typed, "demo-bob-password"))
            .await
            .status,
        401
    );
    assert_eq!(
        c.post(
            "/api/sign-in/root",
            json!({"Email": "Hunter2@Secret.example", "Password": "wrong-password"})
        )
        .await
        .status,
        401
    );
    assert_eq!(
        c.post("/api/sign-in", password_body("bob", "wrong-password"))
            .await
            .status,
        401
    );
    let phone = server.device(ALICE_VIRTUAL);
    let wrong = wrong_code(&phone);
    let mut alice = server.client();
    assert_eq!(alice.sign_in("alice").await.status, 200);
    for _ in 0..5 {
        assert_eq!(alice.mfa(ALICE_VIRTUAL, &wrong).await.status, 403);
    }
    assert_eq!(alice.mfa(ALICE_VIRTUAL, &phone.now(0)).await.status, 429);
    for _ in 0..4 {
        c.post("/api/sign-in", password_body("bob", "wrong-password"))
            .await;
    }
    assert_eq!(c.sign_in("bob").await.status, 429);
    let rows = audit_rows(&server).await;
    let bob = format!("arn:aws:iam::{ACCOUNT_ID}:user/bob");
    let alice_arn = format!("arn:aws:iam::{ACCOUNT_ID}:user/alice");
    let mut expected = vec![
        audit("unknown", "SignIn", None, None, Some("SignInFailed")),
        Audit {
            account_id: None,
            ..audit("unknown", "SignInRoot", None, None, Some("SignInFailed"))
        },
        // Bob's five wrong passwords from one source: one row (rule 25).
        Audit {
            repeats: 5,
            ..audit(&bob, "SignIn", Some("bob"), None, Some("SignInFailed"))
        },
        audit(&alice_arn, "SignIn", Some("alice"), None, None),
        Audit {
            repeats: 5,
            ..audit(
                &alice_arn,
                "SignInMFA",
                Some("alice"),
                Some(ALICE_VIRTUAL),
                Some("InvalidAuthenticationCode"),
            )
        },
    ];
    expected.push(audit(
        &alice_arn,
        "SignInMFA",
        Some("alice"),
        Some(ALICE_VIRTUAL),
        Some("LimitExceeded"),
    ));
    expected.push(audit(
        &bob,
        "SignIn",
        Some("bob"),
        None,
        Some("LimitExceeded"),
    ));
    assert_eq!(rows, expected);
    let files = server.stored_files();
    for needle in [
        typed,
        &typed.to_lowercase(),
        "Hunter2@Secret",
        "hunter2@secret",
    ] {
        for f in &files {
            assert!(
                !f.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} stored"
            );
        }
    }
    let logs = server.logs();
    assert!(
        !logs.to_lowercase().contains("hunter2"),
        "typed name logged"
    );
    server.finish();
}

/// Rules 7 and 9 at the edge: the 100th attempt is counted (and sets the lock) before it is
/// evaluated, but a right 100th attempt is not the 100th failure: it succeeds and leaves no
/// count and no lock, for a device and for a password.
#[tokio::test]
async fn a_right_hundredth_attempt_is_not_a_failure() {
    let server = Server::start();
    let fob = server.device(ALICE_FOB);
    server
        .exec(
            "UPDATE mfa_devices SET failures = 99, throttled_until = 0 WHERE serial_number = ?",
            ALICE_FOB,
        )
        .await;
    set_principal(
        &server,
        "UPDATE principals SET failures = 99, throttled_until = 0 WHERE user_name = ?",
        "alice",
    )
    .await;
    let mut alice = server.client();
    assert_eq!(alice.sign_in("alice").await.status, 200);
    assert_eq!(principal_throttle(&server, "alice").await, (0, 0, false));
    let step = now_step();
    let r = alice
        .resync(None, ALICE_FOB, &fob.at(step), &fob.at(step + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let row = server.device_row(ALICE_FOB).await;
    assert_eq!(
        (row.failures, row.throttled_until, row.locked),
        (0, 0, false)
    );
    server.finish();
}
