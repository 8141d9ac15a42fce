//! HOTP (RFC 4226) and TOTP (RFC 6238) from a secret and a counter or a Unix time passed in.
//!
//! Nothing here reads the clock: the server passes its own time in (security rule 20), and
//! `SystemTime::now()` would panic on `wasm32-unknown-unknown` anyway.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::code::Digits;
use crate::hotp_key::HotpKey;
use crate::secret::Secret;

/// HOTP(K, C) = Truncate(HMAC-SHA-1(K, C)) mod 10^Digit (RFC 4226 §5.3), as a number; see
/// [`format_code`] for the zero-padded string a device shows.
///
/// This single-code path uses the `hmac` crate directly; searches over many counters key the
/// HMAC once instead (see [`crate::resync`]).
pub fn hotp(secret: &Secret, counter: u64, digits: Digits) -> u32 {
    // Any key length is valid for HMAC (RFC 2104 §2), so this cannot fail.
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    // Dynamic truncation (RFC 4226 §5.3 step 2, §5.4).
    let offset = usize::from(digest[19] & 0x0f);
    let snum = u32::from_be_bytes([
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) & 0x7fff_ffff;
    snum % digits.modulus()
}

/// TOTP parameters (RFC 6238 §4): step length X (`period`), start time T0 (`t0`) and code
/// length. The HMAC is SHA-1 (RFC 6238 §1.2 default; the only one authenticator apps agree on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totp {
    /// The time step X in seconds (RFC 6238 §4.1; default 30, §5.2). A period of 0 is
    /// treated as 1 second rather than dividing by zero.
    pub period: u32,
    /// T0, the Unix time at which step 0 starts (RFC 6238 §4.1; default 0).
    pub t0: u64,
    /// Code length (RFC 4226 §5.3).
    pub digits: Digits,
}

impl Default for Totp {
    /// 30 s steps, T0 = 0, six digits (RFC 6238 §4.1 and §5.2).
    fn default() -> Self {
        Totp {
            period: 30,
            t0: 0,
            digits: Digits::SIX,
        }
    }
}

impl Totp {
    /// The period as a divisor that is never zero.
    pub(crate) fn period_nonzero(&self) -> u64 {
        u64::from(self.period.max(1))
    }

    /// T = (Current Unix time − T0) / X, rounded down (RFC 6238 §4.2). Before T0 this is 0
    /// rather than an underflow.
    pub fn step_at(&self, unix_seconds: u64) -> u64 {
        unix_seconds.saturating_sub(self.t0) / self.period_nonzero()
    }

    /// The Unix time at which `step` starts, T0 + step·X (RFC 6238 §4.2 inverted), saturating
    /// at `u64::MAX`.
    pub fn step_start(&self, step: u64) -> u64 {
        step.saturating_mul(self.period_nonzero())
            .saturating_add(self.t0)
    }

    /// TOTP = HOTP(K, T) with T the step at `unix_seconds` (RFC 6238 §4.2).
    pub fn code_at(&self, secret: &Secret, unix_seconds: u64) -> u32 {
        self.code_for_step(secret, self.step_at(unix_seconds))
    }

    /// TOTP for a given step T (RFC 6238 §4.2).
    pub fn code_for_step(&self, secret: &Secret, step: u64) -> u32 {
        hotp(secret, step, self.digits)
    }
}

/// The code as a device shows it: `value` zero-padded to `digits` characters (RFC 4226 §5.3,
/// Appendix C: leading zeros are part of the code). Values of 10^digits or more are reduced
/// modulo 10^digits first, so the result always has exactly `digits` characters.
pub fn format_code(value: u32, digits: Digits) -> String {
    let width = usize::from(digits.get());
    format!("{:0width$}", value % digits.modulus())
}

/// Computes codes for many counters of one secret with the HMAC keyed once (RFC 4226 §5.3):
/// two SHA-1 compressions per code. Used by the resync and sign-in searches; exposed for the
/// benchmark and for tests that cross-check it against [`hotp`].
pub struct CodeGenerator {
    key: HotpKey,
    digits: Digits,
}

impl CodeGenerator {
    /// Keys HMAC-SHA-1 with `secret` once (RFC 2104 §2 steps 1–2 and 5).
    pub fn new(secret: &Secret, digits: Digits) -> CodeGenerator {
        CodeGenerator {
            key: HotpKey::new(secret.as_bytes()),
            digits,
        }
    }

