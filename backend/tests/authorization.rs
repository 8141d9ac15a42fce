//! IAM policy evaluation at the boundary (security review of 29 Nov, findings 2 and 4; rule 13),
//! black box: a user name typed in another letter case is authorised as the stored user, so it
//! cannot slip past an explicit Deny; an attached policy that does not parse denies.

mod common;

use common::*;
use serde_json::{Value, json};

pub const ALLOW_USERS_DENY_ADMIN: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:user/*"},
    {"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:user/admin"}
  ]
}"#;

const ALLOW_USERS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:user/*"}
  ]
}"#;

/// Creates carol with `policy` and signs her in (she has no MFA device).
pub async fn carol(server: &Server, policy: &str) -> Client {
    let file = server.dir.path().join("carol-policy.json");
    std::fs::write(&file, policy).unwrap();
    server.cli(
        &[
            "user",
            "create",
            "--account",
            "demo",
            "--user-name",
            "carol",
            "--policy",
            file.to_str().unwrap(),
        ],
        Some("carol-password-1\n"),
    );
    let mut c = server.client();
    let r = c
        .post(
            "/api/sign-in",
            json!({"Account": "demo", "UserName": "carol", "Password": "carol-password-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    c
}

/// Finding 2: with Allow on user/* and Deny on user/admin, "ADMIN" and "Admin" get exactly the
/// answer "admin" gets, on every action of the JSON API that names a user; the admin's device
/// is untouched. Before the fix the ARN was built from the name as typed, so the Deny did not
/// match and ListMFADevices, ResyncMFADevice, UnlockMFADevice and DeactivateMFADevice succeeded.
#[tokio::test]
async fn another_letter_case_does_not_get_past_a_deny() {
    let server = Server::start();
    let mut carol = carol(&server, ALLOW_USERS_DENY_ADMIN).await;
    let admin_phone = server.device(ADMIN_VIRTUAL);
    let before = server.device_row(ADMIN_VIRTUAL).await;
    let step = now_step();
    let (c1, c2) = (admin_phone.at(step), admin_phone.at(step + 1));
    let calls: Vec<(&str, Value, u16, &str)> = vec![
        ("ListMFADevices", json!({}), 403, "AccessDenied"),
        (
            "ResyncMFADevice",
            json!({"SerialNumber": ADMIN_VIRTUAL, "AuthenticationCode1": c1, "AuthenticationCode2": c2}),
            404,
            "NoSuchEntity",
        ),
        (
            "UnlockMFADevice",
            json!({"SerialNumber": ADMIN_VIRTUAL}),
            404,
            "NoSuchEntity",
        ),
        (
            "EnableMFADevice",
            json!({"SerialNumber": "arn:aws:iam::123456789012:mfa/nothing-here", "AuthenticationCode1": "123456", "AuthenticationCode2": "654321"}),
            403,
            "AccessDenied",
        ),
        (
            "DeactivateMFADevice",
            json!({"SerialNumber": ADMIN_VIRTUAL}),
            404,
            "NoSuchEntity",
        ),
    ];
    for (action, body, status, code) in calls {
        let mut answers = Vec::new();
        for name in ["admin", "ADMIN", "Admin", "aDmIn"] {
            let mut body = body.clone();
            body["UserName"] = json!(name);
            let r = carol.post(&format!("/api/iam/{action}"), body).await;
            answers.push((name, r.status, r.body));
        }
        for (name, s, b) in &answers {
            assert_eq!(
                (*s, b["Error"]["Code"].as_str()),
                (status, Some(code)),
                "{action} {name}: {b}"
            );
            assert_eq!(b, &answers[0].2, "{action} {name}");
        }
    }
    // Carol's Allow still works for other users, in any case.
    let r = carol
        .post("/api/iam/ListMFADevices", json!({"UserName": "BOB"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.body["MFADevices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["UserName"] == "bob")
    );
    assert_eq!(server.device_row(ADMIN_VIRTUAL).await, before);
    server.finish();
}

/// Finding 4: a stored policy that does not parse is not ignored (it may hold a Deny): every
/// request evaluated with it is denied, and the error is logged.
#[tokio::test]
async fn an_unparseable_policy_denies() {
    let server = Server::start();
    let mut carol = carol(&server, ALLOW_USERS).await;
    let r = carol
        .post("/api/iam/ListMFADevices", json!({"UserName": "bob"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    server
        .exec_plain(
            "INSERT INTO policies (principal_id, name, document) \
             SELECT id, 'Broken', '{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Deny\",' \
             FROM principals WHERE user_name = 'carol'",
        )
        .await;
    let r = carol
        .post("/api/iam/ListMFADevices", json!({"UserName": "bob"}))
        .await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"), "{r:?}");
    let r = carol.post("/api/iam/ListMFADevices", json!({})).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"), "{r:?}");
    assert!(
        server
            .logs()
            .contains("an attached policy does not parse; the request is denied")
    );
    server.finish();
}
