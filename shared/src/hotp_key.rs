//! HMAC-SHA-1 keyed once, for scanning many counters (RFC 2104 §2, RFC 4226 §5.3).
//!
//! Why this is hand-written rather than a cloned `Hmac<Sha1>`: an HOTP message is one 8-byte
//! counter, so once the key's inner and outer pad blocks have been compressed (RFC 2104 §2
//! steps 1–2 and 5), each code costs exactly two SHA-1 compressions. `Hmac<Sha1>` cloned per
//! code does the same two compressions but also copies its block buffers, tracks lengths and
//! runs the generic finalisation (padding built byte by byte) twice; the resync scan spends
//! its whole time here, so this file builds the two final padded blocks directly and calls
//! `sha1::block_api::compress`, the crate's public compression function (SHA-NI on x86-64
//! when the CPU has it, the portable version elsewhere, including wasm32). The result is
//! checked against `hmac` + `sha1` ([`crate::otp::hotp`]) and the RFC vectors in the tests.
//!
//! `sha1` 0.11 exposes that compression function publicly (no feature flag needed), and it is
//! what single codes and the portable scan use. On x86-64 the scan ([`HotpKey::fill`]) goes
//! further, on the best the CPU has (`Engine`, chosen once per key): sixteen codes at a time
//! in AVX-512 lanes (`crate::avx512`; a ±24 h scan in ~95 µs, 61 million codes per second
//! per core on this project's machines), else four at a time on the SHA extensions
//! (`crate::sha_ni`, ~167 µs), where the two padded blocks never touch memory.

use sha1::{Digest, Sha1, block_api::compress};
use zeroize::{Zeroize, Zeroizing};

use crate::code::Digits;

/// SHA-1 initial hash value H(0) (FIPS 180-4 §5.3.1).
const H0: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];
/// SHA-1 block size B in bytes (RFC 2104 §2).
const BLOCK: usize = 64;
/// Bit length of the inner message: the ipad block plus the 8-byte counter.
const INNER_BITS: u64 = ((BLOCK + 8) * 8) as u64;
/// Bit length of the outer message: the opad block plus the 20-byte inner digest.
const OUTER_BITS: u64 = ((BLOCK + 20) * 8) as u64;

/// The SHA-1 chaining values after compressing `K ^ ipad` and `K ^ opad`: the HMAC key,
/// keyed once. Zeroed on drop, since either state lets anyone compute codes.
pub(crate) struct HotpKey {
    inner: [u32; 5],
    outer: [u32; 5],
    /// The fastest way this CPU has to fill a table of codes, checked once per key rather
    /// than once per compression.
    #[cfg(target_arch = "x86_64")]
    engine: Engine,
}