    /// HOTP(K, counter) (RFC 4226 §5.3); equal to [`hotp`] for the same arguments.
    #[inline]
    pub fn code(&self, counter: u64) -> u32 {
        self.key.code(counter, self.digits)
    }

    /// Writes the codes of counters `first`, `first + 1`, … into `out`, several side by side
    /// (RFC 4226 §5.3). Counters past `u64::MAX` wrap to 0; the searches never go there.
    pub fn fill(&self, first: u64, out: &mut [u32]) {
        self.key.fill(first, out, self.digits);
    }

    /// The code length this generator produces.
    pub fn digits(&self) -> Digits {
        self.digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> Secret {
        let ascii = b"12345678901234567890";
        assert_eq!(
            ascii.len(),
            20,
            "RFC 4226 Appendix D / RFC 6238 Appendix B key"
        );
        Secret::from_bytes(ascii.to_vec()).unwrap()
    }

    #[test]
    fn a_generator_keeps_its_code_length() {
        for digits in [Digits::SIX, Digits::new(7).unwrap(), Digits::EIGHT] {
            let generator = CodeGenerator::new(&rfc_secret(), digits);
            assert_eq!(generator.digits(), digits);
            assert!(generator.code(0) < digits.modulus());
        }
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0–9.
    const RFC4226_HOTP: [&str; 10] = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];

    /// RFC 6238 Appendix B, SHA-1 rows: (Unix time, step in hex, 8-digit TOTP).
    const RFC6238_SHA1: [(u64, u64, &str); 6] = [
        (59, 0x1, "94287082"),
        (1_111_111_109, 0x23523EC, "07081804"),
        (1_111_111_111, 0x23523ED, "14050471"),
        (1_234_567_890, 0x273EF07, "89005924"),
        (2_000_000_000, 0x3F940AA, "69279037"),
        (20_000_000_000, 0x27BC86AA, "65353130"),
    ];

    #[test]
    fn rfc4226_appendix_d() {
        let secret = rfc_secret();
        let generator = CodeGenerator::new(&secret, Digits::SIX);
        for (counter, want) in RFC4226_HOTP.iter().enumerate() {
            let value = hotp(&secret, counter as u64, Digits::SIX);
            assert_eq!(format_code(value, Digits::SIX), *want, "counter {counter}");
            assert_eq!(generator.code(counter as u64), value, "counter {counter}");
        }
    }

    #[test]
    fn rfc6238_appendix_b_sha1() {
        let secret = rfc_secret();
        let totp = Totp {
            digits: Digits::EIGHT,
            ..Totp::default()
        };
        let generator = CodeGenerator::new(&secret, Digits::EIGHT);
        for (time, step, want) in RFC6238_SHA1 {
            assert_eq!(totp.step_at(time), step, "time {time}");
            let value = totp.code_at(&secret, time);
            assert_eq!(format_code(value, Digits::EIGHT), want, "time {time}");
            assert_eq!(generator.code(step), value, "time {time}");
        }
    }

    #[test]
    fn steps_never_underflow_or_divide_by_zero() {
        let totp = Totp {
            t0: 1_000,
            ..Totp::default()
        };
        assert_eq!(totp.step_at(0), 0);
        assert_eq!(totp.step_at(1_029), 0);
        assert_eq!(totp.step_at(1_030), 1);
        assert_eq!(Totp::default().step_at(u64::MAX), u64::MAX / 30);
        let zero = Totp {
            period: 0,
            ..Totp::default()
        };
        assert_eq!(zero.step_at(42), 42);
        assert_eq!(Totp::default().step_start(u64::MAX), u64::MAX);
        assert_eq!(totp.step_start(2), 1_060);
    }

    #[test]
    fn format_pads_with_zeros() {
        assert_eq!(format_code(7, Digits::SIX), "000007");
        assert_eq!(format_code(0, Digits::EIGHT), "00000000");
        assert_eq!(format_code(1_234_567, Digits::SIX), "234567");
    }

    #[test]
    fn hotp_at_counter_limits() {
        let secret = rfc_secret();
        let generator = CodeGenerator::new(&secret, Digits::SIX);
        for counter in [u64::MAX, u64::MAX - 1, 1 << 63] {
            assert_eq!(generator.code(counter), hotp(&secret, counter, Digits::SIX));
        }
    }
}
