//! Secrets never leak (issue 14, security rules 15 and 21): after the whole suite, every log
//! and artifact under `test-artifacts/` is searched for every secret the run's harnesses put in
//! the ledger, and one hit fails the step.
//!
//! The ledger is a folder (`target/secret-ledger/`, handed to every harness as
//! `MFA_RESYNC_SECRET_LEDGER`) of files with one entry a line, `KIND<TAB>VALUE`: the Rust
//! harness (`backend/tests/common/ledger.rs`), the Playwright fixtures (`end2end/tests/ledger.ts`)
//! and pytest's (`end2end/aws/conftest.py`) append each secret they make or receive. What is
//! searched, per kind:
//!
//! - `seed` (Base32) and `seed-hex`: the bytes in Base32 (upper and lower case), hex (lower and
//!   upper), raw, base64 and base64url, and base64 of the Base32 text (the Query API's blob);
//! - `password`, `session-token`, `access-key-secret`: the text as it is;
//! - `code`: as a number of its own in text files only — not touching a letter, a digit or
//!   `_`, not after a decimal point (`1.032782 s`), not a measurement the logs print
//!   (`micros=108066`), not a literal of a logged SQL statement, and in JSON only as a string.
//!   Six digits in a request id, a hash, a PNG or a latency are chance, not a code: a run sends
//!   about a thousand codes, so each such number would match one with a chance of 10⁻³.
//!
//! A hit names the file, the kind and the encoding, never the secret.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;

use crate::shell::{self, Result};

/// The ledger folder, under the workspace root (outside every scanned folder).
pub const LEDGER: &str = "target/secret-ledger";
/// Where the Rust harness keeps its servers' logs (`MFA_RESYNC_KEEP_LOGS`).
pub const KEPT_LOGS: &str = "test-artifacts/backend";
/// The folders scanned, under the workspace root.
pub const SCANNED: &[&str] = &["test-artifacts"];
/// Secrets other than codes shorter than this are not searched (they would match by chance).
const SHORTEST: usize = 8;

/// What a ledger entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Seed,
    Code,
    Password,
    SessionToken,
    AccessKeySecret,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Seed => "seed",
            Kind::Code => "code",
            Kind::Password => "password",
            Kind::SessionToken => "session token",
            Kind::AccessKeySecret => "access-key secret",
        }
    }
}

/// Every secret of the run, as the byte patterns to search for.
#[derive(Default)]
pub struct Ledger {
    /// (pattern, kind, encoding).
    patterns: Vec<(Vec<u8>, Kind, &'static str)>,
    codes: HashSet<String>,
    /// Distinct secrets per kind.
    secrets: BTreeMap<Kind, BTreeSet<String>>,
    /// Entries too short to search, or not understood.
    skipped: usize,
}

/// One secret found: where, what kind, in which encoding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub file: PathBuf,
    pub kind: Kind,
    pub encoding: &'static str,
}

/// What a scan looked at and found.
#[derive(Debug, Default)]
pub struct Scan {
    pub files: usize,
    pub bytes: u64,
    pub hits: BTreeSet<Hit>,
}

