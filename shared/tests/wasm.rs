//! The engine in the browser: RFC vectors, a resync and code parsing under wasm32.
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p shared --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use shared::code::{Code, CodeError, Digits};
use shared::device::TotpState;
use shared::otp::{Totp, format_code, hotp};
use shared::resync::{DEFAULT_TOTP_WINDOW, resync_totp};
use shared::secret::Secret;
use shared::verify::{VerifyError, verify_totp};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn rfc_secret() -> Secret {
    let ascii = b"12345678901234567890";
    assert_eq!(ascii.len(), 20);
    Secret::from_bytes(ascii.to_vec()).unwrap()
}

#[wasm_bindgen_test]
fn rfc4226_appendix_d() {
    let want = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    let secret = rfc_secret();
    for (counter, want) in want.iter().enumerate() {
        assert_eq!(
            format_code(hotp(&secret, counter as u64, Digits::SIX), Digits::SIX),
            *want
        );
    }
}

#[wasm_bindgen_test]
fn rfc6238_appendix_b_sha1() {
    let rows = [
        (59u64, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    let secret = rfc_secret();
    let totp = Totp {
        digits: Digits::EIGHT,
        ..Totp::default()
    };
    for (time, want) in rows {
        assert_eq!(
            format_code(totp.code_at(&secret, time), Digits::EIGHT),
            want
        );
    }
}

#[wasm_bindgen_test]
fn resync_over_the_default_window() {
    let secret = Secret::from_base32_typed("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap();
    let totp = Totp::default();
    let now = 1_764_428_400;
    let phone = |s| {
        Code::parse(
            &format_code(totp.code_for_step(&secret, s), Digits::SIX),
            Digits::SIX,
        )
        .unwrap()
    };
    let first = totp.step_at(now) - DEFAULT_TOTP_WINDOW - 1;
    let found = resync_totp(
        &totp,
        &secret,
        &phone(first),
        &phone(first + 1),
        now,
        DEFAULT_TOTP_WINDOW,
        TotpState::default(),
    )
    .unwrap();
    assert_eq!(found.drift.steps, -(DEFAULT_TOTP_WINDOW as i64));
    assert_eq!(found.after.last_used_step, Some(first + 1));
    assert_eq!(
        verify_totp(&totp, &secret, &phone(first + 2), now, found.after)
            .unwrap()
            .step,
        first + 2
    );
    assert_eq!(
        verify_totp(&totp, &secret, &phone(first + 1), now, found.after),
        Err(VerifyError::Replayed)
    );
}

#[wasm_bindgen_test]
fn code_parsing() {
    assert_eq!(
        Code::parse(" 123456", Digits::SIX).unwrap_err(),
        CodeError::NotADigit { position: 1 }
    );
    assert_eq!(
        Code::parse("１２３４５６", Digits::SIX).unwrap_err(),
        CodeError::NotADigit { position: 1 }
    );
    assert_eq!(
        Code::parse("1234567", Digits::SIX).unwrap_err(),
        CodeError::TooLong { extra: 1 }
    );
    assert_eq!(
        Code::parse("012345", Digits::SIX).unwrap().as_str(),
        "012345"
    );
}
