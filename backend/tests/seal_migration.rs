//! Security rule 30's migration (0007), black box: a database written before it — every seed
//! and access-key secret sealed with the master key itself and the serial number or key id
//! alone as associated data — is re-sealed by the first command that opens it with the right
//! key, and keeps working: its codes sign in, its access key signs. The old and the current
//! format are both implemented here again, with `aes-gcm` and `hkdf` directly, so the test
//! does not trust the server's own code to say what it wrote.

mod common;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use common::Server;
use common::query::{Signing, create_key, post};
use data_encoding::BASE64;
use sha2::Sha256;

const ADMIN_VIRTUAL: &str = "arn:aws:iam::123456789012:mfa/admin";
const HARDWARE_TOTP: &str = "GAHT10000001";
const ACCOUNT: &str = "123456789012";

/// The master key the server created beside its database.
fn master_key(server: &Server) -> [u8; 32] {
    let text = std::fs::read_to_string(server.dir.path().join("mfa-resync.key")).unwrap();
    BASE64
        .decode(text.trim().as_bytes())
        .unwrap()
        .try_into()
        .unwrap()
}

/// AES-256-GCM with the nonce `[n; 12]` (each test row has its own `n`).
fn seal(key: &[u8; 32], n: u8, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let nonce = [n; 12];
    let mut out = nonce.to_vec();
    out.extend(
        Aes256Gcm::new(&(*key).into())
            .encrypt(&Nonce::from(nonce), Payload { msg: plain, aad })
            .unwrap(),
    );
    out
}

fn open(key: &[u8; 32], aad: &[u8], blob: &[u8]) -> Option<Vec<u8>> {
    let (nonce, sealed) = blob.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().unwrap();
    Aes256Gcm::new(&(*key).into())
        .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad })
        .ok()
}

/// The current format: the purpose's HKDF-SHA256 subkey, and as associated data the label, a
/// zero byte and the length-prefixed account and row name.
fn current(master: &[u8; 32], purpose: &str, account: &str, name: &str) -> ([u8; 32], Vec<u8>) {
    let label = format!("mfa-resync/v2/{purpose}");
    let mut subkey = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(None, master)
        .expand(label.as_bytes(), &mut subkey)
        .unwrap();
    let mut aad = label.into_bytes();
    aad.push(0);
    for part in [account, name] {
        aad.extend((part.len() as u32).to_be_bytes());
        aad.extend(part.as_bytes());
    }
    (subkey, aad)
}

/// A sealed value as stored: its purpose, the account, the row's name (serial number or key
/// id) and the blob.
#[derive(Clone, Debug, PartialEq)]
struct SealedRow {
    purpose: &'static str,
    account: String,
    name: String,
    blob: Vec<u8>,
}

impl SealedRow {
    fn current(&self, master: &[u8; 32]) -> ([u8; 32], Vec<u8>) {
        current(master, self.purpose, &self.account, &self.name)
    }
}

