//! Wildcard patterns with policy variables, as `Action`, `Resource` and string condition values
//! use them.
//!
//! A pattern is compiled once, when the document is parsed, into [`Piece`]s. Variables are
//! substituted at evaluation time into *literal* characters, never re-read as wildcards: a value
//! containing `*` must not widen the match (AWS: "IAM policy elements: Variables and tags",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// A character that must be present (compared per the pattern's case rule).
    Literal(char),
    /// `*`: any run of characters, including none.
    AnyRun,
    /// `?`: exactly one character.
    AnyChar,
    /// `${key}` or `${key, 'default'}`: replaced by the request's value for `key`.
    Variable {
        /// The condition key, lower-cased because key names are case-insensitive in IAM.
        key: String,
        /// Used when the request has no value for `key` (AWS's "Specifying default values").
        default: Option<String>,
    },
}

/// How a pattern's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Syntax {
    /// `*` and `?` are wildcards (Action, Resource, `StringLike`), or plain characters
    /// (`StringEquals`, `StringEqualsIgnoreCase`).
    pub wildcards: bool,
    /// `${…}` is a policy variable: only with `"Version": "2012-10-17"`. Under 2008-10-17 AWS
    /// keeps the text literally, so the same document must not suddenly match more here.
    pub variables: bool,
    /// Letters compare without regard to case: action names and `…IgnoreCase` operators.
    pub ignore_case: bool,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    pieces: Vec<Piece>,
    ignore_case: bool,
}

impl Pattern {
    /// Compiles `text`. The error is a sentence about the text, for [`super::PolicyError`].
    pub fn compile(text: &str, syntax: Syntax) -> Result<Pattern, String> {
        let mut pieces = Vec::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                let Some(end) = rest.find('}') else {
                    return Err(format!("unterminated policy variable in {text:?}"));
                };
                pieces.push(variable(&rest[2..end], text)?);
                rest = &rest[end + 1..];
                continue;
            }
            pieces.push(match c {
                '*' if syntax.wildcards => Piece::AnyRun,
                '?' if syntax.wildcards => Piece::AnyChar,
                _ => Piece::Literal(c),
            });
            rest = &rest[c.len_utf8()..];
        }
        Ok(Pattern {
            pieces,
            ignore_case: syntax.ignore_case,
        })
    }

    /// Whether `subject` matches, with `lookup` giving each variable's value.
    ///
    /// `None` when a variable has neither a value nor a default: the caller decides what an
    /// unresolvable element means (see `applies` in `policy.rs`), so that a missing
    /// `aws:username` can never widen an `Allow`.
    pub fn matches(&self, subject: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<bool> {
        let mut resolved = Vec::with_capacity(self.pieces.len());
        for piece in &self.pieces {
            match piece {
                Piece::Variable { key, default } => {
                    let value = lookup(key).or_else(|| default.clone())?;
                    resolved.extend(value.chars().map(Piece::Literal));
                }
                other => resolved.push(other.clone()),
            }
        }
        let subject: Vec<char> = subject.chars().collect();
        Some(glob(&resolved, &subject, self.ignore_case))
    }
}

/// Parses the inside of `${…}`: an escape (`*`, `?`, `$`), a key, or `key, 'default'`.
fn variable(inner: &str, text: &str) -> Result<Piece, String> {
    Ok(match inner {
        "*" => Piece::Literal('*'),
        "?" => Piece::Literal('?'),
        "$" => Piece::Literal('$'),
        _ => {
            let (key, default) = match inner.split_once(',') {
                None => (inner.trim(), None),
                Some((key, default)) => {
                    let default = default.trim();
                    let quoted =
                        default.len() >= 2 && default.starts_with('\'') && default.ends_with('\'');
                    if !quoted {
                        return Err(format!(
                            "the default value of a policy variable must be in single quotes, in {text:?}"
                        ));
                    }
                    (key.trim(), Some(default[1..default.len() - 1].to_owned()))
                }
            };
            if key.is_empty() {
                return Err(format!("empty policy variable in {text:?}"));
            }
            Piece::Variable {
                key: key.to_lowercase(),
                default,
            }
        }
    })
}

