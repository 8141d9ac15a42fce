//! Verification of one code at sign-in (RFC 4226 §7.2, RFC 6238 §5.2 and §6).
//!
//! TOTP: the code is looked for around now + the device's stored drift, ±
//! [`SIGN_IN_TOLERANCE`] steps (security rule 3), with constant-time comparisons over all of
//! those steps. Steps at or before the last used step are refused as replays (RFC 6238 §5.2,
//! security rule 5). Success returns the step used and the drift updated to it, so the drift
//! follows the device at every sign-in (RFC 6238 §6).
//!
//! HOTP: the code is looked for at the stored counter and a small look-ahead past it
//! (RFC 4226 §7.2, §7.4).
//!
//! [`repeats_last_totp`] and [`repeats_last_hotp`] tell an exact repeat of the last accepted
//! code or pair (security rule 23) by those steps alone: one HMAC per code, no window scan.

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeLess};

use crate::code::{Code, Digits};
use crate::device::{HotpState, TotpState};
use crate::otp::{CodeGenerator, Totp};
use crate::resync::signed_difference;
use crate::secret::Secret;

/// Steps accepted each side of now + stored drift at sign-in (RFC 6238 §5.2 recommends at
/// most one step of network delay).
pub const SIGN_IN_TOLERANCE: u64 = 1;

/// How many counters, starting at the stored one, an HOTP sign-in tries (RFC 4226 §7.4
/// look-ahead s, kept small for sign-in; resync uses a large one).
pub const HOTP_SIGN_IN_LOOKAHEAD: u64 = 3;

/// A TOTP code accepted at sign-in (RFC 6238 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpVerified {
    /// The device state the decision was made on; the backend's compare-and-set expects it.
    pub before: TotpState,
    /// The state to store: drift = step − now_step, last used step = step.
    pub after: TotpState,
    /// The step whose code matched.
    pub step: u64,
}

/// An HOTP code accepted at sign-in (RFC 4226 §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HotpVerified {
    /// The token state the decision was made on.
    pub before: HotpState,
    /// The state to store: next counter = counter + 1.
    pub after: HotpState,
    /// The counter whose code matched.
    pub counter: u64,
}

/// Why a code was refused at sign-in. No new state comes with it (security rule 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The code is wrong or outside the accepted window.
    #[error("The code is not the one the device shows now.")]
    Rejected,
    /// The code matched only a step (or counter) already used (RFC 6238 §5.2).
    #[error("This code was already used. Wait for the device to show the next one.")]
    Replayed,
}

/// What a scan over a few candidate steps found.
struct Candidates {
    fresh: Option<u64>,
    replayed: bool,
}

/// Compares `code` with the code of every step in `first..=last`, in constant time, no early
/// exit. Among fresh matches the one closest to `target` wins, then the earlier one.
fn scan(
    first: u64,
    last: u64,
    target: u64,
    code: u32,
    burned: impl Fn(u64) -> bool,
    code_of: impl Fn(u64) -> u32,
) -> Candidates {
    let mut found = Choice::from(0);
    let mut replayed = Choice::from(0);
    let mut best = 0u64;
    let mut best_distance = u64::MAX;
    if first <= last {
        for step in first..=last {
            let matched = code_of(step).ct_eq(&code);
            let is_burned = Choice::from(u8::from(burned(step)));
            replayed |= matched & is_burned;
            let distance = step.abs_diff(target);
            let better = matched & !is_burned & (!found | distance.ct_lt(&best_distance));
            best.conditional_assign(&step, better);
            best_distance.conditional_assign(&distance, better);
            found |= better;
        }
    }
    Candidates {
        fresh: bool::from(found).then_some(best),
        replayed: bool::from(replayed),
    }
}

