//! Decisions for the AWS guide's seed policy and for each evaluation rule of the module docs.

use super::*;
use Decision::{Allow, ExplicitDeny, ImplicitDeny};

const ACCOUNT: &str = "123456789012";
const OTHER_ACCOUNT: &str = "210987654321";

fn user(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

fn mfa(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:mfa/{name}")
}

fn parse_all(documents: &[&str]) -> Vec<Policy> {
    documents
        .iter()
        .map(|d| Policy::parse(d).unwrap_or_else(|e| panic!("{e}\n{d}")))
        .collect()
}

/// The decision for `action` on `resource` by `username` in [`ACCOUNT`].
fn decide(
    policies: &[Policy],
    action: &str,
    resource: &str,
    username: Option<&str>,
    mfa_present: Option<bool>,
) -> Decision {
    evaluate(
        policies,
        &RequestContext {
            action,
            resource,
            account: ACCOUNT,
            username,
            mfa_present,
            mfa_age: None,
        },
    )
}

/// Runs a table of `(action, resource, expected)` for alice with the given MFA state.
fn check_table(policies: &[Policy], mfa_present: Option<bool>, table: &[(&str, String, Decision)]) {
    for (action, resource, expected) in table {
        let got = decide(policies, action, resource, Some("alice"), mfa_present);
        assert_eq!(
            got, *expected,
            "{action} on {resource} with MFA {mfa_present:?}"
        );
    }
}

/// A one-statement policy.
fn statement(body: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":{{{body}}}}}"#)
}

#[test]
fn seed_policy_with_mfa_allows_own_list_and_resync_only() {
    let policies = parse_all(&[SELF_SERVICE_POLICY]);
    check_table(
        &policies,
        Some(true),
        &[
            ("iam:ListMFADevices", user("alice"), Allow),
            ("iam:ResyncMFADevice", user("alice"), Allow),
            ("iam:ListMFADevices", user("bob"), ImplicitDeny),
            ("iam:ResyncMFADevice", user("bob"), ImplicitDeny),
            ("iam:ListVirtualMFADevices", "*".into(), Allow),
            ("iam:CreateUser", user("carol"), ImplicitDeny),
            ("iam:DeactivateMFADevice", user("alice"), ImplicitDeny),
            ("iam:UnlockMFADevice", user("alice"), ImplicitDeny),
        ],
    );
}

#[test]
fn seed_policy_password_only_may_list_and_resync_own_device_and_nothing_else() {
    let seed = parse_all(&[SELF_SERVICE_POLICY]);
    let with_manage = parse_all(&[SELF_SERVICE_POLICY, MANAGE_OWN_MFA_POLICY]);
    for policies in [&seed, &with_manage] {
        check_table(
            policies,
            Some(false),
            &[
                ("iam:ResyncMFADevice", user("alice"), Allow),
                ("iam:ListMFADevices", user("alice"), Allow),
                ("iam:ListVirtualMFADevices", "*".into(), Allow),
                ("iam:ResyncMFADevice", user("bob"), ImplicitDeny),
                ("iam:DeactivateMFADevice", user("alice"), ExplicitDeny),
                ("iam:EnableMFADevice", user("alice"), ExplicitDeny),
                ("iam:CreateVirtualMFADevice", mfa("alice"), ExplicitDeny),
                ("iam:CreateUser", user("carol"), ExplicitDeny),
            ],
        );
    }
}

#[test]
fn seed_policy_access_key_call_is_blocked_by_bool_if_exists() {
    let policies = parse_all(&[SELF_SERVICE_POLICY]);
    check_table(
        &policies,
        None,
        &[
            ("iam:ResyncMFADevice", user("alice"), Allow),
            ("iam:ListMFADevices", user("alice"), Allow),
            ("iam:ListVirtualMFADevices", "*".into(), Allow),
            ("iam:DeactivateMFADevice", user("alice"), ExplicitDeny),
            ("iam:CreateUser", user("carol"), ExplicitDeny),
            ("iam:GetUser", user("alice"), ExplicitDeny),
        ],
    );
}

#[test]
fn manage_own_mfa_policy_with_mfa() {
    let policies = parse_all(&[MANAGE_OWN_MFA_POLICY]);
    check_table(
        &policies,
        Some(true),
        &[
            ("iam:CreateVirtualMFADevice", mfa("alice-phone"), Allow),
            ("iam:DeleteVirtualMFADevice", mfa("alice-phone"), Allow),
            ("iam:EnableMFADevice", user("alice"), Allow),
            ("iam:DeactivateMFADevice", user("alice"), Allow),
            ("iam:DeactivateMFADevice", user("bob"), ImplicitDeny),
            ("iam:CreateUser", user("carol"), ImplicitDeny),
        ],
    );
    // Without MFA: what enrolment needs and nothing more (the guide's
    // DenyAllExceptListedIfNoMFA), so a user with no device can enrol (rule 27).
    check_table(
        &policies,
        Some(false),
        &[
            ("iam:DeactivateMFADevice", user("alice"), ExplicitDeny),
            ("iam:ResyncMFADevice", user("alice"), Allow),
            ("iam:CreateVirtualMFADevice", mfa("alice-phone"), Allow),
            ("iam:EnableMFADevice", user("alice"), Allow),
            ("iam:EnableMFADevice", user("bob"), ImplicitDeny),
            ("iam:GetUser", user("alice"), Allow),
            ("iam:ListVirtualMFADevices", "*".into(), Allow),
            ("iam:CreateUser", user("carol"), ExplicitDeny),
        ],
    );
}

#[test]
fn deny_wins_whatever_its_position() {
    let allow_all = r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#;
    let deny_delete = r#"{"Effect":"Deny","Action":"iam:DeleteVirtualMFADevice","Resource":"*"}"#;
    let one = |statements: &[&str]| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        )
    };
    let cases = [
        (
            "Deny after Allow in one policy",
            vec![one(&[allow_all, deny_delete])],
        ),
        (
            "Deny before Allow in one policy",
            vec![one(&[deny_delete, allow_all])],
        ),
        (
            "Allow policy, then Deny policy",
            vec![one(&[allow_all]), one(&[deny_delete])],
        ),
        (
            "Deny policy, then Allow policy",
            vec![one(&[deny_delete]), one(&[allow_all])],
        ),
    ];
    for (name, documents) in cases {
        let policies = parse_all(&documents.iter().map(String::as_str).collect::<Vec<_>>());
        check_table(
            &policies,
            Some(true),
            &[
                ("iam:DeleteVirtualMFADevice", mfa("alice"), ExplicitDeny),
                ("iam:CreateVirtualMFADevice", mfa("alice"), Allow),
            ],
        );
        assert!(
            !decide(
                &policies,
                "iam:DeleteVirtualMFADevice",
                &mfa("x"),
                None,
                None
            )
            .is_allowed(),
            "{name}"
        );
    }
}

