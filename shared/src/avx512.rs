//! HOTP codes sixteen at a time on AVX-512, one code in each 32-bit lane of a 512-bit
//! register (RFC 2104 §2, RFC 4226 §5.3, FIPS 180-4 §6.1.2).
//!
//! Why this exists next to [`crate::sha_ni`]: the SHA extensions run one SHA1RNDS4 (four
//! rounds of one message) every other cycle at best, about 40 cycles a compression on this
//! project's machines (AMD EPYC, Zen 4), and the scan was there. SHA-1's rounds are only adds,
//! rotates and a three-input boolean function — one `vpternlogd` — so sixteen messages in the
//! sixteen lanes of the general vector unit, which issues more than one such instruction a
//! cycle, cost fewer cycles each. An HOTP message is also mostly constant (the inner block
//! is the counter then padding; the outer block is the inner digest then padding): written as
//! straight-line code over broadcast constants, the compiler folds the rounds' constant
//! message words into their round constants and the schedule's constant terms away. No crate
//! does multi-message SHA-1 (the `sha1` crate compresses one message at a time), so this is
//! written here. It is only used after the CPU was found to have AVX-512F, and it is checked
//! against `hmac` + `sha1` and the RFC vectors in the tests.
//!
//! [`best_key`] is the resync's pair search over that table on the same registers: sixteen
//! steps compared at once and their keys kept by lane-wise minimum, which has no branch for
//! the compiler to invent, so it needs no per-step optimisation barrier (the portable scan in
//! `resync.rs` does). It is checked against the portable scan and the rule written plainly.

use core::arch::x86_64::{
    __m256i, __m512i, _mm512_add_epi32, _mm512_add_epi64, _mm512_and_si512, _mm512_castsi256_si512,
    _mm512_castsi512_si256, _mm512_cmpeq_epi32_mask, _mm512_cvtepu32_pd, _mm512_cvttpd_epu32,
    _mm512_div_pd, _mm512_extracti64x4_epi64, _mm512_inserti64x4, _mm512_loadu_si512,
    _mm512_mask_blend_epi32, _mm512_mask_blend_epi64, _mm512_maskz_loadu_epi32, _mm512_max_epu64,
    _mm512_min_epu64, _mm512_mullo_epi32, _mm512_or_si512, _mm512_reduce_min_epu64,
    _mm512_rol_epi32, _mm512_set_epi64, _mm512_set1_epi32, _mm512_set1_epi64, _mm512_set1_pd,
    _mm512_slli_epi32, _mm512_slli_epi64, _mm512_sllv_epi32, _mm512_srli_epi32, _mm512_srlv_epi32,
    _mm512_storeu_si512, _mm512_sub_epi32, _mm512_sub_epi64, _mm512_ternarylogic_epi32,
    _mm512_xor_si512,
};

/// Whether this CPU can run [`fill`].
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

/// Codes computed side by side: the 32-bit lanes of a 512-bit register.
const LANES: usize = 16;

/// `vpternlogd` truth tables for (b, c, d) in the order the instruction takes them.
/// Ch(b, c, d) = (b ∧ c) ⊕ (¬b ∧ d) (FIPS 180-4 §4.1.1, rounds 0–19).
const CH: i32 = 0xCA;
/// Parity(b, c, d) = b ⊕ c ⊕ d (rounds 20–39 and 60–79; also the schedule's three-way xor).
const PARITY: i32 = 0x96;
/// Maj(b, c, d) = (b ∧ c) ⊕ (b ∧ d) ⊕ (c ∧ d) (rounds 40–59).
const MAJ: i32 = 0xE8;
/// The round constants K (FIPS 180-4 §4.2.1), one per twenty rounds.
const K: [u32; 4] = [0x5A82_7999, 0x6ED9_EBA1, 0x8F1B_BCDC, 0xCA62_C1D6];

