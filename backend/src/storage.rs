//! Every SQL statement of the server, in portable SQL (SQLite now; PostgreSQL in a later issue),
//! through sqlx's runtime `query`/`query_as` so a build needs no live database. The schema is in
//! `backend/migrations/`, embedded and applied on every start.

mod access_keys;
mod audit;
mod devices;
mod sessions;

pub use access_keys::AccessKeyRow;
pub use audit::{AuditFilter, AuditRow, NewAuditEvent};
pub use devices::{Codes, Device, Generator, NewDevice, StoredState};
pub use sessions::{SessionRow, SessionWithPrincipal};

use std::path::Path;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::throttle::{self, ThrottleState};

/// The database.
#[derive(Clone, Debug)]
pub struct Storage {
    pool: SqlitePool,
}

/// An account.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountRow {
    /// 12 digits.
    pub id: String,
    /// The alias.
    pub alias: String,
}

/// The root user or an IAM user.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PrincipalRow {
    /// Row id.
    pub id: i64,
    /// The account.
    pub account_id: String,
    /// The root user?
    pub is_root: bool,
    /// The IAM user name; `None` for the root user.
    pub user_name: Option<String>,
    /// The root user's email.
    pub email: Option<String>,
    /// `AIDA…`.
    pub user_id: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Consecutive password failures.
    pub failures: i64,
    /// Unix ms.
    pub throttled_until: i64,
    /// Locked until an administrator unlocks.
    pub locked: bool,
    /// Unix ms.
    pub created_at: i64,
}

impl PrincipalRow {
    /// `arn:aws:iam::ACCOUNT:root` or `arn:aws:iam::ACCOUNT:user/NAME`.
    pub fn arn(&self) -> String {
        match &self.user_name {
            Some(name) if !self.is_root => format!("arn:aws:iam::{}:user/{name}", self.account_id),
            _ => format!("arn:aws:iam::{}:root", self.account_id),
        }
    }

    /// The name IAM shows for the principal: the user name, or the account id for the root.
    pub fn display_name(&self) -> String {
        self.user_name
            .clone()
            .unwrap_or_else(|| self.account_id.clone())
    }
}

const PRINCIPAL_COLUMNS: &str = "id, account_id, is_root, user_name, email, user_id, \
     password_hash, failures, throttled_until, locked, created_at";

/// A row with a failure counter, throttle and lock (security rules 7–10).
#[derive(Clone, Copy, Debug)]
pub enum ThrottleKey<'a> {
    /// A device's codes, shared by every path.
    Device(i64),
    /// A principal's password.
    Principal(i64),
    /// A sign-in name or email that matches no principal, by its keyed digest.
    UnknownSignIn(&'a str),
}

/// A new principal.
pub struct NewPrincipal<'a> {
    /// The account.
    pub account_id: &'a str,
    /// `None` for the root user.
    pub user_name: Option<&'a str>,
    /// The root user's email.
    pub email: Option<&'a str>,
    /// `AIDA…`.
    pub user_id: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Unix ms.
    pub now_ms: i64,
}

/// Connections in the pool (each runs on its own sqlx worker thread). Measured on the resync
/// benchmark (`backend/examples/load.rs`, 2 busy cores, 8 clients): one connection halves the
/// server's CPU per resync (no writers queueing on SQLite's lock) and wins with the ±100-step
/// window (~2,100–2,200 against ~1,700–2,000 requests/s), but with the ±2880-step window it
/// leaves a core idle — the connection is handed from request to request by the async workers,
/// which are busy scanning — and its p99 latency grows (21–39 ms against 16–19 ms). 2 and 4
/// connections were no better than 8.
const POOL_CONNECTIONS: u32 = 8;

impl Storage {
    /// Opens (creating it and its folder if needed) the SQLite file in WAL mode and migrates it.
    pub async fn open(path: &Path) -> Result<Storage, sqlx::Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode, NORMAL is durable against a crash of the application (a committed
            // transaction is in the WAL file); only a power loss or OS crash may lose the last
            // commits before a checkpoint, never corrupt the database. SQLite's recommended
            // setting for WAL.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_CONNECTIONS)
            .connect_with(options)
            .await?;
        sqlx::migrate!().run(&pool).await?;
        Ok(Storage { pool })
    }

