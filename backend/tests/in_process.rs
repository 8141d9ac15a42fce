//! In process: the real router (`backend::app`) on a real SQLite file, driven with
//! `tower::ServiceExt::oneshot`, and a manual clock in the state that the tests move instead of
//! waiting or rewriting stored times. The time rules — idle 30 min, absolute 12 h,
//! password-only 10 min (security rules 12 and 17), the throttle's back-off (rule 7) and
//! SigV4's 15-minute skew (rule 20) — each at its boundary and one millisecond past it; and
//! races the black-box suite cannot aim as precisely. The black-box suite (the real binary
//! over real HTTP) stays beside these.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use backend::admin::{self, DeviceImport};
use backend::clock::Clock;
use backend::config::Settings;
use backend::crypto::SeedCipher;
use backend::password::Passwords;
use backend::storage::{Storage, StoredState};
use backend::{AppState, app};
use serde_json::{Value, json};
use shared::api::DeviceKind;
use shared::secret::Secret;
use tower::ServiceExt;

/// 2026-12-01T00:00:00Z.
const T0: i64 = 1_796_083_200_000;
const MINUTE: i64 = 60_000;
const ACCOUNT: &str = "111122223333";
const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const SERIAL: &str = "arn:aws:iam::111122223333:mfa/alice";

