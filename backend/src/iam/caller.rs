//! Who is calling, how they proved it, the audit wrapper every action runs in, and what a change
//! of MFA does to the sessions of the principal it changes (security rule 26).

use shared::api::Action;

use crate::audit::{AuditEntry, Prepared, RequestMeta};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::PrincipalRow;

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authentication {
    /// Password checked, MFA enrolled but not passed (security rule 12): may only list its own
    /// devices and resync its own device, for ten minutes.
    PasswordOnly,
    /// Password checked, no MFA device enrolled: policy decides with MFA absent-as-false.
    Password,
    /// Password and MFA.
    Mfa,
    /// A signed API call with an access key: `aws:MultiFactorAuthPresent` absent.
    AccessKey,
    /// A signed API call with temporary credentials from STS `GetSessionToken`:
    /// `aws:MultiFactorAuthPresent` true when they were issued after an MFA code (checked at
    /// `mfa_at`, Unix ms; `aws:MultiFactorAuthAge` counts from then), false otherwise, as in AWS.
    Temporary {
        /// When the code was checked; `None`: issued without one.
        mfa_at: Option<i64>,
    },
}

impl Authentication {
    /// The value of `aws:MultiFactorAuthPresent`.
    pub fn mfa_present(self) -> Option<bool> {
        match self {
            Authentication::PasswordOnly | Authentication::Password => Some(false),
            Authentication::Mfa => Some(true),
            Authentication::AccessKey => None,
            Authentication::Temporary { mfa_at } => Some(mfa_at.is_some()),
        }
    }

    /// The value of `aws:MultiFactorAuthAge` at `now_ms`: whole seconds since the MFA code of
    /// temporary credentials was checked; absent otherwise (AWS sets it only for temporary
    /// credentials issued with MFA).
    pub fn mfa_age(self, now_ms: i64) -> Option<i64> {
        match self {
            Authentication::Temporary {
                mfa_at: Some(at), ..
            } => Some((now_ms - at).max(0) / 1000),
            _ => None,
        }
    }
}

/// Who is calling, and from where.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The root user or IAM user.
    pub principal: PrincipalRow,
    /// How they signed in.
    pub authentication: Authentication,
    /// Request origin, for the audit trail.
    pub meta: RequestMeta,
    /// The principal's policy documents when read with the session; `None`: read them when
    /// needed.
    pub policies: Option<Vec<String>>,
    /// The SHA-256 of the session's token when called with a session (the one session a
    /// change of the caller's own MFA keeps, security rule 26).
    pub session: Option<String>,
    /// The access key the request was signed with (`AKIA…` or `ASIA…`), on the Query API.
    pub access_key_id: Option<String>,
}

impl Caller {
    /// The caller's ARN.
    pub fn arn(&self) -> String {
        self.principal.arn()
    }

    /// The caller's account.
    pub fn account(&self) -> &str {
        &self.principal.account_id
    }
}

/// Runs an action and writes its audit event, whatever the outcome (security rule 21).
pub(crate) async fn audited<T>(
    state: &AppState,
    caller: &Caller,
    action: Action,
    target_user: Option<&str>,
    serial: Option<&str>,
    run: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let event = prepare(caller, action, target_user, serial);
    let result = run.await;
    event.record(state, &result).await;
    result
}

/// The audit event of `caller`'s `action` on `target_user` (the caller when `None`) and
/// `serial`, for an action whose change stores its own success event ([`Prepared`]); the
/// action's answer is then passed to [`Prepared::record`], as [`audited`] does.
pub(crate) fn prepare<'a>(
    caller: &'a Caller,
    action: Action,
    target_user: Option<&str>,
    serial: Option<&str>,
) -> Prepared<'a> {
    let actor = caller.arn();
    let own = caller.principal.display_name();
    let entry = AuditEntry {
        action: action.name(),
        account_id: Some(caller.account()),
        actor: &actor,
        target_user: target_user.or(Some(own.as_str())),
        serial_number: serial,
    };
    Prepared::new(&caller.meta, &entry)
}

/// Security rule 26: a device of `owner` was enabled or deactivated. Every other session of the
/// owner ends — opened before, they hold rights the owner's new MFA state no longer gives (a
/// session opened with a stolen password before enrolment, one that passed MFA with the device
/// just removed). The caller's own session stays, as it was, when the owner is the caller (as
/// at AWS, enabling a device does not make the session one signed in with MFA).
pub(crate) async fn after_mfa_change(
    state: &AppState,
    caller: &Caller,
    owner_id: i64,
) -> Result<(), Error> {
    let own = caller.principal.id == owner_id;
    let keep = caller.session.as_deref().filter(|_| own);
    let ended = state.storage.delete_sessions_of(owner_id, keep).await?;
    tracing::info!(
        principal = owner_id,
        ended,
        "sessions ended after an MFA change"
    );
    Ok(())
}