impl Ledger {
    /// Every `*.tsv` file of `dir`.
    pub fn read(dir: &Path) -> Result<Ledger> {
        let mut ledger = Ledger::default();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "tsv") {
                continue;
            }
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            for line in text.lines() {
                match line.split_once('\t') {
                    Some((kind, value)) => ledger.add(kind, value),
                    None => ledger.skipped += 1,
                }
            }
        }
        Ok(ledger)
    }

    /// Adds one entry of the ledger's format.
    pub fn add(&mut self, kind: &str, value: &str) {
        let seed = match kind {
            "seed" => base32_decode(value),
            "seed-hex" => hex_decode(value),
            _ => None,
        };
        if let Some(bytes) = seed {
            self.add_seed(&bytes);
            return;
        }
        let kind = match kind {
            "code" if is_code(value) => {
                self.codes.insert(value.to_owned());
                self.secrets
                    .entry(Kind::Code)
                    .or_default()
                    .insert(value.to_owned());
                return;
            }
            "password" => Kind::Password,
            "session-token" => Kind::SessionToken,
            "access-key-secret" => Kind::AccessKeySecret,
            _ => {
                self.skipped += 1;
                return;
            }
        };
        self.push(value.as_bytes().to_vec(), kind, "text");
        self.secrets
            .entry(kind)
            .or_default()
            .insert(value.to_owned());
    }

    fn add_seed(&mut self, bytes: &[u8]) {
        if bytes.len() < 10 {
            self.skipped += 1;
            return;
        }
        let b32 = base32_encode(bytes);
        if !self
            .secrets
            .entry(Kind::Seed)
            .or_default()
            .insert(b32.clone())
        {
            return;
        }
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.push(
            b32.to_lowercase().into_bytes(),
            Kind::Seed,
            "Base32, lower case",
        );
        self.push(
            b64(b32.as_bytes(), STANDARD),
            Kind::Seed,
            "base64 of Base32",
        );
        self.push(b32.into_bytes(), Kind::Seed, "Base32");
        self.push(
            hex.to_uppercase().into_bytes(),
            Kind::Seed,
            "hex, upper case",
        );
        self.push(hex.into_bytes(), Kind::Seed, "hex");
        self.push(bytes.to_vec(), Kind::Seed, "raw bytes");
        self.push(b64(bytes, STANDARD), Kind::Seed, "base64");
        self.push(b64(bytes, URL_SAFE), Kind::Seed, "base64url");
    }

    fn push(&mut self, pattern: Vec<u8>, kind: Kind, encoding: &'static str) {
        if pattern.len() < SHORTEST {
            self.skipped += 1;
        } else {
            self.patterns.push((pattern, kind, encoding));
        }
    }

    /// Distinct secrets of each kind.
    pub fn count(&self, kind: Kind) -> usize {
        self.secrets.get(&kind).map_or(0, BTreeSet::len)
    }

    /// Distinct secrets of every kind.
    pub fn total(&self) -> usize {
        self.secrets.values().map(BTreeSet::len).sum()
    }

    /// Searches every file under `roots` (recursively; a missing root is skipped).
    pub fn scan(&self, roots: &[PathBuf]) -> Result<Scan> {
        let searcher = AhoCorasick::new(self.patterns.iter().map(|(p, _, _)| p))
            .map_err(|e| format!("the secrets' patterns: {e}"))?;
        let mut scan = Scan::default();
        let mut files = Vec::new();
        for root in roots {
            collect_files(root, &mut files)?;
        }
        for file in files {
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            scan.files += 1;
            scan.bytes += bytes.len() as u64;
            for found in searcher.find_overlapping_iter(&bytes) {
                let (_, kind, encoding) = self.patterns[found.pattern().as_usize()];
                scan.hits.insert(Hit {
                    file: file.clone(),
                    kind,
                    encoding,
                });
            }
            let json = file.extension().is_some_and(|x| x == "json");
            if is_text(&file, &bytes)
                && code_candidates(&bytes, json).any(|t| self.codes.contains(t))
            {
                scan.hits.insert(Hit {
                    file: file.clone(),
                    kind: Kind::Code,
                    encoding: "digits",
                });
            }
        }
        Ok(scan)
    }
}

