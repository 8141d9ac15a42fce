//! The security rules that concern the server, each with its proof, black box.

mod common;

use common::*;
use serde_json::json;

/// Rules 1–4: malformed codes get 400 before any lookup with the row untouched; wrong, stale,
/// swapped and non-consecutive pairs are refused with nothing but the failure counter changed;
/// the window boundary holds (±2880 steps).
#[tokio::test]
async fn bad_codes_are_refused_and_change_nothing() {
    let server = Server::start();
    let phone = server.device(BOB_VIRTUAL);
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &phone).await;
    let step = now_step();
    for (c1, c2) in [
        (" 123456", "123456"),
        ("123456 ", "123456"),
        ("１２３４５６", "123456"),
        ("1234567", "123456"),
        ("12345", "123456"),
        ("12a456", "123456"),
        ("", "123456"),
    ] {
        let before = server.device_row(BOB_VIRTUAL).await;
        let r = bob.resync(None, BOB_VIRTUAL, c1, c2).await;
        assert_eq!((r.status, r.code()), (400, "ValidationError"), "{c1:?}");
        assert_eq!(server.device_row(BOB_VIRTUAL).await, before, "{c1:?}");
    }
    let cases = [
        ("wrong", "000000".to_owned(), "999999".to_owned()),
        ("swapped", phone.at(step + 1), phone.at(step)),
        ("not consecutive", phone.at(step), phone.at(step + 2)),
        ("stale", phone.at(step - 2882), phone.at(step - 2881)),
    ];
    for (what, c1, c2) in cases {
        let before = server.device_row(BOB_VIRTUAL).await;
        let r = bob.resync(None, BOB_VIRTUAL, &c1, &c2).await;
        assert_eq!(
            (r.status, r.code()),
            (403, "InvalidAuthenticationCode"),
            "{what}"
        );
        let after = server.device_row(BOB_VIRTUAL).await;
        assert_eq!(after.failures, before.failures + 1, "{what}");
        assert_eq!(
            (
                after.drift_steps,
                after.last_used_step,
                after.hotp_counter,
                &after.seed
            ),
            (
                before.drift_steps,
                before.last_used_step,
                before.hotp_counter,
                &before.seed
            ),
            "{what}"
        );
    }
    // The far edge of the window (+2880 steps = 24 h ahead) succeeds.
    let r = bob
        .resync(
            None,
            BOB_VIRTUAL,
            &phone.at(step + 2879),
            &phone.at(step + 2880),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        server.device_row(BOB_VIRTUAL).await.failures,
        0,
        "success resets"
    );
    server.finish();
}

/// Rule 5 on every path: the pair of a resync is burned for resync and sign-in; a code used at
/// sign-in cannot be used again.
#[tokio::test]
async fn replay_is_refused_on_every_path() {
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
    assert_eq!(
        alice.resync(None, ALICE_VIRTUAL, &c1, &c2).await.code(),
        "InvalidAuthenticationCode"
    );
    assert_eq!(
        alice.mfa(ALICE_VIRTUAL, &c2).await.code(),
        "InvalidAuthenticationCode"
    );
    assert_eq!(
        alice.mfa(ALICE_VIRTUAL, &c1).await.code(),
        "InvalidAuthenticationCode"
    );
    let next = phone.at(step + 2);
    assert_eq!(alice.mfa(ALICE_VIRTUAL, &next).await.status, 200);
    // The sign-in code, replayed in another session.
    let mut again = server.client();
    again.sign_in("alice").await;
    assert_eq!(
        again.mfa(ALICE_VIRTUAL, &next).await.code(),
        "InvalidAuthenticationCode"
    );
    // And by an administrator's resync with a pair ending there.
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    let r = admin.resync(Some("alice"), ALICE_VIRTUAL, &c2, &next).await;
    assert_eq!(r.code(), "InvalidAuthenticationCode");
    // HOTP: the used counters are burned too.
    let token = server.device(BOB_HOTP);
    let c = token.counter.unwrap();
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    assert_eq!(
        bob.resync(None, BOB_HOTP, &token.hotp(c), &token.hotp(c + 1))
            .await
            .status,
        200
    );
    assert_eq!(
        bob.resync(None, BOB_HOTP, &token.hotp(c), &token.hotp(c + 1))
            .await
            .status,
        403
    );
    server.finish();
}

