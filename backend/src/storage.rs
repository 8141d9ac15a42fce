//! Every SQL statement of the server, in portable SQL (SQLite now; PostgreSQL in a later issue),
//! through sqlx's runtime `query`/`query_as` so a build needs no live database. The schema is in
//! `backend/migrations/`, embedded and applied on every start.

mod access_keys;
mod audit;
mod devices;
mod sessions;

pub use access_keys::AccessKeyRow;
pub use audit::{AuditRow, NewAuditEvent};
pub use devices::{DeviceRow, NewDevice, StoredState};
pub use sessions::{SessionRow, SessionWithPrincipal};

use std::path::Path;
use std::str::FromStr;
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
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
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

    /// The IAM users of an account, by name.
    pub async fn list_users(&self, account_id: &str) -> Result<Vec<PrincipalRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND is_root = 0 \
             ORDER BY user_name_key"
        );
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
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
        let query = match key {
            ThrottleKey::Device(id) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(reserve_sql("mfa_devices", "id")))
                    .bind(now_ms)
                    .bind(id)
            }
            ThrottleKey::Principal(id) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(reserve_sql("principals", "id")))
                    .bind(now_ms)
                    .bind(id)
            }
            ThrottleKey::UnknownSignIn(k) => {
                sqlx::query(
                    "INSERT INTO sign_in_throttle (key) VALUES (?) ON CONFLICT (key) DO NOTHING",
                )
                .bind(k)
                .execute(&self.pool)
                .await?;
                sqlx::query_scalar(sqlx::AssertSqlSafe(reserve_sql("sign_in_throttle", "key")))
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
         locked = CASE WHEN failures + 1 >= {lock} THEN 1 ELSE locked END \
         WHERE {key_column} = ? AND locked = 0 AND throttled_until <= ? RETURNING failures",
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
}
