//! The fuzz targets: every reader of outside input, each fed arbitrary bytes and held to
//! properties, not only "no panic" (issue 14). A target is a `fn(&[u8])` that panics when a
//! property fails.
//!
//! Two engines drive the same functions:
//! - **libFuzzer** through cargo-fuzz (`fuzz/libfuzzer/`, one `fuzz_target!` per entry of
//!   [`TARGETS`]): coverage-guided; it needs a nightly toolchain, which some machines of this
//!   kind have (`cargo xtask fuzz` uses it when present).
//! - **the smoke engine** ([`smoke`]), on stable: every file of the target's committed corpus
//!   (`fuzz/corpus/<target>/`) and a fixed number of mutations of them. It is not
//!   coverage-guided (no stable crate instruments code for coverage without an external
//!   fuzzer's toolchain: cargo-afl builds AFL++ with LLVM plugins, bolero drives libFuzzer or
//!   AFL underneath), so it is the CI run and the fallback of `cargo xtask fuzz`, and says so.
//!
//! The targets: [`code`] (`Code` parsing), [`secret`] (Base32 secrets), [`otpauth`] (the
//! enrolment URI), [`json_body`] (the JSON body of every action, through the real extractor),
//! [`query`] (the IAM Query form and its parameters), [`sigv4`] (the `Authorization` header and
//! `X-Amz-Date`), [`marker`] (pagination markers), [`policy`] (IAM policy documents), [`pskc`]
//! (PSKC token files, RFC 6030).

use backend::http::fuzzing::{self as door, List};
use backend::policy::{Policy, RequestContext, evaluate};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{self as wire, ErrorCode};
use shared::code::{Code, CodeError, Digits};
use shared::otpauth::{OtpauthKind, OtpauthUri};
use shared::secret::Secret;

