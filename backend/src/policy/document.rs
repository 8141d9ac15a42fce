//! Parsing IAM JSON policy documents into checked, pre-compiled statements.
//!
//! Grammar: AWS "IAM JSON policy element reference" and "Grammar of the IAM JSON policy language",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>.
//! Everything we do not understand is an error, never ignored: a policy that parses must mean
//! here what it means in IAM, or an administrator's Deny could silently do nothing.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::condition::{Condition, parse_conditions};
use super::error::{PolicyError, invalid, object};
use super::matching::{Pattern, Syntax};
use super::strict_json::StrictJson;

/// A parsed IAM identity-based policy document. Build one with [`Policy::parse`] and evaluate it
/// with [`super::evaluate()`].
#[derive(Debug, Clone)]
pub struct Policy {
    pub(super) statements: Vec<Statement>,
}

/// `Effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Effect {
    Allow,
    Deny,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: patterns, and whether the element is the
/// `Not…` form (the statement applies to everything the patterns do *not* match).
#[derive(Debug, Clone)]
pub(super) struct PatternSet {
    pub patterns: Vec<Pattern>,
    pub negated: bool,
}

/// One statement, ready to evaluate.
#[derive(Debug, Clone)]
pub(super) struct Statement {
    pub effect: Effect,
    pub actions: PatternSet,
    pub resources: PatternSet,
    /// All must hold (AND across operators and keys).
    pub conditions: Vec<Condition>,
}

impl std::str::FromStr for Policy {
    type Err = PolicyError;
    fn from_str(json: &str) -> Result<Policy, PolicyError> {
        Policy::parse(json)
    }
}

impl Policy {
    /// Parses and checks an IAM JSON policy document.
    ///
    /// `Version` must be `"2012-10-17"` or `"2008-10-17"`; a document without one is read as
    /// 2008-10-17, as IAM does, so its `${…}` stay literal text.
    ///
    /// ```
    /// use backend::policy::{Policy, SELF_SERVICE_POLICY};
    /// let policy = Policy::parse(SELF_SERVICE_POLICY)?;
    /// assert!(Policy::parse(r#"{"Statement":{"Effect":"Maybe"}}"#).is_err());
    /// # Ok::<(), backend::policy::PolicyError>(())
    /// ```
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        let StrictJson(document) = serde_json::from_str(json).map_err(PolicyError::Json)?;
        let document = object(&document, "policy")?;
        check_elements(document, "policy", &["Version", "Id", "Statement"])?;
        let variables = match document.get("Version") {
            None => false,
            Some(Value::String(v)) if v == "2012-10-17" => true,
            Some(Value::String(v)) if v == "2008-10-17" => false,
            Some(other) => {
                return Err(invalid(
                    "Version",
                    format!("must be \"2012-10-17\" or \"2008-10-17\", not {other}"),
                ));
            }
        };
        if let Some(id) = document.get("Id").filter(|id| !id.is_string()) {
            return Err(invalid("Id", format!("must be a string, not {id}")));
        }
        let statements = match document.get("Statement") {
            None => {
                return Err(PolicyError::Missing {
                    at: "policy".into(),
                    element: "Statement",
                });
            }
            Some(Value::Array(list)) if list.is_empty() => {
                return Err(invalid(
                    "Statement",
                    "must hold at least one statement".into(),
                ));
            }
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("Statement[{i}]"), s))
                .collect(),
            Some(single) => vec![("Statement".to_owned(), single)],
        };
        let mut sids = HashSet::new();
        let statements = statements
            .into_iter()
            .map(|(at, statement)| parse_statement(statement, &at, variables, &mut sids))
            .collect::<Result<_, _>>()?;
        Ok(Policy { statements })
    }
}