    /// Closes the pool (checkpointing WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // -- accounts ---------------------------------------------------------------------------

    /// Creates an account.
    pub async fn insert_account(
        &self,
        id: &str,
        alias: &str,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO accounts (id, alias, created_at) VALUES (?, ?, ?)")
            .bind(id)
            .bind(alias)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The account with this id or alias.
    pub async fn find_account(&self, id_or_alias: &str) -> Result<Option<AccountRow>, sqlx::Error> {
        sqlx::query_as("SELECT id, alias FROM accounts WHERE id = ? OR alias = ?")
            .bind(id_or_alias)
            .bind(id_or_alias)
            .fetch_optional(&self.pool)
            .await
    }

    // -- principals -------------------------------------------------------------------------

    /// Creates the root user or an IAM user; returns its row id.
    pub async fn insert_principal(&self, p: NewPrincipal<'_>) -> Result<i64, sqlx::Error> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO principals (account_id, is_root, user_name, user_name_key, email, \
             user_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(p.account_id)
        .bind(p.user_name.is_none())
        .bind(p.user_name)
        .bind(p.user_name.map(str::to_lowercase))
        .bind(p.email.map(str::to_lowercase))
        .bind(p.user_id)
        .bind(p.password_hash)
        .bind(p.now_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// The IAM user of `account_id` named `user_name` (without regard to case).
    pub async fn find_user(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<PrincipalRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND user_name_key = ?"
        );
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(account_id)
            .bind(user_name.to_lowercase())
            .fetch_optional(&self.pool)
            .await
    }

    /// The root user signing in with `email`.
    pub async fn find_root_by_email(
        &self,
        email: &str,
    ) -> Result<Option<PrincipalRow>, sqlx::Error> {
        let sql =
            format!("SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE email = ? AND is_root = 1");
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(email.to_lowercase())
            .fetch_optional(&self.pool)
            .await
    }

    /// The root user of an account.
    pub async fn find_root(&self, account_id: &str) -> Result<Option<PrincipalRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND is_root = 1"
        );
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// A principal by row id.
    pub async fn principal(&self, id: i64) -> Result<Option<PrincipalRow>, sqlx::Error> {
        let sql = format!("SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE id = ?");
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// A page of the IAM users of an account, by lower-cased name (unique within the account):
    /// at most `limit` of those whose lower-cased name sorts after `after`, or from the first.
    pub async fn users_page(
        &self,
        account_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PrincipalRow>, sqlx::Error> {
        let keyset = if after.is_some() {
            " AND user_name_key > ?"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND is_root = 0\
             {keyset} ORDER BY user_name_key LIMIT ?"
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id);
        if let Some(key) = after {
            query = query.bind(key);
        }
        query.bind(limit).fetch_all(&self.pool).await
    }

    /// Counts an attempt before it is evaluated (security rules 7, 8, 10): one statement that
    /// adds the failure and applies the back-off and lock for the new count, only while `key`
    /// is neither throttled nor locked. Returns the new count, or `None` when the attempt may
    /// not be made. The failure is committed here, on its own, whatever happens to the request;
    /// only a success clears it (the device compare-and-set, [`Storage::reset_principal_failures`]).
    pub async fn reserve_attempt(
        &self,
        key: ThrottleKey<'_>,
        now_ms: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        static DEVICE: LazyLock<String> = LazyLock::new(|| reserve_sql("mfa_devices", "id"));
        static PRINCIPAL: LazyLock<String> = LazyLock::new(|| reserve_sql("principals", "id"));
        static UNKNOWN: LazyLock<String> = LazyLock::new(|| reserve_sql("sign_in_throttle", "key"));
        let query = match key {
            ThrottleKey::Device(id) => sqlx::query_scalar(LazyLock::force(&DEVICE).as_str())
                .bind(now_ms)
                .bind(id),
            ThrottleKey::Principal(id) => sqlx::query_scalar(LazyLock::force(&PRINCIPAL).as_str())
                .bind(now_ms)
                .bind(id),
            ThrottleKey::UnknownSignIn(k) => {
                sqlx::query(
                    "INSERT INTO sign_in_throttle (key) VALUES (?) ON CONFLICT (key) DO NOTHING",
                )
                .bind(k)
                .execute(&self.pool)
                .await?;
                sqlx::query_scalar(LazyLock::force(&UNKNOWN).as_str())
                    .bind(now_ms)
                    .bind(k)
            }
        };
        query.bind(now_ms).fetch_optional(&self.pool).await
    }

    /// The throttle of `key` as stored now; `None` when the row does not exist.
    pub async fn throttle_of(
        &self,
        key: ThrottleKey<'_>,
    ) -> Result<Option<ThrottleState>, sqlx::Error> {
        const COLUMNS: &str = "SELECT failures, throttled_until, locked FROM";
        let query = match key {
            ThrottleKey::Device(id) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} mfa_devices WHERE id = ?"
            )))
            .bind(id),
            ThrottleKey::Principal(id) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} principals WHERE id = ?"
            )))
            .bind(id),
            ThrottleKey::UnknownSignIn(k) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} sign_in_throttle WHERE key = ?"
            )))
            .bind(k),
        };
        let row: Option<(i64, i64, bool)> = query.fetch_optional(&self.pool).await?;
        Ok(
            row.map(|(failures, throttled_until, locked)| ThrottleState {
                failures,
                throttled_until,
                locked,
            }),
        )
    }

    /// After a correct password: clears the counter reserved by the attempt. Never clears a
    /// lock (security rule 9), except the one this attempt's own reservation set
    /// (`own_lock` = its count when that reached the lock, else -1). Returns whether it applied;
    /// `false` means the user is locked.
    pub async fn reset_principal_failures(
        &self,
        id: i64,
        own_lock: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE principals SET failures = 0, throttled_until = 0, locked = 0 \
             WHERE id = ? AND (locked = 0 OR failures = ?)",
        )
        .bind(id)
        .bind(own_lock)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// An administrator's unlock: clears the password counter, throttle and lock.
    pub async fn unlock_principal(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE principals SET failures = 0, throttled_until = 0, locked = 0 WHERE id = ?",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // -- policies ---------------------------------------------------------------------------

    /// Attaches (or replaces) a policy document.
    pub async fn put_policy(
        &self,
        principal_id: i64,
        name: &str,
        document: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM policies WHERE principal_id = ? AND name = ?")
            .bind(principal_id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO policies (principal_id, name, document) VALUES (?, ?, ?)")
            .bind(principal_id)
            .bind(name)
            .bind(document)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The policy documents attached to a principal.
    pub async fn policies(&self, principal_id: i64) -> Result<Vec<String>, sqlx::Error> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT document FROM policies WHERE principal_id = ? ORDER BY name")
                .bind(principal_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(d,)| d).collect())
    }
}

