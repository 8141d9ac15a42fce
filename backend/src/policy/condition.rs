//! The `Condition` element: parsing and evaluating the operators we implement.
//!
//! AWS "IAM JSON policy elements: Condition operators",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>.

use serde_json::Value;

use super::context::RequestContext;
use super::error::{PolicyError, invalid, object};
use super::matching::{Pattern, Syntax, any_matches};

/// One `operator: { key: values }` entry of a `Condition` block.
#[derive(Debug, Clone)]
pub(super) struct Condition {
    /// Lower-cased: condition key names are case-insensitive in IAM.
    pub key: String,
    /// `…IfExists`: a missing key makes the condition true.
    pub if_exists: bool,
    /// `StringNot…`: true when the value matches none of the values.
    pub negated: bool,
    /// The operator family and its values.
    pub test: ConditionTest,
}

/// What a condition compares, by operator family.
#[derive(Debug, Clone)]
pub(super) enum ConditionTest {
    /// `String…` operators: each value compiled with the operator's case and wildcard rules.
    Strings(Vec<Pattern>),
    /// `Bool`: the request's `"true"`/`"false"` against these.
    Bool(Vec<bool>),
    /// `Null`: `true` means "the key is absent".
    Null(Vec<bool>),
    /// `Numeric…` operators: the request's number `op` each of these (`NumericNotEquals` is
    /// `NumericEquals` negated).
    Numbers(NumericOp, Vec<f64>),
}

/// How a `Numeric…` operator compares the request's value (left) with the policy's (right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumericOp {
    /// `NumericEquals` (and, negated, `NumericNotEquals`).
    Equals,
    /// `NumericLessThan`.
    LessThan,
    /// `NumericLessThanEquals`.
    LessThanEquals,
    /// `NumericGreaterThan`.
    GreaterThan,
    /// `NumericGreaterThanEquals`.
    GreaterThanEquals,
}

impl NumericOp {
    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            NumericOp::Equals => value == bound,
            NumericOp::LessThan => value < bound,
            NumericOp::LessThanEquals => value <= bound,
            NumericOp::GreaterThan => value > bound,
            NumericOp::GreaterThanEquals => value >= bound,
        }
    }
}

/// A number as IAM's numeric operators read one: an integer or a decimal, finite.
fn number(text: &str) -> Option<f64> {
    let plain = !text.is_empty()
        && text
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && b == b'-'));
    text.parse::<f64>().ok().filter(|n| plain && n.is_finite())
}

/// `"Condition": { operator: { key: value | [values] } }`.
/// AWS "IAM JSON policy elements: Condition operators",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>.
pub(super) fn parse_conditions(
    block: &Value,
    at: &str,
    variables: bool,
) -> Result<Vec<Condition>, PolicyError> {
    let mut conditions = Vec::new();
    for (operator, keys) in object(block, at)? {
        let (base, if_exists) = match operator.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (operator.as_str(), false),
        };
        let unknown = || PolicyError::UnknownConditionOperator {
            at: at.into(),
            operator: operator.clone(),
        };
        // (negated, wildcards, ignore_case) for the string family; None for the others.
        let numeric = match base {
            "NumericEquals" => Some((false, NumericOp::Equals)),
            "NumericNotEquals" => Some((true, NumericOp::Equals)),
            "NumericLessThan" => Some((false, NumericOp::LessThan)),
            "NumericLessThanEquals" => Some((false, NumericOp::LessThanEquals)),
            "NumericGreaterThan" => Some((false, NumericOp::GreaterThan)),
            "NumericGreaterThanEquals" => Some((false, NumericOp::GreaterThanEquals)),
            _ => None,
        };
        let string_rules = match base {
            "StringEquals" => Some((false, false, false)),
            "StringNotEquals" => Some((true, false, false)),
            "StringEqualsIgnoreCase" => Some((false, false, true)),
            "StringNotEqualsIgnoreCase" => Some((true, false, true)),
            "StringLike" => Some((false, true, false)),
            "StringNotLike" => Some((true, true, false)),
            "Bool" => None,
            "Null" if !if_exists => None, // IAM: IfExists cannot be added to Null.
            _ if numeric.is_some() => None,
            _ => return Err(unknown()),
        };
        let at = format!("{at}.{operator}");
        for (key, values) in object(keys, &at)? {
            let at = format!("{at}.{key}");
            let texts = condition_values(values, &at)?;
            let (negated, test) = match (string_rules, numeric) {
                (_, Some((negated, op))) => {
                    let bounds = texts
                        .iter()
                        .map(|t| {
                            number(t).ok_or_else(|| invalid(&at, format!("{t:?} is not a number")))
                        })
                        .collect::<Result<_, _>>()?;
                    (negated, ConditionTest::Numbers(op, bounds))
                }
                (Some((negated, wildcards, ignore_case)), None) => {
                    let syntax = Syntax {
                        wildcards,
                        variables,
                        ignore_case,
                    };
                    let patterns = texts
                        .iter()
                        .map(|t| Pattern::compile(t, syntax).map_err(|reason| invalid(&at, reason)))
                        .collect::<Result<_, _>>()?;
                    (negated, ConditionTest::Strings(patterns))
                }
                (None, None) => {
                    let flags = texts
                        .iter()
                        .map(|t| boolean(t, &at))
                        .collect::<Result<_, _>>()?;
                    let test = if base == "Bool" {
                        ConditionTest::Bool(flags)
                    } else {
                        ConditionTest::Null(flags)
                    };
                    (false, test)
                }
            };
            conditions.push(Condition {
                key: key.to_lowercase(),
                if_exists,
                negated,
                test,
            });
        }
    }
    Ok(conditions)
}

