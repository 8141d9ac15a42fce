//! Browser tests of the app's pure parts (the clock-offset arithmetic, the warning timer's
//! state machine, pages and redirects) and of the app mounting, run by wasm-bindgen-test in
//! headless Chromium. The JSON decoders and encoder are tested in `json.rs`.
#![cfg(target_arch = "wasm32")]

use frontend::clock::{
    Sample, best_offset_ms, browser_clock_differs, clock_drift, drift_in_words, duration_in_words,
    ms_left_in_step, seconds_left_in_step, server_now_ms, step_at,
};
use frontend::components::code_input::{check_code, without_spaces};
use frontend::nav::Page;
use frontend::timer::{Phase, PhaseKind, Timer};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// 2026-11-29T15:00:00Z, the start of a 30 s step.
const T: f64 = 1_764_428_400_000.0;

#[wasm_bindgen_test]
fn offset_is_server_minus_the_middle_of_the_round_trip() {
    let s = Sample {
        sent_ms: 1000.0,
        received_ms: 1200.0,
        server_ms: 5100.0,
    };
    assert_eq!(s.round_trip_ms(), 200.0);
    assert_eq!(s.offset_ms(), 4000.0);
    assert_eq!(server_now_ms(2000.0, s.offset_ms()), 6000.0);
}

#[wasm_bindgen_test]
fn best_offset_comes_from_the_shortest_round_trip() {
    let slow = Sample {
        sent_ms: 0.0,
        received_ms: 900.0,
        server_ms: 10_000.0,
    };
    let fast = Sample {
        sent_ms: 1000.0,
        received_ms: 1040.0,
        server_ms: 3020.0,
    };
    assert_eq!(best_offset_ms(&[slow, fast]), Some(2000.0));
    assert_eq!(best_offset_ms(&[]), None);
    // A negative round trip (the browser's clock stepped back) is not preferred over nothing.
    let odd = Sample {
        sent_ms: 10.0,
        received_ms: 5.0,
        server_ms: 7.5,
    };
    assert_eq!(odd.round_trip_ms(), 0.0);
}

#[wasm_bindgen_test]
fn steps_and_seconds_left() {
    assert_eq!(step_at(T, 30), 58_814_280);
    assert_eq!(step_at(T + 29_999.0, 30), 58_814_280);
    assert_eq!(step_at(T + 30_000.0, 30), 58_814_281);
    assert_eq!(ms_left_in_step(T, 30), 30_000.0);
    assert_eq!(seconds_left_in_step(T, 30), 30);
    assert_eq!(seconds_left_in_step(T + 100.0, 30), 30);
    assert_eq!(seconds_left_in_step(T + 29_001.0, 30), 1);
    assert_eq!(seconds_left_in_step(T + 12_000.0, 30), 18);
    assert_eq!(step_at(-5.0, 30), 0);
    // Fractions of a millisecond (the offset is an estimate) and the step's last instant.
    assert_eq!(ms_left_in_step(T + 0.5, 30), 29_999.5);
    assert_eq!(ms_left_in_step(T + 29_999.75, 30), 0.25);
    assert_eq!(ms_left_in_step(T + 30_000.0, 30), 30_000.0);
    assert_eq!(ms_left_in_step(T - 1.0, 30), 1.0);
    assert_eq!(ms_left_in_step(-5.0, 30), 30_000.0);
    assert_eq!(ms_left_in_step(T + 61_000.0, 60), 59_000.0);
    for ms in [
        0.0,
        1.0,
        29_999.999,
        T,
        T + 12_345.678,
        4.0e15,
        8.64e15,
        2.9e20,
        f64::MAX,
        f64::INFINITY,
        f64::NAN,
    ] {
        let left = ms_left_in_step(ms, 30);
        assert!(left > 0.0 && left <= 30_000.0, "{ms}: {left}");
    }
}

#[wasm_bindgen_test]
fn a_clock_more_than_a_step_off_is_noted() {
    assert!(!browser_clock_differs(0.0, 30));
    assert!(!browser_clock_differs(30_000.0, 30));
    assert!(browser_clock_differs(30_001.0, 30));
    assert!(browser_clock_differs(-95_000.0, 30));
}