/// Checks a TOTP code at sign-in (RFC 6238 §5.2, §6): steps now + drift ± [`SIGN_IN_TOLERANCE`],
/// none at or before the last used step. On success `after` has drift = step − now_step and
/// last used step = step.
pub fn verify_totp(
    totp: &Totp,
    secret: &Secret,
    code: &Code,
    now_unix: u64,
    state: TotpState,
) -> Result<TotpVerified, VerifyError> {
    if code.digits() != totp.digits {
        return Err(VerifyError::Rejected);
    }
    let now = totp.step_at(now_unix);
    // Work in i128 so now + drift ± tolerance cannot overflow, then clamp to real steps.
    let centre = i128::from(now) + i128::from(state.drift_steps);
    let tolerance = i128::from(SIGN_IN_TOLERANCE);
    let clamp = |s: i128| s.clamp(0, i128::from(u64::MAX)) as u64;
    let (first, last) = (clamp(centre - tolerance), clamp(centre + tolerance));
    if centre + tolerance < 0 || centre - tolerance > i128::from(u64::MAX) {
        return Err(VerifyError::Rejected);
    }
    let generator = CodeGenerator::new(secret, totp.digits);
    let found = scan(
        first,
        last,
        clamp(centre),
        code.value(),
        |s| state.is_burned(s),
        |s| generator.code(s),
    );
    match found.fresh {
        Some(step) => Ok(TotpVerified {
            before: state,
            after: TotpState {
                drift_steps: signed_difference(step, now),
                last_used_step: Some(step),
            },
            step,
        }),
        None if found.replayed => Err(VerifyError::Replayed),
        None => Err(VerifyError::Rejected),
    }
}

/// Checks an HOTP code at sign-in (RFC 4226 §7.2): counters next_counter to next_counter +
/// [`HOTP_SIGN_IN_LOOKAHEAD`] − 1, the earliest match wins, and the next counter becomes the
/// matched one + 1. A code equal to the last used counter's is reported as
/// [`VerifyError::Replayed`].
pub fn verify_hotp(
    secret: &Secret,
    digits: Digits,
    code: &Code,
    state: HotpState,
) -> Result<HotpVerified, VerifyError> {
    if code.digits() != digits {
        return Err(VerifyError::Rejected);
    }
    let next = state.next_counter;
    // The matched counter + 1 is stored, so the counter stays below u64::MAX.
    let last = next
        .saturating_add(HOTP_SIGN_IN_LOOKAHEAD - 1)
        .min(u64::MAX - 1);
    let first = next.saturating_sub(1);
    let generator = CodeGenerator::new(secret, digits);
    let found = scan(
        first,
        last,
        next,
        code.value(),
        |c| c < next,
        |c| generator.code(c),
    );
    match found.fresh {
        Some(counter) => Ok(HotpVerified {
            before: state,
            after: HotpState {
                next_counter: counter + 1,
            },
            counter,
        }),
        None if found.replayed => Err(VerifyError::Replayed),
        None => Err(VerifyError::Rejected),
    }
}

/// Security rule 23: whether `codes` (one code, or a consecutive pair) are exactly the codes of
/// the last step(s) the device accepted — `last_used_step` and, for a pair, the step before.
/// Only those steps are computed. A repeat is a double submit or a replay, not a guess: burned
/// codes say nothing about future ones.
pub fn repeats_last_totp(totp: &Totp, secret: &Secret, codes: &[&Code], state: TotpState) -> bool {
    let Some(last) = state.last_used_step else {
        return false;
    };
    let Some(first) = last.checked_sub(codes.len().saturating_sub(1) as u64) else {
        return false;
    };
    let generator = CodeGenerator::new(secret, totp.digits);
    !codes.is_empty()
        && codes.iter().zip(first..).all(|(code, step)| {
            code.digits() == totp.digits && bool::from(generator.code(step).ct_eq(&code.value()))
        })
}

