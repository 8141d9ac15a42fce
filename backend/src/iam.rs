//! The IAM actions, one implementation each, independent of HTTP and JSON: each takes the
//! [`Caller`] and typed input and returns typed output or [`Error`]. The JSON routes and the
//! IAM Query adapter are thin layers over these functions. The list actions also take IAM's
//! paging members ([`shared::api::Paging`]) and page with keyset markers (`paging`).

mod access_keys;
mod codes;
mod devices;
mod get_user;
mod paging;
mod sign_in;
mod users;
mod validate;
mod virtual_devices;

pub use access_keys::{
    AccessKeyMetadata, CreatedAccessKey, DeleteAccessKeyRequest, ListAccessKeysRequest,
    ListAccessKeysResponse, SigningKey, create_access_key, delete_access_key, list_access_keys,
    signing_key,
};
pub use devices::{deactivate_mfa_device, list_mfa_devices, resync_mfa_device, unlock_mfa_device};
pub use get_user::{GetUserRequest, GetUserResponse, get_user};
pub use sign_in::{SignedIn, session_info, sign_in_mfa, sign_in_root, sign_in_user, sign_out};
pub use users::{list_users, lookup_events};
pub use validate::{validate_serial, validate_user_name};
pub use virtual_devices::{
    create_virtual_mfa_device, delete_virtual_mfa_device, enable_mfa_device,
    list_virtual_mfa_devices,
};

use crate::audit::{self, AuditEntry, RequestMeta};
use crate::error::Error;
use crate::policy::{self, Policy, RequestContext};
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
    /// A signed API call with an access key (a later issue): `aws:MultiFactorAuthPresent` absent.
    AccessKey,
}

impl Authentication {
    /// The value of `aws:MultiFactorAuthPresent`.
    pub fn mfa_present(self) -> Option<bool> {
        match self {
            Authentication::PasswordOnly | Authentication::Password => Some(false),
            Authentication::Mfa => Some(true),
            Authentication::AccessKey => None,
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

/// Whether the caller may do `action` (e.g. `iam:ResyncMFADevice`) on `resource`.
/// Rule 12 for password-only sessions; the root user may do everything in its own account;
/// everyone else through IAM policy evaluation (rule 13).
pub(crate) async fn is_allowed(
    state: &AppState,
    caller: &Caller,
    action: &str,
    resource: &str,
    target_is_self: bool,
) -> Result<bool, Error> {
    if caller.authentication == Authentication::PasswordOnly {
        return Ok(
            target_is_self && (action == "iam:ListMFADevices" || action == "iam:ResyncMFADevice")
        );
    }
    if caller.principal.is_root {
        return Ok(true);
    }
    let read;
    let documents = match &caller.policies {
        Some(d) => d,
        None => {
            read = state.storage.policies(caller.principal.id).await?;
            &read
        }
    };
    let mut policies: Vec<Policy> = Vec::with_capacity(documents.len());
    for d in documents {
        match Policy::parse(d) {
            Ok(p) => policies.push(p),
            // Fail closed: ignoring it would drop whatever Deny it holds.
            Err(e) => {
                tracing::error!(
                    error = %e,
                    principal = %caller.arn(),
                    "an attached policy does not parse; the request is denied"
                );
                return Ok(false);
            }
        }
    }
    let ctx = RequestContext {
        action,
        resource,
        account: caller.account(),
        username: caller.principal.user_name.as_deref(),
        mfa_present: caller.authentication.mfa_present(),
    };
    Ok(policy::evaluate(&policies, &ctx).is_allowed())
}

/// `AccessDenied` for `action`.
pub(crate) fn access_denied(caller: &Caller, action: &str) -> Error {
    if caller.authentication == Authentication::PasswordOnly {
        Error::AccessDenied(format!(
            "Finish signing in with your MFA device before {action}: until then you may only \
             list and resynchronise your own MFA devices."
        ))
    } else {
        Error::AccessDenied(format!(
            "User {} is not authorized to perform {action}.",
            caller.arn()
        ))
    }
}

/// Runs an action and writes its audit event, whatever the outcome.
pub(crate) async fn audited<T>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target_user: Option<&str>,
    serial: Option<&str>,
    run: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let result = run.await;
    let actor = caller.arn();
    let own = caller.principal.display_name();
    let entry = AuditEntry {
        action,
        account_id: Some(caller.account()),
        actor: &actor,
        target_user: target_user.or(Some(own.as_str())),
        serial_number: serial,
    };
    audit::record(state, &caller.meta, &entry, &result).await;
    result
}
