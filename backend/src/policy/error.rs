//! Why a policy document was refused, and the helpers that build those refusals.

use serde_json::{Map, Value};

/// Why a policy document was refused. `at` names the place, e.g. `Statement[1].Effect`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not JSON, or an object repeats a key (which of two `Effect`s would win is
    /// parser-dependent, so we refuse to guess).
    #[error("policy document is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A required element is absent, e.g. a statement without `Effect`.
    #[error("{at}: {element} is missing")]
    Missing {
        /// Where the element was expected.
        at: String,
        /// The element's name.
        element: &'static str,
    },
    /// An element IAM does not define in identity-based policies (misspelt, or `Principal`).
    #[error("{at}: unknown element {element:?}")]
    UnknownElement {
        /// The object that holds it.
        at: String,
        /// The element's name as written.
        element: String,
    },
    /// Two elements that exclude each other, e.g. `Action` and `NotAction`.
    #[error("{at}: {first} and {second} cannot both be present")]
    Conflict {
        /// The statement.
        at: String,
        /// The first element.
        first: &'static str,
        /// The second element.
        second: &'static str,
    },
    /// A condition operator we do not implement. Refused rather than treated as true or false:
    /// either guess would turn some Allow or Deny into its opposite.
    #[error("{at}: unsupported condition operator {operator:?}")]
    UnknownConditionOperator {
        /// The statement's `Condition`.
        at: String,
        /// The operator as written.
        operator: String,
    },
    /// An element of the right name with a wrong value.
    #[error("{at}: {reason}")]
    Invalid {
        /// The element.
        at: String,
        /// What is wrong, in a sentence.
        reason: String,
    },
}

/// `value` as a JSON object, or the refusal at `at`.
pub(super) fn object<'v>(
    value: &'v Value,
    at: &str,
) -> Result<&'v Map<String, Value>, PolicyError> {
    value
        .as_object()
        .ok_or_else(|| invalid(at, format!("must be a JSON object, not {value}")))
}

/// [`PolicyError::Invalid`] at `at`.
pub(super) fn invalid(at: &str, reason: String) -> PolicyError {
    PolicyError::Invalid {
        at: at.into(),
        reason,
    }
}
