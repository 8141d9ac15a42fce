//! Property tests of the resync and sign-in rules (issue 3; security rules 1–5).
//! Native only: proptest does not run in the browser (tests/wasm.rs covers that target).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use shared::code::{Code, CodeError, Digits};
use shared::device::{HotpState, TotpState};
use shared::otp::{CodeGenerator, Totp, format_code, hotp};
use shared::resync::{ResyncError, resync_hotp, resync_totp};
use shared::secret::Secret;
use shared::verify::{VerifyError, verify_hotp, verify_totp};

fn code(value: u32, digits: Digits) -> Code {
    Code::parse(&format_code(value, digits), digits).unwrap()
}

fn secrets() -> impl Strategy<Value = Secret> {
    prop::collection::vec(any::<u8>(), 16..=64).prop_map(|b| Secret::from_bytes(b).unwrap())
}

/// Codes of steps `first..first + n` in one table, from one keyed generator.
fn table(secret: &Secret, first: u64, n: u64) -> Vec<Code> {
    let generator = CodeGenerator::new(secret, Digits::SIX);
    (first..first + n)
        .map(|s| code(generator.code(s), Digits::SIX))
        .collect()
}

const WINDOW: u64 = 12;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Every drift in the window, both edges included, is recovered exactly; one step
    /// beyond either edge fails (security rule 3).
    #[test]
    fn resync_recovers_every_drift_in_the_window(secret in secrets(), now_step in 0u64..4_000_000_000) {
        let totp = Totp::default();
        let now = now_step * 30 + 17;
        let base = now_step.saturating_sub(WINDOW + 2);
        let t = table(&secret, base, 2 * WINDOW + 6);
        let at = |s: u64| &t[(s - base) as usize];
        let low = now_step.saturating_sub(WINDOW).max(1);
        for j in low..=now_step + WINDOW {
            let found = resync_totp(&totp, &secret, at(j - 1), at(j), now, WINDOW, TotpState::default());
            let found = found.expect("a pair inside the window is found");
            prop_assert_eq!(found.first_step, j - 1);
            prop_assert_eq!(found.drift.steps, j as i64 - now_step as i64);
            prop_assert_eq!(found.after, TotpState { drift_steps: found.drift.steps, last_used_step: Some(j) });
        }
        // One step beyond the fast edge.
        let j = now_step + WINDOW + 1;
        prop_assert_eq!(
            resync_totp(&totp, &secret, at(j - 1), at(j), now, WINDOW, TotpState::default()),
            Err(ResyncError::NoMatch)
        );
        // One step beyond the slow edge, where it exists.
        if now_step > WINDOW + 1 {
            let j = now_step - WINDOW - 1;
            prop_assert_eq!(
                resync_totp(&totp, &secret, at(j - 1), at(j), now, WINDOW, TotpState::default()),
                Err(ResyncError::NoMatch)
            );
        }
    }

    /// Swapped (i+1, i), repeated (i, i) and non-adjacent (i, i+2) codes fail (security rule 2).
    #[test]
    fn only_consecutive_pairs_resync(secret in secrets(), drift in -(WINDOW as i64)..=WINDOW as i64) {
        let totp = Totp::default();
        let now_step = 1_000_000u64;
        let now = now_step * 30;
        let base = now_step - 2 * WINDOW;
        let t = table(&secret, base, 4 * WINDOW + 2);
        let i = (now_step as i64 + drift - 1 - base as i64) as usize;
        let state = TotpState::default();
        let n = t.len() - 1;
        let refused = |c1: &Code, c2: &Code| resync_totp(&totp, &secret, c1, c2, now, WINDOW, state);
        // Unless the table happens to contain the wrong pair as a real pair somewhere.
        let occurs = |a: u32, b: u32| (0..n).any(|k| t[k].value() == a && t[k + 1].value() == b);
        if !occurs(t[i + 1].value(), t[i].value()) {
            prop_assert_eq!(refused(&t[i + 1], &t[i]), Err(ResyncError::NoMatch));
        }
        if !occurs(t[i].value(), t[i].value()) {
            prop_assert_eq!(refused(&t[i], &t[i]), Err(ResyncError::NoMatch));
        }
        if !occurs(t[i].value(), t[i + 2].value()) {
            prop_assert_eq!(refused(&t[i], &t[i + 2]), Err(ResyncError::NoMatch));
        }
    }

    /// After a resync with (i, i+1) the device's next code i+2 signs in, i and i+1 do not,
    /// and the same pair cannot resync again (security rule 5).
    #[test]
    fn resync_burns_the_pair(secret in secrets(), drift in -(WINDOW as i64)..=WINDOW as i64) {
        let totp = Totp::default();
        let now_step = 2_000_000u64;
        let now = now_step * 30 + 3;
        let j = (now_step as i64 + drift) as u64;
        let t = table(&secret, j - 1, 4);
        let resync = resync_totp(&totp, &secret, &t[0], &t[1], now, WINDOW, TotpState::default()).unwrap();
        prop_assert_eq!(resync.first_step, j - 1);
        // Neither code signs in; each matches a burned step (barring a code collision
        // with a neighbouring step, which would be a different, fresh step).
        for k in [0usize, 1] {
            let refused = verify_totp(&totp, &secret, &t[k], now, resync.after);
            if t[k].value() != t[2].value() && t[k].value() != t[3].value() {
                prop_assert_eq!(refused, Err(VerifyError::Replayed));
            }
        }
        let signed_in = verify_totp(&totp, &secret, &t[2], now, resync.after).unwrap();
        prop_assert_eq!(signed_in.step, j + 1);
        prop_assert_eq!(signed_in.before, resync.after);
        prop_assert_eq!(signed_in.after, TotpState { drift_steps: drift + 1, last_used_step: Some(j + 1) });
        prop_assert_eq!(
            resync_totp(&totp, &secret, &t[0], &t[1], now, WINDOW, resync.after),
            Err(ResyncError::NoMatch)
        );
    }

    /// HOTP resync (RFC 4226 §7.4): any pair in [next, next + s) is found, the next counter
    /// becomes i + 2; a pair at i = next + s, or before next, fails.
    #[test]
    fn hotp_resync(secret in secrets(), next in prop_oneof![0u64..1_000_000, (u64::MAX - 100)..=u64::MAX], offset in 0u64..20) {
        let digits = Digits::SIX;
        let lookahead = 20;
        let state = HotpState { next_counter: next };
        let i = next.saturating_add(offset);
        prop_assume!(i <= u64::MAX - 2);
        let (c1, c2) = (code(hotp(&secret, i, digits), digits), code(hotp(&secret, i + 1, digits), digits));
        let found = resync_hotp(&secret, digits, &c1, &c2, lookahead, state).unwrap();
        prop_assert!(found.first_counter <= i);
        if found.first_counter == i {
            prop_assert_eq!(found.after, HotpState { next_counter: i + 2 });
            // The next code signs in; the resync codes do not.
            let next_code = code(hotp(&secret, i + 2, digits), digits);
            prop_assume!(i + 2 < u64::MAX);
            let signed_in = verify_hotp(&secret, digits, &next_code, found.after).unwrap();
            prop_assert_eq!(signed_in.counter, i + 2);
            prop_assert_eq!(signed_in.after.next_counter, i + 3);
        }
        // Just past the look-ahead.
        if let Some(beyond) = next.checked_add(lookahead).filter(|b| *b <= u64::MAX - 2) {
            let (c1, c2) = (code(hotp(&secret, beyond, digits), digits), code(hotp(&secret, beyond + 1, digits), digits));
            let hits = (next..beyond).any(|k| hotp(&secret, k, digits) == c1.value() && hotp(&secret, k + 1, digits) == c2.value());
            if !hits {
                prop_assert_eq!(resync_hotp(&secret, digits, &c1, &c2, lookahead, state), Err(ResyncError::NoMatch));
            }
        }
    }

    /// Sign-in accepts now + drift ± 1 and nothing further (security rule 3).
    #[test]
    fn sign_in_window(secret in secrets(), drift in -5_000i64..5_000, offset in -3i64..=3) {
        let totp = Totp::default();
        let now_step = 3_000_000u64;
        let now = now_step * 30;
        let state = TotpState { drift_steps: drift, last_used_step: None };
        let step = (now_step as i64 + drift + offset) as u64;
        let c = code(totp.code_for_step(&secret, step), Digits::SIX);
        let result = verify_totp(&totp, &secret, &c, now, state);
        if offset.abs() <= 1 {
            let v = result.unwrap();
            // A code collision with a neighbour may pick the closer step; the code is still right.
            prop_assert_eq!(totp.code_for_step(&secret, v.step), c.value());
            prop_assert_eq!(v.after.drift_steps, v.step as i64 - now_step as i64);
        } else {
            let centre = now_step as i64 + drift;
            let collides = (centre - 1..=centre + 1).any(|s| totp.code_for_step(&secret, s as u64) == c.value());
            if !collides {
                prop_assert_eq!(result, Err(VerifyError::Rejected));
            }
        }
    }

    /// Anything that is not exactly six ASCII digits is refused (security rule 1).
    #[test]
    fn code_parsing(s in "\\PC{0,10}") {
        let ok = s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
        prop_assert_eq!(Code::parse(&s, Digits::SIX).is_ok(), ok);
    }

    /// A leading or trailing space is never trimmed away.
    #[test]
    fn spaces_are_not_trimmed(v in 0u32..1_000_000) {
        let typed = format_code(v, Digits::SIX);
        prop_assert_eq!(Code::parse(&format!(" {typed}"), Digits::SIX).unwrap_err(), CodeError::NotADigit { position: 1 });
        prop_assert_eq!(Code::parse(&format!("{typed} "), Digits::SIX).unwrap_err(), CodeError::NotADigit { position: 7 });
        prop_assert_eq!(Code::parse(&format!("{typed}0"), Digits::SIX).unwrap_err(), CodeError::TooLong { extra: 1 });
    }

    /// The keyed generator agrees with `hmac` + `sha1` for any key and counter.
    #[test]
    fn generator_matches_hmac(key in prop::collection::vec(any::<u8>(), 16..=130), counter in any::<u64>()) {
        let secret = Secret::from_bytes(key).unwrap();
        let digits = Digits::EIGHT;
        let generator = CodeGenerator::new(&secret, digits);
        prop_assert_eq!(generator.code(counter), hotp(&secret, counter, digits));
        let mut three = [0u32; 3];
        generator.fill(counter, &mut three);
        for (k, code) in three.into_iter().enumerate() {
            prop_assert_eq!(code, hotp(&secret, counter.wrapping_add(k as u64), digits));
        }
    }
}
