//! Resynchronisation from two consecutive codes (RFC 4226 §7.4, RFC 6238 §6).
//!
//! The search matches the *pair*: it looks for a step i with code1 = OTP(i) **and**
//! code2 = OTP(i+1). Two independent searches (first match for code1, then for code2) refuse a
//! correct pair whenever an earlier step in the window happens to show code1 too — privacyIDEA
//! refuses 0.2–0.4 % of correct resyncs that way (security rule 2).
//!
//! The whole window is scanned with constant-time comparisons and no early exit (security
//! rule 11; totp-rs leaked timing by leaving at the first match, CVE-2022-29185). Steps at or
//! before the device's last used step are never matched (security rule 5).
//!
//! **Collision rule.** If more than one i matches, the one with the smallest |drift| wins, and
//! between a fast and a slow drift of the same size, the earlier step. With a ±24 h window the
//! chance of a second pair is about 5,761 · 10⁻¹², so this rule is almost never needed; it
//! exists so the answer is defined.

use crate::code::{Code, Digits};
use crate::device::{Drift, HotpState, TotpState};
use crate::otp::{CodeGenerator, Totp};
use crate::secret::Secret;

/// The default TOTP resync window: 2,880 steps each side of now, ±24 h at 30 s (phones set
/// to the wrong time zone are off by whole hours). RFC 6238 §6 leaves the size to the verifier.
pub const DEFAULT_TOTP_WINDOW: u64 = 2880;

/// The default HOTP resync look-ahead s: 1,000 counters past the stored one (RFC 4226 §7.4).
pub const DEFAULT_HOTP_LOOKAHEAD: u64 = 1000;

/// The largest window or look-ahead honoured, in steps (≈ 45 days at 30 s); larger values are
/// reduced to this. It bounds the work a single request can cause (RFC 4226 §7.4: "s SHOULD be
/// set as low as possible") and keeps every drift far inside `i64`.
pub const MAX_WINDOW: u64 = 1 << 17;

/// A successful TOTP resync (RFC 6238 §6): the state before, the state to store, and what
/// was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpResync {
    /// The device state the decision was made on; the backend's compare-and-set expects it.
    pub before: TotpState,
    /// The state to store: drift to the second code's step, that step burned.
    pub after: TotpState,
    /// The step i of the first code; the second code is step i + 1.
    pub first_step: u64,
    /// The device's drift: (i + 1) − now, positive when the device runs fast.
    pub drift: Drift,
}

/// A successful HOTP counter resync (RFC 4226 §7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HotpResync {
    /// The token state the decision was made on.
    pub before: HotpState,
    /// The state to store: the next counter is `first_counter + 2`.
    pub after: HotpState,
    /// The counter i of the first code; the second code is counter i + 1.
    pub first_counter: u64,
}

/// Why a resync failed. No new state comes with it (security rule 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResyncError {
    /// No consecutive pair in the window, or the pair is at or before the last used step.
    #[error(
        "The two codes are not two consecutive codes of this device, or they were too far from the current time, or they were already used."
    )]
    NoMatch,
}

/// Scans a table of consecutive codes, `codes[k]` = OTP(`first` + k), and returns the best
/// step i with OTP(i) == `code1`, OTP(i + 1) == `code2` and `fresh(i)`, by the collision rule:
/// smallest distance |(i + 1) − `target`|, then the earlier i.
///
/// Every entry is compared in constant time and nothing leaves the loop early. The table is a
/// parameter so the tie rule can be tested on constructed collisions.
///
/// Branch-free arithmetic instead of `subtle`'s `Choice` operations: each of those passes its
/// value through an optimisation barrier, about eight per step, which made this loop cost half
/// as much as computing the codes (117 of 343 µs for ±24 h, measured). Here each step makes one
/// key — `distance << 32 | k`, so the smallest key is the best pair by the collision rule, with
/// bit 62 set when the step does not match — and keeps the smaller of it and the best so far
/// through a mask, one barrier ([`opaque`]) per step so the compiler cannot turn the selection
/// into a branch. Even and odd steps keep separate minima, merged at the end: 19 → 14 µs of
/// the ±24 h scan. On a CPU with AVX-512 the same search runs sixteen steps at a time
/// (`crate::avx512::best_key`, ~5 µs): lane-wise minima, no branch to prevent.
pub(crate) fn best_pair(
    codes: &[u32],
    first: u64,
    target: u64,
    code1: u32,
    code2: u32,
    fresh: impl Fn(u64) -> bool,
) -> Option<u64> {
    debug_assert!(codes.len() <= 4 * MAX_WINDOW as usize);
    #[cfg(target_arch = "x86_64")]
    if let Some(found) = vector_scan(codes, first, target, code1, code2, &fresh) {
        return found;
    }
    scan_pairs(codes, first, target, code1, code2, fresh)
}