/// Rule 6: twenty identical valid resyncs in parallel, exactly one 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_parallel_identical_resyncs_give_exactly_one_success() {
    let server = Server::start();
    let phone = server.device(ALICE_VIRTUAL);
    let mut alice = server.client();
    alice.sign_in("alice").await;
    let step = now_step();
    let (c1, c2) = (phone.at(step), phone.at(step + 1));
    server.warm_pool().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut client = server.client();
        client.cookie = alice.cookie.clone();
        let (c1, c2) = (c1.clone(), c2.clone());
        tasks.push(tokio::spawn(async move {
            client.resync(None, ALICE_VIRTUAL, &c1, &c2).await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 403, 429].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(
        server.device_row(ALICE_VIRTUAL).await.last_used_step,
        step as i64 + 1
    );
    // Rule 23: the doubles do not lock the owner out; her next code signs her in.
    let row = server.device_row(ALICE_VIRTUAL).await;
    assert!(row.failures < 5 && row.throttled_until == 0, "{row:?}");
    assert_eq!(
        alice.mfa(ALICE_VIRTUAL, &phone.at(step + 2)).await.status,
        200
    );
    server.finish();
}

/// Password failures: one answer for a wrong password and an unknown user; throttled per user.
#[tokio::test]
async fn password_failures_are_uniform_and_throttled() {
    let server = Server::start();
    let mut c = server.client();
    let wrong = c
        .post(
            "/api/sign-in",
            json!({"Account": "demo", "UserName": "bob", "Password": "nope-nope"}),
        )
        .await;
    let unknown = c
        .post(
            "/api/sign-in",
            json!({"Account": "demo", "UserName": "zed", "Password": "nope-nope"}),
        )
        .await;
    let no_account = c
        .post(
            "/api/sign-in",
            json!({"Account": "nope", "UserName": "bob", "Password": "nope-nope"}),
        )
        .await;
    assert_eq!((wrong.status, wrong.code()), (401, "SignInFailed"));
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body, no_account.body);
    assert!(wrong.header("set-cookie").is_none());
    for _ in 0..4 {
        c.post(
            "/api/sign-in",
            json!({"Account": "demo", "UserName": "bob", "Password": "nope-nope"}),
        )
        .await;
    }
    let r = c.sign_in("bob").await;
    assert_eq!((r.status, r.code()), (429, "LimitExceeded"));
    assert!(r.header("retry-after").is_some());
    // An administrator's command clears it.
    server.cli(
        &["user", "unlock", "--account", "demo", "--user-name", "bob"],
        None,
    );
    assert_eq!(c.sign_in("bob").await.status, 200);
    let r = c
        .post(
            "/api/sign-in/root",
            json!({"Email": "root@demo.example", "Password": "x"}),
        )
        .await;
    assert_eq!(r.status, 401);
    server.finish();
}

/// Rule 17: the cookie's attributes, rotation at sign-in, expiry (idle, password-only), sign-out.
#[tokio::test]
async fn sessions_follow_the_cookie_rules() {
    let server = Server::start();
    let mut a = server.client();
    assert_eq!(a.get("/api/session").await.code(), "NotSignedIn");
    let r = a.sign_in("alice").await;
    let set = r.header("set-cookie").unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    let token = set
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    assert!(token.len() >= 22, "≥128 bits");
    let first = a.cookie.clone();
    a.sign_in("alice").await;
    assert_ne!(a.cookie, first, "rotated at sign-in");
    let mut old = server.client();
    old.cookie = first;
    assert_eq!(old.get("/api/session").await.status, 401);
    // Only a hash of the token is stored: not in the SQLite file, nor in any session row.
    let now_token = a.cookie.clone().unwrap();
    let now_token = now_token.split_once('=').unwrap().1.to_owned();
    if !server.on_postgres() {
        let db = std::fs::read(server.db()).unwrap();
        let wal = std::fs::read(server.db().with_extension("sqlite-wal")).unwrap_or_default();
        for bytes in [&db, &wal] {
            assert!(
                !bytes
                    .windows(now_token.len())
                    .any(|w| w == now_token.as_bytes())
            );
        }
    }
    let hashes: Vec<(String,)> = on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT token_hash FROM sessions"
    ))
    .fetch_all(&pool)
    .await
    .unwrap());
    assert!(!hashes.is_empty());
    assert!(hashes.iter().all(|(h,)| !h.contains(now_token.as_str())));
    // A password-only session dies after ten minutes.
    server
        .exec_plain("UPDATE sessions SET signed_in_at = signed_in_at - 601000")
        .await;
    assert_eq!(a.get("/api/session").await.status, 401);
    // An MFA session dies after 30 idle minutes.
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    assert_eq!(bob.get("/api/session").await.status, 200);
    server
        .exec_plain("UPDATE sessions SET last_seen_at = last_seen_at - 1801000")
        .await;
    assert_eq!(bob.get("/api/session").await.status, 401);
    // Sign-out ends it.
    let mut bob = server.client();
    bob.sign_in("bob").await;
    assert_eq!(bob.post("/api/sign-out", json!({})).await.status, 200);
    assert_eq!(bob.get("/api/session").await.status, 401);
    server.finish();
}

