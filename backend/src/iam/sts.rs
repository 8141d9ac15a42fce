//! STS on the Query API (issue 15): `GetSessionToken` turns a long-term access key and, when
//! given, a code of the caller's own MFA device into temporary credentials, which carry
//! `aws:MultiFactorAuthPresent` and `aws:MultiFactorAuthAge` into the policy — so a script can
//! do what its user can do after MFA in the browser, as in AWS. `GetCallerIdentity` says whose
//! the credentials are.
//!
//! The code is checked by the sign-in's own path ([`codes::check_single`]): strict, counted on
//! the device and on its owner's code budget (so a throttle reached here stops the browser's
//! sign-in too, and the other way round), burned on success, audited. Unlike moto, a wrong
//! code issues nothing.
//!
//! Temporary credentials: `ASIA` and 16 Base32 characters (80 random bits), a 40-character
//! secret (240 bits), sealed as an access key's is ([`Sealed::AccessKeySecret`] with the
//! `ASIA…` id: SigV4 needs it in plain), and a session token of 384 random bits of which only
//! the SHA-256 is stored. They end at their expiry, when the long-term key that asked for them
//! is deleted, when the MFA device whose code they carry is deactivated (or enabled again:
//! its enable time is part of the check), and when the user's policies change.

use data_encoding::{BASE32_NOPAD, BASE64, HEXLOWER};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::api::Action;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::access_keys::SigningKey;
use super::caller::{Authentication, Caller, audited};
use super::codes;
use super::validate::validate_serial;
use crate::clock::rfc3339;
use crate::crypto::{Sealed, random_bytes};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::NewTemporaryCredentials;

/// STS's bounds for an IAM user's credentials, in seconds, and the default.
pub const USER_DURATION: (i64, i64, i64) = (900, 129_600, 43_200);
/// The root user's: at most one hour (a longer request is cut to one hour, as in AWS).
pub const ROOT_DURATION_MAX: i64 = 3_600;

/// `GetSessionToken`'s members.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSessionTokenRequest {
    /// Seconds the credentials last.
    #[serde(default)]
    pub duration_seconds: Option<String>,
    /// The MFA device whose code is given: its serial number (an ARN for a virtual device).
    #[serde(default)]
    pub serial_number: Option<String>,
    /// Its current code.
    #[serde(default)]
    pub token_code: Option<String>,
}

/// Temporary credentials, shown once. (No `Debug`: it would print the secret.)
pub struct TemporaryCredentials {
    /// `ASIA…`.
    pub access_key_id: String,
    /// The secret.
    pub secret_access_key: Zeroizing<String>,
    /// The session token, sent as `X-Amz-Security-Token` with every signed request.
    pub session_token: Zeroizing<String>,
    /// When they end, RFC 3339 UTC.
    pub expiration: String,
}

/// `GetCallerIdentity`'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The user's unique id (the account id for the root user).
    pub user_id: String,
    /// The account.
    pub account: String,
    /// The user's (or the root user's) ARN.
    pub arn: String,
}

/// `GetSessionToken`: needs no permission (as in AWS), but long-term credentials: temporary
/// ones cannot make more.
pub async fn get_session_token(
    state: &AppState,
    caller: &Caller,
    req: GetSessionTokenRequest,
) -> Result<TemporaryCredentials, Error> {
    let serial = req.serial_number.as_deref();
    audited(
        state,
        caller,
        Action::GetSessionToken,
        None,
        serial,
        async {
            let parent = match (&caller.authentication, &caller.access_key_id) {
                (Authentication::AccessKey, Some(key)) => key.as_str(),
                _ => {
                    return Err(Error::AccessDenied(
                        "Cannot call GetSessionToken with session credentials.".into(),
                    ));
                }
            };
            let seconds = duration(req.duration_seconds.as_deref(), caller.principal.is_root)?;
            let mfa = match (serial, req.token_code.as_deref()) {
                (None, None) => None,
                (Some(serial), Some(code)) => {
                    validate_serial(serial)?;
                    let code = codes::parse_code("TokenCode", code)?;
                    let dev = state
                        .storage
                        .devices_of(caller.principal.id)
                        .await?
                        .into_iter()
                        .find(|d| d.serial_number == serial)
                        .ok_or_else(Error::no_such_device)?;
                    codes::check_single(state, &dev, &code).await?;
                    Some((dev.id, dev.enabled_at, state.clock.now_ms()))
                }
                _ => {
                    return Err(Error::Validation(
                        "SerialNumber and TokenCode must be given together.".into(),
                    ));
                }
            };
            issue(state, caller, parent, seconds, mfa).await
        },
    )
    .await
}

/// The credentials' lifetime in seconds from `DurationSeconds` (STS's bounds and default).
fn duration(text: Option<&str>, root: bool) -> Result<i64, Error> {
    let (min, max, default) = USER_DURATION;
    let default = if root { ROOT_DURATION_MAX } else { default };
    let Some(text) = text else {
        return Ok(default);
    };
    let seconds: i64 = text
        .parse()
        .ok()
        .filter(|s| *s >= min && *s <= max)
        .ok_or_else(|| {
            Error::Validation(format!(
                "DurationSeconds must be a whole number of seconds from {min} to {max}."
            ))
        })?;
    Ok(if root {
        seconds.min(ROOT_DURATION_MAX)
    } else {
        seconds
    })
}

