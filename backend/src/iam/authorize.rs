//! Whether the caller may do an action, in one place for every action: rule 12 for
//! password-only sessions, everything in its own account for the root user, IAM policy
//! evaluation (rule 13) for everyone else. An action on a user's resources resolves the user
//! first ([`authorize_user`]): the policy is evaluated against the STORED user's ARN, so a
//! name typed in another letter case cannot slip past a `Deny` on that ARN.

use shared::api::Action;

use super::caller::{Authentication, Caller};
use super::validate::validate_user_name;
use crate::error::Error;
use crate::policy::{self, RequestContext};
use crate::state::AppState;
use crate::storage::PrincipalRow;

/// What a refused or missing target user answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Visibility {
    /// The target's devices: a refusal on another user, and a user that does not exist,
    /// answer exactly like a missing device (security rule 14).
    AsMissingDevice,
    /// Anything else: `AccessDenied`, and `NoSuchEntity` for a user that does not exist.
    Plain,
}

/// Authorises `action` on the user named (looked up without regard to case), or on the caller
/// when no name is given, and returns that user.
pub(crate) async fn authorize_user(
    state: &AppState,
    caller: &Caller,
    action: Action,
    user_name: Option<&str>,
    visibility: Visibility,
) -> Result<PrincipalRow, Error> {
    let (arn, is_self, principal) = match user_name {
        None => (caller.arn(), true, Some(caller.principal.clone())),
        Some(name) => {
            validate_user_name(name)?;
            match state.storage.find_user(caller.account(), name).await? {
                Some(p) => (p.arn(), p.id == caller.principal.id, Some(p)),
                // For a user that does not exist, the ARN of the name typed.
                None => (
                    format!("arn:aws:iam::{}:user/{name}", caller.account()),
                    false,
                    None,
                ),
            }
        }
    };
    if !is_allowed(state, caller, action, &arn, is_self).await? {
        return Err(match visibility {
            Visibility::AsMissingDevice if !is_self => Error::no_such_device(),
            _ => access_denied(caller, action),
        });
    }
    principal.ok_or_else(|| match visibility {
        Visibility::AsMissingDevice => Error::no_such_device(),
        Visibility::Plain => Error::no_such_user(user_name.unwrap_or_default()),
    })
}

/// Authorises `action` on a resource that is not a user (a virtual device's ARN, `*`, the
/// account's users).
pub(crate) async fn authorize(
    state: &AppState,
    caller: &Caller,
    action: Action,
    resource: &str,
) -> Result<(), Error> {
    if is_allowed(state, caller, action, resource, false).await? {
        Ok(())
    } else {
        Err(access_denied(caller, action))
    }
}

/// The actions the caller may do now, each on its natural resource: the caller's own user for
/// what acts on a user, a virtual device named after the caller for creating and deleting one,
/// `*` for the account-wide lists (`GET /api/session`'s `Allowed`, so the app offers only what
/// will be allowed). The sign-in steps need no permission and are left out.
pub(crate) async fn allowed_actions(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<Action>, Error> {
    let own = caller.arn();
    let device = format!(
        "arn:aws:iam::{}:mfa/{}",
        caller.account(),
        caller.principal.display_name()
    );
    let mut allowed = Vec::new();
    for action in Action::ALL {
        if action.iam_action().is_none() {
            continue;
        }
        let (resource, is_self) = match action {
            Action::ListUsers | Action::ListVirtualMfaDevices | Action::LookupEvents => {
                ("*", false)
            }
            Action::CreateVirtualMfaDevice | Action::DeleteVirtualMfaDevice => {
                (device.as_str(), false)
            }
            _ => (own.as_str(), true),
        };
        if is_allowed(state, caller, action, resource, is_self).await? {
            allowed.push(action);
        }
    }
    Ok(allowed)
}

/// Whether the caller may do `action` on `resource`.
async fn is_allowed(
    state: &AppState,
    caller: &Caller,
    action: Action,
    resource: &str,
    target_is_self: bool,
) -> Result<bool, Error> {
    if caller.authentication == Authentication::PasswordOnly {
        return Ok(
            target_is_self && matches!(action, Action::ListMfaDevices | Action::ResyncMfaDevice)
        );
    }
    if caller.principal.is_root {
        return Ok(true);
    }
    let Some(iam_action) = action.iam_action() else {
        // The sign-in steps need no permission and are never authorised here.
        return Ok(false);
    };
    let read;
    let documents = match &caller.policies {
        Some(d) => d,
        None => {
            read = state.storage.policies(caller.principal.id).await?;
            &read
        }
    };
    let mut policies = Vec::with_capacity(documents.len());
    for d in documents {
        match policy::parse_cached(d) {
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
        action: iam_action,
        resource,
        account: caller.account(),
        username: caller.principal.user_name.as_deref(),
        mfa_present: caller.authentication.mfa_present(),
        mfa_age: caller.authentication.mfa_age(state.clock.now_ms()),
    };
    Ok(policy::evaluate(&policies, &ctx).is_allowed())
}

/// `AccessDenied` for `action`.
fn access_denied(caller: &Caller, action: Action) -> Error {
    let iam_action = action.iam_action().unwrap_or(action.name());
    if caller.authentication == Authentication::PasswordOnly {
        Error::AccessDenied(format!(
            "Finish signing in with your MFA device before {iam_action}: until then you may \
             only list and resynchronise your own MFA devices."
        ))
    } else {
        Error::AccessDenied(format!(
            "User {} is not authorized to perform {iam_action}.",
            caller.arn()
        ))
    }
}
