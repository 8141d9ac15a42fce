//! The CI run of every fuzz target (issue 14): its committed corpus, then a fixed set of
//! mutations of it, on stable Rust. `cargo xtask fuzz` runs the long, coverage-guided form.

/// Mutations per target: enough to reach each reader's refusals, small enough for CI (about
/// two seconds for all targets in a debug build).
const MUTATIONS: usize = 25_000;

#[test]
fn every_target_holds_its_properties_on_its_corpus_and_mutations_of_it() {
    for (name, target) in fuzz::TARGETS {
        let corpus = fuzz::corpus(name).unwrap_or_else(|e| panic!("fuzz/corpus/{name}: {e}"));
        assert!(
            corpus.len() >= 3,
            "fuzz/corpus/{name} holds {} inputs",
            corpus.len()
        );
        let ran = fuzz::smoke(*target, &corpus, MUTATIONS);
        assert_eq!(ran, corpus.len() + MUTATIONS, "{name}");
    }
}

#[test]
fn every_target_has_a_libfuzzer_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("libfuzzer/fuzz_targets");
    for (name, _) in fuzz::TARGETS {
        let source = std::fs::read_to_string(dir.join(format!("{name}.rs")))
            .unwrap_or_else(|e| panic!("fuzz/libfuzzer/fuzz_targets/{name}.rs: {e}"));
        assert!(
            source.contains(&format!("fuzz::{name}(")),
            "{name}.rs calls fuzz::{name}"
        );
    }
}

#[test]
fn a_broken_property_is_caught() {
    // The engine must reach a failing input: a target that refuses any byte 0xff panics on the
    // mutations (INTERESTING holds 0xff), which the harness reports as a failure.
    fn no_ff(data: &[u8]) {
        assert!(!data.contains(&0xff), "found");
    }
    let caught = std::panic::catch_unwind(|| fuzz::smoke(no_ff, &[b"abc".to_vec()], 500));
    assert!(caught.is_err());
}

#[test]
fn the_sigv4_date_writer_agrees_with_known_dates() {
    // 2015-08-30T12:36:00Z, the AWS documentation's example, and the epoch.
    fuzz::sigv4(b"20150830T123600Z");
    fuzz::sigv4(b"19700101T000000Z");
}

/// The seeds reach the accepting side of each reader, so mutations start from inputs that get
/// past the first check (a corpus of refusals alone would test little).
#[test]
fn each_corpus_holds_inputs_the_readers_accept() {
    use backend::http::fuzzing::{self as door, List};
    let seed = |target: &str, name: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target)
            .join(name);
        String::from_utf8(std::fs::read(path).unwrap()).unwrap()
    };
    let resync = seed("json_body", "resync");
    let parsed = door::json_body::<shared::api::ResyncMfaDeviceRequest>(
        &resync.as_bytes()[2..],
        Some("application/json"),
    )
    .unwrap();
    assert_eq!(parsed.authentication_code1, "123456");
    let header = door::authorization(&seed("sigv4", "header")).unwrap();
    assert_eq!(
        (header.region.as_str(), header.service.as_str()),
        ("us-east-1", "iam")
    );
    assert_eq!(door::amz_date(&seed("sigv4", "date")), Some(1_440_938_160));
    let user = seed("marker", "user");
    assert_eq!(
        door::marker(&user, List::Users).as_deref(),
        Some(user.as_str())
    );
    assert_eq!(door::marker(&user, List::Devices), None);
    assert!(backend::policy::Policy::parse(&seed("policy", "self-service")).is_ok());
    let query = seed("query", "resync");
    let (q, body) = query.split_once('\0').unwrap();
    let params = door::query_params(Some(q), body.as_bytes()).unwrap();
    assert_eq!(params.len(), 5);
    assert!(shared::secret::Secret::from_base32(&seed("secret", "rfc_160_bits")).is_ok());
}
