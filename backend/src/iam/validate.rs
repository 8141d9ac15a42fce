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

/// `Path`: `/`, or `/` + segments of `[\w+=,.@-]` each ended by `/`, at most 512 characters.
/// IAM's model allows any printable ASCII, but a device's path becomes part of its serial
/// number, whose pattern (`[\w+=/:,.@-]`) is narrower: a path outside it would make a device
/// that no later call could name (security rule 27: what can be created can be deleted).
pub fn validate_path(path: &str) -> Result<(), Error> {
    let segments_ok = path == "/"
        || path
            .strip_prefix('/')
            .and_then(|p| p.strip_suffix('/'))
            .is_some_and(|inner| {
                inner
                    .split('/')
                    .all(|s| !s.is_empty() && s.chars().all(|c| word_or(c, "+=,.@-")))
            });
    if path.len() <= 512 && segments_ok {
        Ok(())
    } else {
        Err(Error::Validation(
            "Path must be / or begin and end with /, with segments of letters, digits and \
             +=,.@_- between (e.g. /division/team/)."
                .into(),
        ))
    }
}

/// A new virtual device's serial, `arn:aws:iam::ACCOUNT:mfa{path}{name}`, once its parts are
/// valid: it must itself be a valid `SerialNumber` (at most 256 characters), or no later call
/// could name the device.
pub fn validate_new_serial(serial: &str) -> Result<(), Error> {
    validate_serial(serial).map_err(|_| {
        Error::Validation(
            "Path and VirtualMFADeviceName together are too long: the serial number \
             arn:aws:iam::ACCOUNT:mfaPATHNAME may have at most 256 characters."
                .into(),
        )
    })
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
        assert!(validate_path("/team.x@y/").is_ok());
        for bad in [
            "a/", "//", "/a", "/a//b/", "/a b/", "/a!/", "/a\"/", "/é/", "",
        ] {
            assert!(validate_path(bad).is_err(), "{bad:?}");
        }
    }

    /// Rule 27: whatever name and path pass their checks, within the length, give a serial
    /// number the other actions accept, so the device can always be named and deleted.
    #[test]
    fn every_creatable_serial_is_a_valid_serial() {
        let chars: Vec<char> = ('!'..='~').collect();
        let account = "arn:aws:iam::123456789012:mfa";
        for &a in &chars {
            for &b in &chars {
                let name = format!("{a}n{b}");
                let path = format!("/{a}/{b}x/");
                for (path, name) in [("/", name.as_str()), (path.as_str(), "n")] {
                    if validate_path(path).is_ok() && validate_device_name(name).is_ok() {
                        let serial = format!("{account}{path}{name}");
                        assert!(validate_serial(&serial).is_ok(), "{serial}");
                    }
                }
            }
        }
        let long = format!("{account}/{}/{}", "p".repeat(200), "n".repeat(30));
        assert!(validate_new_serial(&long).is_err());
    }
}