#[test]
fn a_lower_case_deny_still_denies() {
    let deny = statement(r#""Effect":"Deny","Action":"iam:deactivatemfadevice","Resource":"*""#);
    let policies = parse_all(&[ADMIN_POLICY, &deny]);
    check_table(
        &policies,
        Some(true),
        &[
            ("iam:DeactivateMFADevice", user("alice"), ExplicitDeny),
            ("IAM:DEACTIVATEMFADEVICE", user("alice"), ExplicitDeny),
            ("iam:EnableMFADevice", user("alice"), Allow),
        ],
    );
}

#[test]
fn action_wildcards_match_without_regard_to_case() {
    let table = [
        ("iam:List*", "iam:ListMFADevices", true),
        ("iam:List*", "iam:listvirtualmfadevices", true),
        ("iam:List*", "iam:ResyncMFADevice", false),
        ("iam:List*", "sts:ListThings", false),
        ("iam:*MFA*", "iam:ResyncMFADevice", true),
        ("iam:*MFA*", "iam:CreateUser", false),
        ("iam:?esyncMFADevice", "iam:ResyncMFADevice", true),
        ("iam:?esyncMFADevice", "iam:RResyncMFADevice", false),
        ("IAM:resyncmfadevice", "iam:ResyncMFADevice", true),
        ("i?m:*", "iam:UnlockMFADevice", true),
        ("*", "iam:LookupEvents", true),
        ("iam:*", "sts:GetCallerIdentity", false),
    ];
    for (pattern, action, allowed) in table {
        let policies = parse_all(&[&statement(&format!(
            r#""Effect":"Allow","Action":"{pattern}","Resource":"*""#
        ))]);
        let expected = if allowed { Allow } else { ImplicitDeny };
        assert_eq!(
            decide(&policies, action, &user("alice"), Some("alice"), Some(true)),
            expected,
            "{pattern} vs {action}"
        );
    }
}

#[test]
fn resource_wildcards_match_case_sensitively() {
    let table = [
        ("arn:aws:iam::*:user/*", user("alice"), true),
        ("arn:aws:iam::*:user/*", mfa("alice"), false),
        ("arn:aws:iam::123456789012:user/al*", user("alice"), true),
        ("arn:aws:iam::123456789012:user/al*", user("bob"), false),
        ("arn:aws:iam::*:mfa/?ob", mfa("bob"), true),
        ("arn:aws:iam::*:mfa/?ob", mfa("blob"), false),
        ("arn:aws:iam::*:user/Alice", user("alice"), false),
        ("arn:aws:iam::*:user/alice", user("alice"), true),
    ];
    for (pattern, resource, allowed) in table {
        let policies = parse_all(&[&statement(&format!(
            r#""Effect":"Allow","Action":"iam:*","Resource":"{pattern}""#
        ))]);
        let expected = if allowed { Allow } else { ImplicitDeny };
        assert_eq!(
            decide(
                &policies,
                "iam:GetUser",
                &resource,
                Some("alice"),
                Some(true)
            ),
            expected,
            "{pattern} vs {resource}"
        );
    }
}

#[test]
fn not_action_allows_everything_but_the_listed_actions() {
    let policies = parse_all(&[&statement(
        r#""Effect":"Allow","NotAction":["iam:Create*","iam:DeleteUser"],"Resource":"*""#,
    )]);
    check_table(
        &policies,
        Some(true),
        &[
            ("iam:ListUsers", "*".into(), Allow),
            ("iam:CreateUser", user("x"), ImplicitDeny),
            ("iam:createvirtualmfadevice", mfa("x"), ImplicitDeny),
            ("iam:DeleteUser", user("x"), ImplicitDeny),
        ],
    );
}

#[test]
fn not_resource_applies_to_every_other_resource() {
    let allow =
        statement(r#""Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::*:user/admin""#);
    check_table(
        &parse_all(&[&allow]),
        Some(true),
        &[
            ("iam:ResyncMFADevice", user("bob"), Allow),
            ("iam:ResyncMFADevice", user("admin"), ImplicitDeny),
        ],
    );
    // "Only your own user": Deny everything but user/${aws:username}.
    let deny = statement(
        r#""Effect":"Deny","Action":"iam:*","NotResource":"arn:aws:iam::*:user/${aws:username}""#,
    );
    let policies = parse_all(&[ADMIN_POLICY, &deny]);
    check_table(
        &policies,
        Some(true),
        &[
            ("iam:ResyncMFADevice", user("alice"), Allow),
            ("iam:ResyncMFADevice", user("bob"), ExplicitDeny),
        ],
    );
    // No username: the Deny cannot be resolved and fails closed rather than matching nothing.
    assert_eq!(
        decide(
            &policies,
            "iam:ResyncMFADevice",
            &user("alice"),
            None,
            Some(true)
        ),
        ExplicitDeny
    );
}

#[test]
fn username_variable_is_substituted_and_missing_for_root() {
    let policies = parse_all(&[SELF_SERVICE_POLICY]);
    assert_eq!(
        decide(
            &policies,
            "iam:ResyncMFADevice",
            &user("bob"),
            Some("bob"),
            Some(true)
        ),
        Allow
    );
    assert_eq!(
        decide(
            &policies,
            "iam:ResyncMFADevice",
            &user("bob"),
            Some("alice"),
            Some(true)
        ),
        ImplicitDeny
    );
    // The root user has no aws:username: user/${aws:username} matches nothing, not even the
    // literal text or an empty name.
    for resource in [user("alice"), user(""), user("${aws:username}")] {
        assert_eq!(
            decide(
                &policies,
                "iam:ResyncMFADevice",
                &resource,
                None,
                Some(true)
            ),
            ImplicitDeny,
            "{resource}"
        );
    }
    // A variable's value is literal text: a name with a wildcard would not widen the match.
    assert_eq!(
        decide(
            &policies,
            "iam:ResyncMFADevice",
            &user("bob"),
            Some("*"),
            Some(true)
        ),
        ImplicitDeny
    );
}

#[test]
fn version_2008_and_no_version_keep_variables_literal() {
    let body = r#""Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::*:user/${aws:username}"}"#;
    for document in [
        format!(r#"{{"Version":"2008-10-17",{body}}}"#),
        format!("{{{body}}}"),
    ] {
        let policies = parse_all(&[&document]);
        check_table(
            &policies,
            Some(true),
            &[
                ("iam:ResyncMFADevice", user("alice"), ImplicitDeny),
                ("iam:ResyncMFADevice", user("${aws:username}"), Allow),
            ],
        );
    }
    let current = parse_all(&[&format!(r#"{{"Version":"2012-10-17",{body}}}"#)]);
    assert_eq!(
        decide(
            &current,
            "iam:ResyncMFADevice",
            &user("alice"),
            Some("alice"),
            Some(true)
        ),
        Allow
    );
}

#[test]
fn escapes_and_default_values_in_variables() {
    let policies = parse_all(&[&statement(
        r#""Effect":"Allow","Action":"iam:*","Resource":["arn:aws:iam::*:user/a${*}b","arn:aws:iam::*:user/${aws:username, 'nobody'}"]"#,
    )]);
    assert_eq!(
        decide(
            &policies,
            "iam:GetUser",
            &user("a*b"),
            Some("x"),
            Some(true)
        ),
        Allow
    );
    assert_eq!(
        decide(
            &policies,
            "iam:GetUser",
            &user("axb"),
            Some("x"),
            Some(true)
        ),
        ImplicitDeny
    );
    assert_eq!(
        decide(&policies, "iam:GetUser", &user("nobody"), None, Some(true)),
        Allow
    );
}

#[test]
fn condition_operators() {
    // (condition, username, mfa_present, expected)
    let table: &[(&str, Option<&str>, Option<bool>, Decision)] = &[
        (
            r#"{"StringEquals":{"aws:username":"alice"}}"#,
            Some("alice"),
            None,
            Allow,
        ),
        (
            r#"{"StringEquals":{"aws:username":"alice"}}"#,
            Some("Alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringEquals":{"aws:username":"alice"}}"#,
            None,
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringEquals":{"aws:username":"a*"}}"#,
            Some("alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringEquals":{"AWS:UserName":["bob","alice"]}}"#,
            Some("alice"),
            None,
            Allow,
        ),
        (
            r#"{"StringEqualsIfExists":{"aws:username":"alice"}}"#,
            None,
            None,
            Allow,
        ),
        (
            r#"{"StringEqualsIfExists":{"aws:username":"alice"}}"#,
            Some("bob"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringNotEquals":{"aws:username":"alice"}}"#,
            Some("bob"),
            None,
            Allow,
        ),
        (
            r#"{"StringNotEquals":{"aws:username":"alice"}}"#,
            Some("alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringNotEquals":{"aws:username":["bob","alice"]}}"#,
            Some("alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringNotEquals":{"aws:username":"alice"}}"#,
            None,
            None,
            Allow,
        ),
        (
            r#"{"StringNotEqualsIfExists":{"aws:username":"alice"}}"#,
            Some("alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringLike":{"aws:username":"al*"}}"#,
            Some("alice"),
            None,
            Allow,
        ),
        (
            r#"{"StringLike":{"aws:username":"al?"}}"#,
            Some("alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringLikeIfExists":{"aws:username":"al*"}}"#,
            None,
            None,
            Allow,
        ),
        (
            r#"{"StringNotLike":{"aws:username":"al*"}}"#,
            Some("alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#,
            Some("alice"),
            None,
            Allow,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#,
            Some("bob"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringEqualsIgnoreCaseIfExists":{"aws:username":"ALICE"}}"#,
            None,
            None,
            Allow,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}"#,
            Some("alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}"#,
            None,
            None,
            Allow,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalAccount":"210987654321"}}"#,
            None,
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringEquals":{"aws:username":"${aws:username}"}}"#,
            Some("alice"),
            None,
            Allow,
        ),
        (
            r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
            None,
            Some(true),
            Allow,
        ),
        (
            r#"{"Bool":{"aws:MultiFactorAuthPresent":true}}"#,
            None,
            Some(false),
            ImplicitDeny,
        ),
        (
            r#"{"Bool":{"aws:MultiFactorAuthPresent":false}}"#,
            None,
            Some(false),
            Allow,
        ),
        (
            r#"{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#,
            None,
            None,
            ImplicitDeny,
        ),
        (
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
            None,
            None,
            Allow,
        ),
        (
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
            None,
            Some(true),
            ImplicitDeny,
        ),
        (
            r#"{"StringEquals":{"aws:SourceIp":"10.0.0.1"}}"#,
            Some("alice"),
            Some(true),
            ImplicitDeny,
        ),
        (
            r#"{"Null":{"aws:MultiFactorAuthPresent":"true"}}"#,
            None,
            None,
            Allow,
        ),
        (
            r#"{"Null":{"aws:MultiFactorAuthPresent":"true"}}"#,
            None,
            Some(false),
            ImplicitDeny,
        ),
        // Keys and operators are AND'd.
        (
            r#"{"StringEquals":{"aws:username":"alice","aws:PrincipalAccount":"123456789012"}}"#,
            Some("alice"),
            None,
            Allow,
        ),
        (
            r#"{"StringEquals":{"aws:username":"alice","aws:PrincipalAccount":"999999999999"}}"#,
            Some("alice"),
            None,
            ImplicitDeny,
        ),
        (
            r#"{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
            Some("alice"),
            Some(false),
            ImplicitDeny,
        ),
        (
            r#"{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
            Some("alice"),
            Some(true),
            Allow,
        ),
    ];
    for (condition, username, mfa_present, expected) in table {
        let document = statement(&format!(
            r#""Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{condition}"#
        ));
        let policies = parse_all(&[&document]);
        let got = decide(
            &policies,
            "iam:GetUser",
            &user("alice"),
            *username,
            *mfa_present,
        );
        assert_eq!(
            got, *expected,
            "{condition} with username {username:?}, MFA {mfa_present:?}"
        );
    }
}

#[test]
fn malformed_documents_are_refused_with_a_clear_error() {
    /// (what is wrong, the document, the error it must produce)
    type Case = (&'static str, &'static str, fn(&PolicyError) -> bool);
    let table: &[Case] = &[
        ("not JSON", "Version: 2012", |e| {
            matches!(e, PolicyError::Json(_))
        }),
        (
            "duplicate key",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}}"#,
            |e| matches!(e, PolicyError::Json(_)) && e.to_string().contains("duplicate key"),
        ),
        (
            "missing Effect",
            r#"{"Version":"2012-10-17","Statement":{"Action":"*","Resource":"*"}}"#,
            |e| {
                matches!(
                    e,
                    PolicyError::Missing {
                        element: "Effect",
                        ..
                    }
                )
            },
        ),
        (
            "Effect Maybe",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
            |e| matches!(e, PolicyError::Invalid { at, .. } if at == "Statement[0].Effect"),
        ),
        (
            "lower-case effect",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"*","Resource":"*"}}"#,
            |e| matches!(e, PolicyError::Invalid { .. }),
        ),
        (
            "Action and NotAction",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotAction":"iam:X","Resource":"*"}}"#,
            |e| {
                matches!(
                    e,
                    PolicyError::Conflict {
                        first: "Action",
                        second: "NotAction",
                        ..
                    }
                )
            },
        ),
        (
            "Resource and NotResource",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}"#,
            |e| {
                matches!(
                    e,
                    PolicyError::Conflict {
                        first: "Resource",
                        ..
                    }
                )
            },
        ),
        (
            "no Action",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#,
            |e| {
                matches!(
                    e,
                    PolicyError::Missing {
                        element: "Action",
                        ..
                    }
                )
            },
        ),
        (
            "no Resource",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}"#,
            |e| {
                matches!(
                    e,
                    PolicyError::Missing {
                        element: "Resource",
                        ..
                    }
                )
            },
        ),
        (
            "unknown operator",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExist":{"aws:MultiFactorAuthPresent":"false"}}}}"#,
            |e| matches!(e, PolicyError::UnknownConditionOperator { operator, .. } if operator == "BoolIfExist"),
        ),
        (
            "ForAnyValue is not implemented",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:username":"a"}}}}"#,
            |e| matches!(e, PolicyError::UnknownConditionOperator { .. }),
        ),
        (
            "NullIfExists",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}}"#,
            |e| matches!(e, PolicyError::UnknownConditionOperator { .. }),
        ),
        (
            "Bool with a non-boolean",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"yes"}}}}"#,
            |e| matches!(e, PolicyError::Invalid { .. }),
        ),
        (
            "unknown Version",
            r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            |e| matches!(e, PolicyError::Invalid { at, .. } if at == "Version"),
        ),
        (
            "misspelt element",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Actions":"*","Resource":"*"}}"#,
            |e| matches!(e, PolicyError::UnknownElement { element, .. } if element == "Actions"),
        ),
        (
            "Principal",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#,
            |e| matches!(e, PolicyError::Invalid { .. }),
        ),
        (
            "action without service",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ResyncMFADevice","Resource":"*"}}"#,
            |e| matches!(e, PolicyError::Invalid { at, .. } if at == "Statement.Action"),
        ),
        (
            "resource not an ARN",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"user/alice"}}"#,
            |e| matches!(e, PolicyError::Invalid { .. }),
        ),
        (
            "empty Action array",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#,
            |e| matches!(e, PolicyError::Invalid { .. }),
        ),
        (
            "no statements",
            r#"{"Version":"2012-10-17","Statement":[]}"#,
            |e| matches!(e, PolicyError::Invalid { .. }),
        ),
        ("no Statement", r#"{"Version":"2012-10-17"}"#, |e| {
            matches!(
                e,
                PolicyError::Missing {
                    element: "Statement",
                    ..
                }
            )
        }),
        (
            "duplicate Sid",
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            |e| matches!(e, PolicyError::Invalid { at, .. } if at == "Statement[1].Sid"),
        ),
        (
            "unterminated variable",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/${aws:username"}}"#,
            |e| matches!(e, PolicyError::Invalid { .. }),
        ),
    ];
    for (name, document, expected) in table {
        match Policy::parse(document) {
            Ok(_) => panic!("{name}: accepted"),
            Err(error) => {
                assert!(expected(&error), "{name}: unexpected error {error:?}");
                assert!(!error.to_string().is_empty());
            }
        }
    }
}