/// [`best_pair`] sixteen steps at a time (`crate::avx512::best_key`), or `None` when the CPU
/// has no AVX-512.
#[cfg(target_arch = "x86_64")]
fn vector_scan(
    codes: &[u32],
    first: u64,
    target: u64,
    code1: u32,
    code2: u32,
    fresh: impl Fn(u64) -> bool,
) -> Option<Option<u64>> {
    if !crate::avx512::available() {
        return None;
    }
    // SAFETY: the CPU reported AVX-512F, all `best_key` enables.
    let best = unsafe {
        crate::avx512::best_key(
            codes,
            first,
            target,
            (code1, code2),
            (MAX_DISTANCE, NO_MATCH),
            fresh,
        )
    };
    Some(step_of(best, first))
}

/// The step a scan's smallest key names, or `None` for [`NO_MATCH`].
fn step_of(best: u64, first: u64) -> Option<u64> {
    (best < NO_MATCH).then(|| first + (best & u64::from(u32::MAX)))
}

/// Keys of matches stay below 2^50: distance < 2^18 and k < 2^19 (MAX_WINDOW bounds both;
/// the cap on distance only keeps bit 62 clear whatever a caller passes).
const NO_MATCH: u64 = 1 << 62;
/// Distances past this count as this (far beyond any window).
const MAX_DISTANCE: u64 = (1 << 28) - 1;

/// [`best_pair`] without vector instructions: one key per step, the smaller kept through a
/// mask behind a barrier.
fn scan_pairs(
    codes: &[u32],
    first: u64,
    target: u64,
    code1: u32,
    code2: u32,
    fresh: impl Fn(u64) -> bool,
) -> Option<u64> {
    // The smaller of two keys, branch-free.
    let min = |best: u64, key: u64| {
        // Both below 2^63: the difference's top bit says key < best.
        let take = opaque(0u64.wrapping_sub(key.wrapping_sub(best) >> 63));
        best ^ ((best ^ key) & take)
    };
    let key = |k: usize| {
        let i = first + k as u64;
        let distance = (i + 1).abs_diff(target).min(MAX_DISTANCE);
        // 0 exactly when both codes match; below 2^32, so `d − 1` wraps only for 0.
        let d = u64::from((codes[k] ^ code1) | (codes[k + 1] ^ code2));
        let matched = (d.wrapping_sub(1) >> 63) & u64::from(fresh(i));
        (distance << 32) | k as u64 | ((matched ^ 1) << 62)
    };
    // Two running minima, even and odd steps, so each step waits on half as many before it.
    let steps = codes.len().saturating_sub(1);
    let (mut even, mut odd) = (NO_MATCH, NO_MATCH);
    for k in (0..steps).step_by(2) {
        even = min(even, key(k));
        // A bound on the loop, never on a code.
        if k + 1 < steps {
            odd = min(odd, key(k + 1));
        }
    }
    step_of(min(even, odd), first)
}

/// `x`, through an optimisation barrier: the compiler cannot know it is 0 or all ones, so it
/// cannot turn the mask arithmetic that uses it into a branch. On x86-64 an empty `asm!` that
/// keeps the value in its register: `black_box` stores and reloads it, a memory round trip in
/// the loop's chain (185 µs for the ±24 h resync with it, 181 µs with this, measured).
#[inline(always)]
fn opaque(x: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut x = x;
        // SAFETY: an empty template that reads and writes only the register holding `x`.
        unsafe { core::arch::asm!("/* {0} */", inout(reg) x, options(pure, nomem, nostack)) };
        x
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        core::hint::black_box(x)
    }
}