/// [`repeats_last_totp`] for HOTP: the counters just below the next expected one.
pub fn repeats_last_hotp(
    secret: &Secret,
    digits: Digits,
    codes: &[&Code],
    state: HotpState,
) -> bool {
    let Some(first) = state.next_counter.checked_sub(codes.len() as u64) else {
        return false;
    };
    let generator = CodeGenerator::new(secret, digits);
    !codes.is_empty()
        && codes.iter().zip(first..).all(|(code, counter)| {
            code.digits() == digits && bool::from(generator.code(counter).ct_eq(&code.value()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::{format_code, hotp};

    #[test]
    fn a_repeat_is_the_last_accepted_steps_exactly() {
        let (secret, totp) = (secret(), Totp::default());
        let at = |s: u64| code(totp.code_for_step(&secret, s));
        let state = TotpState {
            drift_steps: 3,
            last_used_step: Some(100),
        };
        assert!(repeats_last_totp(&totp, &secret, &[&at(100)], state));
        assert!(repeats_last_totp(
            &totp,
            &secret,
            &[&at(99), &at(100)],
            state
        ));
        // Any other step, order or state is not a repeat.
        for codes in [
            vec![at(99)],
            vec![at(101)],
            vec![at(100), at(101)],
            vec![at(100), at(99)],
        ] {
            let codes: Vec<&Code> = codes.iter().collect();
            assert!(!repeats_last_totp(&totp, &secret, &codes, state));
        }
        assert!(!repeats_last_totp(
            &totp,
            &secret,
            &[&at(0)],
            TotpState::default()
        ));
        let first = TotpState {
            last_used_step: Some(0),
            ..state
        };
        assert!(repeats_last_totp(&totp, &secret, &[&at(0)], first));
        assert!(!repeats_last_totp(&totp, &secret, &[&at(0), &at(0)], first));
        assert!(!repeats_last_totp(&totp, &secret, &[], state));
        // HOTP: the counters below the next one.
        let h = |c: u64| code(hotp(&secret, c, Digits::SIX));
        let next = HotpState { next_counter: 7 };
        assert!(repeats_last_hotp(&secret, Digits::SIX, &[&h(6)], next));
        assert!(repeats_last_hotp(
            &secret,
            Digits::SIX,
            &[&h(5), &h(6)],
            next
        ));
        assert!(!repeats_last_hotp(&secret, Digits::SIX, &[&h(7)], next));
        assert!(!repeats_last_hotp(
            &secret,
            Digits::SIX,
            &[&h(6), &h(7)],
            next
        ));
        let fresh = HotpState { next_counter: 1 };
        assert!(!repeats_last_hotp(
            &secret,
            Digits::SIX,
            &[&h(0), &h(1)],
            fresh
        ));
    }

    fn secret() -> Secret {
        Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    fn code(value: u32) -> Code {
        Code::parse(&format_code(value, Digits::SIX), Digits::SIX).unwrap()
    }

    #[test]
    fn extreme_drifts_and_times_do_not_overflow() {
        let (secret, totp) = (secret(), Totp::default());
        let any = code(totp.code_for_step(&secret, 0));
        for drift in [i64::MIN, i64::MIN + 1, -1, i64::MAX] {
            for now in [0, 29, u64::MAX] {
                let state = TotpState {
                    drift_steps: drift,
                    last_used_step: None,
                };
                let _ = verify_totp(&totp, &secret, &any, now, state);
            }
        }
        // Near the epoch: step 0 with now = 0 works, and is then burned.
        let first = verify_totp(&totp, &secret, &any, 0, TotpState::default()).unwrap();
        assert_eq!(first.step, 0);
        assert_eq!(
            first.after,
            TotpState {
                drift_steps: 0,
                last_used_step: Some(0)
            }
        );
        assert_eq!(
            verify_totp(&totp, &secret, &any, 0, first.after),
            Err(VerifyError::Replayed)
        );
        // The last step there is.
        let last = totp.step_at(u64::MAX);
        let top = code(totp.code_for_step(&secret, last));
        let found = verify_totp(&totp, &secret, &top, u64::MAX, TotpState::default()).unwrap();
        assert_eq!(found.step, last);
    }

    #[test]
    fn hotp_look_ahead_and_replay() {
        let secret = secret();
        let state = HotpState { next_counter: 10 };
        let at = |c| code(hotp(&secret, c, Digits::SIX));
        let ok = verify_hotp(&secret, Digits::SIX, &at(12), state).unwrap();
        assert_eq!((ok.counter, ok.after.next_counter), (12, 13));
        assert_eq!(
            verify_hotp(&secret, Digits::SIX, &at(13), state),
            Err(VerifyError::Rejected)
        );
        assert_eq!(
            verify_hotp(&secret, Digits::SIX, &at(9), state),
            Err(VerifyError::Replayed)
        );
        let top = HotpState {
            next_counter: u64::MAX - 1,
        };
        let ok = verify_hotp(&secret, Digits::SIX, &at(u64::MAX - 1), top).unwrap();
        assert_eq!(ok.after.next_counter, u64::MAX);
        let end = HotpState {
            next_counter: u64::MAX,
        };
        assert!(verify_hotp(&secret, Digits::SIX, &at(u64::MAX - 1), end).is_err());
        // The counter u64::MAX is never accepted: its next counter would not exist.
        for next in [top, end] {
            assert_eq!(
                verify_hotp(&secret, Digits::SIX, &at(u64::MAX), next),
                Err(VerifyError::Rejected)
            );
        }
    }

    /// When two fresh steps of the window show the same code, the one closest to the centre
    /// wins (the drift moves least), and between two as close, the earlier one.
    #[test]
    fn a_tie_in_the_window_goes_to_the_step_closest_to_the_centre_then_the_earlier() {
        let twice = |hits: [u64; 2]| move |step: u64| if hits.contains(&step) { 7 } else { 0 };
        let best =
            |hits: [u64; 2], target: u64| scan(9, 13, target, 7, |_| false, twice(hits)).fresh;
        // A closer match found after a farther one replaces it …
        assert_eq!(best([9, 11], 11), Some(11));
        // … a farther match found after a closer one does not …
        assert_eq!(best([11, 12], 11), Some(11));
        // … and between two at the same distance the earlier stays.
        assert_eq!(best([10, 12], 11), Some(10));
        // A burned step never wins, however close.
        let found = scan(9, 13, 11, 7, |s| s == 11, twice([11, 13]));
        assert_eq!((found.fresh, found.replayed), (Some(13), true));
    }

    /// The sign-in window is now + drift ± 1 step. Where that window lies wholly before step 0
    /// or past the last step there is, nothing is accepted — clamping it onto step 0 or the
    /// last step would accept a code the device never showed there.
    #[test]
    fn a_window_wholly_outside_the_steps_accepts_nothing() {
        let secret = secret();
        let drift = |d: i64| TotpState {
            drift_steps: d,
            last_used_step: None,
        };
        // Near the epoch: centre −1 still reaches step 0, centre −2 does not.
        let totp = Totp::default();
        let zero = code(totp.code_for_step(&secret, 0));
        assert_eq!(
            verify_totp(&totp, &secret, &zero, 0, drift(-1)).map(|v| v.step),
            Ok(0)
        );
        assert_eq!(
            verify_totp(&totp, &secret, &zero, 0, drift(-2)),
            Err(VerifyError::Rejected)
        );
        assert_eq!(
            verify_totp(&totp, &secret, &zero, 0, drift(i64::MIN)),
            Err(VerifyError::Rejected)
        );
        // At the end of time, with one-second steps: centre past the last step by one still
        // reaches it, by two does not.
        let fast = Totp {
            period: 1,
            ..Totp::default()
        };
        let last = fast.step_at(u64::MAX);
        assert_eq!(last, u64::MAX);
        let top = code(fast.code_for_step(&secret, last));
        assert_eq!(
            verify_totp(&fast, &secret, &top, u64::MAX, drift(1)).map(|v| v.step),
            Ok(last)
        );
        assert_eq!(
            verify_totp(&fast, &secret, &top, u64::MAX, drift(2)),
            Err(VerifyError::Rejected)
        );
        assert_eq!(
            verify_totp(&fast, &secret, &top, u64::MAX, drift(i64::MAX)),
            Err(VerifyError::Rejected)
        );
    }

    /// Security rule 11: every step of the window is computed and compared (and checked for
    /// replay) whether the code matches at the first step, at the last step or nowhere: no
    /// early exit for a timing side channel to measure (totp-rs, CVE-2022-29185).
    #[test]
    fn the_whole_window_is_scanned_whatever_matches() {
        use std::cell::Cell;
        let (first, last) = (100u64, 110u64);
        for hit in [Some(first), Some(last), None] {
            let (computed, checked) = (Cell::new(0u64), Cell::new(0u64));
            let found = scan(
                first,
                last,
                105,
                123_456,
                |_| {
                    checked.set(checked.get() + 1);
                    false
                },
                |step| {
                    computed.set(computed.get() + 1);
                    if Some(step) == hit {
                        123_456
                    } else {
                        500_000 + step as u32
                    }
                },
            );
            assert_eq!(found.fresh, hit);
            assert_eq!(computed.get(), last - first + 1, "{hit:?}");
            assert_eq!(checked.get(), last - first + 1, "{hit:?}");
        }
    }
}