#[test]
fn the_shipped_policies_parse_and_statement_may_be_an_object() {
    assert_eq!(
        Policy::parse(SELF_SERVICE_POLICY).unwrap().statements.len(),
        3
    );
    assert_eq!(
        Policy::parse(MANAGE_OWN_MFA_POLICY)
            .unwrap()
            .statements
            .len(),
        4
    );
    assert_eq!(Policy::parse(ADMIN_POLICY).unwrap().statements.len(), 1);
    let single = Policy::parse(&statement(
        r#""Sid":"One","Effect":"Allow","Action":"iam:ListUsers","Resource":"*""#,
    ))
    .unwrap();
    assert_eq!(single.statements.len(), 1);
    assert_eq!(
        decide(&[single], "iam:ListUsers", "*", Some("a"), Some(true)),
        Allow
    );
}

#[test]
fn admin_policy_allows_every_iam_action_in_its_account_with_mfa() {
    let policies = parse_all(&[ADMIN_POLICY]);
    check_table(
        &policies,
        Some(true),
        &[
            ("iam:UnlockMFADevice", user("bob"), Allow),
            ("iam:LookupEvents", "*".into(), Allow),
            ("iam:ResyncMFADevice", user("bob"), Allow),
            ("iam:DeleteVirtualMFADevice", mfa("bob-phone"), Allow),
            ("iam:CreateUser", user("dave"), Allow),
            ("sts:GetCallerIdentity", "*".into(), ImplicitDeny),
        ],
    );
    // Without MFA the administrator's policy grants nothing (security rule 12).
    for mfa_present in [Some(false), None] {
        assert_eq!(
            decide(
                &policies,
                "iam:UnlockMFADevice",
                &user("bob"),
                Some("admin"),
                mfa_present
            ),
            ImplicitDeny
        );
    }
}