/// The codes of steps `first..=last` (none if `last` < `first`), the HMAC keyed once.
fn code_table(secret: &Secret, digits: Digits, first: u64, last: u64) -> Vec<u32> {
    // Both ends are within 2 · MAX_WINDOW + 2 of each other, so this fits in usize.
    let Some(span) = last.checked_sub(first) else {
        return Vec::new();
    };
    let mut codes = vec![0u32; (span + 1) as usize];
    CodeGenerator::new(secret, digits).fill(first, &mut codes);
    codes
}

/// TOTP resync (RFC 6238 §6): finds the step i with code1 = TOTP(i), code2 = TOTP(i + 1),
/// |(i + 1) − now_step| ≤ `window` and i after the device's last used step.
///
/// `now_unix` is the server's clock (security rule 20); `window` is in steps each side
/// ([`DEFAULT_TOTP_WINDOW`]; capped at [`MAX_WINDOW`]). Ties follow the module's collision
/// rule. On success `after` holds drift (i + 1) − now_step and last used step i + 1.
///
/// ```
/// use shared::{code::{Code, Digits}, device::TotpState, otp::{Totp, format_code}, secret::Secret};
/// use shared::resync::{resync_totp, DEFAULT_TOTP_WINDOW};
///
/// let secret = Secret::from_bytes(b"12345678901234567890".to_vec())?;
/// let totp = Totp::default();
/// let now = 1_700_000_000;
/// // A device 90 minutes slow shows the codes of steps now − 180 and now − 179.
/// let step = totp.step_at(now) - 180;
/// let code = |s| Code::parse(&format_code(totp.code_for_step(&secret, s), Digits::SIX), Digits::SIX);
/// let found = resync_totp(&totp, &secret, &code(step)?, &code(step + 1)?, now, DEFAULT_TOTP_WINDOW,
///     TotpState::default())?;
/// assert_eq!(found.drift.steps, -179);
/// assert_eq!(found.after.last_used_step, Some(step + 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resync_totp(
    totp: &Totp,
    secret: &Secret,
    code1: &Code,
    code2: &Code,
    now_unix: u64,
    window: u64,
    state: TotpState,
) -> Result<TotpResync, ResyncError> {
    if code1.digits() != totp.digits || code2.digits() != totp.digits {
        return Err(ResyncError::NoMatch);
    }
    let now = totp.step_at(now_unix);
    let window = window.min(MAX_WINDOW);
    // The second code's step j = i + 1 lies in [now − W, now + W] and is at least 1.
    let j_low = now.saturating_sub(window).max(1);
    let j_high = now.saturating_add(window);
    if j_high < j_low {
        return Err(ResyncError::NoMatch);
    }
    let codes = code_table(secret, totp.digits, j_low - 1, j_high);
    let first_step = best_pair(&codes, j_low - 1, now, code1.value(), code2.value(), |i| {
        !state.is_burned(i)
    })
    .ok_or(ResyncError::NoMatch)?;
    let second = first_step + 1;
    let drift = Drift {
        steps: signed_difference(second, now),
    };
    Ok(TotpResync {
        before: state,
        after: TotpState {
            drift_steps: drift.steps,
            last_used_step: Some(second),
        },
        first_step,
        drift,
    })
}

