//! Sign-in with a password (IAM user or root), the MFA step, the session's description and
//! sign-out. Wrong passwords and unknown users are indistinguishable (same answer, same argon2
//! work); password failures are throttled per user like device failures.

use shared::api::{
    Action, MfaDeviceChoice, MfaSignInRequest, MfaSignInResponse, RootSignInRequest,
    SessionResponse, SignInRequest, SignInResponse,
};

use super::attempt;
use super::caller::{Authentication, Caller, audited};
use super::codes;
use super::validate::{validate_serial, validate_user_name};
use crate::audit::{self, AuditEntry, RequestMeta, UNKNOWN_ACTOR};
use crate::error::Error;
use crate::session::{self, NewSession};
use crate::state::AppState;
use crate::storage::{PrincipalRow, ThrottleKey};
use crate::throttle;

/// A successful password or MFA step: the answer and the new session's token for the cookie.
pub struct SignedIn<T> {
    /// The JSON answer.
    pub response: T,
    /// The new session token (the cookie value).
    pub token: String,
}

/// `POST /api/sign-in`: an IAM user's password. `old_token` is the session being replaced.
pub async fn sign_in_user(
    state: &AppState,
    meta: &RequestMeta,
    req: SignInRequest,
    old_token: Option<&str>,
) -> Result<SignedIn<SignInResponse>, Error> {
    let well_formed = (1..=63).contains(&req.account.len())
        && req
            .account
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && validate_user_name(&req.user_name).is_ok();
    let account = if well_formed {
        state.storage.find_account(&req.account).await?
    } else {
        None
    };
    let principal = match &account {
        Some(a) => state.storage.find_user(&a.id, &req.user_name).await?,
        None => None,
    };
    let account_id = account.as_ref().map(|a| a.id.as_str());
    // An unknown name is neither stored nor logged as typed (it may be a password typed into
    // the wrong field): the audit trail says "unknown", like CloudTrail's
    // HIDDEN_DUE_TO_SECURITY_REASONS, and its throttle is keyed by a keyed digest.
    let actor = principal
        .as_ref()
        .map_or_else(|| UNKNOWN_ACTOR.to_owned(), PrincipalRow::arn);
    let target_user = principal.as_ref().and_then(|p| p.user_name.clone());
    let unknown_key = (principal.is_none() && well_formed).then(|| {
        let account = account_id.map_or_else(|| req.account.to_lowercase(), str::to_owned);
        let name = req.user_name.to_lowercase();
        state
            .cipher
            .keyed_digest(format!("user\0{account}\0{name}").as_bytes())
    });
    let entry = AuditEntry {
        action: Action::SignIn.name(),
        account_id,
        actor: &actor,
        target_user: target_user.as_deref(),
        serial_number: None,
    };
    let result = password_step(state, principal, unknown_key, &req.password, old_token).await;
    audit::record(state, meta, &entry, &result).await;
    result
}

/// `POST /api/sign-in/root`: the root user's email and password.
pub async fn sign_in_root(
    state: &AppState,
    meta: &RequestMeta,
    req: RootSignInRequest,
    old_token: Option<&str>,
) -> Result<SignedIn<SignInResponse>, Error> {
    let well_formed = (3..=254).contains(&req.email.len()) && req.email.contains('@');
    let principal = if well_formed {
        state.storage.find_root_by_email(&req.email).await?
    } else {
        None
    };
    let actor = principal
        .as_ref()
        .map_or_else(|| UNKNOWN_ACTOR.to_owned(), PrincipalRow::arn);
    let account_id = principal.as_ref().map(|p| p.account_id.clone());
    let own = principal.as_ref().map(PrincipalRow::display_name);
    let unknown_key = (principal.is_none() && well_formed).then(|| {
        let email = req.email.to_lowercase();
        state
            .cipher
            .keyed_digest(format!("root\0{email}").as_bytes())
    });
    let entry = AuditEntry {
        action: Action::SignInRoot.name(),
        account_id: account_id.as_deref(),
        actor: &actor,
        // The root user's own activity lists its sign-ins: the user concerned is the root,
        // named as IAM names it (the account id); an unknown email names nobody.
        target_user: own.as_deref(),
        serial_number: None,
    };
    let result = password_step(state, principal, unknown_key, &req.password, old_token).await;
    audit::record(state, meta, &entry, &result).await;
    result
}

