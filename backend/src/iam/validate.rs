//! Input shapes of IAM's service model, checked before any lookup.

use crate::error::Error;

fn word_or(c: char, extra: &str) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || extra.contains(c)
}

/// `UserName`: 1–128 of `[\w+=,.@-]`.
pub fn validate_user_name(name: &str) -> Result<(), Error> {
    let ok = (1..=128).contains(&name.len()) && name.chars().all(|c| word_or(c, "+=,.@-"));
    if ok {
        Ok(())
    } else {
        Err(Error::Validation(
            "UserName must be 1 to 128 characters of letters, digits and +=,.@_-.".into(),
        ))
    }
}

/// `SerialNumber`: 9–256 of `[\w+=/:,.@-]`.
pub fn validate_serial(serial: &str) -> Result<(), Error> {
    let ok = (9..=256).contains(&serial.len()) && serial.chars().all(|c| word_or(c, "+=/:,.@-"));
    if ok {
        Ok(())
    } else {
        Err(Error::Validation(
            "SerialNumber must be 9 to 256 characters of letters, digits and +=/:,.@_-.".into(),
        ))
    }
}

/// `VirtualMFADeviceName`: 1–226 of `[\w+=,.@-]`.
pub fn validate_device_name(name: &str) -> Result<(), Error> {
    let ok = (1..=226).contains(&name.len()) && name.chars().all(|c| word_or(c, "+=,.@-"));
    if ok {
        Ok(())
    } else {
        Err(Error::Validation(
            "VirtualMFADeviceName must be 1 to 226 characters of letters, digits and +=,.@_-."
                .into(),
        ))
    }
}

/// `Path`: `/` or `/segments/`, 1–512 printable ASCII.
pub fn validate_path(path: &str) -> Result<(), Error> {
    let ok = (1..=512).contains(&path.len())
        && path.starts_with('/')
        && path.ends_with('/')
        && path.chars().all(|c| ('!'..='~').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(Error::Validation(
            "Path must begin and end with / and hold printable ASCII.".into(),
        ))
    }
}

/// A code before any lookup (security rule 1): exactly 6 ASCII digits, or 8 (HOTP tokens
/// enrolled with 8), nothing trimmed or normalised. The device's exact length is checked once
/// it is known.
pub fn precheck_code(member: &str, code: &str) -> Result<(), Error> {
    let ok = matches!(code.len(), 6 | 8) && code.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        let why = shared::code::Code::parse(code, shared::code::Digits::SIX)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        Err(Error::Validation(format!(
            "{member} must be exactly the digits the device shows. {why}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_strict() {
        for bad in [
            " 123456",
            "123456 ",
            "１２３４５６",
            "12345",
            "1234567",
            "123456789",
            "+123456",
            "\u{a0}123456",
            "12a456",
            "",
        ] {
            assert!(
                precheck_code("AuthenticationCode1", bad).is_err(),
                "{bad:?}"
            );
        }
        assert!(precheck_code("AuthenticationCode1", "012345").is_ok());
        assert!(precheck_code("AuthenticationCode1", "01234567").is_ok());
    }

    #[test]
    fn names_and_serials_follow_iam() {
        assert!(validate_user_name("alice.smith@x").is_ok());
        assert!(validate_user_name("a b").is_err());
        assert!(validate_user_name(&"a".repeat(129)).is_err());
        assert!(validate_serial("arn:aws:iam::123456789012:mfa/alice").is_ok());
        assert!(validate_serial("GAHT1234").is_err());
        assert!(validate_path("/").is_ok());
        assert!(validate_path("/a/b/").is_ok());
        assert!(validate_path("a/").is_err());
    }
}