fn parse_statement(
    value: &Value,
    at: &str,
    variables: bool,
    sids: &mut HashSet<String>,
) -> Result<Statement, PolicyError> {
    let statement = object(value, at)?;
    if let Some(principal) = ["Principal", "NotPrincipal"]
        .into_iter()
        .find(|p| statement.contains_key(*p))
    {
        return Err(invalid(
            at,
            format!("{principal} belongs in resource-based policies, not in a user's policy"),
        ));
    }
    let allowed = [
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ];
    check_elements(statement, at, &allowed)?;
    if let Some(sid) = statement.get("Sid") {
        // IAM's own rule for Sid: ASCII letters and digits, unique within the policy.
        match sid.as_str() {
            Some(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) => {
                if !sids.insert(s.to_owned()) {
                    return Err(invalid(
                        &format!("{at}.Sid"),
                        format!("{s:?} is used by another statement"),
                    ));
                }
            }
            _ => {
                return Err(invalid(
                    &format!("{at}.Sid"),
                    format!("must be ASCII letters and digits, not {sid}"),
                ));
            }
        }
    }
    let effect = match statement.get("Effect") {
        None => {
            return Err(PolicyError::Missing {
                at: at.into(),
                element: "Effect",
            });
        }
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(invalid(
                &format!("{at}.Effect"),
                format!("must be \"Allow\" or \"Deny\", not {other}"),
            ));
        }
    };
    // Action names are case-insensitive in IAM ("IAM JSON policy elements: Action"); ARNs are not.
    let action_syntax = Syntax {
        wildcards: true,
        variables: false,
        ignore_case: true,
    };
    let actions = pattern_set(
        statement,
        at,
        ("Action", "NotAction"),
        action_syntax,
        check_action,
    )?;
    let resource_syntax = Syntax {
        wildcards: true,
        variables,
        ignore_case: false,
    };
    let resources = pattern_set(
        statement,
        at,
        ("Resource", "NotResource"),
        resource_syntax,
        check_resource,
    )?;
    let conditions = match statement.get("Condition") {
        None => Vec::new(),
        Some(block) => parse_conditions(block, &format!("{at}.Condition"), variables)?,
    };
    Ok(Statement {
        effect,
        actions,
        resources,
        conditions,
    })
}

/// Reads exactly one of `names` (e.g. `Action` or `NotAction`) as a string or non-empty array.
fn pattern_set(
    statement: &Map<String, Value>,
    at: &str,
    (name, not_name): (&'static str, &'static str),
    syntax: Syntax,
    check: fn(&str) -> Result<(), String>,
) -> Result<PatternSet, PolicyError> {
    let (element, negated, value) = match (statement.get(name), statement.get(not_name)) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::Conflict {
                at: at.into(),
                first: name,
                second: not_name,
            });
        }
        (None, None) => {
            return Err(PolicyError::Missing {
                at: at.into(),
                element: name,
            });
        }
        (Some(value), None) => (name, false, value),
        (None, Some(value)) => (not_name, true, value),
    };
    let at = format!("{at}.{element}");
    let patterns = strings(value, &at)?
        .into_iter()
        .map(|text| {
            check(text)
                .and_then(|()| Pattern::compile(text, syntax))
                .map_err(|reason| invalid(&at, reason))
        })
        .collect::<Result<_, _>>()?;
    Ok(PatternSet { patterns, negated })
}

/// `*`, or `service:action` (either side may hold wildcards).
fn check_action(action: &str) -> Result<(), String> {
    match action.split_once(':') {
        _ if action == "*" => Ok(()),
        Some((service, name)) if !service.is_empty() && !name.is_empty() && !name.contains(':') => {
            Ok(())
        }
        _ => Err(format!("{action:?} is not \"*\" or \"service:action\"")),
    }
}

/// `*` or an ARN: IAM rejects anything else in `Resource`.
fn check_resource(resource: &str) -> Result<(), String> {
    if resource == "*" || resource.starts_with("arn:") {
        Ok(())
    } else {
        Err(format!("{resource:?} is not \"*\" or an ARN"))
    }
}

/// A string or a non-empty array of strings (`Action`, `Resource` and their `Not…` forms).
fn strings<'v>(value: &'v Value, at: &str) -> Result<Vec<&'v str>, PolicyError> {
    let not_string = |v: &Value| {
        invalid(
            at,
            format!("must be a string or an array of strings, not {v}"),
        )
    };
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(list) if list.is_empty() => {
            Err(invalid(at, "needs at least one entry".into()))
        }
        Value::Array(list) => list
            .iter()
            .map(|v| v.as_str().ok_or_else(|| not_string(v)))
            .collect(),
        other => Err(not_string(other)),
    }
}

