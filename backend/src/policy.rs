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

mod cache;
mod condition;
mod context;
mod document;
mod error;
mod evaluate;
mod matching;
mod strict_json;

pub use cache::parse_cached;
pub use context::RequestContext;
pub use document::Policy;
pub use error::PolicyError;
pub use evaluate::{Decision, evaluate};

/// The seed policy of the AWS guide "Resynchronizing virtual and hardware MFA devices": list
/// virtual devices, list and resync one's own, and — without MFA — nothing but those three
/// actions (`BlockAllExceptListedIfNoMFA`, a `Deny` with `NotAction` and `BoolIfExists`).
pub const SELF_SERVICE_POLICY: &str = include_str!("../policies/self-service.json");

/// The AWS guide's "manage their own MFA device" policy: list the account's virtual devices;
/// create (and delete) virtual devices (`mfa/*`: another's unassigned device stays its
/// creator's, security rule 27); enable, deactivate, get, list and resync on their own user.
/// Its `DenyAllExceptListedIfNoMFA` lets a user without MFA do only what enrolment needs —
/// create, enable (and delete its own unassigned device), get, list, resync — so a user with
/// no device can enrol, and deactivating needs MFA.
pub const MANAGE_OWN_MFA_POLICY: &str = include_str!("../policies/manage-own-mfa.json");

/// The administrators' policy: every `iam:` action — including our own `iam:UnlockMFADevice` and
/// `iam:LookupEvents` — on every resource of the account, *only with MFA* (`Bool`, so a
/// password-only session or a call without the key gets nothing from it; security rule 12).
/// Cross-account requests are refused by [`evaluate`] whatever a policy says.
pub const ADMIN_POLICY: &str = include_str!("../policies/admin.json");

#[cfg(test)]
mod tests;
