//! Every action mfa-resync performs, audits or authorises, in one list: its name (on the wire,
//! in the audit trail and in the IAM Query API's `Action=`), the IAM action a policy grants it
//! by (`iam:ResyncMFADevice`), and where it is served. The JSON router, the Query dispatcher,
//! the CSRF layer's audit of refusals and the browser app's audit filter all read this list, so
//! adding an action is one line here and one implementation in the backend.

/// One action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// An IAM user's password (`POST /api/sign-in`).
    SignIn,
    /// The root user's email and password (`POST /api/sign-in/root`).
    SignInRoot,
    /// The MFA step of a sign-in (`POST /api/sign-in/mfa`).
    SignInMfa,
    /// Ending a session (`POST /api/sign-out`).
    SignOut,
    /// `ListMFADevices`.
    ListMfaDevices,
    /// `ResyncMFADevice`.
    ResyncMfaDevice,
    /// `EnableMFADevice`.
    EnableMfaDevice,
    /// `DeactivateMFADevice`.
    DeactivateMfaDevice,
    /// `CreateVirtualMFADevice`.
    CreateVirtualMfaDevice,
    /// `DeleteVirtualMFADevice`.
    DeleteVirtualMfaDevice,
    /// `ListVirtualMFADevices`.
    ListVirtualMfaDevices,
    /// `ListUsers`.
    ListUsers,
    /// `ListAccessKeys`.
    ListAccessKeys,
    /// `UnlockMFADevice` (ours, not IAM's): clears a device's throttle and lock.
    UnlockMfaDevice,
    /// `LookupEvents`: the audit trail (`POST /api/audit/LookupEvents`).
    LookupEvents,
    /// `GetUser` (the IAM Query API only).
    GetUser,
    /// `DeleteAccessKey` (the IAM Query API only).
    DeleteAccessKey,
    /// STS `GetSessionToken` (the Query API only): temporary credentials for a long-term access
    /// key, carrying MFA when a code is given.
    GetSessionToken,
    /// STS `GetCallerIdentity` (the Query API only): who the credentials belong to.
    GetCallerIdentity,
}

/// The AWS service whose protocol an action belongs to: its SigV4 signing name and its Query
/// `Version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// IAM, `2010-05-08`.
    Iam,
    /// STS, `2011-06-15`.
    Sts,
}

impl Service {
    /// The name in a SigV4 credential scope (`…/us-east-1/iam/aws4_request`).
    pub const fn signing_name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    /// The Query protocol's `Version=`.
    pub const fn version(self) -> &'static str {
        match self {
            Service::Iam => "2010-05-08",
            Service::Sts => "2011-06-15",
        }
    }
}

/// Where an action is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Surface {
    /// The JSON API's path, when the browser app's API serves it.
    pub json_path: Option<&'static str>,
    /// Whether the IAM Query API (`POST /`, the `aws` CLI and SDKs) serves it.
    pub query: bool,
}

/// Path of every IAM action on the JSON API: `POST {IAM_PATH_PREFIX}{Action}`.
pub const IAM_PATH_PREFIX: &str = "/api/iam/";

impl Action {
    /// Every action: the sign-in steps, then what acts on a device, then the lists (the
    /// browser app's audit filter offers them in this order).
    pub const ALL: [Action; 19] = [
        Action::SignIn,
        Action::SignInRoot,
        Action::SignInMfa,
        Action::SignOut,
        Action::ListMfaDevices,
        Action::ResyncMfaDevice,
        Action::EnableMfaDevice,
        Action::DeactivateMfaDevice,
        Action::UnlockMfaDevice,
        Action::CreateVirtualMfaDevice,
        Action::DeleteVirtualMfaDevice,
        Action::ListVirtualMfaDevices,
        Action::ListUsers,
        Action::ListAccessKeys,
        Action::LookupEvents,
        Action::GetUser,
        Action::DeleteAccessKey,
        Action::GetSessionToken,
        Action::GetCallerIdentity,
    ];

