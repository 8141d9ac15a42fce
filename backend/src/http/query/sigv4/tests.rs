//! The Authorization header, X-Amz-Date, and the scope, clock and signature checks.

use aws_sigv4::http_request::SessionTokenMode;

use super::*;

#[test]
fn reads_the_authorization_header() {
    let a = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261129/eu-west-3/iam/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, Signature=abc123",
    )
    .unwrap();
    assert_eq!(
        a,
        Authorization {
            key_id: "AKIAEXAMPLE",
            scope_date: "20261129",
            region: "eu-west-3",
            service: "iam",
            signed_headers: vec!["content-type", "host", "x-amz-date"],
            signature: "abc123",
        }
    );
    for bad in [
        "AWS4-HMAC-SHA1 Credential=A/20261129/r/iam/aws4_request, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 Credential=A/20261129/r/iam/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=A/20261129/iam/aws4_request, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 Credential=A/20261129/R!/iam/aws4_request, SignedHeaders=host, Signature=x",
        "Basic dXNlcjpwYXNz",
    ] {
        assert_eq!(
            parse_authorization(bad).unwrap_err().code,
            "IncompleteSignature",
            "{bad}"
        );
    }
}

#[test]
fn reads_amz_dates() {
    assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
    assert_eq!(parse_amz_date("20261205T150405Z"), Some(1_796_483_045));
    assert_eq!(parse_amz_date("20000229T000000Z"), Some(951_782_400));
    for bad in [
        "2026-12-05T15:04:05Z",
        "20261305T150405Z",
        "20261205T150405",
        "2026120aT150405Z",
        // Found by the fuzz target `sigv4`: second 60 outside a leap second was read as
        // the next minute; and days no month has.
        "20150830T123060Z",
        "20150431T000000Z",
        "20250229T000000Z",
        "19000229T000000Z",
        "20261205T240000Z",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
    // A leap second, and 29 February of leap years (2000: divisible by 400).
    assert_eq!(parse_amz_date("20161231T235960Z"), Some(1_483_228_800));
    assert_eq!(parse_amz_date("20240229T120000Z"), Some(1_709_208_000));
}

/// Each field out of its range, and each separator or length wrong, is no date: minute 60,
/// second 60 outside 23:59, month and day 0, `T` and `Z` in their places only.
#[test]
fn malformed_amz_dates_are_refused() {
    for bad in [
        "20261205T236000Z",
        "20261231T235961Z",
        "20261205T150460Z",
        "20260005T150405Z",
        "20261200T150405Z",
        "20261205X150405Z",
        "20261205T150405+",
        "20261205T1504052",
        "20261205T15040Z",
        "+0261205T150405Z",
        "2026120 T150405Z",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
    assert_eq!(parse_amz_date("20261231T235959Z"), Some(1_798_761_599));
}

/// The number of days from 1970-01-01 to `y-m-d`, counted through whole years and months: an
/// independent check of the days-from-civil arithmetic.
fn days_counted(y: i64, m: i64, d: i64) -> i64 {
    let leap = |y: i64| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let year_days = |y: i64| if leap(y) { 366 } else { 365 };
    let month_days = |m: i64| match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let years: i64 = if y >= 1970 {
        (1970..y).map(year_days).sum()
    } else {
        -(y..1970).map(year_days).sum::<i64>()
    };
    years + (1..m).map(month_days).sum::<i64>() + d - 1
}

/// Every month's first and last day, in leap and common years, centuries and the 400-year rule,
/// before and after 1970, with hours, minutes and seconds, reads as the Unix time it names.
#[test]
fn amz_dates_are_the_unix_time_they_name() {
    let years = [
        0, 1, 3, 4, 99, 100, 399, 400, 401, 1600, 1700, 1899, 1900, 1969, 1970, 1999, 2000, 2024,
        2025, 2026, 2100, 2399, 2400, 9999,
    ];
    let mut checked = 0;
    for y in years {
        for m in 1..=12 {
            let last = if m == 12 {
                31
            } else {
                days_counted(y, m + 1, 1) - days_counted(y, m, 1)
            };
            for (d, hh, mm, ss) in [(1, 0, 0, 0), (last, 23, 59, 59), (15, 13, 37, 42)] {
                let text = format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z");
                let expected = days_counted(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
                assert_eq!(parse_amz_date(&text), Some(expected), "{text}");
                checked += 1;
            }
            let after_last = format!("{y:04}{m:02}{:02}T000000Z", last + 1);
            assert_eq!(parse_amz_date(&after_last), None, "{after_last}");
        }
    }
    assert_eq!(checked, years.len() * 12 * 3);
}

/// A region is 1 to 64 lower-case letters, digits and dashes; the key id is not empty.
#[test]
fn the_credential_scope_is_checked() {
    let header = |key: &str, region: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential={key}/20261129/{region}/iam/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=abc"
        )
    };
    let longest = "a".repeat(64);
    for region in ["us-east-1", "a", "0", "-", &longest] {
        let header = header("AKIA1", region);
        let parsed = parse_authorization(&header).unwrap();
        assert_eq!((parsed.key_id, parsed.region), ("AKIA1", region));
    }
    let too_long = "a".repeat(65);
    for (key, region) in [
        ("AKIA1", ""),
        ("AKIA1", &*too_long),
        ("AKIA1", "US-EAST-1"),
        ("AKIA1", "us_east_1"),
        ("AKIA1", "us east"),
        ("", "us-east-1"),
    ] {
        let refusal = parse_authorization(&header(key, region)).unwrap_err();
        assert_eq!(refusal.code, "IncompleteSignature", "{key:?} {region:?}");
    }
}

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = b"Action=ListMFADevices&Version=2010-05-08";
/// 2026-12-05T15:04:05Z.
const SIGNED_AT: i64 = 1_796_483_045;

/// A Query request with `body` signed by the AWS SDK's signer with `key_id` and `secret` at
/// [`SIGNED_AT`] for `service`, as the server receives it, with its `Authorization` and
/// `X-Amz-Date`.
fn signed_request(
    key_id: &str,
    secret: &str,
    service: &str,
    body: &[u8],
) -> (Parts, String, String) {
    signed_with_token(key_id, secret, None, service, body)
}

/// [`signed_request`] with temporary credentials' session token in `X-Amz-Security-Token`,
/// signed ([`SessionTokenMode::Include`], as SDKs do) or sent unsigned (`Exclude`).
fn signed_with_token(
    key_id: &str,
    secret: &str,
    token: Option<(&str, SessionTokenMode)>,
    service: &str,
    body: &[u8],
) -> (Parts, String, String) {
    let identity = Credentials::new(
        key_id,
        secret,
        token.map(|(t, _)| t.to_owned()),
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    if let Some((_, mode)) = token {
        settings.session_token_mode = mode;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(UNIX_EPOCH + Duration::from_secs(SIGNED_AT as u64))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let form = "application/x-www-form-urlencoded; charset=utf-8";
    let headers = [("host", "mfa-resync.test"), ("content-type", form)];
    let signable = SignableRequest::new(
        "POST",
        "http://mfa-resync.test/",
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = axum::http::Request::post("/");
    for (name, value) in headers.into_iter().chain(instructions.headers()) {
        request = request.header(name, value);
    }
    let (parts, ()) = request.body(()).unwrap().into_parts();
    let header = |name: &str| parts.headers[name].to_str().unwrap().to_owned();
    let (authorization, amz_date) = (header("authorization"), header("x-amz-date"));
    (parts, authorization, amz_date)
}

/// [`check`] of a request signed for `service` at [`SIGNED_AT`] with [`SECRET`], its
/// `Authorization` header edited by `edit`, judged with `secret` at `now_ms`: the refusal's code.
fn check_signed(
    service: &str,
    edit: impl Fn(String) -> String,
    secret: &str,
    now_ms: i64,
) -> Result<(), &'static str> {
    let (parts, authorization, amz_date) = signed_request("AKIAEXAMPLE", SECRET, service, BODY);
    let authorization = edit(authorization);
    let auth = parse_authorization(&authorization).map_err(|r| r.code)?;
    let signed_at = parse_amz_date(&amz_date).unwrap();
    assert_eq!(signed_at, SIGNED_AT);
    check(
        &parts, BODY, &auth, &amz_date, signed_at, secret, now_ms, "iam",
    )
    .map_err(|r| r.code)
}

/// The SDK's signature is recomputed from the secret and accepted; another secret, another body
/// or an edited signature is `SignatureDoesNotMatch`.
#[test]
fn a_signature_holds_only_with_its_secret_and_body() {
    let now = SIGNED_AT * 1000;
    assert_eq!(check_signed("iam", |a| a, SECRET, now), Ok(()));
    assert_eq!(
        check_signed("iam", |a| a, "another-secret", now),
        Err("SignatureDoesNotMatch")
    );
    let flipped = |a: String| {
        let last = if a.ends_with('0') { "1" } else { "0" };
        format!("{}{last}", &a[..a.len() - 1])
    };
    assert_eq!(
        check_signed("iam", flipped, SECRET, now),
        Err("SignatureDoesNotMatch")
    );
    let (parts, authorization, amz_date) = signed_request("AKIAEXAMPLE", SECRET, "iam", BODY);
    let auth = parse_authorization(&authorization).unwrap();
    let other_body = b"Action=DeactivateMFADevice&Version=2010-05-08";
    let refusal = check(
        &parts, other_body, &auth, &amz_date, SIGNED_AT, SECRET, now, "iam",
    )
    .unwrap_err();
    assert_eq!(refusal.code, "SignatureDoesNotMatch");
}

/// AWS's 15 minutes of clock skew, either side of the server's clock, and not a millisecond
/// more (security rule 20).
#[test]
fn a_signature_is_judged_within_15_minutes_of_the_server_clock() {
    assert_eq!(MAX_SKEW_MS, 15 * 60_000);
    let signed = SIGNED_AT * 1000;
    for now in [signed, signed - MAX_SKEW_MS, signed + MAX_SKEW_MS] {
        assert_eq!(check_signed("iam", |a| a, SECRET, now), Ok(()), "{now}");
    }
    for now in [signed - MAX_SKEW_MS - 1, signed + MAX_SKEW_MS + 1, 0] {
        assert_eq!(
            check_signed("iam", |a| a, SECRET, now),
            Err("RequestExpired"),
            "{now}"
        );
    }
}

/// The credential scope must name the `iam` service and the day of `X-Amz-Date`: a signature
/// for another service or another day is `SignatureDoesNotMatch`, and so is a signed header
/// that was not sent.
#[test]
fn the_scope_names_iam_and_the_day_of_the_request() {
    let now = SIGNED_AT * 1000;
    assert_eq!(
        check_signed("sts", |a| a, SECRET, now),
        Err("SignatureDoesNotMatch")
    );
    let other_day = |a: String| a.replace("/20261205/", "/20261204/");
    assert_eq!(
        check_signed("iam", other_day, SECRET, now),
        Err("SignatureDoesNotMatch")
    );
    let phantom = |a: String| a.replace("SignedHeaders=", "SignedHeaders=x-phantom;");
    assert_eq!(
        check_signed("iam", phantom, SECRET, now),
        Err("SignatureDoesNotMatch")
    );
}

/// An account whose user bob has an access key, its id and secret, and a manual clock at
/// [`SIGNED_AT`].
async fn account_with_a_key() -> (tempfile::TempDir, AppState, String, String) {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let storage = crate::storage::Storage::open(&dir.path().join("t.sqlite"))
        .await
        .unwrap();
    let key = "00".repeat(32);
    let state = AppState {
        storage,
        cipher: Arc::new(
            crate::crypto::SeedCipher::load(Some(&key), &dir.path().join("k")).unwrap(),
        ),
        passwords: crate::password::Passwords::new().unwrap(),
        settings: Arc::new(crate::config::Settings::default()),
        clock: crate::clock::Clock::manual(SIGNED_AT * 1000),
    };
    crate::admin::create_account(&state, Some(ACCOUNT), "t", "root@t.example", "root-pw-123")
        .await
        .unwrap();
    crate::admin::create_user(&state, ACCOUNT, "bob", "bob-password-1", None)
        .await
        .unwrap();
    let created = crate::admin::create_access_key_for(&state, ACCOUNT, Some("bob"))
        .await
        .unwrap();
    let (id, secret) = (
        created.access_key_id.clone(),
        created.secret_access_key.to_string(),
    );
    (dir, state, id, secret)
}

const ACCOUNT: &str = "111122223333";

/// The audit trail's refusals of `action`: their error codes, newest first.
async fn refusals(state: &AppState, action: &str) -> Vec<Option<String>> {
    let filter = crate::storage::AuditFilter {
        action: Some(action),
        outcome: Some("Failure"),
        ..Default::default()
    };
    let rows = state
        .storage
        .audit_events(ACCOUNT, &filter, i64::MAX, 10)
        .await;
    rows.unwrap()
        .into_iter()
        .map(|row| row.error_code)
        .collect()
}

/// A request signed with a stored key names its signer, and the digest of its signature is
/// kept until the request would fail the skew check (security rule 22); a wrong secret is
/// refused and audited under the key's account (rule 21).
#[tokio::test]
async fn authenticate_names_the_signer_and_keeps_the_digest_for_the_skew_window() {
    let (_dir, state, id, secret) = account_with_a_key().await;
    let (parts, authorization, _) = signed_request(&id, &secret, "iam", BODY);
    let signed = authenticate(&state, &parts, BODY, "ListMFADevices", Service::Iam)
        .await
        .unwrap();
    assert_eq!(signed.principal.user_name.as_deref(), Some("bob"));
    let signature = parse_authorization(&authorization).unwrap().signature;
    assert_eq!(
        signed.digest,
        HEXLOWER.encode(&Sha256::digest(signature.as_bytes()))
    );
    assert_eq!(signed.expires_at, SIGNED_AT * 1000 + MAX_SKEW_MS);

    let (parts, _, _) = signed_request(&id, "a-wrong-secret", "iam", BODY);
    let refusal = authenticate(&state, &parts, BODY, "ListMFADevices", Service::Iam)
        .await
        .err()
        .unwrap();
    assert_eq!(refusal.code, "SignatureDoesNotMatch");
    assert_eq!(
        refusals(&state, "ListMFADevices").await,
        [Some("SignatureDoesNotMatch".to_owned())]
    );
}

/// What is refused before any secret is compared: no `Authorization`, `host` or `x-amz-date`
/// left out of the signature, an unknown key, a session token with a long-term key.
#[tokio::test]
async fn authenticate_refuses_what_it_cannot_check() {
    let (_dir, state, id, secret) = account_with_a_key().await;
    let refused = |parts: Parts| {
        let state = state.clone();
        async move {
            authenticate(&state, &parts, BODY, "ListMFADevices", Service::Iam)
                .await
                .err()
                .unwrap()
                .code
        }
    };
    let (mut parts, _, _) = signed_request(&id, &secret, "iam", BODY);
    parts.headers.remove("authorization");
    assert_eq!(refused(parts).await, "MissingAuthenticationToken");
    for header in ["host", "x-amz-date"] {
        let (mut parts, authorization, _) = signed_request(&id, &secret, "iam", BODY);
        let unsigned = authorization
            .replace(&format!("{header};"), "")
            .replace(&format!(";{header}"), "");
        assert_ne!(unsigned, authorization);
        parts
            .headers
            .insert("authorization", unsigned.parse().unwrap());
        assert_eq!(refused(parts).await, "IncompleteSignature", "{header}");
    }
    let (parts, _, _) = signed_request("AKIAUNKNOWN0000000000", &secret, "iam", BODY);
    assert_eq!(refused(parts).await, "InvalidClientTokenId");
    let (mut parts, _, _) = signed_request(&id, &secret, "iam", BODY);
    parts
        .headers
        .insert("x-amz-security-token", "token".parse().unwrap());
    assert_eq!(refused(parts).await, "InvalidClientTokenId");
}

/// Security rule 22: a signed state change is accepted once; the repeat is
/// `RequestAlreadyUsed` and audited.
#[tokio::test]
async fn a_state_change_is_accepted_once_and_a_repeat_audited() {
    let (_dir, state, id, secret) = account_with_a_key().await;
    let body = b"Action=DeactivateMFADevice&Version=2010-05-08";
    let (parts, _, _) = signed_request(&id, &secret, "iam", body);
    let signed = authenticate(&state, &parts, body, "DeactivateMFADevice", Service::Iam)
        .await
        .unwrap();
    accept_once(&state, &parts, &signed, "DeactivateMFADevice")
        .await
        .unwrap();
    let refusal = accept_once(&state, &parts, &signed, "DeactivateMFADevice")
        .await
        .err()
        .unwrap();
    assert_eq!(refusal.code, "RequestAlreadyUsed");
    assert_eq!(
        refusals(&state, "DeactivateMFADevice").await,
        [Some("RequestAlreadyUsed".to_owned())]
    );
}

/// Temporary credentials issued by `GetSessionToken` (without MFA, for 900 s) to bob's access
/// key: their id, secret and session token.
async fn temporary_credentials(
    state: &AppState,
    id: &str,
    secret: &str,
) -> (String, String, String) {
    let (parts, _, _) = signed_request(id, secret, "sts", BODY);
    let signed = authenticate(state, &parts, BODY, "GetSessionToken", Service::Sts)
        .await
        .unwrap();
    let caller = crate::iam::Caller {
        principal: signed.principal,
        authentication: signed.authentication,
        meta: crate::audit::RequestMeta::default(),
        policies: None,
        session: None,
        access_key_id: Some(signed.access_key_id),
    };
    let request = crate::iam::GetSessionTokenRequest {
        duration_seconds: Some("900".to_owned()),
        ..Default::default()
    };
    let issued = crate::iam::get_session_token(state, &caller, request)
        .await
        .unwrap();
    (
        issued.access_key_id,
        issued.secret_access_key.to_string(),
        issued.session_token.to_string(),
    )
}

/// Temporary credentials (`ASIA…`) sign with their secret and their session token, which must
/// be signed: they name their signer, as temporary credentials without MFA, with their own key
/// id; the token sent unsigned is `IncompleteSignature`; no token, or another, is
/// `InvalidClientTokenId`.
#[tokio::test]
async fn temporary_credentials_sign_with_their_token_signed() {
    let (_dir, state, id, secret) = account_with_a_key().await;
    let (temp_id, temp_secret, token) = temporary_credentials(&state, &id, &secret).await;
    assert!(temp_id.starts_with("ASIA"), "{temp_id}");
    let signed_token = Some((token.as_str(), SessionTokenMode::Include));
    let (parts, authorization, _) =
        signed_with_token(&temp_id, &temp_secret, signed_token, "iam", BODY);
    assert!(
        parse_authorization(&authorization)
            .unwrap()
            .signed_headers
            .contains(&SECURITY_TOKEN)
    );
    let signed = authenticate(&state, &parts, BODY, "ListMFADevices", Service::Iam)
        .await
        .unwrap();
    assert_eq!(signed.principal.user_name.as_deref(), Some("bob"));
    assert_eq!(
        signed.authentication,
        Authentication::Temporary { mfa_at: None }
    );
    assert_eq!(signed.access_key_id, temp_id);

    let refused = |token: Option<(&str, SessionTokenMode)>| {
        let (parts, _, _) = signed_with_token(&temp_id, &temp_secret, token, "iam", BODY);
        let state = state.clone();
        async move {
            authenticate(&state, &parts, BODY, "ListMFADevices", Service::Iam)
                .await
                .err()
                .unwrap()
                .code
        }
    };
    let unsigned = Some((token.as_str(), SessionTokenMode::Exclude));
    assert_eq!(refused(unsigned).await, "IncompleteSignature");
    assert_eq!(refused(None).await, "InvalidClientTokenId");
    let another = Some(("another-token", SessionTokenMode::Include));
    assert_eq!(refused(another).await, "InvalidClientTokenId");
}

/// Temporary credentials end at their expiry: from that millisecond their requests are
/// `ExpiredToken`, even signed then and within the skew window; a millisecond before, they sign.
#[tokio::test]
async fn temporary_credentials_expire_at_their_millisecond() {
    let (_dir, state, id, secret) = account_with_a_key().await;
    let (temp_id, temp_secret, token) = temporary_credentials(&state, &id, &secret).await;
    let expires_at = SIGNED_AT * 1000 + 900_000;
    let attempt = |now_ms: i64| {
        state.clock.set(now_ms);
        let signed_token = Some((token.as_str(), SessionTokenMode::Include));
        let (parts, _, _) = signed_with_token(&temp_id, &temp_secret, signed_token, "iam", BODY);
        let state = state.clone();
        async move {
            authenticate(&state, &parts, BODY, "ListMFADevices", Service::Iam)
                .await
                .map(|signed| signed.authentication)
                .map_err(|refusal| refusal.code)
        }
    };
    assert_eq!(
        attempt(expires_at - 1).await,
        Ok(Authentication::Temporary { mfa_at: None })
    );
    assert_eq!(attempt(expires_at).await, Err("ExpiredToken"));
}