impl HotpKey {
    /// Keys HMAC-SHA-1 with `key` (RFC 2104 §2: a key longer than B is hashed first).
    pub(crate) fn new(key: &[u8]) -> HotpKey {
        let mut padded = Zeroizing::new([0u8; BLOCK]);
        if key.len() > BLOCK {
            let digest = Sha1::digest(key);
            padded[..digest.len()].copy_from_slice(&digest);
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let mut block = Zeroizing::new([0u8; BLOCK]);
        let mut inner = H0;
        for (b, k) in block.iter_mut().zip(padded.iter()) {
            *b = k ^ 0x36;
        }
        compress(&mut inner, core::slice::from_ref(&*block));
        let mut outer = H0;
        for (b, k) in block.iter_mut().zip(padded.iter()) {
            *b = k ^ 0x5c;
        }
        compress(&mut outer, core::slice::from_ref(&*block));
        HotpKey {
            inner,
            outer,
            #[cfg(target_arch = "x86_64")]
            engine: Engine::detect(),
        }
    }

    /// HMAC-SHA-1(K, counter) followed by dynamic truncation: `Snum`, the 31-bit value of
    /// RFC 4226 §5.3 step 2 (§5.4 shows the byte arithmetic).
    #[inline]
    pub(crate) fn truncated(&self, counter: u64) -> u32 {
        let mut h = self.inner;
        compress(&mut h, core::slice::from_ref(&inner_block(counter)));
        let mut mac = self.outer;
        compress(&mut mac, core::slice::from_ref(&outer_block(h)));
        dynamic_truncation(mac)
    }

    /// [`HotpKey::truncated`] for two counters, interleaved: the two codes are independent,
    /// so the CPU overlaps one code's compressions with the other's instead of waiting for
    /// each compression's result.
    #[inline]
    fn truncated_pair(&self, a: u64, b: u64) -> (u32, u32) {
        let (mut ha, mut hb) = (self.inner, self.inner);
        compress(&mut ha, core::slice::from_ref(&inner_block(a)));
        compress(&mut hb, core::slice::from_ref(&inner_block(b)));
        let (mut ma, mut mb) = (self.outer, self.outer);
        compress(&mut ma, core::slice::from_ref(&outer_block(ha)));
        compress(&mut mb, core::slice::from_ref(&outer_block(hb)));
        (dynamic_truncation(ma), dynamic_truncation(mb))
    }

    /// Writes the codes of counters `first`, `first + 1`, … into `out` (RFC 4226 §5.3).
    /// The caller keeps `first + out.len()` within `u64` (counters wrap otherwise).
    pub(crate) fn fill(&self, first: u64, out: &mut [u32], digits: Digits) {
        let modulus = digits.modulus();
        #[cfg(target_arch = "x86_64")]
        match self.engine {
            Engine::Avx512 => {
                // SAFETY: `Avx512` is chosen only if the CPU reported AVX-512F.
                unsafe {
                    crate::avx512::fill(&self.inner, &self.outer, first, out, modulus);
                }
                return;
            }
            Engine::ShaNi => {
                // SAFETY: `ShaNi` is chosen only if the CPU reported every feature `fill` enables.
                unsafe {
                    crate::sha_ni::fill(
                        &self.inner,
                        &self.outer,
                        first,
                        out,
                        modulus,
                        dynamic_truncation,
                    );
                }
                return;
            }
            Engine::Portable => {}
        }
        let mut counter = first;
        let mut pairs = out.chunks_exact_mut(2);
        for pair in &mut pairs {
            let (a, b) = self.truncated_pair(counter, counter.wrapping_add(1));
            pair[0] = a % modulus;
            pair[1] = b % modulus;
            counter = counter.wrapping_add(2);
        }
        for slot in pairs.into_remainder() {
            *slot = self.truncated(counter) % modulus;
        }
    }

    /// The code for `counter`: `Snum mod 10^Digit` (RFC 4226 §5.3 step 3).
    #[inline]
    pub(crate) fn code(&self, counter: u64, digits: Digits) -> u32 {
        self.truncated(counter) % digits.modulus()
    }
}

/// How [`HotpKey::fill`] computes its codes on x86-64.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    /// Sixteen codes at a time in AVX-512 lanes (`crate::avx512`).
    Avx512,
    /// Four codes at a time on the SHA extensions (`crate::sha_ni`).
    ShaNi,
    /// Two at a time through `sha1::block_api::compress`.
    Portable,
}

#[cfg(target_arch = "x86_64")]
impl Engine {
    /// The fastest engine the CPU can run, as measured on this project's machines (AMD EPYC,
    /// Zen 4, which runs 512-bit instructions at full clock): AVX-512 (~95 µs for a ±24 h
    /// table), SHA-NI (~167 µs), portable. Not measured on Intel parts, some of which lower
    /// the core's clock for 512-bit work.
    fn detect() -> Engine {
        if crate::avx512::available() {
            Engine::Avx512
        } else if crate::sha_ni::available() {
            Engine::ShaNi
        } else {
            Engine::Portable
        }
    }
}

/// The inner hash's only block: the counter, 8 bytes big-endian (RFC 4226 §5.2), then SHA-1
/// padding (FIPS 180-4 §5.1.1) for a 72-byte message (ipad block + counter).
#[inline]
fn inner_block(counter: u64) -> [u8; BLOCK] {
    let mut block = [0u8; BLOCK];
    block[..8].copy_from_slice(&counter.to_be_bytes());
    block[8] = 0x80;
    block[56..].copy_from_slice(&INNER_BITS.to_be_bytes());
    block
}

/// The outer hash's only block: the 20-byte inner digest, padded for an 84-byte message.
#[inline]
fn outer_block(inner: [u32; 5]) -> [u8; BLOCK] {
    let mut block = [0u8; BLOCK];
    for (chunk, word) in block.chunks_exact_mut(4).zip(inner) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    block[20] = 0x80;
    block[56..].copy_from_slice(&OUTER_BITS.to_be_bytes());
    block
}