#[wasm_bindgen_test]
fn drift_in_words_reads_naturally() {
    assert_eq!(duration_in_words(45), "45 s");
    assert_eq!(duration_in_words(150), "2 min 30 s");
    assert_eq!(duration_in_words(300), "5 min");
    assert_eq!(duration_in_words(3900), "1 h 5 min");
    assert_eq!(
        drift_in_words(150),
        "your device's clock runs 2 min 30 s fast"
    );
    assert_eq!(drift_in_words(-180), "your device's clock runs 3 min slow");
    assert_eq!(clock_drift(-45), "runs 45 s slow");
    assert_eq!(clock_drift(3_900), "runs 1 h 5 min fast");
    assert_eq!(clock_drift(0), "is in step with the server's");
    assert_eq!(
        drift_in_words(0),
        "your device's clock is in step with the server's"
    );
}

#[wasm_bindgen_test]
fn timer_walks_through_its_phases() {
    let mut t = Timer::new(30);
    assert_eq!(t.phase(T + 5_000.0), Phase::EnterFirst);
    // Code 1 at second 12 of a step: 18 s until the next code.
    t.set_code1(Some(T + 12_000.0));
    assert_eq!(t.phase(T + 12_000.0), Phase::WaitForNext { seconds: 18 });
    assert_eq!(t.phase(T + 29_500.0), Phase::WaitForNext { seconds: 1 });
    // The next step began: enter code 2.
    assert_eq!(t.phase(T + 30_000.0), Phase::EnterSecond);
    // Code 2 at second 3 of that step: 27 s to submit.
    t.set_code2(Some(T + 33_000.0));
    assert_eq!(t.phase(T + 33_000.0), Phase::SubmitNow { seconds: 27 });
    assert_eq!(t.phase(T + 59_200.0), Phase::SubmitNow { seconds: 1 });
    // Code 1's step and the next have both ended: stale.
    assert_eq!(t.phase(T + 60_000.0), Phase::Stale);
    assert!(t.is_stale(T + 60_000.0));
    t.reset();
    assert_eq!(t.phase(T + 61_000.0), Phase::EnterFirst);
}

#[wasm_bindgen_test]
fn stale_without_code_2_and_edits_keep_the_first_time() {
    let mut t = Timer::new(30);
    t.set_code1(Some(T + 1_000.0));
    // Fixing a typo in a complete code 1 does not restart its clock.
    t.set_code1(Some(T + 40_000.0));
    assert_eq!(t.phase(T + 45_000.0), Phase::EnterSecond);
    assert_eq!(t.phase(T + 61_000.0).kind(), PhaseKind::Stale);
    // Emptying it does.
    t.set_code1(None);
    assert_eq!(t.phase(T + 61_000.0), Phase::EnterFirst);
    t.set_code1(Some(T + 61_000.0));
    assert_eq!(t.phase(T + 61_000.0), Phase::WaitForNext { seconds: 29 });
}

#[wasm_bindgen_test]
fn phase_messages_say_what_to_do() {
    assert_eq!(
        Phase::EnterFirst.message(),
        "Enter the code your device shows now."
    );
    assert!(
        Phase::WaitForNext { seconds: 12 }
            .message()
            .contains("about 12 s")
    );
    assert_eq!(
        Phase::SubmitNow { seconds: 9 }.message(),
        "Submit now — these codes expire in about 9 s."
    );
    assert!(Phase::Stale.message().contains("may have expired"));
    // The announced kind ignores the countdown, so the live region is not re-read every second.
    assert_eq!(
        Phase::WaitForNext { seconds: 12 }.kind(),
        Phase::WaitForNext { seconds: 11 }.kind()
    );
}

#[wasm_bindgen_test]
fn codes_are_checked_with_shared_rules() {
    assert_eq!(without_spaces("123 456"), "123456");
    assert!(check_code(&without_spaces(" 123 456 ")).is_ok());
    assert_eq!(
        check_code("1234").unwrap_err().to_string(),
        "The code is 2 digits too short."
    );
    assert!(
        check_code("12a456")
            .unwrap_err()
            .to_string()
            .contains("Character 3")
    );
}

