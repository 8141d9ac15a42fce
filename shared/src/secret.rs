//! The shared secret of an OTP device (RFC 4226 §4 R6, §7.5; RFC 4648 §6 Base32).
//!
//! RFC 4226 §4 requires at least 128 bits and recommends 160; this type refuses anything
//! shorter. The bytes are zeroed when the value is dropped, and neither `Debug` nor `Display`
//! ever prints them (security rule 15: a seed is never logged).

use core::fmt;

use data_encoding::BASE32_NOPAD;
use zeroize::{Zeroize, Zeroizing};

/// A device's shared secret K (RFC 4226 §5.1), at least 128 bits, zeroed on drop.
#[derive(Clone)]
pub struct Secret {
    bytes: Vec<u8>,
}

impl Secret {
    /// The shortest secret accepted: 16 bytes, 128 bits (RFC 4226 §4 requirement R6).
    pub const MIN_BYTES: usize = 16;
    /// The recommended length: 20 bytes, 160 bits (RFC 4226 §4 R6, the SHA-1 output size).
    pub const RECOMMENDED_BYTES: usize = 20;

    /// Takes raw key bytes (RFC 4226 §5.1 `K`). Refuses fewer than [`Secret::MIN_BYTES`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Secret, SecretError> {
        // Wrap first so a refused key is zeroed too.
        let secret = Secret { bytes };
        if secret.bytes.len() < Self::MIN_BYTES {
            return Err(SecretError::TooShort {
                bits: secret.bytes.len() * 8,
            });
        }
        Ok(secret)
    }

    /// Decodes Base32 (RFC 4648 §6) as stored or exchanged by machines: letters in either
    /// case, `=` padding optional, no spaces or other characters.
    pub fn from_base32(s: &str) -> Result<Secret, SecretError> {
        if s.is_empty() {
            return Err(SecretError::Empty);
        }
        let unpadded = s.trim_end_matches('=');
        // RFC 4648 §6 pads to a multiple of 8 characters, so at most 6 `=`.
        if s.len() - unpadded.len() > 6 || (unpadded.len() != s.len() && !s.len().is_multiple_of(8))
        {
            return Err(SecretError::InvalidBase32);
        }
        let upper = Zeroizing::new(unpadded.to_ascii_uppercase());
        match BASE32_NOPAD.decode(upper.as_bytes()) {
            Ok(bytes) => Secret::from_bytes(bytes),
            Err(_) => Err(SecretError::InvalidBase32),
        }
    }

    /// Decodes Base32 as a person types it from an authenticator app's screen, where it is
    /// shown in groups separated by spaces (`"JBSW Y3DP EHPK 3PXP"`). Spaces are dropped;
    /// everything else is as strict as [`Secret::from_base32`].
    pub fn from_base32_typed(s: &str) -> Result<Secret, SecretError> {
        let joined = Zeroizing::new(s.replace(' ', ""));
        Secret::from_base32(&joined)
    }

    /// The key bytes, for the HMAC (RFC 4226 §5.3) and for encryption at rest.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key as RFC 4648 §6 Base32, upper case, no padding: the form authenticator apps and
    /// `otpauth://` URIs use. The caller owns keeping the returned string out of logs.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.bytes)
    }

    /// The key length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a secret has at least [`Secret::MIN_BYTES`] bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a secret was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Nothing was given.
    #[error("The secret is empty.")]
    Empty,
    /// Not RFC 4648 Base32: letters A–Z (either case), digits 2–7, optional `=` padding.
    #[error("The secret is not valid Base32: use only the letters A to Z and the digits 2 to 7.")]
    InvalidBase32,
    /// Shorter than 128 bits (RFC 4226 §4 R6).
    #[error("The secret has {bits} bits; at least 128 are needed.")]
    TooShort {
        /// The length that was given, in bits.
        bits: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trip_any_case_and_padding() {
        let bytes = b"12345678901234567890".to_vec();
        let secret = Secret::from_bytes(bytes.clone()).unwrap();
        let text = secret.to_base32();
        assert_eq!(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(secret.len(), 20);
        assert!(!secret.is_empty());
        assert_eq!(Secret::from_base32(&text).unwrap().as_bytes(), &bytes[..]);
        assert_eq!(
            Secret::from_base32(&text.to_ascii_lowercase())
                .unwrap()
                .as_bytes(),
            &bytes[..]
        );
        // 16 bytes: 26 characters, 6 of padding.
        let sixteen = Secret::from_bytes(vec![0xA5; 16]).unwrap();
        let nopad = sixteen.to_base32();
        assert_eq!(nopad.len(), 26);
        let padded = format!("{nopad}======");
        assert_eq!(
            Secret::from_base32(&padded).unwrap().as_bytes(),
            &[0xA5; 16]
        );
        assert_eq!(Secret::from_base32(&nopad).unwrap().as_bytes(), &[0xA5; 16]);
    }

    #[test]
    fn spaces_only_where_typed() {
        let typed = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq";
        assert_eq!(
            Secret::from_base32_typed(typed).unwrap().as_bytes(),
            b"12345678901234567890"
        );
        assert_eq!(
            Secret::from_base32(typed).unwrap_err(),
            SecretError::InvalidBase32
        );
    }

    #[test]
    fn refuses_short_or_malformed() {
        assert_eq!(
            Secret::from_bytes(vec![1; 15]).unwrap_err(),
            SecretError::TooShort { bits: 120 }
        );
        assert_eq!(Secret::from_base32("").unwrap_err(), SecretError::Empty);
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap_err(),
            SecretError::TooShort { bits: 80 }
        );
        assert_eq!(
            Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1").unwrap_err(),
            SecretError::InvalidBase32
        );
        assert_eq!(
            Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ========").unwrap_err(),
            SecretError::InvalidBase32
        );
        assert_eq!(
            Secret::from_base32("GEZD\u{2003}").unwrap_err(),
            SecretError::InvalidBase32
        );
    }

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let shown = format!("{secret:?}");
        assert_eq!(shown, "Secret(<redacted>)");
        assert!(!shown.contains("1234"));
    }
}