/// `cargo xtask test`'s last step: the ledger against every file of [`SCANNED`]. Fails on any
/// hit, and on an empty ledger (a run that recorded nothing proved nothing).
pub fn check(facts: &mut Vec<String>) -> Result {
    let root = shell::root();
    let ledger = Ledger::read(&root.join(LEDGER))?;
    if ledger.count(Kind::Seed) == 0 || ledger.count(Kind::Code) == 0 {
        return Err(format!(
            "the ledger {LEDGER}/ holds no seed or no code: the harnesses recorded nothing"
        ));
    }
    let roots: Vec<PathBuf> = SCANNED.iter().map(|d| root.join(d)).collect();
    let scan = ledger.scan(&roots)?;
    let fact = format!(
        "secrets scan: {} files ({:.1} MB) under {} searched for {} secrets ({} seeds, {} codes, \
         {} passwords, {} session tokens, {} access-key secrets; {} byte patterns): {} found",
        scan.files,
        scan.bytes as f64 / 1e6,
        SCANNED.join(", "),
        ledger.total(),
        ledger.count(Kind::Seed),
        ledger.count(Kind::Code),
        ledger.count(Kind::Password),
        ledger.count(Kind::SessionToken),
        ledger.count(Kind::AccessKeySecret),
        ledger.patterns.len(),
        scan.hits.len()
    );
    println!("xtask: {fact}");
    facts.push(fact);
    if scan.files == 0 {
        return Err("no log or artifact to scan".into());
    }
    if scan.hits.is_empty() {
        return Ok(());
    }
    let mut message = format!("{} secret(s) in logs or artifacts:", scan.hits.len());
    for hit in scan.hits.iter().take(20) {
        let file = hit.file.strip_prefix(&root).unwrap_or(&hit.file);
        message.push_str(&format!(
            "\n         {}: a {} ({})",
            file.display(),
            hit.kind.name(),
            hit.encoding
        ));
    }
    Err(message)
}

