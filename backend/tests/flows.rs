//! Every resync flow of the AWS guide, black box: the real binary, real HTTP, a real SQLite file.

mod common;

use common::*;
use serde_json::json;

/// A user signed in with MFA resyncs their own device (a phone running 7 steps fast, and an
/// HOTP token pressed 50 times unseen); the drift is stored and shown.
#[tokio::test]
async fn user_resyncs_own_device_after_signing_in_with_mfa() {
    let server = Server::start();
    let phone = server.device(BOB_VIRTUAL);
    let token = server.device(BOB_HOTP);
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &phone).await;
    let s = bob.get("/api/session").await;
    assert_eq!(s.body["MfaPresent"], true);
    assert_eq!(s.body["UserName"], "bob");
    assert_eq!(s.body["Arn"], "arn:aws:iam::123456789012:user/bob");

    // The HOTP token is 50 presses ahead: a sign-in code would fail; resync with two presses.
    let c = token.counter.unwrap();
    let r = bob
        .resync(None, BOB_HOTP, &token.hotp(c), &token.hotp(c + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"DriftSteps": 0, "DriftSeconds": 0}));
    assert_eq!(server.device_row(BOB_HOTP).await.hotp_counter, c as i64 + 2);

    // The phone now runs 7 steps fast: codes at now+7 and now+8; drift (i+1) - now = 8.
    let step = now_step();
    let r = bob
        .resync(
            Some("bob"),
            BOB_VIRTUAL,
            &phone.at(step + 7),
            &phone.at(step + 8),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let drift = r.body["DriftSteps"].as_i64().unwrap();
    assert!((7..=8).contains(&drift), "{drift}");
    assert_eq!(r.body["DriftSeconds"].as_i64().unwrap(), drift * 30);
    let list = bob.list(None).await;
    assert_eq!(list.status, 200);
    let dev = list.body["MFADevices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["SerialNumber"] == BOB_VIRTUAL)
        .unwrap()
        .clone();
    assert_eq!(dev["DriftSteps"].as_i64().unwrap(), drift);
    assert_eq!(dev["Kind"], "virtual");
    assert_eq!(dev["Locked"], false);
    assert_eq!(dev["UserName"], "bob");
    server.finish();
}

/// A password-only session whose code was refused: resync, then the device's *next* code
/// completes sign-in; the resync's second code does not (burned). The session id rotates.
#[tokio::test]
async fn password_only_session_resyncs_then_signs_in_with_the_next_code() {
    let server = Server::start();
    let phone = server.device(ALICE_VIRTUAL); // stored drift +10: real codes fail
    let mut alice = server.client();
    let r = alice.sign_in("alice").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["MfaRequired"], true);
    assert_eq!(r.body["MFADevices"].as_array().unwrap().len(), 3);
    let first_cookie = alice.cookie.clone().unwrap();
    let r = alice.mfa(ALICE_VIRTUAL, &phone.now(0)).await;
    assert_eq!((r.status, r.code()), (403, "InvalidAuthenticationCode"));

    // Rule 12: a password-only session may list its own devices and resync its own device only.
    assert_eq!(alice.list(None).await.status, 200);
    assert_eq!(alice.list(Some("bob")).await.code(), "AccessDenied");
    let r = alice.post("/api/iam/ListUsers", json!({})).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    let r = alice
        .post(
            "/api/iam/CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": "x"}),
        )
        .await;
    assert_eq!(r.code(), "AccessDenied");
    let r = alice
        .post(
            "/api/iam/DeactivateMFADevice",
            json!({"SerialNumber": ALICE_VIRTUAL}),
        )
        .await;
    assert_eq!(r.code(), "AccessDenied");

    let step = now_step();
    let r = alice
        .resync(None, ALICE_VIRTUAL, &phone.at(step), &phone.at(step + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let row = server.device_row(ALICE_VIRTUAL).await;
    assert_eq!(row.last_used_step, step as i64 + 1);
    // The second code of the pair is burned; the next one signs in.
    let r = alice.mfa(ALICE_VIRTUAL, &phone.at(step + 1)).await;
    assert_eq!(r.code(), "InvalidAuthenticationCode");
    let r = alice.mfa(ALICE_VIRTUAL, &phone.at(step + 2)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"MfaPresent": true}));
    let second_cookie = alice.cookie.clone().unwrap();
    assert_ne!(first_cookie, second_cookie, "rotated at MFA");
    assert_eq!(alice.get("/api/session").await.body["MfaPresent"], true);
    // The old session id is dead.
    let mut old = server.client();
    old.cookie = Some(first_cookie);
    assert_eq!(old.get("/api/session").await.status, 401);
    server.finish();
}

