//! Browser tests of [`frontend::json`]: the hand-written decoders over the browser's
//! `JSON.parse`, checked against serde's own output, and the request-body encoder. Run by
//! wasm-bindgen-test in headless Chromium.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn json_decodes_the_apis_answers_through_the_browsers_parser() {
    use shared::api::{DeviceKind, ErrorCode, ErrorResponse, ListMfaDevicesResponse};
    let list: ListMfaDevicesResponse = frontend::json::from_str(
        r#"{"MFADevices":[{"UserName":"alice","SerialNumber":"arn:aws:iam::123456789012:mfa/a",
            "EnableDate":"2026-11-29T15:04:05Z","Kind":"hardware-totp","DriftSteps":-3,
            "DriftSeconds":-90,"Locked":false,"RetryAfterSeconds":null,"Extra":[1,{"x":2.5}]}],
            "IsTruncated":false}"#,
    )
    .unwrap();
    let d = &list.mfa_devices[0];
    assert_eq!(d.user_name, "alice");
    assert_eq!(d.kind, DeviceKind::HardwareTotp);
    assert_eq!((d.drift_steps, d.drift_seconds), (-3, -90));
    assert_eq!(d.retry_after_seconds, None);
    assert_eq!(list.marker, None);
    let e: ErrorResponse =
        frontend::json::from_str(r#"{"Error":{"Code":"Brand New","Message":"y"}}"#).unwrap();
    assert_eq!(e.error.code, ErrorCode::Unknown);
    // Wrong shapes are errors, not panics.
    assert_eq!(
        frontend::json::from_str::<ErrorResponse>(r#"{"Error":{"Code":1}}"#),
        Err(frontend::json::Error)
    );
    assert_eq!(
        frontend::json::from_str::<ErrorResponse>(r#"{"Error":null}"#),
        Err(frontend::json::Error)
    );
    assert_eq!(
        frontend::json::from_str::<ErrorResponse>("[1,2]"),
        Err(frontend::json::Error)
    );
    assert_eq!(
        frontend::json::from_str::<ErrorResponse>("null"),
        Err(frontend::json::Error)
    );
    assert_eq!(
        frontend::json::from_str::<ErrorResponse>("not json"),
        Err(frontend::json::Error)
    );
    for bad in [
        r#"{"MFADevices":[],"IsTruncated":1.5}"#,
        r#"{"MFADevices":{},"IsTruncated":false}"#,
        r#"{"MFADevices":[1],"IsTruncated":false}"#,
        r#"{"IsTruncated":false}"#,
    ] {
        assert_eq!(
            frontend::json::from_str::<ListMfaDevicesResponse>(bad),
            Err(frontend::json::Error),
            "{bad}"
        );
    }
    let device = |retry: &str, drift: &str| {
        format!(
            r#"{{"MFADevices":[{{"UserName":"a","SerialNumber":"s","EnableDate":"d","Kind":"virtual",
            "DriftSteps":{drift},"DriftSeconds":0,"Locked":false,"RetryAfterSeconds":{retry}}}],
            "IsTruncated":false}}"#
        )
    };
    assert!(frontend::json::from_str::<ListMfaDevicesResponse>(&device("5", "-1")).is_ok());
    for (retry, drift) in [
        ("-5", "0"),
        ("1.5", "0"),
        ("\"5\"", "0"),
        ("5", "1e300"),
        ("5", "0.5"),
    ] {
        let text = device(retry, drift);
        assert_eq!(
            frontend::json::from_str::<ListMfaDevicesResponse>(&text),
            Err(frontend::json::Error),
            "{text}"
        );
    }
    let kind = device("null", "0").replace("virtual", "hardware");
    assert_eq!(
        frontend::json::from_str::<ListMfaDevicesResponse>(&kind),
        Err(frontend::json::Error)
    );
}

