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

use crate::throttle::ThrottleState;

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

    /// The password throttle.
    pub fn throttle(&self) -> ThrottleState {
        ThrottleState {
            failures: self.failures,
            throttled_until: self.throttled_until,
            locked: self.locked,
        }
    }
}

const PRINCIPAL_COLUMNS: &str = "id, account_id, is_root, user_name, email, user_id, \
     password_hash, failures, throttled_until, locked, created_at";

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

    /// Counts one more password failure, committed on its own; returns the new count.
    pub async fn add_principal_failure(&self, id: i64) -> Result<i64, sqlx::Error> {
        let (n,): (i64,) = sqlx::query_as(
            "UPDATE principals SET failures = failures + 1 WHERE id = ? RETURNING failures",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Stores the throttle computed for failure number `t.failures` (unless more came since).
    pub async fn set_principal_throttle(
        &self,
        id: i64,
        t: ThrottleState,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE principals SET throttled_until = ?, locked = ? WHERE id = ? AND failures = ?",
        )
        .bind(t.throttled_until)
        .bind(t.locked)
        .bind(id)
        .bind(t.failures)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Clears the password throttle after a success or by an administrator.
    pub async fn reset_principal_failures(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE principals SET failures = 0, throttled_until = 0, locked = 0 WHERE id = ? AND (failures <> 0 OR locked <> 0)")
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