/// Makes and stores the credentials.
async fn issue(
    state: &AppState,
    caller: &Caller,
    parent: &str,
    seconds: i64,
    mfa: Option<(i64, Option<i64>, i64)>,
) -> Result<TemporaryCredentials, Error> {
    let random = |n| random_bytes(n).map_err(Error::internal);
    let access_key_id = format!("ASIA{}", BASE32_NOPAD.encode(&random(10)?));
    let secret = Zeroizing::new(BASE64.encode(&random(30)?));
    let token = Zeroizing::new(BASE64.encode(&random(48)?));
    let sealed = state
        .cipher
        .encrypt(
            Sealed::AccessKeySecret {
                account_id: caller.account(),
                access_key_id: &access_key_id,
            },
            secret.as_bytes(),
        )
        .map_err(Error::internal)?;
    let now = state.clock.now_ms();
    let expires_at = now + seconds * 1000;
    let token_hash = token_hash(&token);
    state
        .storage
        .insert_temporary_credentials(&NewTemporaryCredentials {
            access_key_id: &access_key_id,
            principal_id: caller.principal.id,
            parent_key_id: parent,
            secret: &sealed,
            token_hash: &token_hash,
            // A device without an enable time cannot have passed check_single: it has no owner.
            mfa: mfa.map(|(device, enabled_at, at)| (device, enabled_at.unwrap_or(0), at)),
            created_at: now,
            expires_at,
        })
        .await?;
    Ok(TemporaryCredentials {
        access_key_id,
        secret_access_key: secret,
        session_token: token,
        expiration: rfc3339(expires_at),
    })
}

fn token_hash(token: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

/// `GetCallerIdentity`: needs no permission, whatever the credentials (as in AWS).
pub async fn get_caller_identity(
    state: &AppState,
    caller: &Caller,
) -> Result<CallerIdentity, Error> {
    audited(
        state,
        caller,
        Action::GetCallerIdentity,
        None,
        None,
        async {
            let p = &caller.principal;
            Ok(CallerIdentity {
                user_id: if p.is_root {
                    p.account_id.clone()
                } else {
                    p.user_id.clone()
                },
                account: p.account_id.clone(),
                arn: p.arn(),
            })
        },
    )
    .await
}

/// Why temporary credentials were refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TemporaryRefusal {
    /// Unknown, the wrong token, no token, or what made them is gone (`InvalidClientTokenId`).
    Invalid,
    /// Past their expiry (`ExpiredToken`).
    Expired,
}

/// The owner, plain secret and MFA time of the temporary credentials `access_key_id` presented
/// with `token` at `now_ms`.
pub async fn temporary_signing_key(
    state: &AppState,
    access_key_id: &str,
    token: Option<&str>,
    now_ms: i64,
) -> Result<Result<(SigningKey, Option<i64>), TemporaryRefusal>, Error> {
    let Some(row) = state.storage.temporary_credentials(access_key_id).await? else {
        return Ok(Err(TemporaryRefusal::Invalid));
    };
    let Some(token) = token else {
        return Ok(Err(TemporaryRefusal::Invalid));
    };
    if !bool::from(
        token_hash(token)
            .as_bytes()
            .ct_eq(row.token_hash.as_bytes()),
    ) {
        return Ok(Err(TemporaryRefusal::Invalid));
    }
    if now_ms >= row.expires_at {
        return Ok(Err(TemporaryRefusal::Expired));
    }
    if !row.still_valid {
        return Ok(Err(TemporaryRefusal::Invalid));
    }
    let Some(principal) = state.storage.principal(row.principal_id).await? else {
        return Ok(Err(TemporaryRefusal::Invalid));
    };
    let plain = state
        .cipher
        .decrypt(
            Sealed::AccessKeySecret {
                account_id: &principal.account_id,
                access_key_id: &row.access_key_id,
            },
            &row.secret,
        )
        .map_err(Error::internal)?;
    let secret = Zeroizing::new(
        String::from_utf8(plain.to_vec())
            .map_err(|_| Error::Internal("temporary secret".into()))?,
    );
    Ok(Ok((SigningKey { principal, secret }, row.mfa_at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// STS's bounds: 900 s to 36 h for a user (12 h by default); the root user at most, and by
    /// default, one hour.
    #[test]
    fn durations_follow_sts() {
        assert_eq!(duration(None, false).unwrap(), 43_200);
        assert_eq!(duration(None, true).unwrap(), 3_600);
        assert_eq!(duration(Some("900"), false).unwrap(), 900);
        assert_eq!(duration(Some("129600"), false).unwrap(), 129_600);
        assert_eq!(duration(Some("7200"), true).unwrap(), 3_600);
        assert_eq!(duration(Some("900"), true).unwrap(), 900);
        for bad in ["899", "129601", "-900", "1e3", "", "900.0"] {
            assert!(
                matches!(duration(Some(bad), false), Err(Error::Validation(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_token_is_kept_as_its_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
