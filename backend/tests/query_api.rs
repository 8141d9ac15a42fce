//! The IAM Query API (issue 6), black box: SigV4 refusals with IAM's codes and statuses, the XML
//! envelopes, the CSRF exemption with the security headers kept, and no secret at rest or in the
//! logs. Requests are signed with `aws-sigv4` here; the real `aws` CLI and boto3 are driven by
//! `end2end/aws`.

mod common;

use std::time::{Duration, SystemTime};

use common::query::*;
use common::*;

const LIST: &str = "Action=ListMFADevices&Version=2010-05-08";

#[tokio::test]
async fn signed_calls_answer_iams_xml_and_refusals_have_iams_codes() {
    let server = Server::start();
    let alice = create_key(&server, &["--user-name", "alice"]);

    let (status, headers, xml) = post(&server, &Signing::new(&alice), LIST).await;
    assert_eq!(status, 200, "{xml}");
    // The demo enables alice's three devices within a millisecond or two: the enable date
    // orders them, or the serial when it ties, so only their presence is asserted here.
    assert!(xml.contains(&format!("<ListMFADevicesResponse xmlns=\"{NS}\"><ListMFADevicesResult><MFADevices><member><UserName>alice</UserName><SerialNumber>")), "{xml}");
    for serial in [ALICE_VIRTUAL, ALICE_FOB, ALICE_FIDO] {
        assert!(
            xml.contains(&format!(
                "<SerialNumber>{serial}</SerialNumber><EnableDate>"
            )),
            "{xml}"
        );
    }
    assert!(xml.contains("</MFADevices><IsTruncated>false</IsTruncated></ListMFADevicesResult><ResponseMetadata><RequestId>"), "{xml}");
    assert!(
        xml.ends_with("</RequestId></ResponseMetadata></ListMFADevicesResponse>"),
        "{xml}"
    );
    assert!(!xml.contains("Drift"), "only IAM's members: {xml}");
    assert_eq!(headers["content-type"], "text/xml");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    let other_region = Signing {
        region: "sa-east-1",
        ..Signing::new(&alice)
    };
    assert_eq!(post(&server, &other_region, LIST).await.0, 200);

    let wrong = "x".repeat(40);
    let wrong_secret = Signing {
        secret: Some(&wrong),
        ..Signing::new(&alice)
    };
    let (status, _, xml) = post(&server, &wrong_secret, LIST).await;
    assert_eq!((status, error_code(&xml)), (403, "SignatureDoesNotMatch"));

    let unknown = Key {
        id: "AKIAAAAAAAAAAAAAAAAA".into(),
        secret: alice.secret.clone(),
    };
    let (status, _, xml) = post(&server, &Signing::new(&unknown), LIST).await;
    assert_eq!((status, error_code(&xml)), (403, "InvalidClientTokenId"));

    let sts = Signing {
        service: "sts",
        ..Signing::new(&alice)
    };
    let (status, _, xml) = post(&server, &sts, LIST).await;
    assert_eq!((status, error_code(&xml)), (403, "SignatureDoesNotMatch"));

    let minutes = |m: u64| Duration::from_secs(60 * m);
    for time in [
        SystemTime::now() - minutes(16),
        SystemTime::now() + minutes(16),
    ] {
        let (status, _, xml) = post(
            &server,
            &Signing {
                time,
                ..Signing::new(&alice)
            },
            LIST,
        )
        .await;
        assert_eq!((status, error_code(&xml)), (400, "RequestExpired"));
    }
    let late = Signing {
        time: SystemTime::now() - minutes(14),
        ..Signing::new(&alice)
    };
    assert_eq!(post(&server, &late, LIST).await.0, 200);

    let (status, _, xml) = post(&server, &Signing::new(&alice), "Action=ListMFADevices").await;
    assert_eq!((status, error_code(&xml)), (400, "MissingParameter"));
    let (status, _, xml) = post(
        &server,
        &Signing::new(&alice),
        "Action=CreateUser&Version=2010-05-08",
    )
    .await;
    assert_eq!((status, error_code(&xml)), (400, "InvalidAction"));
    server.finish();
}