/// Rule 18: JSON only (else 415), the custom header, no cross-site or foreign-origin request.
#[tokio::test]
async fn csrf_rules_refuse_foreign_requests() {
    let server = Server::start();
    let mut c = server.client();
    let url = format!("{}/api/sign-in", server.base);
    let body =
        json!({"Account": "demo", "UserName": "bob", "Password": "demo-bob-password"}).to_string();
    let h = c.http().clone();
    let r = c
        .raw(
            h.post(&url)
                .header("content-type", "text/plain")
                .header("x-requested-with", "mfa-resync")
                .body(body.clone()),
        )
        .await;
    assert_eq!((r.status, r.code()), (415, "UnsupportedMediaType"));
    let r = c
        .raw(
            h.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-requested-with", "mfa-resync")
                .body(body.clone()),
        )
        .await;
    assert_eq!(r.status, 415);
    let r = c
        .raw(
            h.post(&url)
                .header("content-type", "application/json")
                .body(body.clone()),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "CrossOriginRequest"));
    let r = c
        .raw(
            h.post(&url)
                .header("content-type", "application/json")
                .header("x-requested-with", "mfa-resync")
                .header("sec-fetch-site", "cross-site")
                .body(body.clone()),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = c
        .raw(
            h.post(&url)
                .header("content-type", "application/json")
                .header("x-requested-with", "mfa-resync")
                .header("origin", "http://evil.example")
                .body(body.clone()),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.header("access-control-allow-origin").is_none());
    let r = c
        .raw(
            h.post(&url)
                .header("content-type", "application/json")
                .header("x-requested-with", "mfa-resync")
                .header("origin", server.base.clone())
                .header("sec-fetch-site", "same-origin")
                .body(body),
        )
        .await;
    assert_eq!(r.status, 200);
    server.finish();
}

/// Rule 19 and the single-origin app: headers on every response, the inline bootstrap's hash in
/// the CSP, deep links answered with index.html, unknown API paths with JSON.
#[tokio::test]
async fn the_app_is_served_with_the_security_headers() {
    let dist = tempfile::tempdir().unwrap();
    let script = "import init from '/app.js';\ninit('/app_bg.wasm');";
    std::fs::write(
        dist.path().join("index.html"),
        format!("<!doctype html><html><head><script type=\"module\">{script}</script></head><body></body></html>"),
    )
    .unwrap();
    std::fs::write(dist.path().join("app.js"), "export default function(){}").unwrap();
    let server = Server::start_with(&["--dist", dist.path().to_str().unwrap()]);
    let mut c = server.client();
    use sha2::Digest;
    let hash = data_encoding::BASE64.encode(&sha2::Sha256::digest(script.as_bytes()));
    for path in [
        "/",
        "/troubleshoot/deep/link",
        "/app.js",
        "/api/time",
        "/api/nope",
    ] {
        let r = c.get(path).await;
        let csp = r
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}"));
        assert!(
            csp.contains(&format!(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}'"
            )),
            "{csp}"
        );
        for d in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "default-src 'self'",
        ] {
            assert!(csp.contains(d), "{csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert!(r.header("access-control-allow-origin").is_none());
        assert!(r.header("x-request-id").is_some());
    }
    let deep = c.get("/troubleshoot/deep/link").await;
    assert_eq!(deep.status, 200);
    assert!(
        deep.body
            .as_str()
            .unwrap()
            .contains("<script type=\"module\">")
    );
    let api = c.get("/api/nope").await;
    assert_eq!((api.status, api.code()), (404, "NoSuchEntity"));
    let t = c.get("/api/time").await;
    assert_eq!(t.body["StepSeconds"], 30);
    assert!(t.body["NowMs"].as_u64().unwrap() > 1_700_000_000_000);
    server.finish();
}

