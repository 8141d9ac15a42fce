//! The request as a policy sees it: IAM's request context.

/// What a request is, as the policy sees it: IAM's "request context".
///
/// **Accounts.** A policy resource such as `arn:aws:iam::*:user/x` matches that user in *every*
/// account. The backend therefore never builds a context whose `resource` lies in another account
/// than `account` (it resolves users and devices within the caller's account only); as a second
/// line of defence, [`super::evaluate`] returns [`super::Decision::ImplicitDeny`] for any ARN `resource` whose
/// account field differs from `account`.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// The IAM action, e.g. `"iam:ResyncMFADevice"` (our own: `"iam:UnlockMFADevice"`,
    /// `"iam:LookupEvents"`). Compared without regard to case.
    pub action: &'a str,
    /// The resource's ARN, e.g. `"arn:aws:iam::123456789012:user/alice"` or
    /// `"arn:aws:iam::123456789012:mfa/alice-phone"`; `"*"` for actions without one.
    pub resource: &'a str,
    /// The caller's 12-digit account id; also the value of `aws:PrincipalAccount`.
    pub account: &'a str,
    /// `aws:username`: the IAM user's name; `None` for the root user, so that
    /// `user/${aws:username}` matches nothing for it.
    pub username: Option<&'a str>,
    /// `aws:MultiFactorAuthPresent`: `Some(true)` after MFA, `Some(false)` for a password-only
    /// session, `None` (key absent) for access-key calls — which `BoolIfExists` then matches.
    pub mfa_present: Option<bool>,
    /// `aws:MultiFactorAuthAge`: seconds since the MFA code of temporary credentials was
    /// checked; `None` (key absent) for every other caller, as in AWS.
    pub mfa_age: Option<i64>,
}

impl RequestContext<'_> {
    /// The request's value for a condition key or policy variable (lower-cased name: key names
    /// are case-insensitive in IAM). `None` means the key is absent.
    pub(super) fn value(&self, key: &str) -> Option<String> {
        match key {
            "aws:multifactorauthpresent" => self.mfa_present.map(|present| present.to_string()),
            "aws:multifactorauthage" => self.mfa_age.map(|age| age.to_string()),
            "aws:username" => self.username.map(str::to_owned),
            "aws:principalaccount" => Some(self.account.to_owned()),
            _ => None,
        }
    }
}