/// The root user from the pre-sign-in troubleshoot state.
#[tokio::test]
async fn root_resyncs_before_sign_in_then_signs_in() {
    let server = Server::start();
    let phone = server.device(ROOT_VIRTUAL); // stored drift +4
    let mut root = server.client();
    let r = root.sign_in_root().await;
    assert_eq!(r.body["MfaRequired"], true);
    assert_eq!(root.mfa(ROOT_VIRTUAL, &phone.now(0)).await.status, 403);
    let s = root.get("/api/session").await;
    assert_eq!(s.body["Root"], true);
    assert_eq!(s.body["MfaPresent"], false);
    assert_eq!(s.body["UserName"], serde_json::Value::Null);
    let step = now_step();
    let r = root
        .resync(None, ROOT_VIRTUAL, &phone.at(step), &phone.at(step + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        root.mfa(ROOT_VIRTUAL, &phone.at(step + 2)).await.status,
        200
    );
    // Root with MFA may do everything in its account.
    let r = root.post("/api/iam/ListUsers", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["Users"].as_array().unwrap().len(), 3);
    server.finish();
}

/// An administrator resyncs another user's device with codes read from it.
#[tokio::test]
async fn administrator_resyncs_another_users_device() {
    let server = Server::start();
    let fob = server.device(ALICE_FOB); // stored drift -6
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    let step = now_step();
    let r = admin
        .resync(Some("alice"), ALICE_FOB, &fob.at(step), &fob.at(step + 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let row = server.device_row(ALICE_FOB).await;
    assert_eq!(row.last_used_step, step as i64 + 1);
    assert!((0..=1).contains(&row.drift_steps));
    let list = admin.list(Some("alice")).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["MFADevices"].as_array().unwrap().len(), 3);
    // The audit trail: who resynced whose device; no code in it.
    let ev = admin
        .post("/api/audit/LookupEvents", json!({"UserName": "alice"}))
        .await;
    assert_eq!(ev.status, 200, "{ev:?}");
    let e = ev.body["Events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["Action"] == "ResyncMFADevice")
        .unwrap()
        .clone();
    assert_eq!(e["Actor"], "arn:aws:iam::123456789012:user/admin");
    assert_eq!(e["SerialNumber"], ALICE_FOB);
    assert_eq!(e["Outcome"], "Success");
    assert_eq!(e["SourceIp"], "127.0.0.1");
    let text = ev.body.to_string();
    assert!(!contains_number(&text, &fob.at(step)));
    // Alice (self-service) may not read the audit trail.
    let mut alice = server.client();
    alice.sign_in("alice").await;
    assert_eq!(
        alice
            .post("/api/audit/LookupEvents", json!({}))
            .await
            .code(),
        "AccessDenied"
    );
    server.finish();
}

/// Another user's device answers exactly like a missing one, on every action, and is unchanged.
#[tokio::test]
async fn a_user_cannot_touch_another_users_device() {
    let server = Server::start();
    let fob = server.device(ALICE_FOB);
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    let before = server.device_row(ALICE_FOB).await;
    let step = now_step();
    let (c1, c2) = (fob.at(step), fob.at(step + 1));
    let named = bob.resync(Some("alice"), ALICE_FOB, &c1, &c2).await;
    let own = bob.resync(None, ALICE_FOB, &c1, &c2).await;
    let missing = bob.resync(Some("alice"), "GAHT99999999", &c1, &c2).await;
    let nobody = bob.resync(Some("nobody"), ALICE_FOB, &c1, &c2).await;
    assert_eq!((named.status, named.code()), (404, "NoSuchEntity"));
    for r in [&own, &missing, &nobody] {
        assert_eq!((r.status, &r.body), (named.status, &named.body));
    }
    let deact = bob
        .post(
            "/api/iam/DeactivateMFADevice",
            json!({"UserName": "alice", "SerialNumber": ALICE_FOB}),
        )
        .await;
    assert_eq!(deact.body, named.body);
    // Without UserName the action is judged on bob himself (before any lookup): the seed policy
    // does not let him deactivate, whatever the serial.
    let deact = bob
        .post(
            "/api/iam/DeactivateMFADevice",
            json!({"SerialNumber": ALICE_FOB}),
        )
        .await;
    let missing = bob
        .post(
            "/api/iam/DeactivateMFADevice",
            json!({"SerialNumber": "GAHT99999999"}),
        )
        .await;
    assert_eq!(deact.code(), "AccessDenied");
    assert_eq!(deact.body, missing.body);
    assert_eq!(server.device_row(ALICE_FOB).await, before);
    server.finish();
}

/// A FIDO key is refused, with a message that says it never drifts and how to deactivate.
#[tokio::test]
async fn a_fido_key_is_refused() {
    let server = Server::start();
    let mut alice = server.client();
    alice.sign_in("alice").await;
    let r = alice.resync(None, ALICE_FIDO, "123456", "654321").await;
    assert_eq!((r.status, r.code()), (409, "InvalidState"));
    let m = r.body["Error"]["Message"].as_str().unwrap();
    assert!(m.contains("never drifts"), "{m}");
    assert!(m.contains("deactivate"), "{m}");
    let list = alice.list(None).await;
    let fido = list.body["MFADevices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["SerialNumber"] == ALICE_FIDO)
        .unwrap()
        .clone();
    assert_eq!(fido["Kind"], "fido");
    server.finish();
}

/// A server restart loses nothing: drift, burned steps, sessions.
#[tokio::test]
async fn a_restart_loses_nothing() {
    let mut server = Server::start();
    let phone = server.device(ALICE_VIRTUAL);
    let mut alice = server.client();
    alice.sign_in("alice").await;
    let step = now_step();
    let r = alice
        .resync(
            None,
            ALICE_VIRTUAL,
            &phone.at(step + 3),
            &phone.at(step + 4),
        )
        .await;
    assert_eq!(r.status, 200);
    let before = server.device_row(ALICE_VIRTUAL).await;
    server.restart();
    alice.base = server.base.clone();
    assert_eq!(server.device_row(ALICE_VIRTUAL).await, before);
    // Same session, same burned steps, same drift.
    let r = alice
        .resync(
            None,
            ALICE_VIRTUAL,
            &phone.at(step + 3),
            &phone.at(step + 4),
        )
        .await;
    assert_eq!(r.code(), "InvalidAuthenticationCode");
    let r = alice.mfa(ALICE_VIRTUAL, &phone.at(step + 5)).await;
    assert_eq!(r.status, 200, "{r:?}");
    server.finish();
}

/// The AWS guide's "manage your own MFA" policy (from a file): a user without MFA may create
/// and enable their own virtual device and nothing else; afterwards sign-in requires MFA.
#[tokio::test]
async fn a_new_user_enrols_a_virtual_device_under_the_guides_policy() {
    let server = Server::start();
    let policy = server.dir.path().join("enrol.json");
    std::fs::write(&policy, ENROL_POLICY).unwrap();
    server.cli(
        &[
            "user",
            "create",
            "--account",
            "demo",
            "--user-name",
            "carol",
            "--policy",
            policy.to_str().unwrap(),
        ],
        Some("carol-password-1\n"),
    );
    let mut carol = server.client();
    let r = carol
        .post(
            "/api/sign-in",
            json!({"Account": "123456789012", "UserName": "Carol", "Password": "carol-password-1"}),
        )
        .await;
    assert_eq!(r.body["MfaRequired"], false, "{r:?}");
    assert_eq!(carol.list(Some("alice")).await.code(), "AccessDenied");
    let r = carol
        .post(
            "/api/iam/CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": "carol"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let v = &r.body["VirtualMFADevice"];
    let serial = v["SerialNumber"].as_str().unwrap().to_owned();
    assert_eq!(serial, "arn:aws:iam::123456789012:mfa/carol");
    let seed = v["Base32StringSeed"].as_str().unwrap();
    assert!(seed.len() >= 32, "at least 160 bits");
    assert!(
        v["OtpauthUri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    assert!(v["QRCodeSVG"].as_str().unwrap().contains("<svg"));
    let phone = Device {
        serial: serial.clone(),
        secret: Some(shared::secret::Secret::from_base32(seed).unwrap()),
        digits: shared::code::Digits::SIX,
        period: 30,
        counter: None,
    };
    let step = now_step();
    let enable = json!({"UserName": "carol", "SerialNumber": serial,
        "AuthenticationCode1": phone.at(step - 1), "AuthenticationCode2": phone.at(step)});
    assert_eq!(
        carol
            .post("/api/iam/EnableMFADevice", enable.clone())
            .await
            .status,
        200
    );
    // Enabling again (replay, and already assigned) is refused.
    assert_eq!(
        carol.post("/api/iam/EnableMFADevice", enable).await.status,
        409
    );
    // Without MFA in this session, deactivating is blocked by BlockAllExceptListedIfNoMFA.
    let r = carol
        .post(
            "/api/iam/DeactivateMFADevice",
            json!({"SerialNumber": serial}),
        )
        .await;
    assert_eq!(r.code(), "AccessDenied");
    // A new sign-in now needs the device.
    let r = carol
        .post(
            "/api/sign-in",
            json!({"Account": "demo", "UserName": "carol", "Password": "carol-password-1"}),
        )
        .await;
    assert_eq!(r.body["MfaRequired"], true);
    assert_eq!(carol.mfa(&serial, &phone.at(step + 1)).await.status, 200);
    let r = carol
        .post(
            "/api/iam/DeactivateMFADevice",
            json!({"SerialNumber": serial}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = carol
        .post(
            "/api/iam/ListVirtualMFADevices",
            json!({"AssignmentStatus": "Unassigned"}),
        )
        .await;
    assert!(
        r.body["VirtualMFADevices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["SerialNumber"] == serial)
    );
    // The same codes can never enable it again (its used steps stay burned).
    let again = json!({"SerialNumber": serial,
        "AuthenticationCode1": phone.at(step - 1), "AuthenticationCode2": phone.at(step)});
    assert_eq!(
        carol.post("/api/iam/EnableMFADevice", again).await.code(),
        "InvalidAuthenticationCode"
    );
    server.finish();
}

/// From the AWS IAM guide ("allows MFA-authenticated IAM users to manage their own MFA device").
const ENROL_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowListActions", "Effect": "Allow",
     "Action": ["iam:ListUsers", "iam:ListVirtualMFADevices"], "Resource": "*"},
    {"Sid": "AllowUserToCreateVirtualMFADevice", "Effect": "Allow",
     "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/*"},
    {"Sid": "AllowUserToManageTheirOwnMFA", "Effect": "Allow",
     "Action": ["iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Sid": "AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA", "Effect": "Allow",
     "Action": ["iam:DeactivateMFADevice"],
     "Resource": ["arn:aws:iam::*:user/${aws:username}"],
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Sid": "BlockMostAccessUnlessSignedInWithMFA", "Effect": "Deny",
     "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices",
                   "iam:ListUsers", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice"],
     "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}"#;

/// The logs' scan for codes sent (`Server::finish`) finds a code standing on its own and not
/// the same digits inside a request id's hex, a longer number, a fraction or a latency.
#[test]
fn the_log_scan_finds_codes_and_not_digits_inside_other_tokens() {
    for found in ["code 429454 sent", "\"429454\"", "429454", "x=429454\n"] {
        assert!(contains_number(found, "429454"), "{found}");
    }
    for not_found in [
        "id=c19c429454fc",
        "id=429454ab",
        "n=14294540",
        "latency 1.429454 s",
        "response status=503 micros=429454",
        "key_429454",
    ] {
        assert!(!contains_number(not_found, "429454"), "{not_found}");
    }
}