#[test]
fn nothing_crosses_accounts() {
    let allow_everything = statement(r#""Effect":"Allow","Action":"*","Resource":"*""#);
    let policies = parse_all(&[ADMIN_POLICY, &allow_everything]);
    let other = |resource: &str| format!("arn:aws:iam::{OTHER_ACCOUNT}:{resource}");
    for resource in [
        other("user/bob"),
        other("mfa/bob"),
        other("root"),
        "arn:aws:iam::12345:user/bob".to_owned(),
    ] {
        assert_eq!(
            decide(
                &policies,
                "iam:UnlockMFADevice",
                &resource,
                Some("admin"),
                Some(true)
            ),
            ImplicitDeny,
            "{resource}"
        );
    }
    assert_eq!(
        decide(
            &policies,
            "iam:UnlockMFADevice",
            &user("bob"),
            Some("admin"),
            Some(true)
        ),
        Allow
    );
    // The seed policy's arn:aws:iam::*:user/${aws:username} would match alice's namesake elsewhere.
    let seed = parse_all(&[SELF_SERVICE_POLICY]);
    let ctx = RequestContext {
        action: "iam:ResyncMFADevice",
        resource: &other("user/alice"),
        account: ACCOUNT,
        username: Some("alice"),
        mfa_present: Some(true),
        mfa_age: None,
    };
    assert_eq!(evaluate(&seed, &ctx), ImplicitDeny);
}

#[test]
fn only_allow_is_allowed() {
    assert!(Allow.is_allowed());
    assert!(!ExplicitDeny.is_allowed());
    assert!(!ImplicitDeny.is_allowed());
}
