//! The audit trail's filters (`LookupEvents`): by user, action, outcome and device, alone and
//! together, across pages; a bad filter is a 400 that lists nothing.

mod common;

use common::*;
use serde_json::{Value, json};

/// Every event of a filtered walk, newest first, following `NextToken` two at a time.
async fn walk(admin: &mut Client, filter: Value) -> Vec<Value> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let mut body = filter.clone();
        body["MaxResults"] = json!(2);
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let r = admin.post("/api/audit/LookupEvents", body).await;
        assert_eq!(r.status, 200, "{r:?}");
        events.extend(r.body["Events"].as_array().unwrap().iter().cloned());
        match r.body["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return events,
        }
    }
    panic!("LookupEvents never ended");
}

/// The demo's administrator, signed in with MFA.
async fn administrator(server: &Server) -> Client {
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    admin
}

fn ids(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["EventId"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn filters_narrow_the_trail_and_page_through_it() {
    let server = Server::start();
    let fob = server.device(ALICE_FOB);
    // Events to find: two failed resyncs (identical refusals: one event that counts two, rule
    // 25) and one successful one of alice's fob by the administrator, and a failed sign-in of
    // bob.
    let mut admin = administrator(&server).await;
    for _ in 0..2 {
        let r = admin
            .resync(Some("alice"), ALICE_FOB, "000000", "000001")
            .await;
        assert_eq!(r.code(), "InvalidAuthenticationCode", "{r:?}");
    }
    let step = now_step();
    let r = admin
        .resync(
            Some("alice"),
            ALICE_FOB,
            &fob.at(step - 7),
            &fob.at(step - 6),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut bob = server.client();
    let wrong = bob
        .post(
            "/api/sign-in",
            json!({"Account": "demo", "UserName": "bob", "Password": "not-bobs"}),
        )
        .await;
    assert_eq!(wrong.code(), "SignInFailed");

    let everything = walk(&mut admin, json!({})).await;
    let mut sorted = ids(&everything);
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids(&everything), sorted, "newest first");

    // Each filter alone keeps exactly the events that match it, in the same order.
    let expect = |keep: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        ids(&everything
            .iter()
            .filter(|e| keep(e))
            .cloned()
            .collect::<Vec<_>>())
    };
    let resyncs = walk(&mut admin, json!({"Action": "ResyncMFADevice"})).await;
    assert_eq!(ids(&resyncs), expect(&|e| e["Action"] == "ResyncMFADevice"));
    assert_eq!(resyncs.len(), 2);
    let failures = walk(&mut admin, json!({"Outcome": "Failure"})).await;
    assert_eq!(ids(&failures), expect(&|e| e["Outcome"] == "Failure"));
    assert!(failures.len() >= 2, "{failures:?}");
    let of_fob = walk(&mut admin, json!({"SerialNumber": ALICE_FOB})).await;
    assert_eq!(ids(&of_fob), expect(&|e| e["SerialNumber"] == ALICE_FOB));
    let of_bob = walk(&mut admin, json!({"UserName": "BOB"})).await;
    assert_eq!(ids(&of_bob), expect(&|e| e["TargetUser"] == "bob"));
    assert!(of_bob.iter().any(|e| e["Action"] == "SignIn"));

    // Together: the failed resyncs of the fob, for alice.
    let together = walk(
        &mut admin,
        json!({"UserName": "alice", "Action": "ResyncMFADevice", "Outcome": "Failure",
               "SerialNumber": ALICE_FOB}),
    )
    .await;
    assert_eq!(together.len(), 1, "{together:?}");
    assert_eq!(together[0]["Repeats"], 2, "{together:?}");
    assert!(together[0]["LastEventTime"].is_string(), "{together:?}");
    for e in &together {
        assert_eq!(e["ErrorCode"], "InvalidAuthenticationCode");
        assert_eq!(e["Actor"], "arn:aws:iam::123456789012:user/admin");
    }
    let succeeded = walk(
        &mut admin,
        json!({"Action": "ResyncMFADevice", "Outcome": "Success"}),
    )
    .await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0]["SerialNumber"], ALICE_FOB);
    // A well-formed action that never happened lists nothing.
    assert!(
        walk(&mut admin, json!({"Action": "NoSuchAction"}))
            .await
            .is_empty()
    );
    server.finish();
}