#[wasm_bindgen_test]
fn paths_map_to_pages() {
    assert_eq!(Page::from_path("/"), Page::SignIn);
    assert_eq!(Page::from_path("/troubleshoot"), Page::Troubleshoot);
    assert_eq!(Page::from_path("/credentials/"), Page::Credentials);
    assert_eq!(Page::from_path("/admin"), Page::Admin);
    assert_eq!(Page::from_path("/nope"), Page::SignIn);
    assert_eq!(
        Page::from_path(Page::Troubleshoot.path()),
        Page::Troubleshoot
    );
}

#[wasm_bindgen_test]
fn app_mounts_and_shows_sign_in() {
    let document = web_sys::window().unwrap().document().unwrap();
    let body = document.body().unwrap();
    leptos::mount::mount_to(body.clone(), frontend::App).forget();
    // Erased components (`--cfg erase_components`) leave empty `<!---->` markers after text.
    let html = body.inner_html().replace("<!---->", "");
    assert!(html.contains("mfa-resync"), "{html}");
    assert!(html.contains("<h1>Sign in</h1>"), "{html}");
}

#[wasm_bindgen_test]
fn pages_send_sessions_that_may_not_see_them_to_the_right_place() {
    use SessionKind::*;
    use frontend::app_state::{SessionKind, redirect};
    use frontend::nav::Page;
    assert_eq!(redirect(Page::SignIn, Mfa), Some((Page::Credentials, None)));
    for kind in [Unknown, SignedOut, PasswordOnly] {
        assert_eq!(redirect(Page::SignIn, kind), None, "{kind:?}");
        assert_eq!(redirect(Page::Troubleshoot, kind), None, "{kind:?}");
    }
    assert_eq!(redirect(Page::Troubleshoot, Mfa), None);
    let to_sign_in = |page, kind| redirect(page, kind).map(|(to, notice)| (to, notice.is_some()));
    assert_eq!(
        to_sign_in(Page::Credentials, SignedOut),
        Some((Page::SignIn, true))
    );
    // Password-only sessions see their devices (to finish with a code); only MFA administers.
    assert_eq!(redirect(Page::Credentials, PasswordOnly), None);
    assert_eq!(
        to_sign_in(Page::Admin, SignedOut),
        Some((Page::SignIn, true))
    );
    assert_eq!(
        to_sign_in(Page::Admin, PasswordOnly),
        Some((Page::SignIn, true))
    );
    // Before `GET /api/session` answers, nobody is sent anywhere.
    for page in [Page::Credentials, Page::Admin] {
        assert_eq!(redirect(page, Unknown), None);
        assert_eq!(redirect(page, Mfa), None);
    }
}

#[wasm_bindgen_test]
fn the_audit_filter_offers_shareds_actions_in_their_order() {
    assert_eq!(
        frontend::pages::admin::AUDIT_FILTER,
        [
            "SignIn",
            "SignInRoot",
            "SignInMFA",
            "SignOut",
            "ResyncMFADevice",
            "EnableMFADevice",
            "DeactivateMFADevice",
            "UnlockMFADevice",
            "CreateVirtualMFADevice",
            "DeleteVirtualMFADevice",
            "GetSessionToken",
            "GetCallerIdentity",
        ]
    );
    assert_eq!(
        frontend::pages::admin::AUDIT_FILTER_OPTIONS,
        concat!(
            r#"<option value="">Any action</option><option>SignIn</option>"#,
            "<option>SignInRoot</option><option>SignInMFA</option><option>SignOut</option>",
            "<option>ResyncMFADevice</option><option>EnableMFADevice</option>",
            "<option>DeactivateMFADevice</option><option>UnlockMFADevice</option>",
            "<option>CreateVirtualMFADevice</option><option>DeleteVirtualMFADevice</option>",
            "<option>GetSessionToken</option><option>GetCallerIdentity</option>",
        )
    );
}