    /// The name, exactly as IAM spells it (`ResyncMFADevice`), or ours for the sign-in steps.
    pub const fn name(self) -> &'static str {
        match self {
            Action::SignIn => "SignIn",
            Action::SignInRoot => "SignInRoot",
            Action::SignInMfa => "SignInMFA",
            Action::SignOut => "SignOut",
            Action::ListMfaDevices => "ListMFADevices",
            Action::ResyncMfaDevice => "ResyncMFADevice",
            Action::EnableMfaDevice => "EnableMFADevice",
            Action::DeactivateMfaDevice => "DeactivateMFADevice",
            Action::CreateVirtualMfaDevice => "CreateVirtualMFADevice",
            Action::DeleteVirtualMfaDevice => "DeleteVirtualMFADevice",
            Action::ListVirtualMfaDevices => "ListVirtualMFADevices",
            Action::ListUsers => "ListUsers",
            Action::ListAccessKeys => "ListAccessKeys",
            Action::UnlockMfaDevice => "UnlockMFADevice",
            Action::LookupEvents => "LookupEvents",
            Action::GetUser => "GetUser",
            Action::DeleteAccessKey => "DeleteAccessKey",
            Action::GetSessionToken => "GetSessionToken",
            Action::GetCallerIdentity => "GetCallerIdentity",
        }
    }

    /// The service it belongs to.
    pub const fn service(self) -> Service {
        match self {
            Action::GetSessionToken | Action::GetCallerIdentity => Service::Sts,
            _ => Service::Iam,
        }
    }

    /// The IAM action a policy statement grants it by (`iam:ResyncMFADevice`); `None` for the
    /// sign-in steps and STS's two actions, which need no permission (as in AWS).
    pub const fn iam_action(self) -> Option<&'static str> {
        Some(match self {
            Action::SignIn
            | Action::SignInRoot
            | Action::SignInMfa
            | Action::SignOut
            | Action::GetSessionToken
            | Action::GetCallerIdentity => {
                return None;
            }
            Action::ListMfaDevices => "iam:ListMFADevices",
            Action::ResyncMfaDevice => "iam:ResyncMFADevice",
            Action::EnableMfaDevice => "iam:EnableMFADevice",
            Action::DeactivateMfaDevice => "iam:DeactivateMFADevice",
            Action::CreateVirtualMfaDevice => "iam:CreateVirtualMFADevice",
            Action::DeleteVirtualMfaDevice => "iam:DeleteVirtualMFADevice",
            Action::ListVirtualMfaDevices => "iam:ListVirtualMFADevices",
            Action::ListUsers => "iam:ListUsers",
            Action::ListAccessKeys => "iam:ListAccessKeys",
            Action::UnlockMfaDevice => "iam:UnlockMFADevice",
            Action::LookupEvents => "iam:LookupEvents",
            Action::GetUser => "iam:GetUser",
            Action::DeleteAccessKey => "iam:DeleteAccessKey",
        })
    }

    /// Where it is served.
    pub const fn surface(self) -> Surface {
        let (json_path, query) = match self {
            Action::SignIn => (Some("/api/sign-in"), false),
            Action::SignInRoot => (Some("/api/sign-in/root"), false),
            Action::SignInMfa => (Some("/api/sign-in/mfa"), false),
            Action::SignOut => (Some("/api/sign-out"), false),
            Action::LookupEvents => (Some("/api/audit/LookupEvents"), false),
            Action::GetUser
            | Action::DeleteAccessKey
            | Action::GetSessionToken
            | Action::GetCallerIdentity => (None, true),
            Action::ListMfaDevices => (Some("/api/iam/ListMFADevices"), true),
            Action::ResyncMfaDevice => (Some("/api/iam/ResyncMFADevice"), true),
            Action::EnableMfaDevice => (Some("/api/iam/EnableMFADevice"), true),
            Action::DeactivateMfaDevice => (Some("/api/iam/DeactivateMFADevice"), true),
            Action::CreateVirtualMfaDevice => (Some("/api/iam/CreateVirtualMFADevice"), true),
            Action::DeleteVirtualMfaDevice => (Some("/api/iam/DeleteVirtualMFADevice"), true),
            Action::ListVirtualMfaDevices => (Some("/api/iam/ListVirtualMFADevices"), true),
            Action::ListUsers => (Some("/api/iam/ListUsers"), true),
            Action::ListAccessKeys => (Some("/api/iam/ListAccessKeys"), true),
            Action::UnlockMfaDevice => (Some("/api/iam/UnlockMFADevice"), false),
        };
        Surface { json_path, query }
    }

    /// The action of this exact name (`ResyncMFADevice`; case matters, as in AWS).
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The action the JSON API serves at this exact path, if any.
    pub fn of_json_path(path: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|a| a.surface().json_path == Some(path))
    }

    /// The action the IAM Query API serves under this exact `Action=` name, if any.
    pub fn of_query_name(name: &str) -> Option<Action> {
        Action::parse(name).filter(|a| a.surface().query)
    }

    /// Whether it changes stored state. A read (`List…`, `Get…`, `LookupEvents`) changes
    /// nothing, so a signed read may be repeated; a signed state change is accepted once
    /// (security rule 22).
    pub const fn changes_state(self) -> bool {
        !matches!(
            self,
            Action::ListMfaDevices
                | Action::ListVirtualMfaDevices
                | Action::ListUsers
                | Action::ListAccessKeys
                | Action::LookupEvents
                | Action::GetUser
                | Action::GetCallerIdentity
        )
    }

    /// Whether the browser app's audit filter offers it: the sign-in steps, what changes a
    /// device, and STS's two actions (scripts signing in; the list actions are audited too,
    /// and the API filters on them).
    pub const fn in_audit_filter(self) -> bool {
        (self.changes_state() && !matches!(self, Action::DeleteAccessKey))
            || matches!(self, Action::GetCallerIdentity)
    }
}