/// Empties the ledger and the kept logs before a run.
pub fn clear() -> Result {
    let root = shell::root();
    for dir in [LEDGER, KEPT_LOGS] {
        let dir = root.join(dir);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(())
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if kind.is_dir() {
            collect_files(&path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// A text file: no NUL byte, and not a format known to be binary.
fn is_text(path: &Path, bytes: &[u8]) -> bool {
    const BINARY: &[&str] = &["png", "jpg", "jpeg", "webm", "zip", "gz", "br", "wasm"];
    let binary_name = path
        .extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| BINARY.contains(&x.to_ascii_lowercase().as_str()));
    !binary_name && !bytes[..bytes.len().min(1 << 16)].contains(&0)
}

/// Whether `value` has the shape of a code: 6 to 8 ASCII digits.
fn is_code(value: &str) -> bool {
    (6..=8).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
}

/// Labels after which a log prints a measurement, never a code: a server's request latency
/// (`micros=108066` is a slow argon2 sign-in) and HTTP/2 frame sizes.
const MEASUREMENTS: &[&str] = &[
    "micros=",
    "size_increment: ",
    "initial_window_size: ",
    "max_frame_size: ",
    "max_header_list_size: ",
];

/// The numbers of `text` that could be a code sent: [`number_tokens`] but not a measurement
/// ([`MEASUREMENTS`]), not inside a logged SQL statement (`db.statement="…"`: the source's
/// literals, such as the throttle's waits in milliseconds; bound values are not logged), and in
/// JSON (`json`) only a string (every code of the API is a string; a number there is a count or
/// a size).
fn code_candidates(text: &[u8], json: bool) -> impl Iterator<Item = &str> {
    let statements = sql_statements(text);
    number_tokens(text).filter_map(move |(start, token)| {
        let end = start + token.len();
        let measured = MEASUREMENTS
            .iter()
            .any(|label| text[..start].ends_with(label.as_bytes()));
        let in_sql = statements.iter().any(|r| r.contains(&start));
        let quoted = start > 0 && text[start - 1] == b'"' && text.get(end) == Some(&b'"');
        (!measured && !in_sql && (quoted || !json)).then_some(token)
    })
}

/// The byte ranges of the SQL statements sqlx logs, `db.statement="…"` (quotes inside escaped).
fn sql_statements(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    const OPEN: &[u8] = b"db.statement=\"";
    let mut ranges = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].windows(OPEN.len()).position(|w| w == OPEN) {
        let start = at + found + OPEN.len();
        let mut end = start;
        while end < text.len() && !(text[end] == b'"' && text[end - 1] != b'\\') {
            end += 1;
        }
        ranges.push(start..end);
        at = end;
    }
    ranges
}

/// The runs of 6 to 8 digits in `text` that stand alone, with where each starts: no letter,
/// digit or `_` on either side, and not the decimals of a number (a digit and `.` before).
fn number_tokens(text: &[u8]) -> impl Iterator<Item = (usize, &str)> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < text.len() {
            if !text[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < text.len() && text[i].is_ascii_digit() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| text[j]);
            let decimals = before == Some(b'.')
                && start
                    .checked_sub(2)
                    .is_some_and(|k| text[k].is_ascii_digit());
            let alone =
                !before.is_some_and(word) && !decimals && !text.get(i).copied().is_some_and(word);
            if alone && (6..=8).contains(&(i - start)) {
                return Some((start, std::str::from_utf8(&text[start..i]).ok()?));
            }
        }
        None
    })
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 §6 Base32 without padding.
fn base32_encode(bytes: &[u8]) -> String {
    let (mut out, mut buffer, mut bits) = (String::new(), 0u32, 0);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// RFC 4648 §6 Base32, either case, padding and spaces ignored; `None` if not Base32.
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let v = B32.iter().position(|&x| x == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Base64 (RFC 4648 §4, or §5 with the URL-safe alphabet) without padding: what any encoding of
/// the bytes starts with, padded or not.
fn b64(bytes: &[u8], alphabet: &[u8; 64]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary directory.
    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-leaks-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// RFC 4648 §10's test vectors, and base64 of the same (padding left off).
    #[test]
    fn the_encodings_match_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(b"fooba"), "MZXW6YTB");
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW6-YTBOI"), None);
        assert_eq!(b64(b"foobar", STANDARD), b"Zm9vYmFy");
        assert_eq!(b64(b"fooba", STANDARD), b"Zm9vYmE");
        assert_eq!(b64(&[0xfb, 0xff], URL_SAFE), b"-_8");
        assert_eq!(hex_decode("00ff7A").unwrap(), [0, 255, 122]);
        assert_eq!(hex_decode("0g"), None);
    }

    #[test]
    fn only_codes_standing_alone_are_numbers_of_their_own() {
        fn tokens(text: &str) -> Vec<&str> {
            number_tokens(text.as_bytes()).map(|(_, t)| t).collect()
        }
        assert_eq!(
            tokens("code=123456, \"654321\" 1234567 12345678 (000111)"),
            ["123456", "654321", "1234567", "12345678", "000111"]
        );
        // Part of a longer number, of a word, a hash or a fraction: no.
        assert!(tokens("123456789 a123456 123456b _123456 12.123456 x-1f123456e").is_empty());
        assert!(tokens("12345 1234").is_empty());
        // A full stop after a word is not a decimal point.
        assert_eq!(tokens("end.123456"), ["123456"]);
    }

    /// A measurement, a literal of a logged SQL statement and a number in JSON are not codes;
    /// the same digits anywhere else in the line are.
    #[test]
    fn measurements_sql_literals_and_json_numbers_are_not_codes() {
        fn candidates(text: &str, json: bool) -> Vec<&str> {
            code_candidates(text.as_bytes(), json).collect()
        }
        let log = "request{id=8155 path=/api/sign-in}: response status=401 micros=108066\n\
            sqlx::query: db.statement=\"UPDATE t SET w = CASE WHEN f < 5 THEN 120000 \\\"x\\\" 240000 END\" \
            rows=1 code=120000\n\
            send frame=WindowUpdate { size_increment: 983041 } then 983041";
        assert_eq!(candidates(log, false), ["120000", "983041"]);
        let json = r#"{"Bytes": 104857, "Code": "104857", "List": [123456]}"#;
        assert_eq!(candidates(json, true), ["104857"]);
        assert_eq!(candidates(json, false), ["104857", "104857", "123456"]);
    }

    /// A seed planted in a log, in each encoding, is reported with the file and the kind; a
    /// code too; neither is reported where it is not.
    #[test]
    fn a_planted_seed_or_code_is_found_and_named() {
        let dir = folder("plant");
        let seed = [
            0x3d_u8, 0xc6, 0xca, 0xa4, 0x82, 0x4a, 0x6d, 0x28, 0x87, 0x67, 0xb2, 0x33, 0x1e, 0x20,
            0xb4, 0x31, 0x66, 0xcb, 0x85, 0xd9,
        ];
        let b32 = base32_encode(&seed);
        let mut ledger = Ledger::default();
        ledger.add("seed", &b32.to_lowercase());
        ledger.add("code", "492039");
        ledger.add("password", "demo-bob-password");
        ledger.add("session-token", "tok-0123456789abcdef");
        ledger.add("access-key-secret", "wJalrXUtnFEMI/K7MDENG");
        assert_eq!(ledger.count(Kind::Seed), 1);
        assert_eq!(ledger.total(), 5);

        std::fs::write(
            dir.join("clean.log"),
            "GET /healthz 200 492039123 req-a492039f\n",
        )
        .unwrap();
        assert!(
            ledger
                .scan(std::slice::from_ref(&dir))
                .unwrap()
                .hits
                .is_empty()
        );

        let hex: String = seed.iter().map(|b| format!("{b:02X}")).collect();
        let cases: Vec<(&str, Vec<u8>, Kind, &str)> = vec![
            (
                "a.log",
                format!("seed={b32}\n").into_bytes(),
                Kind::Seed,
                "Base32",
            ),
            (
                "b.log",
                format!("x {} y", b32.to_lowercase()).into_bytes(),
                Kind::Seed,
                "Base32, lower case",
            ),
            (
                "c.json",
                format!("{{\"k\":\"{hex}\"}}").into_bytes(),
                Kind::Seed,
                "hex, upper case",
            ),
            (
                "d.bin",
                [b"\0\x01".as_slice(), &seed, b"\0"].concat(),
                Kind::Seed,
                "raw bytes",
            ),
            (
                "e.log",
                b"resync code1=492039 refused".to_vec(),
                Kind::Code,
                "digits",
            ),
            (
                "f.out",
                b"password demo-bob-password".to_vec(),
                Kind::Password,
                "text",
            ),
            (
                "g.log",
                b"cookie: s=tok-0123456789abcdef".to_vec(),
                Kind::SessionToken,
                "text",
            ),
            (
                "h.xml",
                b"<S>wJalrXUtnFEMI/K7MDENG</S>".to_vec(),
                Kind::AccessKeySecret,
                "text",
            ),
        ];
        for (name, content, kind, encoding) in cases {
            let case = folder(&format!("plant-{name}"));
            std::fs::write(case.join(name), &content).unwrap();
            let scan = ledger.scan(std::slice::from_ref(&case)).unwrap();
            assert_eq!(scan.files, 1);
            let hits: Vec<_> = scan.hits.iter().map(|h| (h.kind, h.encoding)).collect();
            assert_eq!(hits, [(kind, encoding)], "{name}");
            assert_eq!(scan.hits.first().unwrap().file, case.join(name));
            let _ = std::fs::remove_dir_all(case);
        }
        // A code's digits inside a binary file are chance, not a code.
        std::fs::write(dir.join("screen.png"), b"\x89PNG 492039 ").unwrap();
        assert!(
            ledger
                .scan(std::slice::from_ref(&dir))
                .unwrap()
                .hits
                .is_empty()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The ledger's files as the harnesses write them, read back; a malformed line is skipped,
    /// not taken for a secret.
    #[test]
    fn the_ledger_is_read_from_every_harness_file() {
        let dir = folder("ledger");
        std::fs::write(
            dir.join("rust-1.tsv"),
            "seed\tMZXW6YTBOJVGS23MNU\ncode\t123456\ncode\t12\nnonsense\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("pytest-2.tsv"),
            "seed-hex\t666f6f6261726a696b6c6d\npassword\tpw-0011223344556677\n",
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "password\tignored-not-a-ledger\n").unwrap();
        let ledger = Ledger::read(&dir).unwrap();
        // The two seeds are the same bytes, once in Base32 and once in hex.
        assert_eq!(ledger.count(Kind::Seed), 1);
        assert_eq!(ledger.count(Kind::Code), 1);
        assert_eq!(ledger.count(Kind::Password), 1);
        assert_eq!(ledger.skipped, 2);
        let _ = std::fs::remove_dir_all(dir);
    }
}