#[tokio::test]
async fn a_bad_filter_is_refused_and_lists_nothing() {
    let server = Server::start();
    let mut admin = administrator(&server).await;
    for (filter, says) in [
        (json!({"Action": "Resync MFA"}), "Action"),
        (json!({"Action": ""}), "Action"),
        (json!({"Action": "iam:ResyncMFADevice"}), "Action"),
        (json!({"Action": "A".repeat(65)}), "Action"),
        (json!({"SerialNumber": "short"}), "SerialNumber"),
        (json!({"UserName": "no spaces"}), "UserName"),
    ] {
        let r = admin.post("/api/audit/LookupEvents", filter.clone()).await;
        assert_eq!((r.status, r.code()), (400, "ValidationError"), "{filter}");
        assert!(r.body.get("Events").is_none(), "{r:?}");
        let message = r.body["Error"]["Message"].as_str().unwrap();
        assert!(message.contains(says), "{filter}: {message}");
    }
    for outcome in [json!("Partly"), json!("success"), json!(1)] {
        let r = admin
            .post("/api/audit/LookupEvents", json!({"Outcome": outcome}))
            .await;
        assert_eq!((r.status, r.code()), (400, "ValidationError"), "{outcome}");
    }
    server.finish();
}

#[tokio::test]
async fn sign_out_is_audited_once_per_live_session() {
    let server = Server::start();
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    let out = bob.post("/api/sign-out", json!({})).await;
    assert_eq!(out.status, 200, "{out:?}");
    // Again, with the session gone, and once with no cookie at all: nothing ends, no event.
    assert_eq!(bob.post("/api/sign-out", json!({})).await.status, 200);
    let mut nobody = server.client();
    assert_eq!(nobody.post("/api/sign-out", json!({})).await.status, 200);

    // An expired session: its row goes, but nothing that still worked ended: no event.
    let mut alice = server.client();
    assert_eq!(alice.sign_in("alice").await.status, 200);
    server
        .exec_plain("UPDATE sessions SET last_seen_at = 0, signed_in_at = 0")
        .await;
    assert_eq!(alice.post("/api/sign-out", json!({})).await.status, 200);

    let mut admin = administrator(&server).await;
    let events = walk(&mut admin, json!({"Action": "SignOut"})).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["Actor"], "arn:aws:iam::123456789012:user/bob");
    assert_eq!(e["TargetUser"], "bob");
    assert_eq!(e["Outcome"], "Success");
    assert_eq!(e["SourceIp"], "127.0.0.1");
    // The session is really gone.
    assert_eq!(bob.get("/api/session").await.code(), "NotSignedIn");
    server.finish();
}

/// A state change the CSRF rules refuse is audited as a failed attempt of the action its path
/// names, by the principal whose session cookie it carries (the victim of a forged request).
#[tokio::test]
async fn csrf_refusals_are_audited_with_the_cookies_principal() {
    let server = Server::start();
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    let cookie = bob.cookie.clone().unwrap();
    let url = format!("{}/api/iam/DeactivateMFADevice", bob.base);
    let body = json!({"SerialNumber": BOB_HOTP}).to_string();
    let as_form = bob
        .http()
        .post(&url)
        .header("content-type", "text/plain")
        .header("x-requested-with", "mfa-resync")
        .header("cookie", &cookie)
        .body(body.clone());
    let no_header = bob
        .http()
        .post(&url)
        .header("content-type", "application/json")
        .header("cookie", &cookie)
        .body(body.clone());
    let cross_site = bob
        .http()
        .post(&url)
        .header("content-type", "application/json")
        .header("x-requested-with", "mfa-resync")
        .header("sec-fetch-site", "cross-site")
        .header("cookie", &cookie)
        .body(body);
    let mut codes = Vec::new();
    for req in [as_form, no_header, cross_site] {
        let r = bob.raw(req).await;
        codes.push((r.status, r.code().to_owned()));
    }
    assert_eq!(
        codes,
        [
            (415, "UnsupportedMediaType".to_owned()),
            (403, "CrossOriginRequest".to_owned()),
            (403, "CrossOriginRequest".to_owned()),
        ]
    );
    // Nothing was deactivated.
    assert!(server.device_row(BOB_HOTP).await.owner_id.is_some());
    let mut admin = administrator(&server).await;
    let events = walk(
        &mut admin,
        json!({"Action": "DeactivateMFADevice", "UserName": "bob"}),
    )
    .await;
    let mut seen: Vec<(&str, u64)> = events
        .iter()
        .map(|e| {
            assert_eq!(e["Actor"], "arn:aws:iam::123456789012:user/bob");
            assert_eq!(e["Outcome"], "Failure");
            let repeats = e["Repeats"].as_u64().unwrap_or(1);
            (e["ErrorCode"].as_str().unwrap(), repeats)
        })
        .collect();
    seen.sort_unstable();
    // The two CrossOriginRequest refusals are identical: one event counting two (rule 25).
    assert_eq!(
        seen,
        [("CrossOriginRequest", 2), ("UnsupportedMediaType", 1)]
    );
    // Once bob's session has expired, his old cookie names nobody: the refusal is `unknown`'s,
    // in no account's trail.
    server
        .exec_plain(
            "UPDATE sessions SET last_seen_at = 0, signed_in_at = 0 \
             WHERE principal_id = (SELECT id FROM principals WHERE user_name = 'bob')",
        )
        .await;
    let stale = bob
        .http()
        .post(&url)
        .header("content-type", "text/plain")
        .header("cookie", &cookie)
        .body("{}");
    assert_eq!(bob.raw(stale).await.status, 415);
    let after = walk(
        &mut admin,
        json!({"Action": "DeactivateMFADevice", "UserName": "bob"}),
    )
    .await;
    assert_eq!(after.len(), 2, "{after:?}");
    server.finish();
}

