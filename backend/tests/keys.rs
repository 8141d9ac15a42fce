//! The seed-encryption key at start (issue 14): a truncated or corrupt key file, a missing key
//! file beside a database that holds sealed seeds, and another database's key each stop the
//! command with a clear error before it writes anything — the store and the key file are
//! byte for byte as they were — and the right key brings everything back. On both stores.

mod common;

use common::*;

/// A command that writes (a new account), as a person would run it by mistake with a bad key.
const WRITE: &[&str] = &[
    "account",
    "create",
    "--alias",
    "after-the-fault",
    "--root-email",
    "root@after.example",
];
const PASSWORD: &str = "a-long-enough-password\n";

/// The store's bytes without what differs between two dumps of the same data: pg_dump's
/// `\restrict` and `\unrestrict` lines carry a random token each time.
fn comparable(files: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    files
        .into_iter()
        .map(|file| {
            file.split(|b| *b == b'\n')
                .filter(|line| {
                    !line.starts_with(b"\\restrict ") && !line.starts_with(b"\\unrestrict ")
                })
                .collect::<Vec<_>>()
                .join(&b'\n')
        })
        .collect()
}

#[tokio::test]
async fn a_bad_missing_or_foreign_key_stops_every_command_and_writes_nothing() {
    let mut server = Server::start();
    let key_file = server.dir.path().join("mfa-resync.key");
    let key = std::fs::read(&key_file).unwrap();
    server.stop();
    let stored = comparable(server.stored_files());
    let unchanged = |server: &Server, what: &str| {
        let now = comparable(server.stored_files());
        if now != stored {
            let (a, b) = (
                String::from_utf8_lossy(&stored[0]),
                String::from_utf8_lossy(&now[0]),
            );
            let diff: Vec<_> = a
                .lines()
                .zip(b.lines())
                .filter(|(x, y)| x != y)
                .take(5)
                .collect();
            panic!("{what}: the store changed although the command was refused: {diff:?}");
        }
    };
    let write_key = |bytes: &[u8]| {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::remove_file(&key_file);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key_file)
            .unwrap();
        std::io::Write::write_all(&mut f, bytes).unwrap();
    };

    for (what, bytes) in [
        ("a truncated key file", &key[..key.len() / 2]),
        ("a corrupt key file", &b"not a key at all\n"[..]),
        ("an empty key file", &b""[..]),
    ] {
        write_key(bytes);
        let (ok, _, err) = server.cli_status(WRITE, Some(PASSWORD));
        assert!(!ok, "{what}: the command ran");
        assert!(
            err.contains("does not hold a key") && err.contains("mfa-resync.key"),
            "{what}: {err}"
        );
        assert!(err.contains("nothing was written"), "{err}");
        unchanged(&server, what);
        assert_eq!(
            std::fs::read(&key_file).unwrap(),
            bytes,
            "{what}: the file was rewritten"
        );
    }

    std::fs::remove_file(&key_file).unwrap();
    let (ok, _, err) = server.cli_status(WRITE, Some(PASSWORD));
    assert!(!ok, "a missing key file: the command ran");
    assert!(
        err.contains("is missing") && err.contains("restore"),
        "{err}"
    );
    assert!(
        !key_file.exists(),
        "a new key was made for a database sealed with the old one"
    );
    unchanged(&server, "a missing key file");

    // Another database's key: valid, but it opens none of this one's seeds.
    write_key(b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
    for command in [WRITE, &["serve", "--addr", "127.0.0.1:0"][..]] {
        let (ok, out, err) = server.cli_status(command, Some(PASSWORD));
        assert!(!ok, "another database's key: {command:?} ran");
        assert!(!out.contains("listening on"), "{out}");
        assert!(err.contains("does not match this database"), "{err}");
        assert!(err.contains("does not decrypt"), "{err}");
    }
    unchanged(&server, "another database's key");

    // The right key: the same database serves as before.
    write_key(&key);
    server.restart();
    let mut bob = server.client();
    bob.sign_in_with_mfa("bob", &server.device(BOB_VIRTUAL))
        .await;
    assert_eq!(bob.list(None).await.status, 200);
    server.finish();
}

#[tokio::test]
async fn a_first_start_makes_the_key_file_and_later_commands_read_it() {
    let server = Server::start();
    let key_file = server.dir.path().join("mfa-resync.key");
    assert!(key_file.exists(), "the first start made the key file");
    // A new SQLite database (whatever the suite's store: the key file's birth is the same):
    // its first command makes its key file, a later one reads it back and opens the seeds
    // the first sealed with it.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.sqlite");
    let other_key = dir.path().join("other.key");
    let run = |args: &[&str]| {
        std::process::Command::new(BIN)
            .arg("--db")
            .arg(&db)
            .arg("--key-file")
            .arg(&other_key)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["demo", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made = std::fs::read(&other_key).unwrap();
    assert!(!made.is_empty());
    let out = run(&["demo", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&other_key).unwrap(),
        made,
        "the key file is kept"
    );
    assert_eq!(server.client().get("/api/time").await.status, 200);
    server.finish();
}