/// A fuzz target: panics when a property fails.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus folder and its cargo-fuzz binary.
pub const TARGETS: &[(&str, Target)] = &[
    ("code", code),
    ("secret", secret),
    ("otpauth", otpauth),
    ("json_body", json_body),
    ("query", query),
    ("sigv4", sigv4),
    ("marker", marker),
    ("policy", policy),
    ("pskc", pskc),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Splits `data` at its first NUL byte: two inputs from one.
fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

/// `Code::parse`: a code that parses is exactly the text typed, its value that text read in
/// base 10, its length the digits asked for; a refusal names the first thing wrong.
pub fn code(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(digits) = Digits::new(6 + first % 3) else {
        panic!("6, 7 and 8 digits are valid");
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let want = usize::from(digits.get());
    match Code::parse(text, digits) {
        Ok(code) => {
            assert_eq!(code.as_str(), text);
            assert_eq!(code.digits(), digits);
            assert_eq!(Some(code.value()), text.parse::<u32>().ok());
            assert!(text.bytes().all(|b| b.is_ascii_digit()) && text.len() == want);
        }
        Err(CodeError::Empty) => assert!(text.is_empty()),
        Err(CodeError::NotADigit { position }) => {
            let first_bad = text.chars().position(|c| !c.is_ascii_digit());
            assert_eq!(first_bad.map(|i| i + 1), Some(position));
        }
        Err(CodeError::TooShort { missing }) => assert_eq!(text.len() + missing, want),
        Err(CodeError::TooLong { extra }) => assert_eq!(text.len(), want + extra),
        Err(other) => panic!("unexpected refusal of {text:?}: {other:?}"),
    }
}

/// `Secret::from_base32` and `from_base32_typed`: a secret that decodes encodes back to the
/// same letters (upper case, unpadded) and holds at least 128 bits; typed input is the same
/// with its spaces dropped.
pub fn secret(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let strict = Secret::from_base32(text);
    if let Ok(secret) = &strict {
        assert!(secret.len() >= Secret::MIN_BYTES);
        assert_eq!(
            secret.to_base32(),
            text.trim_end_matches('=').to_ascii_uppercase()
        );
        let again = Secret::from_base32(&secret.to_base32()).expect("its own encoding decodes");
        assert_eq!(again.as_bytes(), secret.as_bytes());
    }
    let typed = Secret::from_base32_typed(text);
    let joined = Secret::from_base32(&text.replace(' ', ""));
    match (typed, joined) {
        (Ok(a), Ok(b)) => assert_eq!(a.as_bytes(), b.as_bytes()),
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("typed {:?} vs joined {:?}", a.is_ok(), b.is_ok()),
    }
}

/// The enrolment URI: whatever the issuer and account name, the URI has one label and one
/// query, and percent-decoding them gives back exactly the issuer, the account and the secret.
pub fn otpauth(data: &[u8]) {
    let (issuer, account) = split(data);
    let (Ok(issuer), Ok(account)) = (std::str::from_utf8(issuer), std::str::from_utf8(account))
    else {
        return;
    };
    let secret = Secret::from_bytes((0u8..20).collect()).expect("20 bytes");
    let uri = OtpauthUri {
        issuer,
        account,
        secret: &secret,
        digits: Digits::SIX,
        kind: OtpauthKind::Totp { period: 30 },
    }
    .to_uri();
    let rest = uri.strip_prefix("otpauth://totp/").expect("the scheme");
    assert!(rest.is_ascii() && !rest.contains([' ', '#']), "{uri}");
    let (label, query) = rest.split_once('?').expect("one query");
    assert!(!query.contains('?'));
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .expect("UTF-8 in, UTF-8 out")
            .into_owned()
    };
    let (got_issuer, got_account) = match label.split_once(':') {
        Some((i, a)) => (decode(i), decode(a)),
        None => (String::new(), decode(label)),
    };
    assert_eq!(
        (got_issuer.as_str(), got_account.as_str()),
        (issuer, account)
    );
    let params: Vec<(&str, &str)> = query
        .split('&')
        .map(|p| p.split_once('=').expect("name=value"))
        .collect();
    let get = |n: &str| params.iter().find(|(k, _)| *k == n).map(|(_, v)| decode(v));
    assert_eq!(get("secret"), Some(secret.to_base32()));
    assert_eq!(
        get("issuer"),
        (!issuer.is_empty()).then(|| issuer.to_owned())
    );
    assert_eq!(get("digits").as_deref(), Some("6"));
}

/// One action's JSON body through the real extractor: a body it reads re-serialises to a body
/// it reads the same; a refusal is the client's fault (400 or 415), never the server's.
fn body_as<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    body: &[u8],
    content_type: Option<&str>,
) {
    match door::json_body::<T>(body, content_type) {
        Ok(value) => {
            let again = serde_json::to_vec(&value).expect("serialises");
            let reread = door::json_body::<T>(&again, Some("application/json"))
                .unwrap_or_else(|e| panic!("its own JSON refused: {e:?}"));
            assert_eq!(reread, value);
        }
        Err(e) => {
            assert!(
                matches!(e.status(), 400 | 413 | 415),
                "{} for a client's body: {e:?}",
                e.status()
            );
            assert!(
                matches!(
                    e.code(),
                    ErrorCode::ValidationError | ErrorCode::UnsupportedMediaType
                ),
                "{e:?}"
            );
        }
    }
}

/// The JSON body of every action: the first byte picks the action, the second the
/// `Content-Type`, the rest is the body.
pub fn json_body(data: &[u8]) {
    let [which, content, body @ ..] = data else {
        return;
    };
    let content_type = match content % 4 {
        0 => Some("application/json"),
        1 => Some("application/json; charset=utf-8"),
        2 => Some("text/plain"),
        _ => None,
    };
    match which % 12 {
        0 => body_as::<wire::SignInRequest>(body, content_type),
        1 => body_as::<wire::RootSignInRequest>(body, content_type),
        2 => body_as::<wire::MfaSignInRequest>(body, content_type),
        3 => body_as::<wire::ResyncMfaDeviceRequest>(body, content_type),
        4 => body_as::<wire::DeactivateMfaDeviceRequest>(body, content_type),
        5 => body_as::<wire::CreateVirtualMfaDeviceRequest>(body, content_type),
        6 => body_as::<wire::DeleteVirtualMfaDeviceRequest>(body, content_type),
        7 => body_as::<wire::ListMfaDevicesRequest>(body, content_type),
        8 => body_as::<wire::ListVirtualMfaDevicesRequest>(body, content_type),
        9 => body_as::<wire::ListAccessKeysRequest>(body, content_type),
        10 => body_as::<wire::LookupEventsRequest>(body, content_type),
        _ => body_as::<wire::ListUsersRequest>(body, content_type),
    }
}