/// A cap on devices (LimitExceeded with no wait) shows the server's sentence; a throttle
/// counts its wait; a lock says who can help.
#[wasm_bindgen_test]
fn limit_exceeded_advice_tells_a_cap_from_a_throttle_and_a_lock() {
    use frontend::api::ApiError;
    use frontend::components::error_notice::{Doing, advice};
    use shared::api::ErrorCode;
    let limit = |retry_after: Option<u64>, message: &str| ApiError::Api {
        code: ErrorCode::LimitExceeded,
        message: message.into(),
        retry_after,
        tries_left: None,
    };
    let cap = "Too many MFA devices: an account may hold 5000 and you may have 8 that are not yet enabled. Enable or delete one first.";
    assert_eq!(advice(&limit(None, cap), Doing::Other), cap);
    assert!(advice(&limit(Some(30), "x"), Doing::Resync).contains("Wait 30 s"));
    assert!(advice(&limit(None, "x"), Doing::Resync).contains("Ask an administrator"));
}

/// Codes refused as an exact repeat ("already used", rule 23) are said so, never "not
/// consecutive" nor a hint of drift, and they do not offer a resync; a refusal does.
#[wasm_bindgen_test]
fn used_codes_are_already_used_and_a_refusal_offers_the_resync() {
    use frontend::api::ApiError;
    use frontend::components::error_notice::{Doing, advice, already_used, resync_helps};
    use shared::api::ErrorCode;
    let refused = |message: &str| ApiError::Api {
        code: ErrorCode::InvalidAuthenticationCode,
        message: message.into(),
        retry_after: None,
        tries_left: None,
    };
    let used = refused(
        "These codes were already used: wait for your device to show the next code, then use it (for a resync, it and the one after).",
    );
    let wrong = refused("The authentication codes are not valid for this device.");
    assert!(already_used(&used) && !already_used(&wrong));
    assert_eq!(
        advice(&used, Doing::MfaCode),
        "That code was already used: wait for the next one."
    );
    assert!(advice(&used, Doing::Resync).starts_with("These codes were already used"));
    assert!(advice(&wrong, Doing::Resync).contains("not consecutive"));
    assert!(!advice(&wrong, Doing::Resync).contains("Clear them"));
    assert!(resync_helps(&wrong) && !resync_helps(&used));
}

/// A refusal by policy says the server's reason, and does not tell a person who signed in
/// with MFA to "sign in with MFA".
#[wasm_bindgen_test]
fn access_denied_says_the_real_reason() {
    use frontend::api::ApiError;
    use frontend::components::error_notice::{Doing, advice};
    use shared::api::ErrorCode;
    let denied = ApiError::Api {
        code: ErrorCode::AccessDenied,
        message: "Your policy does not allow iam:CreateVirtualMFADevice on this user.".into(),
        retry_after: None,
        tries_left: None,
    };
    let said = advice(&denied, Doing::Other);
    assert!(said.contains("Your policy does not allow iam:CreateVirtualMFADevice on this user."));
    assert!(!said.contains("Sign in with MFA"));
}