/// The one statement that counts an attempt before it is evaluated (security rules 7, 8, 10),
/// for `table` with the row chosen by `key_column`: adds the failure and sets the back-off and
/// lock of [`throttle::after_failure`] for the new count, only if the row is neither locked nor
/// throttled at `now`. Binds: now (ms), the key, now (ms). Returns the new count.
/// Portable SQL (no `MIN`/`LEAST`): the waits are spelled out from the throttle's constants.
pub(crate) fn reserve_sql(table: &str, key_column: &str) -> String {
    format!(
        "{} WHERE {key_column} = ? AND locked = 0 AND throttled_until <= ? RETURNING failures",
        reserve_set_sql(table)
    )
}

/// `UPDATE {table} SET …` of [`reserve_sql`] without its `WHERE`: binds now (ms).
pub(crate) fn reserve_set_sql(table: &str) -> String {
    let mut waits = String::new();
    let mut n = throttle::FREE_FAILURES;
    loop {
        let wait = throttle::after_failure(n, 0).throttled_until;
        if wait >= throttle::MAX_WAIT_SECONDS * 1000 {
            break;
        }
        waits.push_str(&format!(" WHEN {n} THEN {wait}"));
        n += 1;
    }
    format!(
        "UPDATE {table} SET failures = failures + 1, \
         throttled_until = CASE WHEN failures + 1 < {free} OR failures + 1 >= {lock} THEN 0 \
         ELSE ? + CASE failures + 1{waits} ELSE {max} END END, \
         locked = CASE WHEN failures + 1 >= {lock} THEN 1 ELSE locked END",
        free = throttle::FREE_FAILURES,
        lock = throttle::LOCK_AFTER,
        max = throttle::MAX_WAIT_SECONDS * 1000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SQL back-off equals [`throttle::after_failure`] for every count up to the lock.
    #[tokio::test]
    async fn the_reserve_statement_applies_the_throttle_scheme() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&dir.path().join("t.sqlite")).await.unwrap();
        let key = ThrottleKey::UnknownSignIn("k");
        for n in 1..=throttle::LOCK_AFTER {
            // Expire any wait so the next attempt may be counted.
            sqlx::query("UPDATE sign_in_throttle SET throttled_until = 0")
                .execute(&storage.pool)
                .await
                .unwrap();
            let got = storage.reserve_attempt(key, 1_000).await.unwrap();
            assert_eq!(got, Some(n));
            let t = storage.throttle_of(key).await.unwrap().unwrap();
            assert_eq!(t, throttle::after_failure(n, 1_000), "failure {n}");
        }
        assert_eq!(storage.reserve_attempt(key, 1_000).await.unwrap(), None);
    }

    /// The resync's fast path counts only when every check before counting holds, and
    /// otherwise changes nothing (the ordinary path then answers).
    #[tokio::test]
    async fn the_device_reservation_applies_only_to_the_owners_code_device() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&dir.path().join("t.sqlite")).await.unwrap();
        storage
            .insert_account("111122223333", "a", 0)
            .await
            .unwrap();
        let principal = |name: &'static str| NewPrincipal {
            account_id: "111122223333",
            user_name: Some(name),
            email: None,
            user_id: name,
            password_hash: "x",
            now_ms: 0,
        };
        let alice = storage.insert_principal(principal("alice")).await.unwrap();
        let bob = storage.insert_principal(principal("bob")).await.unwrap();
        let state = StoredState {
            drift_steps: 0,
            last_used_step: -1,
            hotp_counter: 0,
        };
        let device =
            |serial: &'static str, kind: &'static str, seed: Option<&'static [u8]>| NewDevice {
                account_id: "111122223333",
                serial_number: serial,
                kind,
                owner_id: Some(alice),
                seed,
                digits: 6,
                period: 30,
                state,
                enabled_at: Some(0),
                now_ms: 0,
            };
        let totp = storage
            .insert_device(device("TOTP00001", "hardware-totp", Some(b"s")))
            .await
            .unwrap();
        storage
            .insert_device(device("FIDO00001", "fido", None))
            .await
            .unwrap();
        let reserve = |serial: &'static str, owner: i64, digits: i64| {
            let storage = storage.clone();
            async move {
                storage
                    .reserve_device_attempt("111122223333", serial, owner, digits, 1_000)
                    .await
                    .unwrap()
            }
        };
        // Not counted: another owner, another length, no codes, no such device, another account.
        assert!(reserve("TOTP00001", bob, 6).await.is_none());
        assert!(reserve("TOTP00001", alice, 8).await.is_none());
        assert!(reserve("FIDO00001", alice, 6).await.is_none());
        assert!(reserve("NOPE00001", alice, 6).await.is_none());
        assert!(
            storage
                .reserve_device_attempt("999999999999", "TOTP00001", alice, 6, 1_000)
                .await
                .unwrap()
                .is_none()
        );
        let key = ThrottleKey::Device(totp);
        assert_eq!(storage.throttle_of(key).await.unwrap().unwrap().failures, 0);
        // Counted, with the throttle scheme, and the row read as counted.
        for n in 1..=throttle::FREE_FAILURES {
            let dev = reserve("TOTP00001", alice, 6).await.unwrap();
            assert_eq!((dev.id, dev.throttle.failures), (totp, n));
            assert_eq!(dev.owner_name.as_deref(), Some("alice"));
            assert_eq!(dev.state, state);
            let t = storage.throttle_of(key).await.unwrap().unwrap();
            assert_eq!(t, throttle::after_failure(n, 1_000));
        }
        // Throttled now: not counted.
        assert!(reserve("TOTP00001", alice, 6).await.is_none());
        let t = storage.throttle_of(key).await.unwrap().unwrap();
        assert_eq!(t.failures, throttle::FREE_FAILURES);
    }
}
