//! IAM policy evaluation: who may do what (security rules 12–14, issue 4 "Who may do what").
//!
//! The decision follows AWS's "Policy evaluation logic" for identity-based policies in one
//! account (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>):
//! an explicit `Deny` in any statement of any attached policy wins over every `Allow`; otherwise
//! any `Allow` allows; otherwise the request is implicitly denied.
//!
//! Written by hand over `serde_json` rather than with `scratchstack-aspen` 0.3.1, whose parser is
//! faithful but whose evaluation was measured here with two faults, both failing open:
//! `Policy::evaluate` returns at the first statement that matches (an `Allow iam:*` written before
//! a `Deny` lets the denied action through), and actions match case-sensitively (a `Deny` written
//! `iam:deactivatemfadevice` denies nothing). Both have tests in `tests`.
//!
//! What is implemented, and nothing more (anything else in a document is a parse error, so a
//! policy never means less here than in IAM):
//! - `Version` `2012-10-17` (policy variables) or `2008-10-17` / absent (no variables);
//!   `Statement` as one object or an array; `Sid`, `Effect`, `Action`/`NotAction`,
//!   `Resource`/`NotResource`, `Condition`.
//! - Actions match without regard to case, with `*` and `?`; resources match case-sensitively
//!   with `*` and `?` after `${aws:username}`, `${aws:PrincipalAccount}`, `${key, 'default'}` and
//!   the escapes `${*}`, `${?}`, `${$}` are substituted.
//! - Condition operators (AWS "IAM JSON policy elements: Condition operators",
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>):
//!   `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`,
//!   `StringLike`, `StringNotLike`, `Bool`, each also as `…IfExists`, and `Null`; over the keys
//!   `aws:MultiFactorAuthPresent`, `aws:username`, `aws:PrincipalAccount` (other keys are absent).
//! - One deliberate difference from IAM: a policy variable without a value (`${aws:username}` for
//!   the root user) makes an `Allow` statement not apply, as in IAM, but makes a `Deny` statement
//!   apply, where IAM would skip it — otherwise `NotResource` or `StringNot…` with such a
//!   variable would fail open.
//!
//! The root user is not governed by identity policies (it may do everything in its own account
//! once signed in with MFA); the caller decides that before calling [`evaluate`].

mod condition;
mod document;
mod matching;
mod strict_json;

pub use document::{Policy, PolicyError};

use document::{Effect, PatternSet, Statement};
use matching::{any_matches, arn_account};

/// The seed policy of the AWS guide "Resynchronizing virtual and hardware MFA devices": list
/// virtual devices, list and resync one's own, and — without MFA — nothing but those three
/// actions (`BlockAllExceptListedIfNoMFA`, a `Deny` with `NotAction` and `BoolIfExists`).
pub const SELF_SERVICE_POLICY: &str = include_str!("../policies/self-service.json");

/// AWS's "manage own MFA" pattern, for an MFA-authenticated user: create and delete virtual
/// devices (`mfa/*`), enable, deactivate, list and resync on their own user. It repeats the seed
/// policy's `BlockAllExceptListedIfNoMFA` so that, attached on its own, a password-only session
/// still may only list and resync (security rule 12).
pub const MANAGE_OWN_MFA_POLICY: &str = include_str!("../policies/manage-own-mfa.json");

/// The administrators' policy: every `iam:` action — including our own `iam:UnlockMFADevice` and
/// `iam:LookupEvents` — on every resource of the account, *only with MFA* (`Bool`, so a
/// password-only session or a call without the key gets nothing from it; security rule 12).
/// Cross-account requests are refused by [`evaluate`] whatever a policy says.
pub const ADMIN_POLICY: &str = include_str!("../policies/admin.json");

/// What a request is, as the policy sees it: IAM's "request context".
///
/// **Accounts.** A policy resource such as `arn:aws:iam::*:user/x` matches that user in *every*
/// account. The backend therefore never builds a context whose `resource` lies in another account
/// than `account` (it resolves users and devices within the caller's account only); as a second
/// line of defence, [`evaluate`] returns [`Decision::ImplicitDeny`] for any ARN `resource` whose
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
}

impl RequestContext<'_> {
    /// The request's value for a condition key or policy variable (lower-cased name: key names
    /// are case-insensitive in IAM). `None` means the key is absent.
    fn value(&self, key: &str) -> Option<String> {
        match key {
            "aws:multifactorauthpresent" => self.mfa_present.map(|present| present.to_string()),
            "aws:username" => self.username.map(str::to_owned),
            "aws:principalaccount" => Some(self.account.to_owned()),
            _ => None,
        }
    }
}

/// The outcome of [`evaluate`]. Both denials are denials; they differ for audit and debugging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// At least one statement allows and none denies.
    Allow,
    /// A `Deny` statement applies: nothing can override it.
    ExplicitDeny,
    /// No statement allows (the default for everything), or the resource is in another account.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may proceed: only for [`Decision::Allow`].
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Decides a request against every policy attached to the caller.
///
/// Every statement of every policy is considered: a matching `Deny` anywhere returns
/// [`Decision::ExplicitDeny`], whatever came before it. Order never matters.
///
/// ```
/// use backend::policy::{evaluate, Decision, Policy, RequestContext, SELF_SERVICE_POLICY};
/// let policies = [Policy::parse(SELF_SERVICE_POLICY)?];
/// let ctx = RequestContext {
///     action: "iam:ResyncMFADevice",
///     resource: "arn:aws:iam::123456789012:user/alice",
///     account: "123456789012",
///     username: Some("alice"),
///     mfa_present: Some(false),
/// };
/// assert_eq!(evaluate(&policies, &ctx), Decision::Allow);
/// # Ok::<(), backend::policy::PolicyError>(())
/// ```
pub fn evaluate(policies: &[Policy], ctx: &RequestContext) -> Decision {
    if arn_account(ctx.resource).is_some_and(|account| account != ctx.account) {
        return Decision::ImplicitDeny;
    }
    let mut allowed = false;
    for statement in policies.iter().flat_map(|policy| &policy.statements) {
        if applies(statement, ctx) {
            match statement.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// Whether a statement applies to the request: action, resource and every condition match.
///
/// Each element answers `Some(matched)` or `None` when a policy variable has no value in the
/// request. IAM says such an element does not match ("Policy variables with no value"), which is
/// safe for an `Allow` but would let a `NotResource` or `StringNot…` element match everything.
/// So an unresolved element never makes an `Allow` apply, and always lets a `Deny` apply, unless
/// another element definitely does not match.
fn applies(statement: &Statement, ctx: &RequestContext) -> bool {
    let lookup = |key: &str| ctx.value(key);
    let elements = std::iter::once_with(|| set_matches(&statement.actions, ctx.action, &lookup))
        .chain(std::iter::once_with(|| {
            set_matches(&statement.resources, ctx.resource, &lookup)
        }))
        .chain(
            statement
                .conditions
                .iter()
                .map(|condition| condition::holds(condition, ctx, &lookup)),
        );
    let mut unresolved = false;
    for element in elements {
        match element {
            Some(false) => return false,
            Some(true) => {}
            None => unresolved = true,
        }
    }
    !unresolved || statement.effect == Effect::Deny
}

/// `Action`/`Resource`: any pattern matches; `NotAction`/`NotResource`: none does.
fn set_matches(
    set: &PatternSet,
    subject: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<bool> {
    any_matches(
        set.patterns
            .iter()
            .map(|pattern| pattern.matches(subject, lookup)),
    )
    .map(|any| any != set.negated)
}

#[cfg(test)]
mod tests;