/// Every hand-written decoder reads exactly what the server's serde writes.
#[wasm_bindgen_test]
fn json_decoders_agree_with_serde() {
    use frontend::json::Decode;
    use shared::api::*;
    fn round_trip<T: serde::Serialize + Decode + PartialEq + std::fmt::Debug>(value: T) {
        let text = serde_json::to_string(&value).unwrap();
        assert_eq!(
            frontend::json::from_str::<T>(&text).as_ref(),
            Ok(&value),
            "{text}"
        );
    }
    let user = |n: &str| User {
        path: "/".into(),
        user_name: n.into(),
        user_id: format!("AIDA{n}"),
        arn: format!("arn:aws:iam::123456789012:user/{n}"),
        create_date: "2026-11-29T15:04:05Z".into(),
    };
    round_trip(ErrorResponse {
        error: ApiError {
            code: ErrorCode::LimitExceeded,
            message: "Wait \"30\" s.\n".into(),
            tries_left: Some(2),
        },
    });
    round_trip(EmptyResponse {});
    round_trip(TimeResponse {
        now_ms: 1_795_000_000_123,
        step_seconds: 30,
    });
    let event = |outcome, summary: &str| ActivityEvent {
        event_time: "2026-12-06T01:44:38.123Z".into(),
        action: "ResyncMFADevice".into(),
        outcome,
        summary: summary.into(),
    };
    for user_name in [None, Some("alice".to_owned())] {
        round_trip(SessionResponse {
            notices: if user_name.is_some() {
                vec![event(
                    Outcome::Success,
                    "The device GAKT20000002 was resynchronised by the IAM user admin",
                )]
            } else {
                Vec::new()
            },
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:root".into(),
            root: user_name.is_none(),
            allowed: if user_name.is_some() {
                vec!["ListMFADevices".into(), "ResyncMFADevice".into()]
            } else {
                Vec::new()
            },
            user_name,
            mfa_present: true,
        });
    }
    for next_token in [None, Some("41".to_owned())] {
        round_trip(ActivityResponse {
            events: vec![
                event(
                    Outcome::Failure,
                    "2 refused MFA codes since your last sign-in",
                ),
                event(Outcome::Success, "Password accepted & <b>\"quoted\"</b>"),
            ],
            next_token,
        });
    }
    round_trip(SignInResponse {
        mfa_required: true,
        mfa_devices: vec![
            MfaDeviceChoice {
                serial_number: "GAHT10000001".into(),
                kind: DeviceKind::HardwareTotp,
            },
            MfaDeviceChoice {
                serial_number: "fido".into(),
                kind: DeviceKind::Fido,
            },
        ],
    });
    round_trip(MfaSignInResponse { mfa_present: true });
    for (retry_after_seconds, marker) in [(None, None), (Some(42), Some("bWFya2Vy".to_owned()))] {
        round_trip(ListMfaDevicesResponse {
            mfa_devices: vec![MfaDevice {
                user_name: "bob".into(),
                serial_number: "GAKT20000002".into(),
                enable_date: "2026-11-29T15:04:05Z".into(),
                kind: DeviceKind::HardwareHotp,
                drift_steps: -2880,
                drift_seconds: -86_400,
                locked: retry_after_seconds.is_none(),
                retry_after_seconds,
                drift_rate_seconds_per_day: retry_after_seconds.map(|_| 1.5),
                resync_needed_by: marker.as_ref().map(|_| "2027-01-21T08:00:00Z".to_owned()),
                counter_run_ahead_per_week: marker.as_ref().map(|_| 13.57),
                last_used_date: marker.as_ref().map(|_| "2026-12-06T02:04:30Z".to_owned()),
                drift_history: if marker.is_some() {
                    vec![
                        DriftPoint {
                            at: 1_796_000_000,
                            offset: -30,
                        },
                        DriftPoint {
                            at: 1_796_086_400,
                            offset: 0,
                        },
                    ]
                } else {
                    Vec::new()
                },
            }],
            is_truncated: marker.is_some(),
            marker,
        });
    }
    round_trip(ResyncMfaDeviceResponse {
        drift_steps: 5,
        drift_seconds: 150,
    });
    round_trip(CreateVirtualMfaDeviceResponse {
        virtual_mfa_device: CreatedVirtualMfaDevice {
            serial_number: "arn:aws:iam::123456789012:mfa/phone".into(),
            base32_string_seed: "JBSWY3DPEHPK3PXP".into(),
            otpauth_uri: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".into(),
            qr_code_svg: "<svg></svg>".into(),
        },
    });
    round_trip(ListUsersResponse {
        users: vec![user("admin"), user("alice")],
        is_truncated: true,
        marker: Some("next".into()),
    });
    for (outcome, error_code, repeats) in [
        (Outcome::Success, None, None),
        (
            Outcome::Failure,
            Some("InvalidAuthenticationCode".to_owned()),
            Some(7),
        ),
    ] {
        round_trip(LookupEventsResponse {
            events: vec![AuditEvent {
                event_id: "1".into(),
                event_time: "2026-11-29T15:04:05.123Z".into(),
                actor: "arn:aws:iam::123456789012:user/admin".into(),
                action: "ResyncMFADevice".into(),
                target_user: error_code.as_ref().map(|_| "bob".to_owned()),
                serial_number: Some("GAKT20000002".into()),
                source_ip: "127.0.0.1".into(),
                outcome,
                error_code,
                repeats,
                last_event_time: repeats.map(|_| "2026-11-29T15:09:00.000Z".to_owned()),
            }],
            next_token: Some("2".into()),
        });
    }
}

#[wasm_bindgen_test]
fn json_encodes_request_bodies() {
    use shared::api::{ListMfaDevicesRequest, ResyncMfaDeviceRequest};
    assert_eq!(
        frontend::json::to_string(&ListMfaDevicesRequest { user_name: None }).unwrap(),
        "{}"
    );
    let body = frontend::json::to_string(&ResyncMfaDeviceRequest {
        user_name: Some("a\"b\\c\n\u{1}é".into()),
        serial_number: "s".into(),
        authentication_code1: "123456".into(),
        authentication_code2: "654321".into(),
    })
    .unwrap();
    assert_eq!(
        body,
        r#"{"UserName":"a\"b\\c\u000a\u0001é","SerialNumber":"s","AuthenticationCode1":"123456","AuthenticationCode2":"654321"}"#
    );
    // An enum member and numbers, as the audit trail's filters send them.
    let filters = shared::api::LookupEventsRequest {
        user_name: None,
        action: Some("ResyncMFADevice".into()),
        outcome: Some(shared::api::Outcome::Failure),
        serial_number: Some("GAHT10000001".into()),
        max_results: Some(25),
        next_token: Some("17".into()),
    };
    let text = frontend::json::to_string(&filters).unwrap();
    assert_eq!(
        text,
        r#"{"Action":"ResyncMFADevice","Outcome":"Failure","SerialNumber":"GAHT10000001","MaxResults":25,"NextToken":"17"}"#
    );
    assert_eq!(
        serde_json::from_str::<shared::api::LookupEventsRequest>(&text).unwrap(),
        filters
    );
    // The browser reads it back as written.
    let back = js_sys::JSON::parse(&body).unwrap();
    let name = js_sys::Reflect::get(&back, &"UserName".into()).unwrap();
    assert_eq!(name.as_string().unwrap(), "a\"b\\c\n\u{1}é");
}