/// The IAM Query form: parameters read from the query string and the body are each named once;
/// written out again as a form they read back the same; `Action`, the input and the paging
/// members are read or refused as the client's fault.
pub fn query(data: &[u8]) {
    let (query, body) = split(data);
    let Ok(query) = std::str::from_utf8(query) else {
        return;
    };
    let query = (!query.is_empty()).then_some(query);
    match door::query_params(query, body) {
        Ok(pairs) => {
            let mut names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
            names.dedup();
            assert_eq!(names.len(), pairs.len(), "a name twice: {pairs:?}");
            let form = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            let again = door::query_params(None, form.as_bytes()).expect("its own form");
            assert_eq!(again, pairs);
            let read = door::query_input::<wire::ResyncMfaDeviceRequest>(query, body)
                .expect("parsed once, parses again");
            if let Err(refused) = read.action {
                assert_eq!(refused.status, 400, "{refused:?}");
            }
            for e in [read.input.err(), read.paging.err()].into_iter().flatten() {
                assert_eq!(e.code(), ErrorCode::ValidationError, "{e:?}");
            }
        }
        Err(refused) => {
            assert_eq!(
                (refused.status, refused.code),
                (400, "InvalidParameterValue")
            );
        }
    }
}

/// The SigV4 `Authorization` header (and, for input that looks like one, `X-Amz-Date`): parts
/// read from a header are read the same from the header written back from them; a refusal is
/// `IncompleteSignature`; a date that reads writes back to the same text.
pub fn sigv4(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match door::authorization(text) {
        Ok(a) => {
            assert!(!a.key_id.is_empty() && !a.region.is_empty());
            let header = format!(
                "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
                a.key_id,
                a.scope_date,
                a.region,
                a.service,
                a.signed_headers.join(";"),
                a.signature
            );
            // Values with a separator of their own (`,` or `=` or spaces at an end) are read
            // differently once rewritten; those the server reads cleanly must round-trip.
            let clean = |s: &str| !s.contains([',', '=']) && s.trim() == s;
            let all_clean = [&a.key_id, &a.scope_date, &a.service, &a.signature]
                .into_iter()
                .all(|s| clean(s))
                && a.signed_headers.iter().all(|h| clean(h));
            if all_clean {
                assert_eq!(door::authorization(&header), Ok(a));
            }
        }
        Err(refused) => assert_eq!((refused.code, refused.status), ("IncompleteSignature", 400)),
    }
    if let Some(seconds) = door::amz_date(text) {
        // 23:59:60, a leap second, is read as the next day's first second.
        match text.strip_suffix("235960Z") {
            Some(day) => assert_eq!(amz_date_text(seconds - 1), format!("{day}235959Z")),
            None => assert_eq!(amz_date_text(seconds), text),
        }
    }
}

/// Unix seconds as `YYYYMMDD'T'HHMMSS'Z'` (civil-from-days, Howard Hinnant's algorithm): an
/// independent writer to check the server's reader against.
fn amz_date_text(seconds: i64) -> String {
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A pagination marker: at most one list takes it; the marker handed out again for it is taken
/// by that list alone and hands out itself.
pub fn marker(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let taken: Vec<(List, String)> = List::ALL
        .into_iter()
        .filter_map(|list| door::marker(text, list).map(|m| (list, m)))
        .collect();
    assert!(taken.len() <= 1, "one marker, several lists: {taken:?}");
    if let Some((list, again)) = taken.into_iter().next() {
        assert_eq!(door::marker(&again, list).as_deref(), Some(again.as_str()));
        for other in List::ALL.into_iter().filter(|l| *l != list) {
            assert_eq!(door::marker(&again, other), None);
        }
    }
}

/// An IAM policy document: one that parses evaluates for any request without panicking, and
/// parsing is a function of the text (the same document twice reads the same).
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::parse(text) else {
        return;
    };
    let again = Policy::parse(text).expect("parsed once, parses again");
    assert_eq!(format!("{policy:?}"), format!("{again:?}"));
    for (action, resource, username, mfa) in [
        (
            "iam:ResyncMFADevice",
            "arn:aws:iam::111122223333:user/alice",
            Some("alice"),
            Some(true),
        ),
        ("iam:ListUsers", "*", None, None),
        (
            "iam:EnableMFADevice",
            "arn:aws:iam::111122223333:mfa/alice-phone",
            Some("alice"),
            Some(false),
        ),
        (
            "iam:deactivatemfadevice",
            "arn:aws:iam::999999999999:user/bob",
            Some("bob"),
            Some(true),
        ),
    ] {
        let ctx = RequestContext {
            action,
            resource,
            account: "111122223333",
            username,
            mfa_present: mfa,
            // Temporary credentials with MFA carry its age: the numeric operators get a value.
            mfa_age: mfa.filter(|m| *m).map(|_| 120),
        };
        let one = evaluate(std::slice::from_ref(&policy), &ctx);
        assert_eq!(one, evaluate(std::slice::from_ref(&again), &ctx));
        if resource.contains("999999999999") {
            assert!(!one.is_allowed(), "another account's resource allowed");
        }
    }
}