/// The password of `principal` (or of a name that matches none, throttled under
/// `unknown_key`): the attempt is counted before argon2 runs, by one statement guarded by the
/// throttle (rules 7, 8, 10), so parallel wrong passwords cannot all be tried and a throttled or
/// locked user gets the same 429 for a right and a wrong password. Only a success clears it,
/// and never an administrator's lock (rule 9).
async fn password_step(
    state: &AppState,
    principal: Option<PrincipalRow>,
    unknown_key: Option<String>,
    password: &str,
    old_token: Option<&str>,
) -> Result<SignedIn<SignInResponse>, Error> {
    // A hashing slot first (rule 24): when the server is full the answer is 503 and nothing
    // is counted.
    let slot = state.passwords.slot().await?;
    let key = match (&principal, &unknown_key) {
        (Some(p), _) => Some(ThrottleKey::Principal(p.id)),
        (None, Some(k)) => Some(ThrottleKey::UnknownSignIn(k)),
        (None, None) => None,
    };
    let reserved = match key {
        Some(key) => Some(attempt::reserve(state, key, || Error::SignInFailed).await?),
        None => None,
    };
    let hash = principal.as_ref().map(|p| p.password_hash.as_str());
    let ok = state.passwords.verify(slot, password, hash).await?;
    let (p, reserved) = match (principal, reserved) {
        (Some(p), Some(r)) if ok => (p, r),
        // The failure is already counted.
        _ => return Err(Error::SignInFailed),
    };
    if !state
        .storage
        .reset_principal_failures(p.id, reserved.own_lock())
        .await?
    {
        // Locked by an administrator or by parallel failures meanwhile: the lock stands.
        return Err(Error::LimitExceeded {
            retry_after: throttle::LOCKED_RETRY_AFTER,
            locked: true,
        });
    }
    let now = reserved.now;
    let devices = state.storage.devices_of(p.id).await?;
    let mfa_devices: Vec<MfaDeviceChoice> = devices
        .iter()
        .map(|d| MfaDeviceChoice {
            serial_number: d.serial_number.clone(),
            kind: d.kind,
        })
        .collect();
    let mfa_required = !mfa_devices.is_empty();
    if let Some(old) = old_token {
        state
            .storage
            .delete_session(&session::token_hash(old))
            .await?;
    }
    let NewSession { token, row } =
        session::create(state, p.id, false, mfa_required, now, now).await?;
    let (mfa_required, mfa_devices) = if mfa_required {
        (true, mfa_devices)
    } else {
        // Security rule 26: a device enabled between the read above and the session's insert
        // ended the sessions it found, not this one. Read again: if a device is there now,
        // this session is password-only, like any sign-in of a principal with MFA.
        let now_enrolled = state.storage.devices_of(p.id).await?;
        if now_enrolled.is_empty() {
            (false, mfa_devices)
        } else {
            state.storage.mark_session_pending(&row.token_hash).await?;
            let choices = now_enrolled
                .iter()
                .map(|d| MfaDeviceChoice {
                    serial_number: d.serial_number.clone(),
                    kind: d.kind,
                })
                .collect();
            (true, choices)
        }
    };
    Ok(SignedIn {
        response: SignInResponse {
            mfa_required,
            mfa_devices,
        },
        token,
    })
}

/// `POST /api/sign-in/mfa`: the code of one of the caller's devices; on success the session is
/// replaced by one with MFA (a new id), keeping the time of sign-in for the absolute limit.
pub async fn sign_in_mfa(
    state: &AppState,
    caller: &Caller,
    token: &str,
    req: MfaSignInRequest,
) -> Result<SignedIn<MfaSignInResponse>, Error> {
    let serial = req.serial_number.clone();
    audited(
        state,
        caller,
        Action::SignInMfa,
        None,
        serial.as_deref(),
        async {
            if caller.authentication != Authentication::PasswordOnly {
                return Err(Error::InvalidState(
                    "This session does not need an MFA code.".into(),
                ));
            }
            let code = codes::parse_code("AuthenticationCode", &req.authentication_code)?;
            let devices = state.storage.devices_of(caller.principal.id).await?;
            let dev = match serial.as_deref() {
                Some(s) => {
                    validate_serial(s)?;
                    devices
                        .into_iter()
                        .find(|d| d.serial_number == s)
                        .ok_or_else(Error::no_such_device)?
                }
                None => {
                    let mut with_codes: Vec<_> =
                        devices.into_iter().filter(|d| d.codes.is_some()).collect();
                    if with_codes.len() != 1 {
                        return Err(Error::Validation(
                            "SerialNumber is required: choose one of your MFA devices.".into(),
                        ));
                    }
                    with_codes.remove(0)
                }
            };
            codes::check_single(state, &dev, &code).await?;
            let hash = session::token_hash(token);
            let Some(old) = state.storage.session(&hash).await? else {
                return Err(Error::NotSignedIn);
            };
            if !state.storage.delete_session(&hash).await? {
                return Err(Error::NotSignedIn);
            }
            let new = session::create(
                state,
                caller.principal.id,
                true,
                false,
                old.signed_in_at,
                state.clock.now_ms(),
            )
            .await?;
            Ok(SignedIn {
                response: MfaSignInResponse { mfa_present: true },
                token: new.token,
            })
        },
    )
    .await
}

/// `GET /api/session`: who, and what they may do now.
pub async fn session_info(state: &AppState, caller: &Caller) -> Result<SessionResponse, Error> {
    let p = &caller.principal;
    Ok(SessionResponse {
        account: p.account_id.clone(),
        arn: p.arn(),
        user_name: if p.is_root { None } else { p.user_name.clone() },
        root: p.is_root,
        mfa_present: caller.authentication == Authentication::Mfa,
        allowed: super::authorize::allowed_actions(state, caller)
            .await?
            .into_iter()
            .map(|a| a.name().to_owned())
            .collect(),
        notices: super::activity::notices(state, caller).await?,
    })
}

/// `POST /api/sign-out`: ends the session, audited as `SignOut` of its principal. A request
/// without a live session ends nothing that still worked and is not an attempt at anything:
/// no event (an expired session's row is deleted all the same).
pub async fn sign_out(
    state: &AppState,
    meta: &RequestMeta,
    token: Option<&str>,
) -> Result<(), Error> {
    let Some(token) = token else {
        return Ok(());
    };
    let principal = session::live_principal(state, token).await?;
    let result = state
        .storage
        .delete_session(&session::token_hash(token))
        .await
        .map_err(Error::from);
    if let Some(p) = &principal {
        let failure = result.as_ref().err().map(|e| e.code().as_str());
        audit::record_by(state, meta, Action::SignOut.name(), Some(p), failure).await;
    }
    result.map(|_| ())
}
