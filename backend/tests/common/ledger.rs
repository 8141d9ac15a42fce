//! The secrets ledger (issue 14, "Secrets never leak"): every secret this harness makes or
//! receives — seeds, codes it sends, passwords, session tokens, access-key secrets — is
//! appended to a file in `$MFA_RESYNC_SECRET_LEDGER` (set by `cargo xtask test` for the whole
//! run), and the servers' logs are kept in `$MFA_RESYNC_KEEP_LOGS`. xtask's last step searches
//! every kept log and artifact for every entry (`xtask/src/leaks.rs`). Without the variables
//! (a plain `cargo test`) nothing is written.
//!
//! One entry a line, `KIND<TAB>VALUE`, the format the Playwright and pytest harnesses write
//! too: `seed` (Base32), `code`, `password`, `session-token`, `access-key-secret`.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use serde_json::Value;

/// What a ledger entry is; the scan searches each kind in its own encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
            Kind::SessionToken => "session-token",
            Kind::AccessKeySecret => "access-key-secret",
        }
    }
}

/// This process's ledger file, when the run keeps one.
static FILE: LazyLock<Option<PathBuf>> = LazyLock::new(|| {
    let dir = PathBuf::from(std::env::var_os("MFA_RESYNC_SECRET_LEDGER")?);
    std::fs::create_dir_all(&dir).unwrap();
    Some(dir.join(format!("rust-{}.tsv", std::process::id())))
});

/// Entries written already (a code sent twice is one entry).
static WRITTEN: LazyLock<Mutex<HashSet<(Kind, String)>>> = LazyLock::new(Mutex::default);

/// Appends `value` as a secret of `kind` (nothing without a ledger, or for an empty value).
pub fn record(kind: Kind, value: &str) {
    let Some(file) = FILE.as_ref() else { return };
    if value.is_empty() {
        return;
    }
    assert!(
        !value.contains(['\t', '\n', '\r']),
        "a ledger entry is one line"
    );
    let mut written = WRITTEN.lock().unwrap();
    if !written.insert((kind, value.to_owned())) {
        return;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .unwrap();
    f.write_all(format!("{}\t{value}\n", kind.name()).as_bytes())
        .unwrap();
}

/// Records the secrets a JSON value holds under the names the API, the demo and the command
/// line give them, at any depth.
pub fn record_json(value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("Base32Seed" | "Base32StringSeed", Some(s)) => record(Kind::Seed, s),
                    ("SecretAccessKey", Some(s)) => record(Kind::AccessKeySecret, s),
                    (k, Some(s)) if k.starts_with("AuthenticationCode") => record(Kind::Code, s),
                    (k, Some(s)) if k.ends_with("Password") => record(Kind::Password, s),
                    _ => record_json(v),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(record_json),
        _ => {}
    }
}

/// Records what a command read on standard input: a seed when it reads as one (Base32 of at
/// least 80 bits), else a password (the commands read nothing else there).
pub fn record_stdin(input: &str) {
    let text = input.trim_end_matches(['\n', '\r']);
    let is_seed = text.len() >= 16
        && shared::secret::Secret::from_base32(text).is_ok_and(|s| s.as_bytes().len() >= 10);
    record(if is_seed { Kind::Seed } else { Kind::Password }, text);
}

/// Records the session token of a `Set-Cookie` value.
pub fn record_set_cookie(set_cookie: &str) {
    let pair = set_cookie.split(';').next().unwrap_or("");
    if let Some((_, token)) = pair.split_once('=') {
        record(Kind::SessionToken, token.trim());
    }
}

/// Where a finished server's logs are kept for the scan, when the run keeps them: a new folder
/// under `$MFA_RESYNC_KEEP_LOGS` named after the test (libtest names its thread so).
pub fn keep_dir() -> Option<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let root = PathBuf::from(std::env::var_os("MFA_RESYNC_KEEP_LOGS")?);
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .replace([':', '/'], "_");
    let dir = root.join(format!(
        "{test}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}