/// One SHA-1 compression (FIPS 180-4 §6.1.2) of sixteen messages, one per lane: `$w` is the
/// sixteen message words (a `[__m512i; 16]`, W0 first), `$h` the chaining value (five words,
/// A first). Evaluates to the new chaining value. The 80 rounds are written out so that each
/// message word stays in a register and constant words fold away.
macro_rules! sha1_x16 {
    ($h:expr, $w:expr) => {{
        let h: [__m512i; 5] = $h;
        let mut w: [__m512i; 16] = $w;
        let [mut a, mut b, mut c, mut d, mut e] = h;
        // Round t: T = ROTL5(a) + f(b, c, d) + e + K + W(t); then e = T and b = ROTL30(b);
        // the caller renames the variables instead of moving them (a ← T, b ← a, …).
        // W(t) for t ≥ 16 is ROTL1(W(t−3) ⊕ W(t−8) ⊕ W(t−14) ⊕ W(t−16)), kept in w[t % 16].
        macro_rules! round {
            ($t:expr, $f:expr, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {
                if $t >= 16 {
                    w[$t % 16] = _mm512_rol_epi32::<1>(_mm512_xor_si512(
                        _mm512_ternarylogic_epi32::<PARITY>(
                            w[($t + 13) % 16],
                            w[($t + 8) % 16],
                            w[($t + 2) % 16],
                        ),
                        w[$t % 16],
                    ));
                }
                $e = _mm512_add_epi32(
                    _mm512_add_epi32(
                        _mm512_add_epi32($e, _mm512_set1_epi32(K[$t / 20] as i32)),
                        w[$t % 16],
                    ),
                    _mm512_add_epi32(
                        _mm512_rol_epi32::<5>($a),
                        _mm512_ternarylogic_epi32::<$f>($b, $c, $d),
                    ),
                );
                $b = _mm512_rol_epi32::<30>($b);
            };
        }
        // Five rounds bring the names back to where they started.
        macro_rules! five {
            ($t:expr, $f:expr) => {
                round!($t, $f, a, b, c, d, e);
                round!($t + 1, $f, e, a, b, c, d);
                round!($t + 2, $f, d, e, a, b, c);
                round!($t + 3, $f, c, d, e, a, b);
                round!($t + 4, $f, b, c, d, e, a);
            };
        }
        five!(0, CH);
        five!(5, CH);
        five!(10, CH);
        five!(15, CH);
        five!(20, PARITY);
        five!(25, PARITY);
        five!(30, PARITY);
        five!(35, PARITY);
        five!(40, MAJ);
        five!(45, MAJ);
        five!(50, MAJ);
        five!(55, MAJ);
        five!(60, PARITY);
        five!(65, PARITY);
        five!(70, PARITY);
        five!(75, PARITY);
        [
            _mm512_add_epi32(h[0], a),
            _mm512_add_epi32(h[1], b),
            _mm512_add_epi32(h[2], c),
            _mm512_add_epi32(h[3], d),
            _mm512_add_epi32(h[4], e),
        ]
    }};
}

/// The codes of sixteen counters: HMAC-SHA-1 from the pad states, dynamic truncation
/// (RFC 4226 §5.3 step 2) and `mod modulus` (step 3), lane `i` for `counters[i]`.
#[target_feature(enable = "avx512f")]
fn codes(
    inner: &[u32; 5],
    outer: &[u32; 5],
    counters: &[u64; LANES],
    modulus: u32,
) -> [u32; LANES] {
    let splat = |x: u32| _mm512_set1_epi32(x as i32);
    let zero = splat(0);
    let high: [u32; LANES] = core::array::from_fn(|i| (counters[i] >> 32) as u32);
    let low: [u32; LANES] = core::array::from_fn(|i| counters[i] as u32);
    // SAFETY: each pointer is to sixteen u32s, 64 bytes; unaligned loads.
    let (high, low) = unsafe {
        (
            _mm512_loadu_si512(high.as_ptr().cast()),
            _mm512_loadu_si512(low.as_ptr().cast()),
        )
    };
    // Inner block: the counter (W0, W1), the 0x80 padding byte (W2), 576 bits (W15).
    let mut w = [zero; 16];
    w[0] = high;
    w[1] = low;
    w[2] = splat(0x8000_0000);
    w[15] = splat(576);
    let h = sha1_x16!(inner.map(splat), w);
    // Outer block: the inner digest (W0–W4), padding (W5), 672 bits (W15).
    let mut w = [zero; 16];
    w[..5].copy_from_slice(&h);
    w[5] = splat(0x8000_0000);
    w[15] = splat(672);
    let mac = sha1_x16!(outer.map(splat), w);
    // Dynamic truncation: offset = the low four bits of byte 19 (of word 4); the four bytes
    // from there are word offset / 4 shifted left by 8 · (offset % 4), filled from the next
    // word (a shift by 32 gives 0 in AVX-512, so an aligned offset takes nothing from it).
    let offset = _mm512_and_si512(mac[4], splat(0x0f));
    let word = _mm512_srli_epi32::<2>(offset);
    let shift = _mm512_slli_epi32::<3>(_mm512_and_si512(offset, splat(3)));
    let (mut first, mut second) = (mac[0], mac[1]);
    for j in 1..4 {
        let here = _mm512_cmpeq_epi32_mask(word, splat(j as u32));
        first = _mm512_mask_blend_epi32(here, first, mac[j]);
        second = _mm512_mask_blend_epi32(here, second, mac[j + 1]);
    }
    let snum = _mm512_and_si512(
        _mm512_or_si512(
            _mm512_sllv_epi32(first, shift),
            _mm512_srlv_epi32(second, _mm512_sub_epi32(splat(32), shift)),
        ),
        splat(0x7fff_ffff),
    );
    // Snum mod 10^Digit through doubles: Snum < 2^31 and the quotient < 2^12 are exact, and a
    // quotient that is not whole is at least 1/modulus ≥ 10^-8 from the next whole number,
    // far more than its rounding error (2^-41), so truncating it gives ⌊Snum / modulus⌋.
    let divisor = _mm512_set1_pd(f64::from(modulus));
    let quotient =
        |half: __m256i| _mm512_cvttpd_epu32(_mm512_div_pd(_mm512_cvtepu32_pd(half), divisor));
    let q = _mm512_inserti64x4::<1>(
        _mm512_castsi256_si512(quotient(_mm512_castsi512_si256(snum))),
        quotient(_mm512_extracti64x4_epi64::<1>(snum)),
    );
    let code = _mm512_sub_epi32(snum, _mm512_mullo_epi32(q, splat(modulus)));
    let mut out = [0u32; LANES];
    // SAFETY: `out` is sixteen u32s, 64 bytes; unaligned store.
    unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), code) };
    out
}