/// Dynamic truncation (RFC 4226 §5.3 step 2) read straight from the digest's big-endian
/// words: offset = low 4 bits of byte 19, then bytes offset..offset+4 with the top bit cleared.
#[inline]
fn dynamic_truncation(mac: [u32; 5]) -> u32 {
    let offset = (mac[4] & 0x0f) as usize;
    let (word, shift) = (offset / 4, 8 * (offset % 4));
    let pair = (u64::from(mac[word]) << 32) | u64::from(mac[word + 1]);
    ((pair << shift) >> 32) as u32 & 0x7fff_ffff
}

impl Drop for HotpKey {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};

    fn reference(key: &[u8], counter: u64) -> [u8; 20] {
        let mut mac = Hmac::<Sha1>::new_from_slice(key).unwrap();
        mac.update(&counter.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    fn truncate(d: [u8; 20]) -> u32 {
        let o = usize::from(d[19] & 0x0f);
        u32::from_be_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]) & 0x7fff_ffff
    }

    #[test]
    fn agrees_with_hmac_crate_for_every_key_length() {
        // Key lengths around the block size, including the hashed-key case (> 64).
        for len in [0usize, 1, 16, 20, 32, 63, 64, 65, 100, 200] {
            let key: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let fast = HotpKey::new(&key);
            for counter in [0u64, 1, 2, 255, 256, 1 << 32, u64::MAX - 1, u64::MAX] {
                assert_eq!(
                    fast.truncated(counter),
                    truncate(reference(&key, counter)),
                    "key length {len}, counter {counter}"
                );
            }
        }
    }

    /// A key for every engine this CPU can run (the portable one everywhere), with its name.
    fn every_engine(key: &[u8]) -> Vec<(String, HotpKey)> {
        #[cfg(target_arch = "x86_64")]
        {
            let mut engines = vec![Engine::Portable];
            if crate::sha_ni::available() {
                engines.push(Engine::ShaNi);
            }
            if crate::avx512::available() {
                engines.push(Engine::Avx512);
            }
            engines
                .into_iter()
                .map(|engine| {
                    let mut fast = HotpKey::new(key);
                    fast.engine = engine;
                    (format!("{engine:?}"), fast)
                })
                .collect()
        }
        #[cfg(not(target_arch = "x86_64"))]
        vec![("portable".to_owned(), HotpKey::new(key))]
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_fastest_engine_the_cpu_has_is_chosen() {
        let want = if crate::avx512::available() {
            Engine::Avx512
        } else if crate::sha_ni::available() {
            Engine::ShaNi
        } else {
            Engine::Portable
        };
        assert_eq!(HotpKey::new(b"12345678901234567890").engine, want);
    }

    #[test]
    fn fill_agrees_with_one_at_a_time() {
        let ranges = [
            (0u64, 0usize),
            (0, 1),
            (5, 7),
            (1000, 64),
            (1000, 77),
            ((1 << 32) - 9, 40),
            (u64::MAX - 4, 5),
            (u64::MAX - 20, 21),
        ];
        let keys = [
            b"12345678901234567890".to_vec(),
            vec![0xa5; 1],
            vec![7; 100],
        ];
        for (engine, key) in keys.iter().flat_map(|key| every_engine(key)) {
            for digits in [Digits::SIX, Digits::SEVEN, Digits::EIGHT] {
                for (first, len) in ranges {
                    let mut out = vec![0u32; len];
                    key.fill(first, &mut out, digits);
                    for (k, code) in out.iter().enumerate() {
                        assert_eq!(
                            *code,
                            key.code(first + k as u64, digits),
                            "{engine} {digits:?} {first}+{k}"
                        );
                        assert!(*code < digits.modulus());
                    }
                }
            }
        }
    }

    #[test]
    fn rfc4226_appendix_d_intermediate_hmac_values() {
        // RFC 4226 Appendix D, "Truncated" column: Snum before the modulus.
        let key = b"12345678901234567890";
        assert_eq!(key.len(), 20);
        let truncated = [
            0x4c93cf18u32,
            0x41397eea,
            0x82fef30,
            0x66ef7655,
            0x61c5938a,
            0x33c083d4,
            0x7256c032,
            0x4e5b397,
            0x2823443f,
            0x2679dc69,
        ];
        let fast = HotpKey::new(key);
        for (counter, want) in truncated.into_iter().enumerate() {
            assert_eq!(fast.truncated(counter as u64), want, "counter {counter}");
        }
    }
}