#[tokio::test]
async fn unsigned_requests_are_refused_without_the_csrf_rules() {
    let server = Server::start();
    let http = common::http_client();
    let url = format!("{}/", server.base);
    // A form POST has no JSON content type and no X-Requested-With: the JSON API would answer
    // 415; here the signature decides.
    let (status, headers, xml) =
        send(http.post(&url).header("content-type", FORM).body(LIST)).await;
    assert_eq!(
        (status, error_code(&xml)),
        (403, "MissingAuthenticationToken")
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let (status, _, xml) = send(http.get(format!("{url}?{LIST}"))).await;
    assert_eq!(
        (status, error_code(&xml)),
        (403, "MissingAuthenticationToken")
    );
    let bad =
        "AWS4-HMAC-SHA256 Credential=AKIAAAAAAAAAAAAAAAAA/20261129/us-east-1/iam/aws4_request";
    let (status, _, xml) = send(
        http.post(&url)
            .header("content-type", FORM)
            .header("authorization", bad)
            .body(LIST),
    )
    .await;
    assert_eq!((status, error_code(&xml)), (400, "IncompleteSignature"));
    let (status, _, xml) = send(
        http.post(&url)
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!((status, error_code(&xml)), (400, "InvalidParameterValue"));
    // `GET /` without an Action is still the app's (here: no app, the JSON 404).
    let (status, _, body) = send(http.get(&url)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("NoSuchEntity"));
    server.finish();
}

#[tokio::test]
async fn wrong_codes_are_iams_invalid_authentication_code_and_throttle_is_409() {
    let server = Server::start();
    let bob = create_key(&server, &["--user-name", "bob"]);
    let phone = server.device(BOB_VIRTUAL);
    let serial = BOB_VIRTUAL.replace(':', "%3A").replace('/', "%2F");
    let resync = |c1: &str, c2: &str| {
        server
            .sent
            .lock()
            .unwrap()
            .extend([c1.to_owned(), c2.to_owned()]);
        format!(
            "Action=ResyncMFADevice&Version=2010-05-08&UserName=bob&SerialNumber={serial}&AuthenticationCode1={c1}&AuthenticationCode2={c2}"
        )
    };
    // Five different wrong pairs: an identical signed request would be a replay (rule 22).
    for i in 0..5 {
        let wrong = format!("00000{i}");
        let (status, _, xml) = post(&server, &Signing::new(&bob), &resync(&wrong, &wrong)).await;
        assert_eq!(
            (status, error_code(&xml)),
            (403, "InvalidAuthenticationCode")
        );
        assert!(xml.contains("<Type>Sender</Type>"));
    }
    let step = now_step();
    let (status, headers, xml) = post(
        &server,
        &Signing::new(&bob),
        &resync(&phone.at(step), &phone.at(step + 1)),
    )
    .await;
    assert_eq!((status, error_code(&xml)), (409, "LimitExceeded"));
    assert!(headers.contains_key("retry-after"));
    server.cli(
        &[
            "device",
            "unlock",
            "--account",
            "demo",
            "--serial",
            BOB_VIRTUAL,
        ],
        None,
    );
    let (status, _, xml) = post(
        &server,
        &Signing::new(&bob),
        &resync(&phone.at(step), &phone.at(step + 1)),
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert!(
        xml.contains(&format!(
            "<ResyncMFADeviceResponse xmlns=\"{NS}\"><ResponseMetadata><RequestId>"
        )),
        "{xml}"
    );
    server.finish();
}

#[tokio::test]
async fn access_key_secrets_are_sealed_at_rest_and_shown_once() {
    let server = Server::start();
    let root = create_key(&server, &["--root"]);
    assert!(root.id.starts_with("AKIA") && root.id.len() == 20);
    assert!(
        root.id[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    assert_eq!(root.secret.len(), 40);
    let plain = server.cli(
        &["access-key", "create", "--account", "demo", "--root"],
        None,
    );
    assert!(
        plain.contains("AccessKeyId:") && plain.contains("SecretAccessKey:"),
        "{plain}"
    );
    // IAM's quota: two keys per user.
    let (ok, _, err) = server.cli_status(
        &["access-key", "create", "--account", "demo", "--root"],
        None,
    );
    assert!(!ok && err.contains("AccessKeysPerUser"), "{err}");

    let (status, _, xml) = post(
        &server,
        &Signing::new(&root),
        "Action=ListAccessKeys&Version=2010-05-08",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<AccessKeyId>{}</AccessKeyId><Status>Active</Status>",
            root.id
        )),
        "{xml}"
    );
    assert!(!xml.contains(&root.secret));

    let mut db = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", server.db().display());
        db.extend(std::fs::read(path).unwrap_or_default());
    }
    assert!(
        !db.windows(root.secret.len())
            .any(|w| w == root.secret.as_bytes()),
        "a secret in the database"
    );
    let mut server = server;
    server.stop();
    assert!(
        !server.logs().contains(&root.secret),
        "a secret in the logs"
    );
}

/// Security review finding 2 on the Query API: with Allow on user/* and Deny on user/admin, a
/// user name in another letter case gets exactly the answer "admin" gets on GetUser,
/// ListAccessKeys, DeleteAccessKey and ListMFADevices; the admin's access key survives.
#[tokio::test]
async fn another_letter_case_does_not_get_past_a_deny_on_the_query_api() {
    let server = Server::start();
    let policy = server.dir.path().join("carol-policy.json");
    std::fs::write(
        &policy,
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:user/*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:user/admin"}]}"#,
    )
    .unwrap();
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
    let carol = create_key(&server, &["--user-name", "carol"]);
    let admin_key = create_key(&server, &["--user-name", "admin"]);
    for action in [
        "GetUser".to_owned(),
        "ListAccessKeys".to_owned(),
        "ListMFADevices".to_owned(),
        format!("DeleteAccessKey&AccessKeyId={}", admin_key.id),
    ] {
        let mut answers = Vec::new();
        for name in ["admin", "ADMIN", "Admin"] {
            let body = format!("Action={action}&Version=2010-05-08&UserName={name}");
            let (status, _, xml) = post(&server, &Signing::new(&carol), &body).await;
            assert_eq!(
                (status, error_code(&xml)),
                (403, "AccessDenied"),
                "{action} {name}"
            );
            let message =
                xml[xml.find("<Message>").unwrap()..xml.find("</Message>").unwrap()].to_owned();
            answers.push(message);
        }
        assert!(
            answers.iter().all(|m| *m == answers[0]),
            "{action}: {answers:?}"
        );
    }
    // Allowed for another user named in another case; the admin's key still works.
    let (status, _, xml) = post(
        &server,
        &Signing::new(&carol),
        "Action=GetUser&Version=2010-05-08&UserName=BOB",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<UserName>bob</UserName>"), "{xml}");
    let (status, _, xml) = post(&server, &Signing::new(&admin_key), LIST).await;
    assert_eq!(status, 200, "{xml}");
    server.finish();
}

/// Security review finding 7 (rule 1): a code is exactly six ASCII digits (eight only for HOTP
/// tokens enrolled with eight), checked before any lookup: seven digits, a sign, a space (as
/// `+` or `%20` in the form), and full-width digits are `ValidationError` 400 on the caller's
/// own device and on another user's alike (not `NoSuchEntity`), and nothing changes.
#[tokio::test]
async fn malformed_codes_are_refused_before_any_lookup() {
    let server = Server::start();
    let bob = create_key(&server, &["--user-name", "bob"]);
    let full_width = "%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96";
    let before = (
        server.device_row(BOB_VIRTUAL).await,
        server.device_row(ALICE_VIRTUAL).await,
    );
    for (user, serial) in [("bob", BOB_VIRTUAL), ("alice", ALICE_VIRTUAL)] {
        let serial = serial.replace(':', "%3A").replace('/', "%2F");
        for bad in [
            "1234567",
            "%2B123456",
            "+123456",
            "%20123456",
            "123456%20",
            full_width,
        ] {
            for (c1, c2) in [(bad, "123456"), ("123456", bad)] {
                let body = format!(
                    "Action=ResyncMFADevice&Version=2010-05-08&UserName={user}&SerialNumber={serial}&AuthenticationCode1={c1}&AuthenticationCode2={c2}"
                );
                let (status, _, xml) = post(&server, &Signing::new(&bob), &body).await;
                assert_eq!(
                    (status, error_code(&xml)),
                    (400, "ValidationError"),
                    "{user} {c1} {c2}"
                );
            }
        }
    }
    let after = (
        server.device_row(BOB_VIRTUAL).await,
        server.device_row(ALICE_VIRTUAL).await,
    );
    assert_eq!(after, before);
    server.finish();
}