/// Writes the codes (`Snum mod modulus`) of counters `first`, `first + 1`, … into `out`.
/// Only call when [`available`] returned true.
#[target_feature(enable = "avx512f")]
pub(crate) fn fill(inner: &[u32; 5], outer: &[u32; 5], first: u64, out: &mut [u32], modulus: u32) {
    let mut counter = first;
    for chunk in out.chunks_mut(LANES) {
        let codes = codes(
            inner,
            outer,
            &core::array::from_fn(|i| counter.wrapping_add(i as u64)),
            modulus,
        );
        chunk.copy_from_slice(&codes[..chunk.len()]);
        counter = counter.wrapping_add(LANES as u64);
    }
}

/// [`crate::resync::best_pair`]'s scan, sixteen steps at a time: the smallest key
/// `distance << 32 | k` over the steps k (0 ≤ k < `codes.len()` − 1) with
/// `codes[k] == code1`, `codes[k + 1] == code2` and `fresh(first + k)`, where distance is
/// |(first + k + 1) − `target`| capped at `max_distance`; `no_match` if there is none.
///
/// Every step is compared and asked `fresh`, whatever matches: the loop's bounds depend on
/// the table's length only, and a step's outcome only selects lanes (security rule 11).
#[target_feature(enable = "avx512f")]
pub(crate) fn best_key(
    codes: &[u32],
    first: u64,
    target: u64,
    (code1, code2): (u32, u32),
    (max_distance, no_match): (u64, u64),
    fresh: impl Fn(u64) -> bool,
) -> u64 {
    let steps = codes.len().saturating_sub(1);
    let (code1, code2) = (
        _mm512_set1_epi32(code1 as i32),
        _mm512_set1_epi32(code2 as i32),
    );
    let splat = |x: u64| _mm512_set1_epi64(x as i64);
    let (target, cap, none) = (splat(target), splat(max_distance), splat(no_match));
    let lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    let mut best = [none; 2];
    for k in (0..steps).step_by(LANES) {
        let n = (steps - k).min(LANES);
        let valid = (u32::MAX >> (32 - n)) as u16;
        // SAFETY: lanes below `n` read codes[k..k + n] and codes[k + 1..k + 1 + n], within
        // the table since k + n ≤ steps = codes.len() − 1; masked-off lanes read nothing.
        let (this, next) = unsafe {
            (
                _mm512_maskz_loadu_epi32(valid, codes.as_ptr().add(k).cast()),
                _mm512_maskz_loadu_epi32(valid, codes.as_ptr().add(k + 1).cast()),
            )
        };
        let same = _mm512_cmpeq_epi32_mask(this, code1) & _mm512_cmpeq_epi32_mask(next, code2);
        let mut fresh_lanes = 0u16;
        for j in 0..n {
            fresh_lanes |= u16::from(fresh(first + (k + j) as u64)) << j;
        }
        let matched = same & fresh_lanes & valid;
        for (half, best) in best.iter_mut().enumerate() {
            let base = (k + 8 * half) as u64;
            // i + 1 = first + base + lane + 1, the second code's step; wrapping only in
            // lanes past the table, which `matched` leaves out.
            let second = _mm512_add_epi64(splat(first.wrapping_add(base).wrapping_add(1)), lane);
            let distance = _mm512_min_epu64(
                _mm512_sub_epi64(
                    _mm512_max_epu64(second, target),
                    _mm512_min_epu64(second, target),
                ),
                cap,
            );
            let key = _mm512_or_si512(
                _mm512_slli_epi64::<32>(distance),
                _mm512_add_epi64(splat(base), lane),
            );
            let mask = (matched >> (8 * half)) as u8;
            *best = _mm512_min_epu64(*best, _mm512_mask_blend_epi64(mask, none, key));
        }
    }
    _mm512_reduce_min_epu64(_mm512_min_epu64(best[0], best[1]))
}