/// An account with `alice` (self-service policy, one virtual device) and `bob` (no device), a
/// manual clock at [`T0`], and the router over them.
struct World {
    state: AppState,
    router: Router,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        World::with(Settings::default()).await
    }

    /// [`World::new`] with other limits.
    async fn with(settings: Settings) -> World {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&dir.path().join("t.sqlite")).await.unwrap();
        let key = "00".repeat(32);
        let state = AppState {
            storage,
            cipher: Arc::new(SeedCipher::load(Some(&key), &dir.path().join("k")).unwrap()),
            passwords: Passwords::new().unwrap(),
            settings: Arc::new(settings),
            clock: Clock::manual(T0),
        };
        admin::create_account(
            &state,
            Some(ACCOUNT),
            "t",
            "root@t.example",
            "root-password-1",
        )
        .await
        .unwrap();
        for user in ["alice", "bob"] {
            let password = format!("{user}-password-1");
            admin::create_user(&state, ACCOUNT, user, &password, Some("self-service"))
                .await
                .unwrap();
        }
        let import = DeviceImport {
            account: ACCOUNT.into(),
            user_name: Some("alice".into()),
            serial: SERIAL.into(),
            kind: DeviceKind::Virtual,
            digits: 6,
            step: 30,
            counter: 0,
        };
        let fresh = StoredState {
            drift_steps: 0,
            last_used_step: -1,
            hotp_counter: 0,
        };
        let seed = Secret::from_base32_typed(SEED).unwrap();
        admin::import_device(&state, &import, Some(&seed), fresh)
            .await
            .unwrap();
        let router = app(state.clone(), None);
        World {
            state,
            router,
            _dir: dir,
        }
    }

    fn advance(&self, ms: i64) {
        self.state.clock.advance(ms);
    }

    async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.unwrap()
    }

    /// A JSON API state change, as the browser app sends it.
    async fn post(&self, path: &str, cookie: Option<&str>, body: Value) -> (StatusCode, Value) {
        let (status, body, _) = self.post_with_cookie(path, cookie, body).await;
        (status, body)
    }

    /// Signs `user` in with a password; the session token.
    async fn sign_in(&self, user: &str) -> String {
        let req = Request::post("/api/sign-in")
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-Requested-With", "mfa-resync")
            .body(Body::from(
                json!({"Account": "t", "UserName": user, "Password": format!("{user}-password-1")})
                    .to_string(),
            ))
            .unwrap();
        let res = self.send(req).await;
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
        let token = cookie
            .strip_prefix("mfa_resync_session=")
            .and_then(|c| c.split(';').next())
            .unwrap();
        token.to_owned()
    }

    /// Signs the root user in with a password (it has no device here); the session token.
    async fn sign_in_root(&self) -> String {
        let (status, _, cookie) = self
            .post_with_cookie(
                "/api/sign-in/root",
                None,
                json!({"Email": "root@t.example", "Password": "root-password-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        cookie.unwrap()
    }

    /// [`World::post`], also returning the session token a `Set-Cookie` gives.
    async fn post_with_cookie(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value, Option<String>) {
        let mut req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-Requested-With", "mfa-resync");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, format!("mfa_resync_session={c}"));
        }
        let res = self
            .send(req.body(Body::from(body.to_string())).unwrap())
            .await;
        let token = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.strip_prefix("mfa_resync_session="))
            .and_then(|c| c.split(';').next())
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        (res.status(), json_of(res).await, token)
    }

    /// `n` resyncs with [`wrong_pair`], each refused as a wrong code (so counted).
    async fn fail_resyncs(&self, token: &str, n: usize) {
        for _ in 0..n {
            let (status, body) = self.post(RESYNC, Some(token), wrong_pair()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert_eq!(body["Error"]["Code"], "InvalidAuthenticationCode");
        }
    }

    /// `GET /api/session`'s status with this session.
    async fn session(&self, token: &str) -> StatusCode {
        self.session_answer(token).await.0
    }

    /// `GET /api/session` with this session: status and body.
    async fn session_answer(&self, token: &str) -> (StatusCode, Value) {
        let req = Request::get("/api/session")
            .header(header::COOKIE, format!("mfa_resync_session={token}"))
            .body(Body::empty())
            .unwrap();
        let res = self.send(req).await;
        (res.status(), json_of(res).await)
    }
}

const RESYNC: &str = "/api/iam/ResyncMFADevice";

/// A resync of alice's device with a wrong pair: it matches only where two consecutive codes
/// of her device are both 000000, about one chance in 10^12 per step of the window.
fn wrong_pair() -> Value {
    json!({
        "SerialNumber": SERIAL,
        "AuthenticationCode1": "000000",
        "AuthenticationCode2": "000000",
    })
}

async fn json_of(res: Response<Body>) -> Value {
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// Security rule 26: root signs in twice with no device (say, once by someone holding a stolen
/// password), then enables a device in one session: the other ends at once; the enabling one
/// goes on. Deactivating a device ends its owner's sessions, an administrator's
/// own session untouched. (Before: the other session kept full rights for 12 hours.)
#[tokio::test]
async fn enabling_or_deactivating_mfa_ends_the_principals_other_sessions() {
    let w = World::new().await;
    let stolen = w.sign_in_root().await;
    let owner = w.sign_in_root().await;
    let (status, created) = w
        .post(
            "/api/iam/CreateVirtualMFADevice",
            Some(&owner),
            json!({"VirtualMFADeviceName": "root-phone"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let device = &created["VirtualMFADevice"];
    let serial = device["SerialNumber"].as_str().unwrap().to_owned();
    let seed = Secret::from_base32(device["Base32StringSeed"].as_str().unwrap()).unwrap();
    let totp = shared::otp::Totp::default();
    let step = totp.step_at((T0 / 1000) as u64);
    let code = |s: u64| shared::otp::format_code(totp.code_for_step(&seed, s), totp.digits);
    // Both sessions are alive and full until the device is enabled.
    assert_eq!(w.session(&stolen).await, StatusCode::OK);
    let (status, body) = w
        .post(
            "/api/iam/EnableMFADevice",
            Some(&owner),
            json!({"SerialNumber": serial, "AuthenticationCode1": code(step - 1),
                   "AuthenticationCode2": code(step)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(w.session(&stolen).await, StatusCode::UNAUTHORIZED);
    let (status, _) = w
        .post(
            "/api/iam/DeactivateMFADevice",
            Some(&stolen),
            json!({"SerialNumber": serial}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The enabling session goes on, as it was (signed in without MFA, as at AWS).
    let (_, me) = w.session_answer(&owner).await;
    assert_eq!(me["MfaPresent"], false, "{me}");
    // Root deactivates alice's device: alice's sessions end; root's own goes on.
    let alice = w.sign_in("alice").await;
    assert_eq!(w.session(&alice).await, StatusCode::OK);
    let (status, body) = w
        .post(
            "/api/iam/DeactivateMFADevice",
            Some(&owner),
            json!({"UserName": "alice", "SerialNumber": SERIAL}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(w.session(&alice).await, StatusCode::UNAUTHORIZED);
    assert_eq!(w.session(&owner).await, StatusCode::OK);
}

/// The two codes an authenticator app with this seed shows at the world's clock.
fn enable_codes(seed: &str, now_ms: i64) -> (String, String) {
    let seed = Secret::from_base32(seed).unwrap();
    let totp = shared::otp::Totp::default();
    let step = totp.step_at((now_ms / 1000) as u64);
    let code = |s: u64| shared::otp::format_code(totp.code_for_step(&seed, s), totp.digits);
    (code(step - 1), code(step))
}

/// Security rule 27, under the AWS guide's "manage their own MFA device" policy: carol, with
/// no device yet, can enrol (the policy's Deny no longer blocks it); dave cannot throttle,
/// lock, delete or take her unassigned device — it answers him like a missing device, and
/// nothing is counted — nor hold more than eight unassigned devices; a path outside the
/// serial number's characters is refused, and what is created can be deleted. (Before: five
/// wrong codes by dave throttled carol's device, and he could delete it.)
#[tokio::test]
async fn nobody_can_block_delete_or_take_anothers_enrolment() {
    let w = World::new().await;
    for user in ["carol", "dave"] {
        let password = format!("{user}-password-1");
        admin::create_user(&w.state, ACCOUNT, user, &password, Some("manage-own-mfa"))
            .await
            .unwrap();
    }
    let (carol, dave) = (w.sign_in("carol").await, w.sign_in("dave").await);
    let create = |token: String, name: String, path: Option<&'static str>| {
        let w = &w;
        async move {
            let mut body = json!({"VirtualMFADeviceName": name});
            if let Some(p) = path {
                body["Path"] = json!(p);
            }
            w.post("/api/iam/CreateVirtualMFADevice", Some(&token), body)
                .await
        }
    };
    let (status, created) = create(carol.clone(), "carol".into(), None).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let serial = created["VirtualMFADevice"]["SerialNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let seed = created["VirtualMFADevice"]["Base32StringSeed"]
        .as_str()
        .unwrap()
        .to_owned();
    // Dave's wrong codes, a hundred of them: each a missing device, none counted.
    for _ in 0..100 {
        let (status, body) = w
            .post(
                "/api/iam/EnableMFADevice",
                Some(&dave),
                json!({"SerialNumber": serial, "AuthenticationCode1": "000000",
                       "AuthenticationCode2": "000001"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let dev = w
        .state
        .storage
        .device(ACCOUNT, &serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((dev.throttle.failures, dev.throttle.locked), (0, false));
    let (status, _) = w
        .post(
            "/api/iam/DeleteVirtualMFADevice",
            Some(&dave),
            json!({"SerialNumber": serial}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Carol enables her device at once.
    let (c1, c2) = enable_codes(&seed, T0);
    let (status, body) = w
        .post(
            "/api/iam/EnableMFADevice",
            Some(&carol),
            json!({"SerialNumber": serial, "AuthenticationCode1": c1, "AuthenticationCode2": c2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Dave may leave at most eight devices unenabled; deleting one makes room.
    for i in 0..8 {
        let (status, body) = create(dave.clone(), format!("dave-{i}"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = create(dave.clone(), "dave-8".into(), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["Error"]["Code"], "LimitExceeded");
    let (status, _) = w
        .post(
            "/api/iam/DeleteVirtualMFADevice",
            Some(&dave),
            json!({"SerialNumber": "arn:aws:iam::111122223333:mfa/dave-0"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A path the serial number could not hold is refused; a valid one can be deleted again.
    let (status, body) = create(dave.clone(), "x".into(), Some("/a!b/")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = create(dave.clone(), "x".into(), Some("/team/")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w
        .post(
            "/api/iam/DeleteVirtualMFADevice",
            Some(&dave),
            json!({"SerialNumber": "arn:aws:iam::111122223333:mfa/team/x"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Root (an administrator) may delete another's unassigned device.
    let root = w.sign_in_root().await;
    let (status, body) = w
        .post(
            "/api/iam/DeleteVirtualMFADevice",
            Some(&root),
            json!({"SerialNumber": "arn:aws:iam::111122223333:mfa/dave-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Rule 27: an account holds at most its cap of devices, root's creations included.
#[tokio::test]
async fn an_account_holds_at_most_its_cap_of_devices() {
    let w = World::with(Settings {
        max_devices_per_account: 3,
        ..Settings::default()
    })
    .await;
    let root = w.sign_in_root().await;
    // Alice's device is the first; two more fit.
    let mut statuses = Vec::new();
    for name in ["one", "two", "three"] {
        let (status, _) = w
            .post(
                "/api/iam/CreateVirtualMFADevice",
                Some(&root),
                json!({"VirtualMFADeviceName": name}),
            )
            .await;
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 409]);
}

/// Rule 24: a day after its last failure, an unknown sign-in name's row is gone; a user's
/// failures are kept (the lock at 100 consecutive failures stays reachable), and a lock is
/// never forgotten. (Before: every unknown name left a row for ever.)
#[tokio::test]
async fn password_failures_are_forgotten_after_a_day_unless_locked() {
    let w = World::new().await;
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        w._dir.path().join("t.sqlite").display()
    ))
    .await
    .unwrap();
    let sign_in = |user: &'static str| {
        let w = &w;
        async move {
            let body = json!({"Account": "t", "UserName": user, "Password": "wrong-password"});
            w.post("/api/sign-in", None, body).await.0
        }
    };
    assert_eq!(sign_in("nobody").await, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in("bob").await, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in("bob").await, StatusCode::UNAUTHORIZED);
    let state = || async {
        let unknown: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_throttle")
            .fetch_one(&db)
            .await
            .unwrap();
        let bob: i64 =
            sqlx::query_scalar("SELECT failures FROM principals WHERE user_name = 'bob'")
                .fetch_one(&db)
                .await
                .unwrap();
        (unknown, bob)
    };
    assert_eq!(state().await, (1, 2));
    w.advance(24 * 60 * MINUTE - MINUTE);
    backend::housekeeping::sweep(&w.state).await;
    assert_eq!(state().await, (1, 2));
    w.advance(2 * MINUTE);
    backend::housekeeping::sweep(&w.state).await;
    assert_eq!(state().await, (0, 2));
    // A locked name stays locked.
    assert_eq!(sign_in("mallory").await, StatusCode::UNAUTHORIZED);
    sqlx::query("UPDATE sign_in_throttle SET locked = 1")
        .execute(&db)
        .await
        .unwrap();
    w.advance(48 * 60 * MINUTE);
    backend::housekeeping::sweep(&w.state).await;
    assert_eq!(state().await, (1, 2));
    db.close().await;
}

/// `GET /api/session`'s `Allowed`: what the app may offer, as the policy decides it now.
#[tokio::test]
async fn the_session_says_what_its_caller_may_do() {
    let w = World::new().await;
    admin::create_user(
        &w.state,
        ACCOUNT,
        "carol",
        "carol-password-1",
        Some("manage-own-mfa"),
    )
    .await
    .unwrap();
    let allowed = |token: String| {
        let w = &w;
        async move {
            let (_, body) = w.session_answer(&token).await;
            let names: Vec<String> = body["Allowed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            names
        }
    };
    // Alice has a device and only a password so far: list and resync (rule 12).
    assert_eq!(
        allowed(w.sign_in("alice").await).await,
        ["ListMFADevices", "ResyncMFADevice"]
    );
    // Carol, with no device, under the guide's policy: what enrolment needs.
    assert_eq!(
        allowed(w.sign_in("carol").await).await,
        [
            "ListMFADevices",
            "ResyncMFADevice",
            "EnableMFADevice",
            "CreateVirtualMFADevice",
            "DeleteVirtualMFADevice",
            "ListVirtualMFADevices",
            "GetUser"
        ]
    );
    // Root may do everything.
    let root = allowed(w.sign_in_root().await).await;
    let every: Vec<&str> = shared::api::Action::ALL
        .into_iter()
        .filter(|a| a.iam_action().is_some())
        .map(|a| a.name())
        .collect();
    assert_eq!(root, every);
}

#[tokio::test]
async fn a_session_expires_after_30_idle_minutes_and_each_use_restarts_the_wait() {
    let w = World::new().await;
    let token = w.sign_in("bob").await;
    w.advance(29 * MINUTE);
    assert_eq!(w.session(&token).await, StatusCode::OK);
    // Used 29 min after sign-in: the idle limit counts from that use.
    w.advance(30 * MINUTE);
    assert_eq!(
        w.session(&token).await,
        StatusCode::OK,
        "exactly 30 min idle"
    );
    w.advance(30 * MINUTE + 1);
    assert_eq!(w.session(&token).await, StatusCode::UNAUTHORIZED);
    // Gone for good, even if the clock went back.
    w.state.clock.set(T0);
    assert_eq!(w.session(&token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_ends_12_hours_after_sign_in_however_busy() {
    let w = World::new().await;
    let token = w.sign_in("bob").await;
    for _ in 0..24 {
        w.advance(30 * MINUTE);
        assert_eq!(w.session(&token).await, StatusCode::OK);
    }
    // 12 h exactly: still live; one millisecond later: ended, though used a moment ago.
    w.advance(1);
    assert_eq!(w.session(&token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_only_session_lives_10_minutes() {
    let w = World::new().await;
    // alice has a device: her password opens a password-only session (rule 12).
    let token = w.sign_in("alice").await;
    w.advance(10 * MINUTE);
    assert_eq!(w.session(&token).await, StatusCode::OK);
    w.advance(1);
    assert_eq!(w.session(&token).await, StatusCode::UNAUTHORIZED);
    // bob has none: his session is an ordinary one and outlives 10 minutes.
    let bob = w.sign_in("bob").await;
    w.advance(10 * MINUTE + 1);
    assert_eq!(w.session(&bob).await, StatusCode::OK);
}

#[tokio::test]
async fn wrong_codes_back_off_30_s_then_60_s_and_the_wait_is_the_servers_clock() {
    let w = World::new().await;
    let token = w.sign_in("alice").await;
    let (path, resync) = (RESYNC, wrong_pair());
    w.fail_resyncs(&token, 5).await;
    let throttled = |status: StatusCode, body: &Value| {
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["Error"]["Code"], "LimitExceeded");
    };
    let (status, body) = w.post(path, Some(&token), resync.clone()).await;
    throttled(status, &body);
    w.advance(29_999);
    let (status, body) = w.post(path, Some(&token), resync.clone()).await;
    throttled(status, &body);
    // 30 s after the fifth failure: evaluated again (and wrong: the sixth failure)...
    w.advance(1);
    let (status, _) = w.post(path, Some(&token), resync.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // ...which doubles the wait: still throttled 59.999 s later, evaluated at 60 s.
    w.advance(59_999);
    let (status, body) = w.post(path, Some(&token), resync.clone()).await;
    throttled(status, &body);
    w.advance(1);
    let (status, _) = w.post(path, Some(&token), resync).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Issue 17, item 4: each counted refusal says how many more are free before a wait
/// (`TriesLeft`), the one that starts a wait says how long (`Retry-After`), and so does the
/// first refusal after the wait, whose wait is longer.
#[tokio::test]
async fn refused_codes_say_the_tries_left_and_the_wait_they_start() {
    let w = World::new().await;
    let token = w.sign_in("alice").await;
    let refuse = || async {
        let req = Request::post(RESYNC)
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-Requested-With", "mfa-resync")
            .header(header::COOKIE, format!("mfa_resync_session={token}"))
            .body(Body::from(wrong_pair().to_string()))
            .unwrap();
        let res = w.send(req).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let wait = res
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = json_of(res).await;
        assert_eq!(body["Error"]["Code"], "InvalidAuthenticationCode");
        (body["Error"]["TriesLeft"].as_u64(), wait)
    };
    for left in [4, 3, 2, 1] {
        assert_eq!(refuse().await, (Some(left), None));
    }
    assert_eq!(refuse().await, (Some(0), Some("30".to_owned())));
    w.advance(30_000);
    assert_eq!(refuse().await, (Some(0), Some("60".to_owned())));
    // Other errors carry no count.
    let (_, body) = w.post(RESYNC, Some(&token), wrong_pair()).await;
    assert_eq!(body["Error"]["Code"], "LimitExceeded");
    assert!(body["Error"].get("TriesLeft").is_none());
}

#[tokio::test]
async fn the_429_says_how_long_to_wait_in_retry_after() {
    let w = World::new().await;
    let token = w.sign_in("alice").await;
    let resync = wrong_pair();
    w.fail_resyncs(&token, 5).await;
    w.advance(10_500);
    let req = Request::post(RESYNC)
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Requested-With", "mfa-resync")
        .header(header::COOKIE, format!("mfa_resync_session={token}"))
        .body(Body::from(resync.to_string()))
        .unwrap();
    let res = w.send(req).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // 19.5 s left, rounded up.
    assert_eq!(res.headers()[header::RETRY_AFTER], "20");
}

/// A signed `ListMFADevices` Query request made at `signed_at` (Unix ms), sent when the
/// server's clock says whatever the world's clock says.
async fn signed_list(w: &World, id: &str, secret: &str, signed_at: i64) -> (StatusCode, String) {
    signed_list_with(w, id, secret, signed_at, &[]).await
}

/// [`signed_list`] with `extra` headers, signed like the others.
async fn signed_list_with(
    w: &World,
    id: &str,
    secret: &str,
    signed_at: i64,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let body = "Action=ListMFADevices&Version=2010-05-08";
    signed(w, id, secret, signed_at, body, extra).await
}

/// A Query request with `body` and `extra` headers, signed at `signed_at` (Unix ms).
async fn signed(
    w: &World,
    id: &str,
    secret: &str,
    signed_at: i64,
    body: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    signed_for(w, (id, secret, None), "iam", signed_at, body, extra).await
}

/// [`signed`] for `service` with `(key id, secret, session token)`: temporary credentials'
/// token goes in `X-Amz-Security-Token`, signed, as the SDKs send it.
async fn signed_for(
    w: &World,
    (id, secret, token): (&str, &str, Option<&str>),
    service: &str,
    signed_at: i64,
    body: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let identity = Credentials::new(id, secret, token.map(str::to_owned), None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(UNIX_EPOCH + Duration::from_millis(signed_at as u64))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let form = "application/x-www-form-urlencoded; charset=utf-8";
    let mut headers = vec![("host", "mfa-resync.test"), ("content-type", form)];
    headers.extend_from_slice(extra);
    let signable = SignableRequest::new(
        "POST",
        "http://mfa-resync.test/",
        headers.into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = Request::post("/")
        .header("host", "mfa-resync.test")
        .header(header::CONTENT_TYPE, form);
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    for (name, value) in instructions.headers() {
        req = req.header(name, value);
    }
    let res = w.send(req.body(Body::from(body.to_owned())).unwrap()).await;
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn a_signature_is_accepted_up_to_15_minutes_from_the_servers_clock() {
    let w = World::new().await;
    let key = admin::create_access_key_for(&w.state, ACCOUNT, Some("alice"))
        .await
        .unwrap();
    let (id, secret) = (key.access_key_id.as_str(), key.secret_access_key.as_str());
    // SigV4 dates have whole seconds.
    let now = T0;
    let (status, text) = signed_list(&w, id, secret, now).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains(SERIAL), "{text}");
    // Signed 15 min before the server's time (and 15 min after): accepted.
    w.advance(15 * MINUTE);
    assert_eq!(signed_list(&w, id, secret, now).await.0, StatusCode::OK);
    assert_eq!(
        signed_list(&w, id, secret, now + 30 * MINUTE).await.0,
        StatusCode::OK
    );
    // One second more either way: RequestExpired.
    w.advance(1_000);
    let (status, text) = signed_list(&w, id, secret, now).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("<Code>RequestExpired</Code>"), "{text}");
    let (status, text) = signed_list(&w, id, secret, now + 31 * MINUTE + 1_000).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("<Code>RequestExpired</Code>"), "{text}");
}

/// Security rule 22: a captured signed state change cannot be sent again, however soon; a read
/// may repeat; the digests are forgotten once the skew window has passed.
#[tokio::test]
async fn a_signed_state_change_is_accepted_once() {
    let w = World::new().await;
    let root = admin::create_access_key_for(&w.state, ACCOUNT, None)
        .await
        .unwrap();
    let (id, secret) = (root.access_key_id.as_str(), root.secret_access_key.as_str());
    let wrong = "Action=ResyncMFADevice&Version=2010-05-08&UserName=alice\
                 &SerialNumber=arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Falice\
                 &AuthenticationCode1=000000&AuthenticationCode2=000001";
    let failures = || async {
        let dev = w
            .state
            .storage
            .device(ACCOUNT, SERIAL)
            .await
            .unwrap()
            .unwrap();
        dev.throttle.failures
    };
    let (status, text) = signed(&w, id, secret, T0, wrong, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(
        text.contains("<Code>InvalidAuthenticationCode</Code>"),
        "{text}"
    );
    assert_eq!(failures().await, 1);
    // The same request again, at once and 14 minutes later: refused, and counted nowhere.
    for later in [0, 14 * MINUTE] {
        w.advance(later);
        let (status, text) = signed(&w, id, secret, T0, wrong, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
        assert!(text.contains("<Code>RequestAlreadyUsed</Code>"), "{text}");
        assert!(text.contains("accepted only once"), "{text}");
    }
    assert_eq!(failures().await, 1);
    // A state change that succeeded cannot be replayed either: MFA stays enabled.
    let deactivate = "Action=DeactivateMFADevice&Version=2010-05-08&UserName=alice\
                      &SerialNumber=arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Falice";
    let now = w.state.clock.now_ms() / 1000 * 1000;
    assert_eq!(
        signed(&w, id, secret, now, deactivate, &[]).await.0,
        StatusCode::OK
    );
    let (status, text) = signed(&w, id, secret, now, deactivate, &[]).await;
    assert!(
        text.contains("<Code>RequestAlreadyUsed</Code>"),
        "{status} {text}"
    );
    // A read repeats freely (SDKs page and poll with identical signatures).
    for _ in 0..2 {
        assert_eq!(signed_list(&w, id, secret, now).await.0, StatusCode::OK);
    }
    // Each digest is kept until its request would have expired, then swept.
    let seen = |at: i64| {
        let storage = w.state.storage.clone();
        async move { storage.delete_expired_signatures(at).await.unwrap() }
    };
    assert_eq!(seen(T0 + 15 * MINUTE).await, 0);
    assert_eq!(seen(T0 + 15 * MINUTE + 1).await, 1);
    w.advance(21 * MINUTE);
    backend::housekeeping::sweep(&w.state).await;
    assert_eq!(seen(i64::MAX).await, 0);
}

#[tokio::test]
async fn a_signed_request_may_sign_an_x_request_id_of_its_own() {
    let w = World::new().await;
    let key = admin::create_access_key_for(&w.state, ACCOUNT, Some("alice"))
        .await
        .unwrap();
    let (id, secret) = (key.access_key_id.as_str(), key.secret_access_key.as_str());
    let extra = [("x-request-id", "the-clients-own-id")];
    let (status, text) = signed_list_with(&w, id, secret, T0, &extra).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(!text.contains("the-clients-own-id"), "{text}");
}

#[tokio::test]
async fn the_request_id_is_always_the_servers_own() {
    let w = World::new().await;
    let req = Request::get("/api/time")
        .header("x-request-id", "chosen-by-the-client")
        .body(Body::empty())
        .unwrap();
    let res = w.send(req).await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    // And the time it answers is the state's clock.
    let body = json_of(res).await;
    assert_eq!(body["NowMs"], T0);
}

#[tokio::test]
async fn creating_one_name_in_parallel_makes_one_device_and_409s_never_a_500() {
    let w = World::new().await;
    let req = Request::post("/api/sign-in/root")
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Requested-With", "mfa-resync")
        .body(Body::from(
            json!({"Email": "root@t.example", "Password": "root-password-1"}).to_string(),
        ))
        .unwrap();
    let res = w.send(req).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let token = cookie
        .strip_prefix("mfa_resync_session=")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let w = Arc::new(w);
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (w, token) = (w.clone(), token.clone());
            tokio::spawn(async move {
                let body = json!({"VirtualMFADeviceName": "twin"});
                w.post("/api/iam/CreateVirtualMFADevice", Some(&token), body)
                    .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        if status == StatusCode::CONFLICT {
            assert_eq!(body["Error"]["Code"], "EntityAlreadyExists", "{body}");
        }
        statuses.push(status.as_u16());
    }
    statuses.sort_unstable();
    let mut expected = vec![409; 11];
    expected.insert(0, 200);
    assert_eq!(statuses, expected);
    let twin = w
        .state
        .storage
        .device(ACCOUNT, "arn:aws:iam::111122223333:mfa/twin")
        .await
        .unwrap();
    assert!(twin.is_some_and(|d| d.owner_id.is_none()));
}

/// Security rule 24: password hashes run within a memory budget. With every slot taken, a
/// sign-in waits its queue time, then gets 503 `ServiceUnavailable` with `Retry-After` — and
/// is not counted as a failure; once a slot is free the same sign-in goes through.
#[tokio::test]
async fn a_sign_in_that_finds_no_hashing_slot_gets_503_and_counts_nothing() {
    let mut w = World::new().await;
    let passwords = Passwords::with_budget(2 * 19, Duration::from_millis(1)).unwrap();
    assert_eq!(passwords.free_slots(), 2);
    let state = AppState {
        passwords: passwords.clone(),
        ..w.state.clone()
    };
    w.router = app(state, None);
    let held = [
        passwords.slot().await.unwrap(),
        passwords.slot().await.unwrap(),
    ];
    let body = json!({"Account": "t", "UserName": "bob", "Password": "bob-password-1"});
    let req = Request::post("/api/sign-in")
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Requested-With", "mfa-resync")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = w.send(req).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    assert_eq!(json_of(res).await["Error"]["Code"], "ServiceUnavailable");
    let bob = w
        .state
        .storage
        .find_user(ACCOUNT, "bob")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        bob.failures, 0,
        "a refused-for-load attempt is not a failure"
    );
    drop(held);
    w.sign_in("bob").await;
}

/// Credentials as the tests hold them: key id, secret, and a session token for temporary ones.
struct Creds {
    id: String,
    secret: String,
    token: Option<String>,
}

impl Creds {
    fn long_term(key: &backend::iam::CreatedAccessKey) -> Creds {
        Creds {
            id: key.access_key_id.clone(),
            secret: key.secret_access_key.to_string(),
            token: None,
        }
    }

    fn parts(&self) -> (&str, &str, Option<&str>) {
        (&self.id, &self.secret, self.token.as_deref())
    }
}

/// The text of `<tag>` in `xml`.
fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..end])
}

/// The code of alice's device at `step`.
fn alice_code(step: u64) -> String {
    let seed = Secret::from_base32_typed(SEED).unwrap();
    let totp = shared::otp::Totp::default();
    shared::otp::format_code(totp.code_for_step(&seed, step), totp.digits)
}

/// STS `GetSessionToken` with `members` (form-encoded), signed by `creds` at the world's time.
async fn get_session_token(w: &World, creds: &Creds, members: &str) -> (StatusCode, String) {
    let body = format!("Action=GetSessionToken&Version=2011-06-15{members}");
    signed_for(w, creds.parts(), "sts", w.state.clock.now_ms(), &body, &[]).await
}

/// The temporary credentials of a successful `GetSessionToken` answer.
fn issued(status: StatusCode, xml: &str) -> Creds {
    assert_eq!(status, StatusCode::OK, "{xml}");
    assert!(
        xml.contains(
            "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        ),
        "{xml}"
    );
    let creds = Creds {
        id: xml_text(xml, "AccessKeyId").unwrap().to_owned(),
        secret: xml_text(xml, "SecretAccessKey").unwrap().to_owned(),
        token: Some(xml_text(xml, "SessionToken").unwrap().to_owned()),
    };
    assert!(
        creds.id.starts_with("ASIA") && creds.id.len() == 20,
        "{}",
        creds.id
    );
    assert_eq!(creds.secret.len(), 40);
    creds
}

/// `ListUsers` signed by `creds` at the world's time: its status and the error code, if any.
async fn list_users_with(w: &World, creds: &Creds) -> (StatusCode, String) {
    let body = "Action=ListUsers&Version=2010-05-08";
    let (status, xml) =
        signed_for(w, creds.parts(), "iam", w.state.clock.now_ms(), body, &[]).await;
    (status, xml_text(&xml, "Code").unwrap_or("").to_owned())
}

async fn temporary_rows(w: &World) -> i64 {
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite:{}",
        w._dir.path().join("t.sqlite").display()
    ))
    .await
    .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM temporary_credentials")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// Issue 15: a long-term key alone cannot pass an MFA condition; `GetSessionToken` with a code
/// of the caller's own device gives temporary credentials that carry MFA, and
/// `aws:MultiFactorAuthAge` counts from the code's check: a `NumericLessThan 300` condition
/// allows up to 299 s and denies from 300 s (the clock moved, nothing waited).
#[tokio::test]
async fn session_credentials_carry_mfa_and_its_age_counts_from_the_code() {
    let w = World::new().await;
    let alice = w
        .state
        .storage
        .find_user(ACCOUNT, "alice")
        .await
        .unwrap()
        .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":"iam:ListUsers","Resource":"*",
        "Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"300"}}}]}"#;
    w.state
        .storage
        .put_policy(alice.id, "FreshMfa", policy)
        .await
        .unwrap();
    let key = admin::create_access_key_for(&w.state, ACCOUNT, Some("alice"))
        .await
        .unwrap();
    let long = Creds::long_term(&key);
    // The long-term key carries no MFA age: denied.
    assert_eq!(
        list_users_with(&w, &long).await,
        (StatusCode::FORBIDDEN, "AccessDenied".into())
    );
    let step = shared::otp::Totp::default().step_at((T0 / 1000) as u64);
    let members = format!(
        "&SerialNumber={}&TokenCode={}",
        urlencode(SERIAL),
        alice_code(step)
    );
    let (status, xml) = get_session_token(&w, &long, &members).await;
    let temp = issued(status, &xml);
    assert_eq!(
        xml_text(&xml, "Expiration"),
        Some("2026-12-01T12:00:00Z"),
        "12 h by default"
    );
    assert_eq!(list_users_with(&w, &temp).await.0, StatusCode::OK);
    w.advance(299_999);
    assert_eq!(
        list_users_with(&w, &temp).await.0,
        StatusCode::OK,
        "299 s old"
    );
    w.advance(1);
    assert_eq!(
        list_users_with(&w, &temp).await,
        (StatusCode::FORBIDDEN, "AccessDenied".into()),
        "300 s old"
    );
    // The code was burned: the same one again issues nothing.
    let (status, xml) = get_session_token(&w, &long, &members).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{xml}");
    assert_eq!(xml_text(&xml, "Code"), Some("InvalidAuthenticationCode"));
    assert_eq!(temporary_rows(&w).await, 1);
    // GetCallerIdentity with the temporary credentials: alice.
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let (status, xml) =
        signed_for(&w, temp.parts(), "sts", w.state.clock.now_ms(), body, &[]).await;
    assert_eq!(status, StatusCode::OK, "{xml}");
    assert_eq!(
        xml_text(&xml, "Arn"),
        Some("arn:aws:iam::111122223333:user/alice")
    );
    assert_eq!(xml_text(&xml, "Account"), Some(ACCOUNT));
    assert_eq!(xml_text(&xml, "UserId"), Some(alice.user_id.as_str()));
    // Temporary credentials cannot make more.
    let (status, xml) = get_session_token(&w, &temp, "").await;
    assert_eq!(
        (status, xml_text(&xml, "Code")),
        (StatusCode::FORBIDDEN, Some("AccessDenied"))
    );
}

/// Without a code, `GetSessionToken` still works but the credentials carry
/// `aws:MultiFactorAuthPresent = false` (a long-term key: absent) and no age; a wrong,
/// malformed, half-given or foreign code issues nothing.
#[tokio::test]
async fn without_a_code_the_credentials_carry_no_mfa_and_a_wrong_code_issues_nothing() {
    let w = World::new().await;
    let key = admin::create_access_key_for(&w.state, ACCOUNT, Some("alice"))
        .await
        .unwrap();
    let alice = Creds::long_term(&key);
    let step = shared::otp::Totp::default().step_at((T0 / 1000) as u64);
    let wrong = format!(
        "{:06}",
        (alice_code(step).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let serial = urlencode(SERIAL);
    let bobs = urlencode("arn:aws:iam::111122223333:mfa/bob");
    let refusals = [
        (
            format!("&SerialNumber={serial}&TokenCode={wrong}"),
            "InvalidAuthenticationCode",
        ),
        (
            format!("&SerialNumber={serial}&TokenCode=12345"),
            "ValidationError",
        ),
        (
            format!("&TokenCode={}", alice_code(step)),
            "ValidationError",
        ),
        (
            format!("&SerialNumber={bobs}&TokenCode={}", alice_code(step)),
            "NoSuchEntity",
        ),
        (
            format!(
                "&SerialNumber={serial}&TokenCode={}&DurationSeconds=899",
                alice_code(step)
            ),
            "ValidationError",
        ),
    ];
    for (members, code) in &refusals {
        w.advance(1_000); // a new signature each time (rule 22)
        let (_, xml) = get_session_token(&w, &alice, members).await;
        assert_eq!(xml_text(&xml, "Code"), Some(*code), "{members}: {xml}");
    }
    assert_eq!(temporary_rows(&w).await, 0, "nothing issued");
    // A user whose one policy allows ListUsers only while MFA is present and false.
    admin::create_user(&w.state, ACCOUNT, "carol", "carol-password-1", None)
        .await
        .unwrap();
    let carol = w
        .state
        .storage
        .find_user(ACCOUNT, "carol")
        .await
        .unwrap()
        .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":"iam:ListUsers","Resource":"*",
        "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
    w.state
        .storage
        .put_policy(carol.id, "NoMfa", policy)
        .await
        .unwrap();
    let key = admin::create_access_key_for(&w.state, ACCOUNT, Some("carol"))
        .await
        .unwrap();
    let long = Creds::long_term(&key);
    assert_eq!(
        list_users_with(&w, &long).await.0,
        StatusCode::FORBIDDEN,
        "absent"
    );
    let (status, xml) = get_session_token(&w, &long, "&DurationSeconds=900").await;
    let temp = issued(status, &xml);
    assert_eq!(
        list_users_with(&w, &temp).await.0,
        StatusCode::OK,
        "present: false"
    );
}

/// Temporary credentials end at their expiry (`ExpiredToken`), and with what made them: the
/// long-term key deleted, the MFA device deactivated, the user's policies changed
/// (`InvalidClientTokenId`); they need their own token, signed.
#[tokio::test]
async fn temporary_credentials_end_with_expiry_key_device_and_policies() {
    let w = World::new().await;
    // The AWS guide's manage-own-MFA policy: deactivating needs MFA.
    let alice = w
        .state
        .storage
        .find_user(ACCOUNT, "alice")
        .await
        .unwrap()
        .unwrap();
    w.state
        .storage
        .put_policy(
            alice.id,
            "SelfService",
            backend::policy::MANAGE_OWN_MFA_POLICY,
        )
        .await
        .unwrap();
    let key = admin::create_access_key_for(&w.state, ACCOUNT, Some("alice"))
        .await
        .unwrap();
    let long = Creds::long_term(&key);
    let totp = shared::otp::Totp::default();
    let issue = |extra: &'static str| {
        let w = &w;
        let long = &long;
        async move {
            let step = totp.step_at((w.state.clock.now_ms() / 1000) as u64);
            let members = format!(
                "&SerialNumber={}&TokenCode={}{extra}",
                urlencode(SERIAL),
                alice_code(step)
            );
            let (status, xml) = get_session_token(w, long, &members).await;
            issued(status, &xml)
        }
    };
    let list = |creds: &Creds| {
        let body = "Action=ListMFADevices&Version=2010-05-08";
        let parts = (creds.id.clone(), creds.secret.clone(), creds.token.clone());
        let w = &w;
        async move {
            let (status, xml) = signed_for(
                w,
                (&parts.0, &parts.1, parts.2.as_deref()),
                "iam",
                w.state.clock.now_ms(),
                body,
                &[],
            )
            .await;
            (status, xml_text(&xml, "Code").unwrap_or("").to_owned())
        }
    };
    let ok = (StatusCode::OK, String::new());
    let invalid = (StatusCode::FORBIDDEN, "InvalidClientTokenId".to_owned());
    // Expiry: 900 s.
    let short = issue("&DurationSeconds=900").await;
    assert_eq!(list(&short).await, ok);
    // Its token is its own: none, another's, or a long-term key with one are refused.
    w.advance(30_000);
    let other = issue("").await;
    let swapped = Creds {
        token: other.token.clone(),
        ..short_clone(&short)
    };
    assert_eq!(list(&swapped).await, invalid);
    let bare = Creds {
        token: None,
        ..short_clone(&short)
    };
    assert_eq!(list(&bare).await, invalid);
    let long_with_token = Creds {
        token: short.token.clone(),
        ..Creds::long_term(&key)
    };
    assert_eq!(list(&long_with_token).await, invalid);
    w.advance(870_000 - 1);
    assert_eq!(list(&short).await, ok, "1 ms before its expiry");
    w.advance(1);
    assert_eq!(
        list(&short).await,
        (StatusCode::BAD_REQUEST, "ExpiredToken".to_owned())
    );
    // The device deactivated: the credentials that carry its code end.
    assert_eq!(list(&other).await, ok);
    // (Deactivating needs MFA under the self-service policy: the temporary credentials have it.)
    let (status, xml) = signed_for(
        &w,
        other.parts(),
        "iam",
        w.state.clock.now_ms(),
        &format!(
            "Action=DeactivateMFADevice&Version=2010-05-08&SerialNumber={}",
            urlencode(SERIAL)
        ),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{xml}");
    assert_eq!(list(&other).await, invalid);
    // A policy change, and the key deleted: credentials issued without MFA end too.
    w.advance(1_000);
    let (status, xml) = get_session_token(&w, &long, "").await;
    let plain = issued(status, &xml);
    assert_eq!(list(&plain).await, ok);
    w.state
        .storage
        .put_policy(
            alice.id,
            "SelfService",
            backend::policy::SELF_SERVICE_POLICY,
        )
        .await
        .unwrap();
    assert_eq!(list(&plain).await, invalid);
    w.advance(1_000);
    let (status, xml) = get_session_token(&w, &long, "").await;
    let last = issued(status, &xml);
    assert_eq!(list(&last).await, ok);
    assert!(
        w.state
            .storage
            .delete_access_key(&key.access_key_id, alice.id)
            .await
            .unwrap()
    );
    assert_eq!(list(&last).await, invalid);
}

fn short_clone(c: &Creds) -> Creds {
    Creds {
        id: c.id.clone(),
        secret: c.secret.clone(),
        token: c.token.clone(),
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Issue 16: each accepted code records how far the device is ahead; after a week of daily
/// sign-ins with a phone gaining half a step (15 s) a day, `ListMFADevices` says so and says
/// when its codes will leave the sign-in window.
#[tokio::test]
async fn a_drifting_device_is_forecast_from_its_sign_ins() {
    let w = World::new().await;
    let totp = shared::otp::Totp::default();
    let first = alices_device(&w).await;
    assert!(first.get("DriftRateSecondsPerDay").is_none(), "{first}");
    assert!(first.get("LastUsedDate").is_none(), "never used: {first}");
    assert!(first.get("DriftHistory").is_none(), "no history: {first}");
    for day in 0..8i64 {
        w.advance(86_400_000);
        // The phone is ahead by half a step a day, read as whole steps.
        let ahead = (day + 1) / 2;
        let step = totp.step_at((w.state.clock.now_ms() / 1000) as u64) as i64 + ahead;
        let token = w.sign_in("alice").await;
        let (status, body) = w
            .post(
                "/api/sign-in/mfa",
                Some(&token),
                json!({"SerialNumber": SERIAL, "AuthenticationCode": alice_code(step as u64)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "day {day}: {body}");
    }
    let device = alices_device(&w).await;
    // Last used: the last sign-in's code, now.
    assert_eq!(
        device["LastUsedDate"].as_str(),
        Some(backend::clock::rfc3339(w.state.clock.now_ms()).as_str())
    );
    // The history the app draws: one point a day, in seconds, the last one now.
    let history: Vec<(i64, i64)> = device["DriftHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["At"].as_i64().unwrap(), p["Offset"].as_i64().unwrap()))
        .collect();
    let now_s = w.state.clock.now_ms() / 1000;
    let expected: Vec<(i64, i64)> = (0..8i64)
        .map(|day| (now_s - (7 - day) * 86_400, (day + 1) / 2 * 30))
        .collect();
    assert_eq!(history, expected);
    let rate = device["DriftRateSecondsPerDay"].as_f64().unwrap();
    assert!((rate - 15.0).abs() < 3.0, "{device}");
    // Stored drift 4 (the last sign-in); it leaves 4 ± 1 at 5.5 steps: about two days on.
    let by = device["ResyncNeededBy"].as_str().unwrap();
    let now = backend::clock::rfc3339(w.state.clock.now_ms());
    assert!(by > now.as_str(), "{by} after {now}");
    let in_four_days = backend::clock::rfc3339(w.state.clock.now_ms() + 4 * 86_400_000);
    assert!(by < in_four_days.as_str(), "{by} before {in_four_days}");
}

/// Alice's device as `ListMFADevices` shows it to her.
async fn alices_device(w: &World) -> Value {
    let token = w.sign_in("alice").await;
    let (status, body) = w
        .post("/api/iam/ListMFADevices", Some(&token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["MFADevices"][0].clone()
}

/// Issue 16: a person reads their own activity, newest first and paged — never another's, and
/// only after MFA (a stolen password learns nothing from it).
#[tokio::test]
async fn a_person_reads_their_own_activity_after_mfa() {
    const ACTIVITY: &str = "/api/audit/activity";
    let w = World::new().await;
    let token = w.sign_in("alice").await;
    let (status, body) = w.post(ACTIVITY, Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["Error"]["Code"], "AccessDenied");
    let mfa = |code: String| json!({"SerialNumber": SERIAL, "AuthenticationCode": code});
    let totp = shared::otp::Totp::default();
    let step = totp.step_at((w.state.clock.now_ms() / 1000) as u64);
    let wrong = if alice_code(step) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (status, _) = w
        .post("/api/sign-in/mfa", Some(&token), mfa(wrong.into()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    w.advance(60_000);
    w.sign_in("bob").await;
    let step = totp.step_at((w.state.clock.now_ms() / 1000) as u64);
    let (status, body, renewed) = w
        .post_with_cookie("/api/sign-in/mfa", Some(&token), mfa(alice_code(step)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // MFA renews the session (a new token).
    let token = renewed.unwrap();
    let (status, body) = w.post(ACTIVITY, Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen: Vec<(&str, &str, &str)> = body["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["Action"].as_str().unwrap(),
                e["Outcome"].as_str().unwrap(),
                e["Summary"].as_str().unwrap(),
            )
        })
        .collect();
    // Her own, in words (bob's sign-in is not hers); the session reads are not listed.
    assert_eq!(
        seen,
        [
            (
                "SignInMFA",
                "Success",
                "Signed in with the device arn:aws:iam::111122223333:mfa/alice"
            ),
            (
                "SignInMFA",
                "Failure",
                "A sign-in code from the device arn:aws:iam::111122223333:mfa/alice was \
                 refused: InvalidAuthenticationCode"
            ),
            ("SignIn", "Success", "Password accepted"),
        ]
    );
    assert!(body["NextToken"].is_null(), "{body}");
    // Paged: one at a time, from the newest.
    let (_, first) = w
        .post(ACTIVITY, Some(&token), json!({"MaxResults": 1}))
        .await;
    assert_eq!(first["Events"][0]["Outcome"], "Success");
    let next = first["NextToken"].as_str().unwrap();
    let (_, second) = w
        .post(
            ACTIVITY,
            Some(&token),
            json!({"MaxResults": 1, "NextToken": next}),
        )
        .await;
    assert_eq!(second["Events"][0]["Outcome"], "Failure");
    let (status, _) = w
        .post(ACTIVITY, Some(&token), json!({"MaxResults": 0}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// `GET /api/session`'s body with this session, which must be live.
async fn session_body(w: &World, token: &str) -> Value {
    let (status, body) = w.session_answer(token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// alice's password and the code her device shows now: her session with MFA.
async fn alice_with_mfa(w: &World) -> String {
    let token = w.sign_in("alice").await;
    let step = shared::otp::Totp::default().step_at((w.state.clock.now_ms() / 1000) as u64);
    let (status, body, renewed) = w
        .post_with_cookie(
            "/api/sign-in/mfa",
            Some(&token),
            json!({"SerialNumber": SERIAL, "AuthenticationCode": alice_code(step)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    renewed.unwrap()
}

/// Issue 16 (OWASP ASVS V6.3.5, V6.3.7): after MFA, the session tells a person what happened
/// since their previous sign-in that they did not do — refused passwords and codes, counted,
/// and a change to their device by the root user — and nothing of what they did themselves;
/// the next sign-in starts afresh. Without MFA there are no notices.
#[tokio::test]
async fn a_sign_in_tells_what_happened_since_the_last_one() {
    let w = World::new().await;
    let first = alice_with_mfa(&w).await;
    assert!(session_body(&w, &first).await.get("Notices").is_none());
    // Someone with alice's password: one wrong password, then two wrong codes.
    w.advance(MINUTE);
    let (status, _) = w
        .post(
            "/api/sign-in",
            None,
            json!({"Account": "t", "UserName": "alice", "Password": "guess-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let intruder = w.sign_in("alice").await;
    let step = shared::otp::Totp::default().step_at((w.state.clock.now_ms() / 1000) as u64);
    let right = alice_code(step);
    for wrong in ["000000", "111111"] {
        let wrong = if wrong == right { "222222" } else { wrong };
        let (status, _) = w
            .post(
                "/api/sign-in/mfa",
                Some(&intruder),
                json!({"SerialNumber": SERIAL, "AuthenticationCode": wrong}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert!(
        session_body(&w, &intruder).await.get("Notices").is_none(),
        "a password-only session is told nothing"
    );
    // The root user unlocks her device.
    w.advance(MINUTE);
    let root = w.sign_in_root().await;
    let (status, body) = w
        .post(
            "/api/iam/UnlockMFADevice",
            Some(&root),
            json!({"UserName": "alice", "SerialNumber": SERIAL}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The root user's own sign-in is in the trail as its own (the user concerned is the root).
    let root_rows = w
        .state
        .storage
        .audit_events(
            ACCOUNT,
            &backend::storage::AuditFilter {
                target_user: Some(ACCOUNT),
                action: Some("SignInRoot"),
                ..Default::default()
            },
            i64::MAX,
            10,
        )
        .await
        .unwrap();
    assert_eq!(root_rows.len(), 1);
    // alice signs in again, a minute later (a new step: her codes are fresh).
    w.advance(MINUTE);
    let second = alice_with_mfa(&w).await;
    let body = session_body(&w, &second).await;
    let notices: Vec<&str> = body["Notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["Summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        notices,
        [
            "The device arn:aws:iam::111122223333:mfa/alice was unlocked by the account's root \
             user",
            "2 refused MFA codes since your last sign-in",
            "1 refused password since your last sign-in",
        ],
        "{body}"
    );
    assert_eq!(body["Notices"][0]["EventTime"], "2026-12-01T00:02:00.000Z");
    assert_eq!(body["Notices"][1]["Outcome"], "Failure");
    // Nothing since: the next sign-in has no notices.
    w.advance(MINUTE);
    let third = alice_with_mfa(&w).await;
    assert!(session_body(&w, &third).await.get("Notices").is_none());
}

/// Issue 16: the administrators' list of what needs attention — a device whose clock leaves the
/// sign-in window within the days asked, soonest first, with its forecast, and the hardware
/// tokens nobody holds — for whoever may list the account's users; others are refused, and a
/// horizon out of range is a validation error.
#[tokio::test]
async fn administrators_see_the_devices_about_to_leave_the_window_and_the_pool() {
    const ATTENTION: &str = "/api/admin/attention";
    let w = World::new().await;
    // alice's phone gained a step every 8 days for 60 days and is in step now (as the demo's
    // administrator phone): it leaves the window, 1.5 steps, in about 12 days.
    let phone = w
        .state
        .storage
        .device(ACCOUNT, SERIAL)
        .await
        .unwrap()
        .unwrap();
    const DAY: i64 = 86_400_000;
    let samples: Vec<(i64, i64)> = (0..60)
        .map(|days_ago: i64| (T0 - days_ago * DAY - 3_600_000, -((days_ago + 4) / 8)))
        .rev()
        .collect();
    w.state
        .storage
        .backdate_with_history(phone.id, T0 - 61 * DAY, &samples)
        .await
        .unwrap();
    // A token in the pool, as a vendor's PSKC file puts it there.
    let token = backend::pskc::Token {
        serial: "GAHT30000003".into(),
        algorithm: backend::pskc::Algorithm::Totp { step: 30, drift: 0 },
        digits: 6,
        secret: zeroize::Zeroizing::new(vec![7; 20]),
    };
    admin::import_pskc(&w.state, ACCOUNT, &[token])
        .await
        .unwrap();

    let alice = w.sign_in("alice").await;
    let (status, body) = w.post(ATTENTION, Some(&alice), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let root = w.sign_in_root().await;
    let (status, body) = w.post(ATTENTION, Some(&root), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let due = body["DevicesNeedingResync"].as_array().unwrap();
    assert_eq!(due.len(), 1, "{body}");
    assert_eq!(due[0]["SerialNumber"], SERIAL);
    assert_eq!(due[0]["UserName"], "alice");
    let by = due[0]["ResyncNeededBy"].as_str().unwrap();
    assert!(
        ("2026-12-08".."2026-12-20").contains(&by),
        "about 12 days after 2026-12-01: {by}"
    );
    let rate = due[0]["DriftRateSecondsPerDay"].as_f64().unwrap();
    assert!(
        (3.0..=4.5).contains(&rate),
        "a step (30 s) every 8 days: {rate}"
    );
    assert_eq!(
        body["UnassignedHardwareTokens"],
        json!([{"SerialNumber": "GAHT30000003", "Kind": "hardware-totp"}])
    );
    // Not within five days.
    let (status, body) = w
        .post(ATTENTION, Some(&root), json!({"WithinDays": 5}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["DevicesNeedingResync"], json!([]));
    for bad in [json!({"WithinDays": 0}), json!({"WithinDays": 367})] {
        let (status, body) = w.post(ATTENTION, Some(&root), bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["Error"]["Code"], "ValidationError");
    }
}

/// Issue 16: an HOTP token pressed twice a day without its codes being used runs ahead of the
/// server by 14 counter values a week, and `ListMFADevices` says so.
#[tokio::test]
async fn an_hotp_tokens_unused_presses_are_reported_as_its_run_ahead() {
    const TOKEN: &str = "GAKT30000003";
    let w = World::new().await;
    let import = DeviceImport {
        account: ACCOUNT.into(),
        user_name: Some("bob".into()),
        serial: TOKEN.into(),
        kind: DeviceKind::HardwareHotp,
        digits: 6,
        step: 30,
        counter: 0,
    };
    let fresh = StoredState {
        drift_steps: 0,
        last_used_step: -1,
        hotp_counter: 0,
    };
    let seed = Secret::from_base32_typed(SEED).unwrap();
    admin::import_device(&w.state, &import, Some(&seed), fresh)
        .await
        .unwrap();
    let list = |token: String| {
        let w = &w;
        async move {
            let (status, body) = w
                .post("/api/iam/ListMFADevices", Some(&token), json!({}))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["MFADevices"][0].clone()
        }
    };
    for day in 0..5u64 {
        w.advance(86_400_000);
        // Each day: two presses nobody typed, then the third signs in.
        let counter = day * 3;
        let code = shared::otp::format_code(
            shared::otp::hotp(&seed, counter, shared::code::Digits::SIX),
            shared::code::Digits::SIX,
        );
        let token = w.sign_in("bob").await;
        let (status, body) = w
            .post(
                "/api/sign-in/mfa",
                Some(&token),
                json!({"SerialNumber": TOKEN, "AuthenticationCode": code}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "day {day}: {body}");
        if day == 2 {
            // Two days of history are not enough to tell.
            let token = w.sign_in("bob").await;
            assert!(list(token).await.get("CounterRunAheadPerWeek").is_none());
        }
    }
    let token = w.sign_in("bob").await;
    let device = list(token).await;
    assert_eq!(device["SerialNumber"], TOKEN);
    assert_eq!(
        device["CounterRunAheadPerWeek"].as_f64(),
        Some(14.0),
        "{device}"
    );
    // A counter has no clock: no rate of seconds, no date.
    assert!(device.get("DriftRateSecondsPerDay").is_none(), "{device}");
    let offsets: Vec<i64> = device["DriftHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Offset"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, [0, 2, 2, 2, 2]);
}
