//! `otpauth://` URIs for enrolment QR codes (the Google Authenticator "Key Uri Format",
//! with RFC 3986 §2 percent-encoding and the secret in RFC 4648 §6 Base32).
//!
//! `otpauth://TYPE/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
//! Issuer and account are percent-encoded separately, so a `:` or `?` inside either cannot
//! change the label's structure; everything but RFC 3986 unreserved characters is escaped
//! (a space becomes `%20`, never `+`, which authenticator apps would show literally).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::code::Digits;
use crate::secret::Secret;

/// Everything except RFC 3986 §2.3 unreserved characters (`A–Z a–z 0–9 - . _ ~`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The kind of device a URI enrols: TOTP (RFC 6238) with its period, or HOTP (RFC 4226) with
/// its initial counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtpauthKind {
    /// Time-based (RFC 6238 §4); `period` is X in seconds.
    Totp {
        /// The time step X in seconds (RFC 6238 §4.1).
        period: u32,
    },
    /// Counter-based (RFC 4226 §5); `counter` is the token's initial counter.
    Hotp {
        /// The initial counter C (RFC 4226 §5.2).
        counter: u64,
    },
}

/// The parts of an enrolment URI. `Debug` is deliberately not derived: it would print the
/// secret's presence next to the account, and the URI itself carries the secret.
pub struct OtpauthUri<'a> {
    /// Who issues the device (shown by the app above the code), e.g. the AWS account alias.
    pub issuer: &'a str,
    /// Which account it is for, e.g. the IAM user name.
    pub account: &'a str,
    /// The shared secret (RFC 4226 §5.1 K), written as Base32 without padding.
    pub secret: &'a Secret,
    /// Code length (RFC 4226 §5.3).
    pub digits: Digits,
    /// TOTP or HOTP, with the period or initial counter.
    pub kind: OtpauthKind,
}

impl OtpauthUri<'_> {
    /// Builds the URI. The result contains the secret: it goes into a QR code returned once,
    /// never into a log (security rule 15). An empty issuer leaves out the label prefix and
    /// the `issuer` parameter.
    pub fn to_uri(&self) -> String {
        let (kind, tail) = match self.kind {
            OtpauthKind::Totp { period } => ("totp", format!("&period={period}")),
            OtpauthKind::Hotp { counter } => ("hotp", format!("&counter={counter}")),
        };
        let account = utf8_percent_encode(self.account, COMPONENT);
        let issuer = utf8_percent_encode(self.issuer, COMPONENT);
        let mut uri = format!("otpauth://{kind}/");
        if self.issuer.is_empty() {
            uri.push_str(&account.to_string());
        } else {
            uri.push_str(&format!("{issuer}:{account}"));
        }
        uri.push_str("?secret=");
        uri.push_str(&self.secret.to_base32());
        if !self.issuer.is_empty() {
            uri.push_str(&format!("&issuer={issuer}"));
        }
        uri.push_str(&format!("&algorithm=SHA1&digits={}", self.digits.get()));
        uri.push_str(&tail);
        uri
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn totp_uri() {
        let secret = secret();
        let uri = OtpauthUri {
            issuer: "Example",
            account: "alice",
            secret: &secret,
            digits: Digits::SIX,
            kind: OtpauthKind::Totp { period: 30 },
        };
        assert_eq!(
            uri.to_uri(),
            "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn escapes_every_reserved_character() {
        let secret = secret();
        let uri = OtpauthUri {
            issuer: "ACME Co: Prod&Test",
            account: "bob+ops@example.com/é?x=1#",
            secret: &secret,
            digits: Digits::EIGHT,
            kind: OtpauthKind::Hotp { counter: 7 },
        };
        assert_eq!(
            uri.to_uri(),
            "otpauth://hotp/ACME%20Co%3A%20Prod%26Test:bob%2Bops%40example.com%2F%C3%A9%3Fx%3D1%23?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co%3A%20Prod%26Test&algorithm=SHA1&digits=8&counter=7"
        );
    }

    #[test]
    fn no_issuer() {
        let secret = secret();
        let uri = OtpauthUri {
            issuer: "",
            account: "carol",
            secret: &secret,
            digits: Digits::SIX,
            kind: OtpauthKind::Totp { period: 60 },
        };
        assert_eq!(
            uri.to_uri(),
            "otpauth://totp/carol?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=60"
        );
    }
}