/// Rule 25 and rule 21: every refusal is audited, bounded. A malformed body and a request with
/// no session write an event (they wrote none before); 50 identical refusals from one source
/// are one event counting 50; 100 refusals naming 100 different devices add at most
/// `MAX_DISTINCT_REFUSALS` (20) events to the account's trail (before: 100).
#[tokio::test]
async fn every_refusal_is_audited_and_repeats_aggregate() {
    let server = Server::start();
    let mut alice = server.client();
    alice.sign_in("alice").await;
    let r = alice
        .raw(
            alice
                .http()
                .post(format!("{}/api/iam/ResyncMFADevice", server.base))
                .header("content-type", "application/json")
                .header("x-requested-with", "mfa-resync")
                .header("cookie", alice.cookie.clone().unwrap())
                .body("{not json"),
        )
        .await;
    assert_eq!(r.code(), "ValidationError", "{r:?}");
    let mut nobody = server.client();
    let r = nobody.resync(None, ALICE_VIRTUAL, "000000", "000001").await;
    assert_eq!(r.code(), "NotSignedIn");
    type Row = (Option<String>, String, String, Option<String>, i64);
    let rows: Vec<Row> = on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT account_id, actor, action, error_code, repeats FROM audit_events \
         WHERE action = 'ResyncMFADevice' ORDER BY id",
    ))
    .fetch_all(&pool)
    .await
    .unwrap());
    assert_eq!(
        rows,
        [
            (
                Some("123456789012".to_owned()),
                "arn:aws:iam::123456789012:user/alice".to_owned(),
                "ResyncMFADevice".to_owned(),
                Some("ValidationError".to_owned()),
                1
            ),
            (
                None,
                "unknown".to_owned(),
                "ResyncMFADevice".to_owned(),
                Some("NotSignedIn".to_owned()),
                1
            ),
        ]
    );
    // 50 identical refusals: one event.
    for _ in 0..50 {
        let r = alice.resync(None, "GAHT99999999", "000000", "000001").await;
        assert_eq!(r.code(), "NoSuchEntity");
    }
    let (events, repeats): (i64, i64) = on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT COUNT(*), CAST(SUM(repeats) AS BIGINT) FROM audit_events \
         WHERE serial_number = 'GAHT99999999'",
    ))
    .fetch_one(&pool)
    .await
    .unwrap());
    assert_eq!((events, repeats), (1, 50));
    // 100 different ones: this source's NoSuchEntity refusals of ResyncMFADevice stay at 20
    // events in the account's trail, every attempt counted.
    for i in 0..100 {
        let serial = format!("GAHT7{i:07}");
        let r = alice.resync(None, &serial, "000000", "000001").await;
        assert_eq!(r.code(), "NoSuchEntity");
    }
    let (events, repeats): (i64, i64) = on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT COUNT(*), CAST(SUM(repeats) AS BIGINT) FROM audit_events \
         WHERE error_code = 'NoSuchEntity' AND action = 'ResyncMFADevice' \
         AND account_id = '123456789012'",
    ))
    .fetch_one(&pool)
    .await
    .unwrap());
    assert_eq!((events, repeats), (20, 150));
    server.finish();
}