/// HOTP counter resync (RFC 4226 §7.4): finds the counter i in
/// [next_counter, next_counter + `lookahead`) with code1 = HOTP(i) and code2 = HOTP(i + 1);
/// the earliest wins. `lookahead` is s ([`DEFAULT_HOTP_LOOKAHEAD`]; capped at [`MAX_WINDOW`]).
/// On success the next counter becomes i + 2.
pub fn resync_hotp(
    secret: &Secret,
    digits: Digits,
    code1: &Code,
    code2: &Code,
    lookahead: u64,
    state: HotpState,
) -> Result<HotpResync, ResyncError> {
    if code1.digits() != digits || code2.digits() != digits || lookahead == 0 {
        return Err(ResyncError::NoMatch);
    }
    let first = state.next_counter;
    // i + 2 becomes the next counter, so i stays at or below u64::MAX − 2.
    let last = first
        .saturating_add(lookahead.min(MAX_WINDOW) - 1)
        .min(u64::MAX - 2);
    let codes = code_table(secret, digits, first, last + 1);
    let first_counter = best_pair(
        &codes,
        first,
        first.saturating_add(1),
        code1.value(),
        code2.value(),
        |_| true,
    )
    .ok_or(ResyncError::NoMatch)?;
    Ok(HotpResync {
        before: state,
        after: HotpState {
            next_counter: first_counter + 2,
        },
        first_counter,
    })
}

