//! One-time codes as a person types them (RFC 4226 §5.3, RFC 6238 §4).
//!
//! A code is exactly N ASCII digits, N = 6 for TOTP devices and 6–8 for HOTP tokens enrolled
//! with that many (RFC 4226 §5.3: "implementations MUST extract a 6-digit code at a minimum").
//! Nothing is trimmed or normalised: `" 123456"`, fullwidth `"１２３４５６"` and `"1234567"` are
//! refused before any lookup. Vault and OpenBao shipped code reuse through whitespace
//! normalisation (CVE-2025-6014, CVE-2025-55000); the browser may strip spaces from a paste
//! before it sends, the engine never does.

use core::fmt;

/// How many digits a code has: 6, 7 or 8 (RFC 4226 §5.3, Appendix C `codeDigits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digits(u8);

impl Digits {
    /// Six digits, the only length TOTP authenticator apps and AWS virtual devices use.
    pub const SIX: Digits = Digits(6);
    /// Seven digits (RFC 4226 §5.3), for HOTP tokens enrolled with seven.
    pub const SEVEN: Digits = Digits(7);
    /// Eight digits (RFC 4226 §5.3; the RFC 6238 Appendix B vectors use eight).
    pub const EIGHT: Digits = Digits(8);

    /// Checks that `n` is 6, 7 or 8 (RFC 4226 §5.3: at least 6; 8 is the most a 31-bit
    /// truncated value can fill without bias worth the name).
    pub fn new(n: u8) -> Result<Digits, CodeError> {
        if (6..=8).contains(&n) {
            Ok(Digits(n))
        } else {
            Err(CodeError::UnsupportedDigits { digits: n })
        }
    }

    /// The number of digits, 6 to 8.
    pub fn get(self) -> u8 {
        self.0
    }

    /// 10^digits: the modulus of RFC 4226 §5.3 step 3 (`Snum mod 10^Digit`).
    pub(crate) fn modulus(self) -> u32 {
        10u32.pow(u32::from(self.0))
    }
}

impl Default for Digits {
    fn default() -> Self {
        Digits::SIX
    }
}

/// A code exactly as typed: N ASCII digits, leading zeros kept (RFC 4226 §5.3).
///
/// Its `Debug` output shows only the length, so a code never lands in a log by accident.
#[derive(Clone)]
pub struct Code {
    text: String,
    value: u32,
}

impl Code {
    /// Parses what a person typed. Exactly `digits` ASCII digits `0`–`9`; no trimming, no
    /// Unicode digits (RFC 4226 §5.3 output is a decimal string of `Digit` characters).
    ///
    /// The first character that is not an ASCII digit is reported before the length, since
    /// that is usually what the person needs to fix (a space, a letter O for a zero).
    ///
    /// ```
    /// use shared::code::{Code, CodeError, Digits};
    /// assert_eq!(Code::parse("012345", Digits::SIX)?.as_str(), "012345");
    /// assert_eq!(Code::parse(" 123456", Digits::SIX).unwrap_err(), CodeError::NotADigit { position: 1 });
    /// assert_eq!(Code::parse("1234", Digits::SIX).unwrap_err().to_string(), "The code is 2 digits too short.");
    /// # Ok::<(), CodeError>(())
    /// ```
    pub fn parse(input: &str, digits: Digits) -> Result<Code, CodeError> {
        if input.is_empty() {
            return Err(CodeError::Empty);
        }
        if let Some(index) = input.chars().position(|c| !c.is_ascii_digit()) {
            return Err(CodeError::NotADigit {
                position: index + 1,
            });
        }
        // Only ASCII digits are left, so bytes and characters are the same count.
        let want = usize::from(digits.get());
        if input.len() < want {
            return Err(CodeError::TooShort {
                missing: want - input.len(),
            });
        }
        if input.len() > want {
            return Err(CodeError::TooLong {
                extra: input.len() - want,
            });
        }
        let value = input
            .bytes()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
        Ok(Code {
            text: input.to_owned(),
            value,
        })
    }

    /// The digits as typed, leading zeros included.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The code as a number, the value RFC 4226 §5.3 step 3 produces (`Snum mod 10^Digit`).
    pub fn value(&self) -> u32 {
        self.value
    }

    /// How many digits the code has.
    pub fn digits(&self) -> Digits {
        // parse() only builds codes of a valid length.
        Digits(self.text.len() as u8)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code(<{} digits>)", self.text.len())
    }
}