/// Matches resolved pieces (no variables left) against the subject.
///
/// The classic greedy algorithm with one backtrack point: on a mismatch, let the last `*` absorb
/// one more character. It is complete for `*`/`?` globs and runs in O(pattern × subject).
fn glob(pattern: &[Piece], subject: &[char], ignore_case: bool) -> bool {
    let same = |a: char, b: char| a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase()));
    let (mut p, mut s) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while s < subject.len() {
        match pattern.get(p) {
            Some(Piece::AnyRun) => {
                last_star = Some((p, s));
                p += 1;
            }
            Some(Piece::AnyChar) => (p, s) = (p + 1, s + 1),
            Some(Piece::Literal(c)) if same(*c, subject[s]) => (p, s) = (p + 1, s + 1),
            _ => match last_star {
                Some((star, absorbed)) => {
                    last_star = Some((star, absorbed + 1));
                    (p, s) = (star + 1, absorbed + 1);
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|piece| *piece == Piece::AnyRun)
}

/// The account field of an ARN (`arn:partition:service:region:account:resource`), if `resource`
/// is an ARN with a non-empty account field. `None` for `*`, for non-ARNs and for ARNs without an
/// account (e.g. `arn:aws:s3:::bucket`). Any non-empty field counts, not only 12 digits, so that a
/// malformed ARN for another account is refused too rather than slipping past the check.
pub(super) fn arn_account(resource: &str) -> Option<&str> {
    let mut fields = resource.splitn(6, ':');
    if fields.next() != Some("arn") {
        return None;
    }
    fields.nth(3).filter(|account| !account.is_empty())
}

/// OR over three-valued matches: a definite match wins; otherwise an unresolved one makes the
/// answer unresolved.
pub(super) fn any_matches(results: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unresolved = false;
    for result in results {
        match result {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unresolved = true,
        }
    }
    if unresolved { None } else { Some(false) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIKE: Syntax = Syntax {
        wildcards: true,
        variables: true,
        ignore_case: false,
    };

    fn matches(pattern: &str, subject: &str) -> Option<bool> {
        let lookup = |key: &str| (key == "aws:username").then(|| "alice".to_owned());
        Pattern::compile(pattern, LIKE)
            .unwrap()
            .matches(subject, &lookup)
    }

    #[test]
    fn globs_match_like_iam() {
        let table = [
            ("*", "", true),
            ("*", "anything", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*b*b*", "abab", true),
            ("*aab", "aaaab", true), // needs backtracking past the first candidate
            ("a**", "a", true),
            ("abc", "ABC", false), // case-sensitive unless asked
            ("user/${aws:username}", "user/alice", true),
            ("user/${aws:username}", "user/alicex", false),
            ("a${*}b", "a*b", true), // the escape is a literal star
            ("a${*}b", "axb", false),
            ("a${?}${$}", "a?$", true),
            ("${aws:nope, 'dflt'}", "dflt", true),
        ];
        for (pattern, subject, expected) in table {
            assert_eq!(
                matches(pattern, subject),
                Some(expected),
                "{pattern:?} vs {subject:?}"
            );
        }
    }

    #[test]
    fn a_missing_variable_is_unresolved_not_a_mismatch() {
        assert_eq!(matches("user/${aws:PrincipalTag/x}", "user/"), None);
    }

    #[test]
    fn substituted_values_are_literal() {
        let lookup = |_: &str| Some("*".to_owned());
        let pattern = Pattern::compile("user/${aws:username}", LIKE).unwrap();
        assert_eq!(pattern.matches("user/bob", &lookup), Some(false));
        assert_eq!(pattern.matches("user/*", &lookup), Some(true));
    }

    #[test]
    fn malformed_variables_are_errors() {
        for bad in ["user/${aws:username", "${}", "${aws:username, dflt}"] {
            assert!(Pattern::compile(bad, LIKE).is_err(), "{bad:?}");
        }
    }

    /// A default is used only when the request has no value; it may be empty.
    #[test]
    fn a_default_stands_in_only_for_a_missing_value() {
        assert_eq!(matches("${aws:nope,''}x", "x"), Some(true));
        assert_eq!(matches("${aws:username, 'dflt'}", "alice"), Some(true));
        assert_eq!(matches("${aws:username, 'dflt'}", "dflt"), Some(false));
    }

    /// A default value is quoted on both sides, and a variable names a key.
    #[test]
    fn a_default_must_be_quoted_on_both_sides() {
        for bad in [
            "${ , 'x'}",
            "${aws:username, dflt'}",
            "${aws:username, 'dflt}",
            "${aws:username, '}",
            "${aws:username,}",
        ] {
            assert!(Pattern::compile(bad, LIKE).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn arn_account_fields() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:user/a"),
            Some("123456789012")
        );
        assert_eq!(
            arn_account("arn:aws:iam::123456789012"),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:iam::12345:user/a"), Some("12345"));
        assert_eq!(arn_account("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_account("*"), None);
        assert_eq!(arn_account("user/a"), None);
    }
}
