//! The decision: every statement of every attached policy, explicit `Deny` over `Allow` over
//! the implicit deny.

use std::borrow::Borrow;

use super::condition;
use super::context::RequestContext;
use super::document::{Effect, PatternSet, Policy, Statement};
use super::matching::{any_matches, arn_account};

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
///     mfa_age: None,
/// };
/// assert_eq!(evaluate(&policies, &ctx), Decision::Allow);
/// # Ok::<(), backend::policy::PolicyError>(())
/// ```
pub fn evaluate<P: Borrow<Policy>>(policies: &[P], ctx: &RequestContext) -> Decision {
    if arn_account(ctx.resource).is_some_and(|account| account != ctx.account) {
        return Decision::ImplicitDeny;
    }
    let mut allowed = false;
    for statement in policies
        .iter()
        .flat_map(|policy| &policy.borrow().statements)
    {
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
