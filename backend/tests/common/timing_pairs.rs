//! The pairs of request classes the timing test compares (issue 14), each against a real
//! server: what each class sends, the throttle reset before each sample (untimed), and the
//! answer both classes must get. Used by `backend/tests/timing.rs` (a short run that checks the
//! harness) and `backend/benches/timing.rs` (the long run that gives the verdict).
//!
//! Every pair runs on the demo account: `admin` resyncs alice's hardware token, `bob` is the
//! known user whose password is wrong, `nobody-here` the user name that does not exist.

use serde_json::{Value, json};

use super::timing::{Class, Comparison, measure, splitmix64};
use super::*;

/// The device of pairs (a) and (b) and the user who owns it.
const DEVICE: &str = ALICE_FOB;
const OWNER: &str = "alice";
/// The known user of pair (c) and a user name the demo account does not have.
const KNOWN_USER: &str = "bob";
const UNKNOWN_USER: &str = "nobody-here";

/// One request, built before the clock starts.
pub enum Request {
    Get(&'static str),
    Post(&'static str, String),
}

/// The status and body of an answer.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The JSON error's code and message (what a caller could tell classes apart by).
    fn error(&self) -> (String, String) {
        let v: Value = serde_json::from_str(&self.body).unwrap_or(Value::Null);
        let field = |f: &str| v["Error"][f].as_str().unwrap_or("").to_owned();
        (field("Code"), field("Message"))
    }
}

/// Sends requests as one browser would, over one kept-alive connection, with an optional
/// session cookie; nothing but the request itself happens between the clock's start and stop.
pub struct Target {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Target {
    pub fn new(server: &Server, cookie: Option<String>) -> Target {
        Target {
            http: http_client(),
            base: server.base.clone(),
            cookie,
        }
    }

    pub async fn send(&self, request: Request) -> Answer {
        let req = match request {
            Request::Get(path) => self.http.get(format!("{}{path}", self.base)),
            Request::Post(path, body) => self
                .http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .header("x-requested-with", "mfa-resync")
                .body(body),
        };
        let req = match &self.cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        Answer {
            status,
            body: res.text().await.unwrap(),
        }
    }
}

/// Asserts every answer has `status` and that both classes answer the same error, code and
/// message (their first answers compared with every later one).
struct SameAnswer {
    status: u16,
    seen: Option<(String, String)>,
}

impl SameAnswer {
    fn new(status: u16) -> SameAnswer {
        SameAnswer { status, seen: None }
    }