/// Serials wrap after `:` and `/` only, and are escaped; secrets read in groups of four.
#[wasm_bindgen_test]
fn serials_wrap_at_separators_and_secrets_read_in_fours() {
    use frontend::components::device_picker::breakable;
    use frontend::pages::credentials::in_fours;
    assert_eq!(
        breakable("arn:aws:iam::1/a<b"),
        "arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>1/<wbr>a&lt;b"
    );
    assert_eq!(
        breakable("InvalidAuthenticationCode"),
        "Invalid<wbr>Authentication<wbr>Code"
    );
    assert_eq!(breakable("GAHT10000001"), "GAHT10000001");
    assert_eq!(in_fours("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
    assert_eq!(in_fours("JBSWY3D"), "JBSW Y3D");
}

/// Issue 16: the forecast in words, from the rate per day (rounded to whole seconds a week) and
/// the day a resync is needed; "not yet" without a rate.
#[wasm_bindgen_test]
fn the_forecast_reads_as_a_sentence() {
    use frontend::components::forecast::forecast_sentence;
    use shared::api::{DeviceKind, MfaDevice};
    let device = |rate: Option<f64>, by: Option<&str>| MfaDevice {
        user_name: "alice".into(),
        serial_number: "GAHT10000001".into(),
        enable_date: "2026-11-29T15:04:05Z".into(),
        kind: DeviceKind::HardwareTotp,
        drift_steps: 2,
        drift_seconds: 60,
        locked: false,
        retry_after_seconds: None,
        drift_rate_seconds_per_day: rate,
        resync_needed_by: by.map(Into::into),
        counter_run_ahead_per_week: None,
        last_used_date: None,
        drift_history: Vec::new(),
    };
    assert_eq!(forecast_sentence(&device(None, None)), "not yet");
    assert_eq!(
        forecast_sentence(&device(Some(0.57), Some("2027-03-14T08:00:00Z"))),
        "gaining about 4 s a week; at this rate it will need a resync around 2027-03-14"
    );
    assert_eq!(
        forecast_sentence(&device(Some(-12.9), None)),
        "losing about 1 min 30 s a week"
    );
    assert_eq!(
        forecast_sentence(&device(Some(0.05), None)),
        "steady (under 1 s a week)"
    );
    // A counter-based token: the presses a week that never reach the server; a FIDO key has
    // no forecast.
    let token = |run_ahead: Option<f64>| MfaDevice {
        kind: DeviceKind::HardwareHotp,
        counter_run_ahead_per_week: run_ahead,
        // A clock's figures never apply to it.
        drift_rate_seconds_per_day: Some(3.0),
        ..device(None, None)
    };
    assert_eq!(forecast_sentence(&token(None)), "not yet");
    assert_eq!(
        forecast_sentence(&token(Some(13.6))),
        "runs about 14 presses a week ahead of the server"
    );
    assert_eq!(
        forecast_sentence(&token(Some(0.2))),
        "steady: every press reaches the server"
    );
    let key = MfaDevice {
        kind: DeviceKind::Fido,
        ..device(Some(3.0), None)
    };
    assert_eq!(forecast_sentence(&key), "none");
}

/// Issue 16: activity items are markup made from the server's words, escaped (an administrator
/// names devices), with the time in the browser's zone and language.
#[wasm_bindgen_test]
fn activity_items_are_escaped_and_in_local_time() {
    use frontend::components::activity::{items, local_time};
    use shared::api::{ActivityEvent, Outcome};
    let at = "2026-12-06T14:02:00.000Z";
    let local = local_time(at);
    assert!(!local.is_empty() && !local.contains('T'), "{local}");
    let html = items(&[ActivityEvent {
        event_time: at.into(),
        action: "ResyncMFADevice".into(),
        outcome: Outcome::Success,
        summary: "The device <b>x</b> & co was resynchronised".into(),
    }]);
    assert!(html.starts_with("<li><time>"), "{html}");
    assert!(
        html.ends_with(
            "</time> The device &lt;b&gt;x&lt;/<wbr>b&gt; &amp; co was resynchronised</li>"
        ),
        "{html}"
    );
    assert_eq!(items(&[]), "");
}

/// Issue 16: the drift chart's coordinates are integers in its 240 × 60 box: time across, fast
/// up, the largest offset (or the floor) filling half the height less the margin.
#[wasm_bindgen_test]
fn the_drift_chart_scales_time_across_and_offset_up() {
    use frontend::components::forecast::{drift_chart, points};
    use shared::api::DriftPoint;
    let p = |at, offset| DriftPoint { at, offset };
    let history = [p(1_000, 0), p(1_100, 30), p(1_200, -60)];
    assert_eq!(points(&history, 30), "0,30 120,16 240,58 ");
    // A floor larger than every offset keeps small noise small.
    assert_eq!(points(&history[..2], 300), "0,30 240,28 ");
    // One sample is no line; two are.
    assert_eq!(drift_chart(&history[..1], 30), "");
    let svg = drift_chart(&history, 30);
    assert!(svg.starts_with("<svg viewBox=\"0 0 240 60\""), "{svg}");
    assert!(
        svg.contains("<polyline points=\"0,30 120,16 240,58 \"/>"),
        "{svg}"
    );
}