/// Why a typed code was refused. `Display` gives a sentence a person understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// Nothing was typed.
    Empty,
    /// Fewer digits than the device shows.
    TooShort {
        /// How many digits are missing.
        missing: usize,
    },
    /// More digits than the device shows.
    TooLong {
        /// How many digits too many.
        extra: usize,
    },
    /// A character that is not an ASCII digit 0–9 (a space, a letter, a fullwidth digit).
    NotADigit {
        /// Where it is, counting characters from 1.
        position: usize,
    },
    /// A code length other than 6, 7 or 8 digits was asked for (RFC 4226 §5.3).
    UnsupportedDigits {
        /// The length asked for.
        digits: u8,
    },
}

fn digit_word(n: usize) -> &'static str {
    if n == 1 { "digit" } else { "digits" }
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CodeError::Empty => f.write_str("Enter the code your device shows."),
            CodeError::TooShort { missing } => {
                write!(
                    f,
                    "The code is {missing} {} too short.",
                    digit_word(missing)
                )
            }
            CodeError::TooLong { extra } => {
                write!(f, "The code is {extra} {} too long.", digit_word(extra))
            }
            CodeError::NotADigit { position } => write!(
                f,
                "Character {position} of the code is not a digit from 0 to 9. Type only the digits, without spaces."
            ),
            CodeError::UnsupportedDigits { digits } => write!(
                f,
                "A code of {digits} digits is not supported; codes have 6, 7 or 8 digits."
            ),
        }
    }
}

impl std::error::Error for CodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_n_ascii_digits() {
        let code = Code::parse("000123", Digits::SIX).unwrap();
        assert_eq!(code.as_str(), "000123");
        assert_eq!(code.value(), 123);
        assert_eq!(code.digits(), Digits::SIX);
        assert_eq!(
            Code::parse("12345678", Digits::EIGHT).unwrap().value(),
            12_345_678
        );
        assert_eq!(
            Code::parse("99999999", Digits::EIGHT).unwrap().value(),
            99_999_999
        );
        assert_eq!(
            Code::parse("12345678", Digits::SIX).unwrap_err(),
            CodeError::TooLong { extra: 2 }
        );
        assert_eq!(
            Code::parse("1234", Digits::EIGHT).unwrap_err(),
            CodeError::TooShort { missing: 4 }
        );
        // A code knows its own length: an 8-digit code is never taken for a 6-digit one.
        assert_eq!(
            Code::parse("00000123", Digits::EIGHT).unwrap().digits(),
            Digits::EIGHT
        );
        assert_eq!(
            Code::parse("0000123", Digits::new(7).unwrap())
                .unwrap()
                .digits()
                .get(),
            7
        );
    }

    #[test]
    fn refuses_what_security_rule_1_names() {
        assert_eq!(
            Code::parse(" 123456", Digits::SIX).unwrap_err(),
            CodeError::NotADigit { position: 1 }
        );
        assert_eq!(
            Code::parse("123456 ", Digits::SIX).unwrap_err(),
            CodeError::NotADigit { position: 7 }
        );
        assert_eq!(
            Code::parse("１２３４５６", Digits::SIX).unwrap_err(),
            CodeError::NotADigit { position: 1 }
        );
        assert_eq!(
            Code::parse("12３456", Digits::SIX).unwrap_err(),
            CodeError::NotADigit { position: 3 }
        );
        assert_eq!(
            Code::parse("1234567", Digits::SIX).unwrap_err(),
            CodeError::TooLong { extra: 1 }
        );
        assert_eq!(Code::parse("", Digits::SIX).unwrap_err(), CodeError::Empty);
        assert_eq!(
            Code::parse("1234", Digits::SIX).unwrap_err(),
            CodeError::TooShort { missing: 2 }
        );
        assert_eq!(
            Code::parse("12 456", Digits::SIX).unwrap_err(),
            CodeError::NotADigit { position: 3 }
        );
        assert_eq!(
            Code::parse("+12345", Digits::SIX).unwrap_err(),
            CodeError::NotADigit { position: 1 }
        );
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            CodeError::Empty.to_string(),
            "Enter the code your device shows."
        );
        assert_eq!(
            CodeError::TooShort { missing: 1 }.to_string(),
            "The code is 1 digit too short."
        );
        assert_eq!(
            CodeError::TooLong { extra: 3 }.to_string(),
            "The code is 3 digits too long."
        );
        assert!(
            CodeError::NotADigit { position: 4 }
                .to_string()
                .starts_with("Character 4 of the code is not a digit")
        );
    }

    #[test]
    fn digits_are_six_to_eight() {
        assert!(Digits::new(5).is_err());
        assert!(Digits::new(9).is_err());
        assert_eq!(Digits::new(7).unwrap().get(), 7);
        assert_eq!(Digits::default(), Digits::SIX);
        assert_eq!(Digits::EIGHT.modulus(), 100_000_000);
    }

    #[test]
    fn debug_does_not_show_the_code() {
        let code = Code::parse("654321", Digits::SIX).unwrap();
        assert_eq!(format!("{code:?}"), "Code(<6 digits>)");
    }
}