/// a − b as `i64`, for values whose difference is known to be within [`MAX_WINDOW`] plus a
/// few steps; saturates rather than wraps if that ever stops being true.
pub(crate) fn signed_difference(a: u64, b: u64) -> i64 {
    if a >= b {
        i64::try_from(a - b).unwrap_or(i64::MAX)
    } else {
        i64::try_from(b - a).map_or(i64::MIN, |d| -d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`best_pair`] by every scan this CPU runs — the portable one, and the AVX-512 one
    /// where the CPU has it — which must agree.
    fn scan(
        table: &[u32],
        first: u64,
        target: u64,
        c1: u32,
        c2: u32,
        fresh: impl Fn(u64) -> bool,
    ) -> Option<u64> {
        let portable = scan_pairs(table, first, target, c1, c2, &fresh);
        #[cfg(target_arch = "x86_64")]
        if let Some(vector) = vector_scan(table, first, target, c1, c2, &fresh) {
            assert_eq!(vector, portable, "{table:?} first {first} target {target}");
        }
        assert_eq!(best_pair(table, first, target, c1, c2, &fresh), portable);
        portable
    }

    #[test]
    fn tie_rule_smallest_drift_wins() {
        // now = 10; the pair (7, 8) appears at i = 3 (drift −6), i = 12 (drift +3) and
        // i = 15 (drift +6). Smallest |drift| wins: i = 12.
        let mut table = vec![0u32; 24];
        for i in [3usize, 12, 15] {
            table[i] = 7;
            table[i + 1] = 8;
        }
        assert_eq!(scan(&table, 0, 10, 7, 8, |_| true), Some(12));
    }

    #[test]
    fn tie_rule_equal_drift_takes_the_earlier_step() {
        // now = 10; the pair appears at i = 6 (j = 7, drift −3) and i = 12 (j = 13, drift +3).
        let mut table = vec![0u32; 24];
        for i in [6usize, 12] {
            table[i] = 7;
            table[i + 1] = 8;
        }
        assert_eq!(scan(&table, 0, 10, 7, 8, |_| true), Some(6));
        // Burning step 6 leaves the later one.
        assert_eq!(scan(&table, 0, 10, 7, 8, |i| i > 6), Some(12));
    }

    /// Distances past the cap (2^28 − 1 steps, far beyond any window) all count as the same,
    /// so the earlier step wins there: the cap keeps a caller's far target from ever reaching
    /// the key's no-match bit.
    #[test]
    fn distances_past_the_cap_tie() {
        const CAP: u64 = (1 << 28) - 1;
        // Matches at i = 0 (distance CAP + 1) and i = 1 (distance CAP): both capped, i = 0 wins.
        let both = [5u32, 5, 5];
        assert_eq!(scan(&both, 0, CAP + 2, 5, 5, |_| true), Some(0));
        // Below the cap the closer one still wins.
        assert_eq!(scan(&both, 0, CAP + 1, 5, 5, |_| true), Some(1));
        // Whatever the target, a match is found and no non-match is taken.
        assert_eq!(scan(&both, 0, u64::MAX, 5, 5, |_| true), Some(0));
        assert_eq!(scan(&both, 0, u64::MAX, 5, 6, |_| true), None);
    }

    /// A pair matches only when both codes do: two mismatches that differ from their codes by
    /// the same bits do not cancel out.
    #[test]
    fn mismatches_never_cancel() {
        // 3 ^ 1 == 0 ^ 2 == 2.
        assert_eq!(scan(&[3, 0], 0, 1, 1, 2, |_| true), None);
        assert_eq!(scan(&[1, 2], 0, 1, 1, 2, |_| true), Some(0));
    }

    /// A code of another length is refused even when its value is the device's code: an
    /// 8-digit "00" + code is not the 6-digit code (either code of the pair, TOTP and HOTP).
    #[test]
    fn a_code_of_another_length_is_no_match() {
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let totp = Totp::default();
        let now = 1_700_000_000;
        let step = totp.step_at(now);
        let six =
            |v: u32| Code::parse(&crate::otp::format_code(v, Digits::SIX), Digits::SIX).unwrap();
        let eight = |v: u32| {
            Code::parse(
                &format!("00{}", crate::otp::format_code(v, Digits::SIX)),
                Digits::EIGHT,
            )
            .unwrap()
        };
        let (c1, c2) = (
            totp.code_for_step(&secret, step),
            totp.code_for_step(&secret, step + 1),
        );
        let resync =
            |a: &Code, b: &Code| resync_totp(&totp, &secret, a, b, now, 10, TotpState::default());
        assert!(resync(&six(c1), &six(c2)).is_ok());
        assert_eq!(resync(&eight(c1), &six(c2)), Err(ResyncError::NoMatch));
        assert_eq!(resync(&six(c1), &eight(c2)), Err(ResyncError::NoMatch));
        let (h1, h2) = (
            crate::otp::hotp(&secret, 4, Digits::SIX),
            crate::otp::hotp(&secret, 5, Digits::SIX),
        );
        let state = HotpState { next_counter: 4 };
        let resync = |a: &Code, b: &Code| resync_hotp(&secret, Digits::SIX, a, b, 10, state);
        assert!(resync(&six(h1), &six(h2)).is_ok());
        assert_eq!(resync(&eight(h1), &six(h2)), Err(ResyncError::NoMatch));
        assert_eq!(resync(&six(h1), &eight(h2)), Err(ResyncError::NoMatch));
    }

    #[test]
    fn pair_not_two_independent_searches() {
        // code1 appears first at step 2 without code2 after it; the real pair is (9, 10).
        // A first-match search for code1 would stop at step 2 and fail.
        let mut table = vec![0u32; 16];
        table[2] = 7;
        table[9] = 7;
        table[10] = 8;
        table[4] = 8;
        assert_eq!(scan(&table, 0, 10, 7, 8, |_| true), Some(9));
        // Swapped order is not a pair.
        assert_eq!(scan(&table, 0, 10, 8, 7, |_| true), None);
    }

    #[test]
    fn empty_and_limit_ranges() {
        assert_eq!(scan(&[], 5, 0, 1, 1, |_| true), None);
        assert_eq!(scan(&[1], 5, 0, 1, 1, |_| true), None);
        assert_eq!(
            scan(&[1, 1, 1, 1], u64::MAX - 3, u64::MAX, 1, 1, |_| true),
            Some(u64::MAX - 1)
        );
    }

    #[test]
    fn resync_near_the_epoch_and_the_limits() {
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let totp = Totp::default();
        let code = |s| {
            let text = crate::otp::format_code(totp.code_for_step(&secret, s), Digits::SIX);
            Code::parse(&text, Digits::SIX).unwrap()
        };
        let fresh = TotpState::default();
        // now_step = 3 < window: steps 0 and 1 are the earliest pair.
        let found = resync_totp(&totp, &secret, &code(0), &code(1), 95, 2880, fresh).unwrap();
        assert_eq!((found.first_step, found.drift.steps), (0, -2));
        // The last representable step as now.
        let now = u64::MAX;
        let last = totp.step_at(now);
        let found = resync_totp(
            &totp,
            &secret,
            &code(last - 1),
            &code(last),
            now,
            2880,
            fresh,
        )
        .unwrap();
        assert_eq!(found.drift.steps, 0);
        // A huge window is capped, not overflowed.
        let found = resync_totp(&totp, &secret, &code(0), &code(1), 95, u64::MAX, fresh).unwrap();
        assert_eq!(found.first_step, 0);
        // Window 0: only j = now.
        assert!(resync_totp(&totp, &secret, &code(2), &code(3), 95, 0, fresh).is_ok());
        assert!(resync_totp(&totp, &secret, &code(1), &code(2), 95, 0, fresh).is_err());
        // HOTP at the top of the counter range.
        let hotp_code = |c| {
            let text =
                crate::otp::format_code(crate::otp::hotp(&secret, c, Digits::SIX), Digits::SIX);
            Code::parse(&text, Digits::SIX).unwrap()
        };
        let state = HotpState {
            next_counter: u64::MAX - 2,
        };
        let c = u64::MAX - 2;
        let found = resync_hotp(
            &secret,
            Digits::SIX,
            &hotp_code(c),
            &hotp_code(c + 1),
            1000,
            state,
        )
        .unwrap();
        assert_eq!(found.after.next_counter, u64::MAX);
        let state = HotpState {
            next_counter: u64::MAX,
        };
        assert!(
            resync_hotp(
                &secret,
                Digits::SIX,
                &hotp_code(c),
                &hotp_code(c + 1),
                1000,
                state
            )
            .is_err()
        );
    }

    #[test]
    fn signed_difference_saturates() {
        assert_eq!(signed_difference(5, 3), 2);
        assert_eq!(signed_difference(3, 5), -2);
        assert_eq!(signed_difference(u64::MAX, 0), i64::MAX);
        assert_eq!(signed_difference(0, u64::MAX), i64::MIN);
    }

    /// The branch-free scan agrees with the collision rule written plainly, on small tables
    /// full of collisions (codes 0–3), any target and any set of fresh steps.
    #[test]
    fn the_scan_agrees_with_the_rule_written_plainly() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % n
        };
        for _ in 0..20_000 {
            // Up to three blocks of the AVX-512 scan, and tails of every length.
            let len = next(50) as usize;
            let table: Vec<u32> = (0..len).map(|_| next(4) as u32).collect();
            let first = match next(8) {
                0 => u64::MAX - len as u64,
                _ => next(1_000),
            };
            let target = first.saturating_add(next(60));
            let (c1, c2) = (next(4) as u32, next(4) as u32);
            let stale = next(1 << 12);
            let fresh = |i: u64| stale >> ((i - first) % 12) & 1 == 0;
            let plain = (0..len.saturating_sub(1))
                .filter(|&k| table[k] == c1 && table[k + 1] == c2)
                .map(|k| first + k as u64)
                .filter(|&i| fresh(i))
                .min_by_key(|&i| ((i + 1).abs_diff(target), i));
            assert_eq!(
                scan(&table, first, target, c1, c2, fresh),
                plain,
                "{table:?} first {first} target {target} codes {c1} {c2} stale {stale:b}"
            );
        }
    }

    /// Security rule 11: every pair of the window is compared (and checked for freshness)
    /// whether the pair is at the first step, at the last step or nowhere: no early exit.
    #[test]
    fn the_whole_window_is_scanned_whatever_matches() {
        use std::cell::Cell;
        let first = 100u64;
        // Three blocks of the AVX-512 scan: 16, 16 and 7 steps.
        let len = 40usize;
        // `scan` runs the portable scan, `best_pair` and, where the CPU has it, the AVX-512 one.
        #[cfg(target_arch = "x86_64")]
        let runs = 2 + usize::from(crate::avx512::available());
        #[cfg(not(target_arch = "x86_64"))]
        let runs = 2;
        for hit in [Some(0usize), Some(17), Some(len - 2), None] {
            let mut table: Vec<u32> = (0..len as u32).map(|k| 1_000 + k).collect();
            if let Some(k) = hit {
                table[k] = 7;
                table[k + 1] = 8;
            }
            let checked = Cell::new(0usize);
            let found = scan(&table, first, first + 5, 7, 8, |_| {
                checked.set(checked.get() + 1);
                true
            });
            assert_eq!(found, hit.map(|k| first + k as u64));
            assert_eq!(checked.get(), (len - 1) * runs, "{hit:?}");
        }
    }
}