/// Condition values: a string, boolean or number, or a non-empty array of them. IAM accepts
/// `false` and `"false"` alike, so both become text here.
fn condition_values(value: &Value, at: &str) -> Result<Vec<String>, PolicyError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(_) | Value::Number(_) => Ok(v.to_string()),
        other => Err(invalid(
            at,
            format!("a condition value must be a string, boolean or number, not {other}"),
        )),
    };
    match value {
        Value::Array(list) if list.is_empty() => {
            Err(invalid(at, "needs at least one value".into()))
        }
        Value::Array(list) => list.iter().map(one).collect(),
        single => Ok(vec![one(single)?]),
    }
}

fn boolean(text: &str, at: &str) -> Result<bool, PolicyError> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(at, format!("{text:?} is not true or false"))),
    }
}

/// One condition entry. Multiple values are OR'd; the negated operators (`StringNot…`) are true
/// when the value matches none of them, as IAM defines them.
pub(super) fn holds(
    condition: &Condition,
    ctx: &RequestContext,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<bool> {
    let value = ctx.value(&condition.key);
    match (&condition.test, value) {
        (ConditionTest::Null(absent), value) => {
            Some(absent.iter().any(|&absent| absent == value.is_none()))
        }
        // IAM: a missing key fails a condition, except with …IfExists, and except that a negated
        // operator ("the key must not match") then holds.
        (_, None) => Some(condition.if_exists || condition.negated),
        (ConditionTest::Bool(expected), Some(value)) => Some(
            expected
                .iter()
                .any(|&flag| value.eq_ignore_ascii_case(if flag { "true" } else { "false" })),
        ),
        // A value that is not a number matches no number (and so does not equal any).
        (ConditionTest::Numbers(op, bounds), Some(value)) => Some(match number(&value) {
            Some(v) => bounds.iter().any(|&b| op.holds(v, b)) != condition.negated,
            None => false,
        }),
        (ConditionTest::Strings(patterns), Some(value)) => any_matches(
            patterns
                .iter()
                .map(|pattern| pattern.matches(&value, lookup)),
        )
        .map(|any| any != condition.negated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(mfa_age: Option<i64>) -> RequestContext<'static> {
        RequestContext {
            action: "iam:ListUsers",
            resource: "*",
            account: "111122223333",
            username: Some("alice"),
            mfa_present: Some(mfa_age.is_some()),
            mfa_age,
        }
    }

    /// Whether the one condition of `block` holds for a request whose MFA is `age` seconds old.
    fn holds_at(block: serde_json::Value, age: Option<i64>) -> Option<bool> {
        let conditions = parse_conditions(&block, "Condition", false).unwrap();
        assert_eq!(conditions.len(), 1);
        holds(&conditions[0], &ctx(age), &|_| None)
    }

    /// Each numeric operator at its bound, one below and one above; `NumericNotEquals` is the
    /// negation; several values are OR'd.
    #[test]
    fn numeric_operators_compare_at_their_bounds() {
        let cases = [
            ("NumericEquals", [false, true, false]),
            ("NumericNotEquals", [true, false, true]),
            ("NumericLessThan", [true, false, false]),
            ("NumericLessThanEquals", [true, true, false]),
            ("NumericGreaterThan", [false, false, true]),
            ("NumericGreaterThanEquals", [false, true, true]),
        ];
        for (op, expected) in cases {
            for (age, want) in [299, 300, 301].into_iter().zip(expected) {
                let block = json!({ op: { "aws:MultiFactorAuthAge": "300" } });
                assert_eq!(holds_at(block, Some(age)), Some(want), "{op} at {age}");
            }
        }
        let either = json!({"NumericEquals": {"aws:MultiFactorAuthAge": [10, "300"]}});
        assert_eq!(holds_at(either.clone(), Some(10)), Some(true));
        assert_eq!(holds_at(either, Some(11)), Some(false));
        let decimal = json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "0.5"}});
        assert_eq!(holds_at(decimal, Some(0)), Some(true));
    }

    /// Without the key (no MFA, or not temporary credentials) a numeric condition fails, but
    /// for the negated operator and …IfExists.
    #[test]
    fn a_missing_age_fails_a_numeric_condition_unless_if_exists_or_negated() {
        let lt = json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}});
        assert_eq!(holds_at(lt, None), Some(false));
        let if_exists = json!({"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "300"}});
        assert_eq!(holds_at(if_exists, None), Some(true));
        let ne = json!({"NumericNotEquals": {"aws:MultiFactorAuthAge": "300"}});
        assert_eq!(holds_at(ne, None), Some(true));
    }

    /// A key whose value is not a number matches no number.
    #[test]
    fn a_value_that_is_not_a_number_matches_none() {
        let block = json!({"NumericEquals": {"aws:username": "0"}});
        assert_eq!(holds_at(block, Some(1)), Some(false));
        let block = json!({"NumericNotEquals": {"aws:username": "0"}});
        assert_eq!(holds_at(block, Some(1)), Some(false));
    }

    /// A numeric operator's values must be numbers: the policy is refused, saying where.
    #[test]
    fn numeric_values_must_be_numbers() {
        for bad in [
            json!("abc"),
            json!("1e3"),
            json!(""),
            json!("NaN"),
            json!(true),
            json!("--1"),
        ] {
            let block = json!({"NumericLessThan": {"aws:MultiFactorAuthAge": bad}});
            let e = parse_conditions(&block, "Condition", false).unwrap_err();
            assert!(
                e.to_string()
                    .contains("Condition.NumericLessThan.aws:MultiFactorAuthAge"),
                "{bad}: {e}"
            );
        }
        assert_eq!(number("-12.5"), Some(-12.5));
        assert_eq!(number("300"), Some(300.0));
        assert_eq!(number("3-00"), None);
    }

    /// Whether the single condition `block` holds for `username` (MFA absent).
    fn holds_for(block: &str, username: Option<&str>) -> Result<Option<bool>, PolicyError> {
        let block: Value = serde_json::from_str(block).unwrap();
        let conditions = parse_conditions(&block, "Condition", true)?;
        assert_eq!(conditions.len(), 1, "{block}");
        let ctx = RequestContext {
            action: "iam:GetUser",
            resource: "*",
            account: "123456789012",
            username,
            mfa_present: None,
            mfa_age: None,
        };
        Ok(holds(&conditions[0], &ctx, &|key| ctx.value(key)))
    }

    /// `StringEquals` and `StringEqualsIgnoreCase` compare text: `*` and `?` are characters
    /// there, never wildcards.
    #[test]
    fn equality_operators_read_wildcards_as_characters() {
        for operator in ["StringEquals", "StringEqualsIgnoreCase"] {
            for (value, username, expected) in [
                ("al?ce", "alice", false),
                ("al?ce", "al?ce", true),
                ("a*", "alice", false),
                ("a*", "a*", true),
            ] {
                let block = format!(r#"{{"{operator}":{{"aws:username":"{value}"}}}}"#);
                assert_eq!(
                    holds_for(&block, Some(username)).unwrap(),
                    Some(expected),
                    "{operator} {value:?} vs {username:?}"
                );
            }
        }
        let like = r#"{"StringLike":{"aws:username":"al?ce"}}"#;
        assert_eq!(holds_for(like, Some("alice")).unwrap(), Some(true));
    }

    /// Numbers and booleans are condition values as their JSON text, as IAM reads them.
    #[test]
    fn numbers_and_booleans_are_compared_as_their_text() {
        for (value, username) in [
            ("42", "42"),
            ("-7", "-7"),
            ("1.5", "1.5"),
            ("true", "true"),
            ("[false, 0]", "0"),
        ] {
            let block = format!(r#"{{"StringEquals":{{"aws:username":{value}}}}}"#);
            assert_eq!(
                holds_for(&block, Some(username)).unwrap(),
                Some(true),
                "{value} vs {username:?}"
            );
        }
    }

    /// A key needs at least one value, and each value is a string, boolean or number.
    #[test]
    fn empty_or_structured_values_are_refused() {
        for values in ["[]", "null", "{}", r#"[["a"]]"#, r#"["a", null]"#] {
            let block = format!(r#"{{"StringEquals":{{"aws:username":{values}}}}}"#);
            match holds_for(&block, Some("a")) {
                Err(PolicyError::Invalid { at, .. }) => {
                    assert_eq!(at, "Condition.StringEquals.aws:username", "{values}")
                }
                other => panic!("{values}: {other:?}"),
            }
        }
    }

    /// `Bool` values are `true` or `false` in any case, as text or JSON booleans.
    #[test]
    fn bool_values_are_true_or_false_in_any_case() {
        let mfa = |present: bool, block: &str| {
            let block: Value = serde_json::from_str(block).unwrap();
            let conditions = parse_conditions(&block, "Condition", true).unwrap();
            let ctx = RequestContext {
                action: "iam:GetUser",
                resource: "*",
                account: "123456789012",
                username: None,
                mfa_present: Some(present),
                mfa_age: None,
            };
            holds(&conditions[0], &ctx, &|key| ctx.value(key))
        };
        for (value, when_present) in [("\"TRUE\"", true), ("\"False\"", false), ("false", false)] {
            let block = format!(r#"{{"Bool":{{"aws:MultiFactorAuthPresent":{value}}}}}"#);
            assert_eq!(mfa(true, &block), Some(when_present), "{value}");
            assert_eq!(mfa(false, &block), Some(!when_present), "{value}");
        }
    }
}