/// Rule 15: seeds are encrypted at rest (the database holds none), the key file is 0600, and an
/// imported hardware token works with the seed it came with.
#[tokio::test]
async fn the_database_file_holds_no_seed() {
    let server = Server::start();
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    server.cli(
        &[
            "device",
            "import",
            "--account",
            "demo",
            "--user-name",
            "bob",
            "--serial",
            "GAHT55555555",
            "--kind",
            "hardware-totp",
        ],
        Some(&format!("{seed}\n")),
    );
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    let fob = Device {
        serial: "GAHT55555555".into(),
        secret: Some(shared::secret::Secret::from_base32(seed).unwrap()),
        digits: shared::code::Digits::SIX,
        period: 30,
        counter: None,
    };
    let step = now_step();
    let r = bob
        .resync(None, "GAHT55555555", &fob.at(step - 5), &fob.at(step - 4))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut secrets: Vec<Vec<u8>> = vec![
        fob.secret.as_ref().unwrap().as_bytes().to_vec(),
        seed.as_bytes().to_vec(),
    ];
    for d in server.demo["Devices"].as_array().unwrap() {
        if let Some(s) = d["Base32Seed"].as_str() {
            secrets.push(s.as_bytes().to_vec());
            secrets.push(
                shared::secret::Secret::from_base32(s)
                    .unwrap()
                    .as_bytes()
                    .to_vec(),
            );
        }
    }
    let files = server.stored_files();
    for file in &files {
        for s in &secrets {
            assert!(
                !file.windows(s.len()).any(|w| w == s.as_slice()),
                "a seed is stored in clear"
            );
        }
    }
    use std::os::unix::fs::PermissionsExt;
    let key = server.dir.path().join("mfa-resync.key");
    assert_eq!(
        std::fs::metadata(key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    server.finish();
}

/// Security rule 30's smaller rules: an all-digit alias could shadow another account's id at
/// sign-in (which looks accounts up by id or alias), so it is refused and nothing is created;
/// and a server does not start with a key file others may read.
#[tokio::test]
async fn all_digit_aliases_and_exposed_key_files_are_refused() {
    let server = Server::start();
    for alias in ["210987654321", "123456789012", "7"] {
        let (ok, _, err) = server.cli_status(
            &[
                "account",
                "create",
                "--alias",
                alias,
                "--root-email",
                "r@x.example",
            ],
            Some("a-long-enough-password\n"),
        );
        assert!(!ok, "alias {alias} was accepted");
        assert!(err.contains("digits only"), "{err}");
    }
    let accounts: i64 = on_store!(server, |pool, sql| sqlx::query_scalar(sql(
        "SELECT COUNT(*) FROM accounts"
    ))
    .fetch_one(&pool)
    .await
    .unwrap());
    assert_eq!(accounts, 1, "only the demo account");
    let (ok, _, _) = server.cli_status(
        &[
            "account",
            "create",
            "--alias",
            "a2",
            "--root-email",
            "r@x.example",
        ],
        Some("a-long-enough-password\n"),
    );
    assert!(ok, "a mixed alias is fine");

    use std::os::unix::fs::PermissionsExt;
    let key = server.dir.path().join("mfa-resync.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, _, err) = server.cli_status(&["demo", "--json"], None);
    assert!(!ok, "a command ran with a world-readable key file");
    assert!(err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(server.client().get("/api/time").await.status, 200);
    server.finish();
}

/// Bytes on disk of the database and its WAL.
/// The bytes the store holds: the SQLite file and its WAL, or PostgreSQL's database size.
async fn stored_bytes(server: &Server) -> u64 {
    if server.on_postgres() {
        let size: i64 = on_store!(server, |pool, sql| sqlx::query_scalar(sql(
            "SELECT CAST(pg_database_size(current_database()) AS BIGINT)"
        ))
        .fetch_one(&pool)
        .await
        .unwrap());
        return size as u64;
    }
    let size = |p: std::path::PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
    size(server.db()) + size(server.db().with_extension("sqlite-wal"))
}

/// Security rule 25: oversized input is refused unread and stores nothing big. Ten resyncs
/// with a 1.9 MB serial each answer 400 and grow the database and the log by less than 1 MB
/// in all; a serial past IAM's 256 characters but inside the body limit is refused as
/// malformed and audited bounded (its first 64 characters and its length).
#[tokio::test]
async fn oversized_input_is_refused_and_recorded_bounded() {
    let server = Server::start();
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    let (db_before, log_before) = (stored_bytes(&server).await, server.logs().len());
    let huge = "A".repeat(1_900_000);
    for _ in 0..10 {
        let r = bob
            .post(
                "/api/iam/ResyncMFADevice",
                json!({"SerialNumber": huge, "AuthenticationCode1": "123456",
                       "AuthenticationCode2": "654321"}),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.code(), "ValidationError");
    }
    // A large sign-in too: refused before any lookup or argon2.
    let mut anyone = server.client();
    let r = anyone
        .post(
            "/api/sign-in",
            json!({"Account": "demo", "UserName": "bob", "Password": huge}),
        )
        .await;
    assert_eq!(r.status, 400);
    let long = format!("arn:aws:iam::123456789012:mfa/{}", "b".repeat(300));
    let r = bob
        .post(
            "/api/iam/ResyncMFADevice",
            json!({"SerialNumber": long, "AuthenticationCode1": "123456",
                   "AuthenticationCode2": "654321"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "ValidationError"));
    let grown = stored_bytes(&server).await.saturating_sub(db_before)
        + (server.logs().len() - log_before) as u64;
    assert!(grown < 1_000_000, "grew by {grown} bytes");
    let (serial,): (String,) = on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT serial_number FROM audit_events WHERE action = 'ResyncMFADevice' \
         ORDER BY id DESC LIMIT 1",
    ))
    .fetch_one(&pool)
    .await
    .unwrap());
    assert_eq!(serial, format!("{}…({} bytes)", &long[..64], long.len()));
    server.finish();
}

/// Security rule 28: the browser API answers only the server's own host names, so a DNS
/// rebinding page (`Host: evil.example`, with its own matching `Origin`) reaches nothing; a
/// refused state change is audited. `--public-url` names the origin behind a proxy.
#[tokio::test]
async fn a_foreign_host_is_refused_and_the_public_url_is_the_origin() {
    let server = Server::start();
    let mut c = server.client();
    let evil = c
        .raw(
            c.http()
                .get(format!("{}/api/session", server.base))
                .header("host", "evil.example"),
        )
        .await;
    assert_eq!((evil.status, evil.code()), (403, "CrossOriginRequest"));
    let body = json!({"Account": "demo", "UserName": "bob", "Password": "demo-bob-password"});
    let rebound = c
        .raw(
            c.http()
                .post(format!("{}/api/sign-in", server.base))
                .header("host", "evil.example")
                .header("origin", "http://evil.example")
                .header("content-type", "application/json")
                .header("x-requested-with", "mfa-resync")
                .body(body.to_string()),
        )
        .await;
    assert_eq!(
        (rebound.status, rebound.code()),
        (403, "CrossOriginRequest")
    );
    assert!(rebound.header("set-cookie").is_none());
    // Under its own names it answers: the address itself and `localhost` with its port.
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let r = c
        .raw(
            c.http()
                .get(format!("{}/api/time", server.base))
                .header("host", format!("localhost:{port}")),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(c.sign_in("bob").await.status, 200);
    let (refused,): (i64,) = on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'SignIn' \
         AND error_code = 'CrossOriginRequest'",
    ))
    .fetch_one(&pool)
    .await
    .unwrap());
    assert_eq!(refused, 1, "the refused state change is in the trail");
    server.finish();

    // Behind a proxy: only the public origin's host and Origin are the server's.
    let server = Server::start_with(&["--public-url", "https://mfa.example"]);
    let mut c = server.client();
    let own = c
        .raw(
            c.http()
                .post(format!("{}/api/sign-in", server.base))
                .header("host", "mfa.example")
                .header("origin", "https://mfa.example")
                .header("content-type", "application/json")
                .header("x-requested-with", "mfa-resync")
                .body(body.to_string()),
        )
        .await;
    assert_eq!(own.status, 200);
    let direct = c.get("/api/time").await;
    assert_eq!((direct.status, direct.code()), (403, "CrossOriginRequest"));
    server.finish();
}
