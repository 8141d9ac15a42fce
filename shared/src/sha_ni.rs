//! HOTP codes four at a time on x86-64 SHA extensions (SHA-NI), straight from the HMAC's
//! precomputed pad states (RFC 2104 §2, RFC 4226 §5.3, FIPS 180-4 §6.1.2).
//!
//! Why this exists next to `sha1::block_api::compress`: that function takes its state and
//! block from memory, checks the CPU on every call and writes the state back; an HOTP code
//! needs two compressions whose blocks are mostly constant. Here the inner digest goes from
//! the registers straight into the outer block (the SHA-NI state layout *is* the message word
//! layout), and four independent counters run side by side so the SHA unit never waits on one
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

/// How many codes are computed side by side. SHA1RNDS4 takes several cycles before its
/// result can feed the next one, but the SHA unit accepts a new one sooner, so one chain
/// leaves it idle most of the time. Measured on the `resync` bench's "codes only" (±24 h, AMD
/// EPYC): 2 lanes 225 µs, 3 198, **4 167**, 5 170, 6 216, 8 198 — past four the states and
/// message words no longer fit the sixteen registers SHA instructions can name, and spill.
const LANES: usize = 4;

/// `LANES` SHA-1 compressions (FIPS 180-4 §6.1.2) side by side, instruction by instruction.
/// Lane `i` compresses the message quads `w[i]` (each `[W4k, W4k+1, W4k+2, W4k+3]` from the
/// high lane down) on the state `abcd[i]` (A in the high lane) and `e[i]` (E in the high lane,
/// zeros below). Evaluates to the new `(abcd, e)` of every lane.
macro_rules! sha1_blocks {
    ($abcd:expr, $e:expr, $w:expr) => {{
        let (abcd, e): ([__m128i; LANES], [__m128i; LANES]) = ($abcd, $e);
        // The last four message quads of each lane, W(k) at index k % 4.
        let mut w: [[__m128i; 4]; LANES] = $w;
        let mut h0 = abcd;
        let mut h1 = [_mm_setzero_si128(); LANES];
        for i in 0..LANES {
            h1[i] = _mm_sha1rnds4_epu32(h0[i], _mm_add_epi32(e[i], w[i][0]), 0);
        }
        // Quad k of rounds 4k..4k+3: a new message quad from k = 4 on, then four rounds
        // into whichever of h0/h1 holds the older state (its A is the next E).
        macro_rules! quad {
            ($k:literal, $f:literal, $dst:ident, $src:ident) => {
                for i in 0..LANES {
                    if $k >= 4 {
                        w[i][$k % 4] = _mm_sha1msg2_epu32(
                            _mm_xor_si128(
                                _mm_sha1msg1_epu32(w[i][$k % 4], w[i][($k + 1) % 4]),
                                w[i][($k + 2) % 4],
                            ),
                            w[i][($k + 3) % 4],
                        );
                    }
                    $dst[i] = _mm_sha1rnds4_epu32(
                        $src[i],
                        _mm_sha1nexte_epu32($dst[i], w[i][$k % 4]),
                        $f,
                    );
                }
            };
        }
        quad!(1, 0, h0, h1);
        quad!(2, 0, h1, h0);
        quad!(3, 0, h0, h1);
        quad!(4, 0, h1, h0);
        quad!(5, 1, h0, h1);
        quad!(6, 1, h1, h0);
        quad!(7, 1, h0, h1);
        quad!(8, 1, h1, h0);
        quad!(9, 1, h0, h1);
        quad!(10, 2, h1, h0);
        quad!(11, 2, h0, h1);
        quad!(12, 2, h1, h0);
        quad!(13, 2, h0, h1);
        quad!(14, 2, h1, h0);
        quad!(15, 3, h0, h1);
        quad!(16, 3, h1, h0);
        quad!(17, 3, h0, h1);
        quad!(18, 3, h1, h0);
        quad!(19, 3, h0, h1);
        let mut out = (abcd, e);
        for i in 0..LANES {
            out.0[i] = _mm_add_epi32(abcd[i], h0[i]);
            out.1[i] = _mm_sha1nexte_epu32(h1[i], e[i]);
        }
        out
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

/// The HMAC-SHA-1 of `LANES` counters from the pad states, as the five digest words each.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn digests(inner: &[u32; 5], outer: &[u32; 5], counters: [u64; LANES]) -> [[u32; 5]; LANES] {
    let (ia, ie) = state(inner);
    let (oa, oe) = state(outer);
    let zero = _mm_setzero_si128();
    // Inner block: counter (W0, W1), the 0x80 padding byte (W2), length 576 bits (W15).
    let inner_w3 = _mm_set_epi32(0, 0, 0, 576);
    let inner_w = counters.map(|c| {
        let w0 = _mm_set_epi32((c >> 32) as i32, c as i32, 0x8000_0000u32 as i32, 0);
        [w0, zero, zero, inner_w3]
    });
    let (abcd, e) = sha1_blocks!([ia; LANES], [ie; LANES], inner_w);
    // Outer block: the inner digest A..E (W0..W4), padding (W5), length 672 bits (W15).
    let pad_w1 = _mm_set_epi32(0, 0x8000_0000u32 as i32, 0, 0);
    let outer_w3 = _mm_set_epi32(0, 0, 0, 672);
    let mut outer_w = [[zero; 4]; LANES];
    for i in 0..LANES {
        outer_w[i] = [abcd[i], _mm_blend_epi16(pad_w1, e[i], 0xC0), zero, outer_w3];
    }
    let (mac, mac_e) = sha1_blocks!([oa; LANES], [oe; LANES], outer_w);
    let mut out = [[0; 5]; LANES];
    for i in 0..LANES {
        out[i] = words(mac[i], mac_e[i]);
    }
    out
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
    let mut chunks = out.chunks_exact_mut(LANES);
    for chunk in &mut chunks {
        let macs = digests(
            inner,
            outer,
            core::array::from_fn(|i| counter.wrapping_add(i as u64)),
        );
        for (slot, mac) in chunk.iter_mut().zip(macs) {
            *slot = truncate(mac) % modulus;
        }
        counter = counter.wrapping_add(LANES as u64);
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let macs = digests(
            inner,
            outer,
            core::array::from_fn(|i| counter.wrapping_add(i as u64)),
        );
        for (slot, mac) in rest.iter_mut().zip(macs) {
            *slot = truncate(mac) % modulus;
        }
    }
}
