//! HOTP codes two at a time on x86-64 SHA extensions (SHA-NI), straight from the HMAC's
//! precomputed pad states (RFC 2104 §2, RFC 4226 §5.3, FIPS 180-4 §6.1.2).
//!
//! Why this exists next to `sha1::block_api::compress`: that function takes its state and
//! block from memory, checks the CPU on every call and writes the state back; an HOTP code
//! needs two compressions whose blocks are mostly constant. Here the inner digest goes from
//! the registers straight into the outer block (the SHA-NI state layout *is* the message word
//! layout), and two independent counters run side by side so the SHA units never wait on one
//! chain. It is only used after the CPU was found to have the features, and it is checked
//! against `hmac` + `sha1` and the RFC vectors in the tests.

use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_blend_epi16, _mm_extract_epi32, _mm_set_epi32, _mm_setzero_si128,
    _mm_sha1msg1_epu32, _mm_sha1msg2_epu32, _mm_sha1nexte_epu32, _mm_sha1rnds4_epu32,
    _mm_xor_si128,
};

/// Whether this CPU can run [`fill`].
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("sse2")
        && std::arch::is_x86_feature_detected!("ssse3")
        && std::arch::is_x86_feature_detected!("sse4.1")
}

/// One SHA-1 compression (FIPS 180-4 §6.1.2) of the message words `w0..w3` (each
/// `[W4k, W4k+1, W4k+2, W4k+3]` from the high lane down) on the state `abcd` (A in the high
/// lane) and `e` (E in the high lane, zeros below). Evaluates to the new `(abcd, e)`.
macro_rules! sha1_block {
    ($abcd:expr, $e:expr, $w0:expr, $w1:expr, $w2:expr, $w3:expr) => {{
        let (abcd, e): (__m128i, __m128i) = ($abcd, $e);
        let (mut w0, mut w1, mut w2, mut w3): (__m128i, __m128i, __m128i, __m128i) =
            ($w0, $w1, $w2, $w3);
        let mut w4: __m128i;
        macro_rules! schedule {
            ($v0:expr, $v1:expr, $v2:expr, $v3:expr) => {
                _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32($v0, $v1), $v2), $v3)
            };
        }
        let mut h0 = abcd;
        let mut h1 = _mm_add_epi32(e, w0);
        // Rounds 0–19.
        h1 = _mm_sha1rnds4_epu32(h0, h1, 0);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w1), 0);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w2), 0);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w3), 0);
        w4 = schedule!(w0, w1, w2, w3);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w4), 0);
        // Rounds 20–39.
        w0 = schedule!(w1, w2, w3, w4);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w0), 1);
        w1 = schedule!(w2, w3, w4, w0);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w1), 1);
        w2 = schedule!(w3, w4, w0, w1);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w2), 1);
        w3 = schedule!(w4, w0, w1, w2);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w3), 1);
        w4 = schedule!(w0, w1, w2, w3);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w4), 1);
        // Rounds 40–59.
        w0 = schedule!(w1, w2, w3, w4);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w0), 2);
        w1 = schedule!(w2, w3, w4, w0);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w1), 2);
        w2 = schedule!(w3, w4, w0, w1);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w2), 2);
        w3 = schedule!(w4, w0, w1, w2);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w3), 2);
        w4 = schedule!(w0, w1, w2, w3);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w4), 2);
        // Rounds 60–79.
        w0 = schedule!(w1, w2, w3, w4);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w0), 3);
        w1 = schedule!(w2, w3, w4, w0);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w1), 3);
        w2 = schedule!(w3, w4, w0, w1);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w2), 3);
        w3 = schedule!(w4, w0, w1, w2);
        h1 = _mm_sha1rnds4_epu32(h0, _mm_sha1nexte_epu32(h1, w3), 3);
        w4 = schedule!(w0, w1, w2, w3);
        h0 = _mm_sha1rnds4_epu32(h1, _mm_sha1nexte_epu32(h0, w4), 3);
        let _ = (w0, w1, w2, w3, w4);
        (_mm_add_epi32(abcd, h0), _mm_sha1nexte_epu32(h1, e))
    }};
}

/// A chaining value in SHA-NI layout: (A..D with A in the high lane, E in the high lane).
#[target_feature(enable = "sse2")]
fn state(h: &[u32; 5]) -> (__m128i, __m128i) {
    let w = h.map(|x| x as i32);
    (
        _mm_set_epi32(w[0], w[1], w[2], w[3]),
        _mm_set_epi32(w[4], 0, 0, 0),
    )
}

/// The HMAC-SHA-1 of one counter from the pad states, as the five digest words.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn digest_pair(inner: &[u32; 5], outer: &[u32; 5], a: u64, b: u64) -> ([u32; 5], [u32; 5]) {
    let (ia, ie) = state(inner);
    let (oa, oe) = state(outer);
    let zero = _mm_setzero_si128();
    // Inner block: counter (W0, W1), the 0x80 padding byte (W2), length 576 bits (W15).
    let inner_w0 = |c: u64| _mm_set_epi32((c >> 32) as i32, c as i32, 0x8000_0000u32 as i32, 0);
    let inner_w3 = _mm_set_epi32(0, 0, 0, 576);
    let (abcd_a, e_a) = sha1_block!(ia, ie, inner_w0(a), zero, zero, inner_w3);
    let (abcd_b, e_b) = sha1_block!(ia, ie, inner_w0(b), zero, zero, inner_w3);
    // Outer block: the inner digest A..E (W0..W4), padding (W5), length 672 bits (W15).
    let pad_w1 = _mm_set_epi32(0, 0x8000_0000u32 as i32, 0, 0);
    let outer_w3 = _mm_set_epi32(0, 0, 0, 672);
    let (mac_a, mac_e_a) = sha1_block!(
        oa,
        oe,
        abcd_a,
        _mm_blend_epi16(pad_w1, e_a, 0xC0),
        zero,
        outer_w3
    );
    let (mac_b, mac_e_b) = sha1_block!(
        oa,
        oe,
        abcd_b,
        _mm_blend_epi16(pad_w1, e_b, 0xC0),
        zero,
        outer_w3
    );
    (words(mac_a, mac_e_a), words(mac_b, mac_e_b))
}

/// The five digest words from SHA-NI layout.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn words(abcd: __m128i, e: __m128i) -> [u32; 5] {
    [
        _mm_extract_epi32(abcd, 3) as u32,
        _mm_extract_epi32(abcd, 2) as u32,
        _mm_extract_epi32(abcd, 1) as u32,
        _mm_extract_epi32(abcd, 0) as u32,
        _mm_extract_epi32(e, 3) as u32,
    ]
}

/// Writes `truncate(HMAC(counter)) % modulus` for counters `first`, `first + 1`, … into `out`.
/// Only call when [`available`] returned true.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(crate) fn fill(
    inner: &[u32; 5],
    outer: &[u32; 5],
    first: u64,
    out: &mut [u32],
    modulus: u32,
    truncate: fn([u32; 5]) -> u32,
) {
    let mut counter = first;
    let mut pairs = out.chunks_exact_mut(2);
    for pair in &mut pairs {
        let (a, b) = digest_pair(inner, outer, counter, counter.wrapping_add(1));
        pair[0] = truncate(a) % modulus;
        pair[1] = truncate(b) % modulus;
        counter = counter.wrapping_add(2);
    }
    for slot in pairs.into_remainder() {
        let (a, _) = digest_pair(inner, outer, counter, counter);
        *slot = truncate(a) % modulus;
    }
}