/// `pskc::read` (the PSKC reader; `data` is the file, then after a NUL byte the pre-shared key):
/// what it accepts holds only importable tokens — a non-empty serial given once, a seed of at
/// least 128 bits, security rule 1's digits (6, or 8 for HOTP), a TOTP step of 1 to 3600 s —
/// and the same input reads the same way twice.
pub fn pskc(data: &[u8]) {
    let (xml, psk) = split(data);
    let Ok(xml) = std::str::from_utf8(xml) else {
        return;
    };
    let psk = (!psk.is_empty()).then_some(psk);
    let read = backend::pskc::read(xml, psk);
    assert_eq!(
        read,
        backend::pskc::read(xml, psk),
        "the same file read twice"
    );
    let Ok(tokens) = read else {
        return;
    };
    assert!(!tokens.is_empty());
    for (i, t) in tokens.iter().enumerate() {
        assert!(!t.serial.is_empty());
        assert!(
            tokens[..i].iter().all(|o| o.serial != t.serial),
            "{} twice",
            t.serial
        );
        assert!(t.secret.len() >= 16, "{} bits", t.secret.len() * 8);
        match t.algorithm {
            backend::pskc::Algorithm::Hotp { .. } => assert!(matches!(t.digits, 6 | 8)),
            backend::pskc::Algorithm::Totp { step, .. } => {
                assert_eq!(t.digits, 6);
                assert!((1..=3600).contains(&step));
            }
        }
    }
}

/// The smoke engine: runs `target` on `inputs` and on `mutations` variants of them made by a
/// fixed pseudo-random sequence (bit flips, byte changes, insertions, deletions, splices and
/// "interesting" bytes), the same on every run. Returns how many inputs it ran.
pub fn smoke(target: Target, inputs: &[Vec<u8>], mutations: usize) -> usize {
    smoke_seeded(target, inputs, mutations, 0)
}

/// [`smoke`] with the sequence `seed` picks (the long stable run takes a new seed per round).
pub fn smoke_seeded(target: Target, inputs: &[Vec<u8>], mutations: usize, seed: u64) -> usize {
    for input in inputs {
        target(input);
    }
    if inputs.is_empty() {
        return 0;
    }
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ seed.wrapping_mul(0xd1b5_4a32_d192_ed03);
    let mut next = move || {
        // xorshift64*: a fixed, portable sequence (no crate needed for a smoke run's dice).
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    const INTERESTING: [u8; 12] = [
        0, 1, b'"', b'\\', b'%', b'&', b'=', b',', b'/', 0x7f, 0xc3, 0xff,
    ];
    for _ in 0..mutations {
        let mut input = inputs[next() as usize % inputs.len()].clone();
        for _ in 0..1 + next() % 4 {
            let at = if input.is_empty() {
                0
            } else {
                next() as usize % input.len()
            };
            match next() % 6 {
                0 if !input.is_empty() => input[at] ^= 1 << (next() % 8),
                1 if !input.is_empty() => input[at] = next() as u8,
                2 => input.insert(at.min(input.len()), INTERESTING[next() as usize % 12]),
                3 if !input.is_empty() => {
                    let end = (at + 1 + next() as usize % 8).min(input.len());
                    input.drain(at..end);
                }
                4 => {
                    let other = &inputs[next() as usize % inputs.len()];
                    if !other.is_empty() {
                        let from = next() as usize % other.len();
                        let piece = other[from..(from + 16).min(other.len())].to_vec();
                        let at = at.min(input.len());
                        input.splice(at..at, piece);
                    }
                }
                _ => {
                    let n = next() as usize % 3 + 1;
                    let b = INTERESTING[next() as usize % 12];
                    input.extend(std::iter::repeat_n(b, n));
                }
            }
        }
        target(&input);
    }
    inputs.len() + mutations
}

/// The corpus of target `name` as committed: every file of `fuzz/corpus/<name>/`.
pub fn corpus(name: &str) -> std::io::Result<Vec<Vec<u8>>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name);
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    files.iter().map(std::fs::read).collect()
}