async fn sealed_rows(pool: &sqlx::SqlitePool) -> Vec<SealedRow> {
    let devices: Vec<(String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT account_id, serial_number, seed FROM mfa_devices WHERE seed IS NOT NULL \
         ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let keys: Vec<(String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT p.account_id, k.access_key_id, k.secret FROM access_keys k \
         JOIN principals p ON p.id = k.principal_id ORDER BY k.access_key_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let row = |purpose| {
        move |(account, name, blob)| SealedRow {
            purpose,
            account,
            name,
            blob,
        }
    };
    devices
        .into_iter()
        .map(row("device-seed"))
        .chain(keys.into_iter().map(row("access-key-secret")))
        .collect()
}

async fn seal_versions(pool: &sqlx::SqlitePool) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT seal_version FROM mfa_devices UNION ALL SELECT seal_version FROM access_keys",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Whether the TOTP `demo codes` prints for `serial` is the device's code now (or next, near a
/// step's end).
fn demo_codes_are_right(server: &Server, key_file: Option<&str>, serial: &str) -> bool {
    let mut args = Vec::new();
    if let Some(file) = key_file {
        args.extend(["--key-file", file]);
    }
    args.extend(["demo", "codes", serial]);
    let (ok, out, err) = server.cli_status(&args, None);
    if !ok {
        eprintln!("demo codes: {err}");
        return false;
    }
    let dev = server.device(serial);
    let now = out.lines().next().unwrap_or("");
    [dev.now(-1), dev.now(0), dev.now(1)]
        .iter()
        .any(|c| now.starts_with(&format!("now:  {c} ")))
}

/// Rule 30: rows sealed by a version before migration 0007 are re-sealed for their purpose,
/// account and row at the first start with the right key (a wrong key changes nothing and
/// stops the command); the codes and the access key still work; a second start changes no
/// byte.
#[tokio::test]
async fn a_database_sealed_the_old_way_is_resealed_at_start_and_keeps_working() {
    let mut server = Server::start();
    let key = create_key(&server, &["--root"]);
    server.stop();
    let master = master_key(&server);

    // What this version writes: version 2, the current format, under the subkeys only.
    let pool = server.sql().await;
    assert!(seal_versions(&pool).await.iter().all(|v| *v == 2));
    let fresh = sealed_rows(&pool).await;
    assert!(fresh.iter().any(|r| r.purpose == "device-seed"));
    assert!(
        fresh
            .iter()
            .any(|r| r.name == key.id && r.account == ACCOUNT)
    );
    let mut plain = Vec::new();
    for row in &fresh {
        let (subkey, aad) = row.current(&master);
        plain.push(open(&subkey, &aad, &row.blob).expect("sealed in the current format"));
        assert_eq!(open(&master, row.name.as_bytes(), &row.blob), None);
        assert_eq!(
            open(&master, &aad, &row.blob),
            None,
            "the master key sealed"
        );
    }
    let secret = &plain[fresh.iter().position(|r| r.name == key.id).unwrap()];
    assert_eq!(secret, key.secret.as_bytes());

    // Make it a database of migration 0006: the old blobs, no seal_version, 0007 not applied.
    for (n, (row, plain)) in fresh.iter().zip(&plain).enumerate() {
        let old = seal(&master, n as u8, row.name.as_bytes(), plain);
        let sql = if row.purpose == "device-seed" {
            "UPDATE mfa_devices SET seed = ? WHERE serial_number = ?"
        } else {
            "UPDATE access_keys SET secret = ? WHERE access_key_id = ?"
        };
        let done = sqlx::query(sql)
            .bind(old)
            .bind(&row.name)
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }
    for sql in [
        "ALTER TABLE mfa_devices DROP COLUMN seal_version",
        "ALTER TABLE access_keys DROP COLUMN seal_version",
        "DELETE FROM _sqlx_migrations WHERE version = 7",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let old = sealed_rows(&pool).await;
    pool.close().await;

    // A wrong key (another valid one): the command stops and says why; no row is changed.
    let wrong = server.dir.path().join("wrong.key");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&wrong)
            .unwrap();
        std::io::Write::write_all(
            &mut f,
            b"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n",
        )
        .unwrap();
    }
    let (ok, _, err) = server.cli_status(
        &[
            "--key-file",
            wrong.to_str().unwrap(),
            "demo",
            "codes",
            HARDWARE_TOTP,
        ],
        None,
    );
    assert!(!ok && err.contains("wrong key"), "{err}");
    let pool = server.sql().await;
    assert_eq!(sealed_rows(&pool).await, old);
    assert!(seal_versions(&pool).await.iter().all(|v| *v == 1));
    pool.close().await;

    // The right key: the first command re-seals, and its codes are right.
    assert!(demo_codes_are_right(&server, None, HARDWARE_TOTP));
    let pool = server.sql().await;
    let resealed = sealed_rows(&pool).await;
    assert!(seal_versions(&pool).await.iter().all(|v| *v == 2));
    pool.close().await;
    assert_eq!(resealed.len(), old.len());
    for ((new, old), plain) in resealed.iter().zip(&old).zip(&plain) {
        assert_ne!(new.blob, old.blob, "{} not re-sealed", new.name);
        let (subkey, aad) = new.current(&master);
        assert_eq!(open(&subkey, &aad, &new.blob).as_ref(), Some(plain));
        assert_eq!(open(&master, new.name.as_bytes(), &new.blob), None);
        // Bound to its account and purpose: neither another account's nor the other
        // purpose's associated data opens it.
        let (_, other_account) = current(&master, new.purpose, "999999999999", &new.name);
        assert_eq!(open(&subkey, &other_account, &new.blob), None);
        let other = if new.purpose == "device-seed" {
            "access-key-secret"
        } else {
            "device-seed"
        };
        let (other_key, other_aad) = current(&master, other, &new.account, &new.name);
        assert_eq!(open(&other_key, &other_aad, &new.blob), None);
    }

    // The server on it: a virtual device's code signs in, the access key signs.
    server.restart();
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    let (status, _, xml) = post(
        &server,
        &Signing::new(&key),
        "Action=ListAccessKeys&Version=2010-05-08",
    )
    .await;
    assert_eq!(status, 200, "{xml}");

    // Idempotent: another start re-seals nothing.
    server.stop();
    assert!(demo_codes_are_right(&server, None, HARDWARE_TOTP));
    let pool = server.sql().await;
    assert_eq!(sealed_rows(&pool).await, resealed);
    pool.close().await;
    server.restart();
    server.finish();
}