impl core::fmt::Display for Action {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_listed_once_and_parses_back() {
        for (i, a) in Action::ALL.into_iter().enumerate() {
            assert_eq!(Action::parse(a.name()), Some(a));
            assert!(!Action::ALL[..i].contains(&a), "{a} listed twice");
            // Names are letters only: the audit filter's rule (`LookupEvents`' `Action`).
            assert!(a.name().bytes().all(|b| b.is_ascii_alphabetic()), "{a}");
        }
        assert_eq!(Action::parse("resyncmfadevice"), None);
        assert_eq!(Action::parse("DeleteAccount"), None);
    }

    #[test]
    fn reads_are_the_list_and_get_actions() {
        for a in Action::ALL {
            // GetSessionToken issues credentials and burns the code it checks.
            let read = a.name().starts_with("List")
                || (a.name().starts_with("Get") && a != Action::GetSessionToken)
                || a == Action::LookupEvents;
            assert_eq!(a.changes_state(), !read, "{a}");
        }
    }

    /// The audit filter offers the changes and the sign-in steps, not the reads and not
    /// DeleteAccessKey; an action shows as its name.
    #[test]
    fn the_audit_filter_offers_the_changes_and_an_action_shows_its_name() {
        for a in Action::ALL {
            let offered = (a.changes_state() && a != Action::DeleteAccessKey)
                || a == Action::GetCallerIdentity;
            assert_eq!(a.in_audit_filter(), offered, "{a}");
            assert_eq!(a.to_string(), a.name());
        }
        assert!(Action::ResyncMfaDevice.in_audit_filter());
        assert!(Action::SignInMfa.in_audit_filter());
        assert!(!Action::ListMfaDevices.in_audit_filter());
        assert!(!Action::DeleteAccessKey.in_audit_filter());
        assert!(Action::GetSessionToken.in_audit_filter());
        assert!(Action::GetCallerIdentity.in_audit_filter());
        assert_eq!(format!("{}", Action::ResyncMfaDevice), "ResyncMFADevice");
    }

    #[test]
    fn iam_paths_and_policy_names_follow_the_name() {
        for a in Action::ALL {
            if let Some(iam) = a.iam_action() {
                assert_eq!(iam, format!("iam:{}", a.name()));
            }
            if let Some(path) = a.surface().json_path
                && let Some(name) = path.strip_prefix(IAM_PATH_PREFIX)
            {
                assert_eq!(name, a.name());
                assert!(a.iam_action().is_some(), "{a}");
            }
            if let Some(path) = a.surface().json_path {
                assert_eq!(Action::of_json_path(path), Some(a));
            }
            assert_eq!(Action::of_query_name(a.name()).is_some(), a.surface().query);
        }
        assert_eq!(
            Action::of_json_path("/api/iam/ResyncMFADevice"),
            Some(Action::ResyncMfaDevice)
        );
        assert_eq!(Action::of_json_path("/api/iam/DeleteAccount"), None);
        assert_eq!(Action::of_json_path("/api/sign-in/mfa/"), None);
        assert_eq!(Action::of_query_name("UnlockMFADevice"), None);
        assert_eq!(Action::of_query_name("GetUser"), Some(Action::GetUser));
        // Sign-in steps need no permission.
        assert_eq!(Action::SignInMfa.iam_action(), None);
    }

    /// STS's actions are signed for `sts` and speak its version; every other, IAM's.
    #[test]
    fn sts_actions_belong_to_sts() {
        for a in Action::ALL {
            let sts = matches!(a, Action::GetSessionToken | Action::GetCallerIdentity);
            assert_eq!(a.service() == Service::Sts, sts, "{a}");
            if sts {
                assert_eq!(a.iam_action(), None, "{a} needs no permission");
                assert!(a.surface().query && a.surface().json_path.is_none(), "{a}");
            }
        }
        assert_eq!(
            (Service::Sts.signing_name(), Service::Sts.version()),
            ("sts", "2011-06-15")
        );
        assert_eq!(
            (Service::Iam.signing_name(), Service::Iam.version()),
            ("iam", "2010-05-08")
        );
    }
}