    fn check(&mut self, class: Class, answer: Answer) {
        assert_eq!(answer.status, self.status, "{class:?}: {}", answer.body);
        let error = answer.error();
        let first = self.seen.get_or_insert_with(|| error.clone());
        assert_eq!(*first, error, "{class:?} answers differently");
    }
}

/// A six-digit code other than `right`.
fn wrong(right: &str, random: &mut u64) -> String {
    let right: u64 = right.parse().unwrap();
    format!(
        "{:06}",
        (right + 1 + splitmix64(random) % 999_999) % 1_000_000
    )
}

fn resync_body(c1: &str, c2: &str) -> String {
    json!({
        "UserName": OWNER, "SerialNumber": DEVICE,
        "AuthenticationCode1": c1, "AuthenticationCode2": c2,
    })
    .to_string()
}

/// The administrator's session (password and MFA), for pairs (a) and (b): it lasts the whole
/// run (one per server: a second sign-in in the same 30 s would reuse a burned code).
pub async fn admin_session(server: &Server) -> Target {
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    Target::new(server, admin.cookie)
}

/// (a) On a throttled device, a wrong pair (A) and the right pair (B) of now: both 429, the
/// codes never evaluated (security rule 10).
pub async fn throttled_wrong_or_right(
    server: &Server,
    target: &Target,
    order: &[Class],
) -> Comparison {
    // Throttled for a day; a throttled attempt is not counted, so it stays so.
    let until = now_ms() + 86_400_000;
    crate::on_store!(server, |pool, sql| {
        sqlx::query(sql(
            "UPDATE mfa_devices SET failures = 5, throttled_until = ? WHERE serial_number = ?",
        ))
        .bind(until)
        .bind(DEVICE)
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected()
    });
    let device = server.device(DEVICE);
    let mut random = super::timing::clock_seed();
    let mut same = SameAnswer::new(429);
    measure(
        order,
        async |class| {
            let step = now_step();
            let (right1, right2) = (device.at(step), device.at(step + 1));
            let (c1, c2) = match class {
                Class::A => (wrong(&right1, &mut random), wrong(&right2, &mut random)),
                Class::B => (right1, right2),
            };
            server.remember_codes(&[c1.as_str(), c2.as_str()]);
            Request::Post("/api/iam/ResyncMFADevice", resync_body(&c1, &c2))
        },
        async |request| target.send(request).await,
        |class, answer| same.check(class, answer),
    )
    .await
}

/// (b) On a device that is not throttled, the first code wrong (A) or the second code wrong
/// (B), the other one right: both 403, the same refusal (security rule 11: the whole window is
/// scanned, with no early exit). The device's and its owner's failures are cleared before each
/// sample, so no sample meets the throttle.
pub async fn first_or_second_code_wrong(
    server: &Server,
    target: &Target,
    order: &[Class],
) -> Comparison {
    let device = server.device(DEVICE);
    let mut random = super::timing::clock_seed();
    let mut same = SameAnswer::new(403);
    crate::on_store!(server, |pool, sql| {
        measure(
            order,
            async |class| {
                for statement in [
                    "UPDATE mfa_devices SET failures = 0, throttled_until = 0 \
                     WHERE serial_number = ?",
                    "UPDATE code_budgets SET failures = 0, throttled_until = 0 WHERE \
                     principal_id = (SELECT owner_id FROM mfa_devices WHERE serial_number = ?)",
                ] {
                    sqlx::query(sql(statement))
                        .bind(DEVICE)
                        .execute(&pool)
                        .await
                        .unwrap();
                }
                let step = now_step();
                let (right1, right2) = (device.at(step), device.at(step + 1));
                let (c1, c2) = match class {
                    Class::A => (wrong(&right1, &mut random), right2),
                    Class::B => (right1, wrong(&right2, &mut random)),
                };
                server.remember_codes(&[c1.as_str(), c2.as_str()]);
                Request::Post("/api/iam/ResyncMFADevice", resync_body(&c1, &c2))
            },
            async |request| target.send(request).await,
            |class, answer| same.check(class, answer),
        )
        .await
    })
}

/// (c) At sign-in, a user name that does not exist (A) and a known user with a wrong password
/// (B): both 401 `SignInFailed`, the same argon2 work. Both counters are cleared before each
/// sample.
pub async fn unknown_user_or_wrong_password(server: &Server, order: &[Class]) -> Comparison {
    sign_in_pair(server, order, |class| match class {
        Class::A => Some(UNKNOWN_USER),
        Class::B => Some(KNOWN_USER),
    })
    .await
}

/// The harness's own check, for CI: a known user's wrong password (A: an argon2 hash) against
/// `GET /healthz` (B: nothing to compute). Deliberately different.
pub async fn wrong_password_or_health(server: &Server, order: &[Class]) -> Comparison {
    sign_in_pair(server, order, |class| match class {
        Class::A => Some(KNOWN_USER),
        Class::B => None,
    })
    .await
}

/// The harness's other check, for CI: the same request, a known user's wrong password, in
/// both classes. Indistinguishable by construction.
pub async fn wrong_password_twice(server: &Server, order: &[Class]) -> Comparison {
    sign_in_pair(server, order, |_| Some(KNOWN_USER)).await
}

/// Sign-ins with a wrong password as the user `who` names for each class (`None`: a health
/// probe instead), every password counter cleared before each sample.
async fn sign_in_pair(
    server: &Server,
    order: &[Class],
    who: impl Fn(Class) -> Option<&'static str>,
) -> Comparison {
    let target = Target::new(server, None);
    let mut signed_in = SameAnswer::new(401);
    let password = "not-the-password-1";
    server.remember_password(password);
    crate::on_store!(server, |pool, sql| {
        measure(
            order,
            async |class| {
                sqlx::query(sql(
                    "UPDATE principals SET failures = 0, throttled_until = 0 WHERE user_name = ?",
                ))
                .bind(KNOWN_USER)
                .execute(&pool)
                .await
                .unwrap();
                sqlx::query(sql(
                    "UPDATE sign_in_throttle SET failures = 0, throttled_until = 0",
                ))
                .execute(&pool)
                .await
                .unwrap();
                match who(class) {
                    Some(user) => Request::Post(
                        "/api/sign-in",
                        json!({"Account": "demo", "UserName": user, "Password": password})
                            .to_string(),
                    ),
                    None => Request::Get("/healthz"),
                }
            },
            async |request| target.send(request).await,
            |class, answer| match who(class) {
                Some(_) => signed_in.check(class, answer),
                None => assert_eq!(answer.status, 200, "{}", answer.body),
            },
        )
        .await
    })
}