fn check_elements(
    object: &Map<String, Value>,
    at: &str,
    allowed: &[&str],
) -> Result<(), PolicyError> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(PolicyError::UnknownElement {
            at: at.into(),
            element: key.clone(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-statement 2012-10-17 document with `extra` elements at the top level and `body` in
    /// the statement.
    fn document(extra: &str, body: &str) -> String {
        format!(r#"{{"Version":"2012-10-17",{extra}"Statement":{{{body}}}}}"#)
    }

    fn invalid_at(result: Result<Policy, PolicyError>) -> Option<String> {
        match result {
            Err(PolicyError::Invalid { at, .. }) => Some(at),
            _ => None,
        }
    }

    const ALLOW_ALL: &str = r#""Effect":"Allow","Action":"*","Resource":"*""#;

    /// IAM's grammar: `Id` is an optional string; anything else there is refused.
    #[test]
    fn the_id_is_a_string_or_absent() {
        assert!(Policy::parse(&document(r#""Id":"my-policy","#, ALLOW_ALL)).is_ok());
        for id in ["1", "null", r#"["a"]"#] {
            let result = Policy::parse(&document(&format!(r#""Id":{id},"#), ALLOW_ALL));
            assert_eq!(invalid_at(result).as_deref(), Some("Id"), "Id {id}");
        }
    }

    /// IAM's rule for `Sid`: non-empty, ASCII letters and digits only.
    #[test]
    fn a_sid_is_ascii_letters_and_digits() {
        for sid in ["A", "Allow1", "DenyAllExceptListedIfNoMFA"] {
            let body = format!(r#""Sid":"{sid}",{ALLOW_ALL}"#);
            assert!(Policy::parse(&document("", &body)).is_ok(), "Sid {sid:?}");
        }
        for sid in [r#""""#, r#""my-sid""#, r#""a b""#, r#""é""#, "1"] {
            let body = format!(r#""Sid":{sid},{ALLOW_ALL}"#);
            let result = Policy::parse(&document("", &body));
            assert_eq!(
                invalid_at(result).as_deref(),
                Some("Statement.Sid"),
                "Sid {sid}"
            );
        }
    }

    /// An action is `*` or `service:action`: both sides non-empty, one colon, wildcards anywhere.
    #[test]
    fn an_action_names_a_service_and_an_action() {
        for action in [
            "*",
            "iam:ResyncMFADevice",
            "iam:*",
            "*:List*",
            "i?m:Get?ser",
        ] {
            let body = format!(r#""Effect":"Allow","Action":"{action}","Resource":"*""#);
            assert!(Policy::parse(&document("", &body)).is_ok(), "{action}");
            let not = format!(r#""Effect":"Deny","NotAction":"{action}","Resource":"*""#);
            assert!(Policy::parse(&document("", &not)).is_ok(), "{action}");
        }
        for action in [
            "ResyncMFADevice",
            "iam:",
            ":ResyncMFADevice",
            ":",
            "iam:Resync:MFADevice",
            "",
            "**",
        ] {
            let body =
                format!(r#""Effect":"Allow","Action":["iam:GetUser","{action}"],"Resource":"*""#);
            let result = Policy::parse(&document("", &body));
            assert_eq!(
                invalid_at(result).as_deref(),
                Some("Statement.Action"),
                "{action:?}"
            );
        }
    }

    /// A resource is `*` or an ARN, in `Resource` and in `NotResource` alike.
    #[test]
    fn a_resource_is_a_star_or_an_arn() {
        for element in ["Resource", "NotResource"] {
            for resource in ["*", "arn:aws:iam::123456789012:user/*", "arn:*"] {
                let body = format!(r#""Effect":"Allow","Action":"*","{element}":"{resource}""#);
                assert!(Policy::parse(&document("", &body)).is_ok(), "{resource}");
            }
            for resource in ["user/alice", "**", "", "ARN:aws:iam::1:user/a", "*arn:"] {
                let body = format!(r#""Effect":"Allow","Action":"*","{element}":"{resource}""#);
                let result = Policy::parse(&document("", &body));
                assert_eq!(
                    invalid_at(result),
                    Some(format!("Statement.{element}")),
                    "{resource:?}"
                );
            }
        }
    }
}
