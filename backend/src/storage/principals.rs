//! SQL for accounts, principals (the root user and IAM users, with their password throttle) and
//! the policies attached to them.

use super::db::{Storage, on_db};

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

impl PrincipalRow {
    /// The row as rusqlite reads it (`direct.rs`), by the column names of the sqlx mapping.
    pub(super) fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<PrincipalRow> {
        Ok(PrincipalRow {
            id: row.get("id")?,
            account_id: row.get("account_id")?,
            is_root: row.get("is_root")?,
            user_name: row.get("user_name")?,
            email: row.get("email")?,
            user_id: row.get("user_id")?,
            password_hash: row.get("password_hash")?,
            failures: row.get("failures")?,
            throttled_until: row.get("throttled_until")?,
            locked: row.get("locked")?,
            created_at: row.get("created_at")?,
        })
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
    // -- accounts ---------------------------------------------------------------------------

    /// Creates an account.
    pub async fn insert_account(
        &self,
        id: &str,
        alias: &str,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "INSERT INTO accounts (id, alias, created_at) VALUES (?, ?, ?)",
            ))
            .bind(id)
            .bind(alias)
            .bind(now_ms)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The account with this id or alias.
    pub async fn find_account(&self, id_or_alias: &str) -> Result<Option<AccountRow>, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT id, alias FROM accounts WHERE id = ? OR alias = ?",
            ))
            .bind(id_or_alias)
            .bind(id_or_alias)
            .fetch_optional(pool)
            .await
        })
    }

    // -- principals -------------------------------------------------------------------------

    /// Creates the root user or an IAM user; returns its row id.
    pub async fn insert_principal(&self, p: NewPrincipal<'_>) -> Result<i64, sqlx::Error> {
        let (id,): (i64,) = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "INSERT INTO principals (account_id, is_root, user_name, user_name_key, email, \
                 user_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            ))
            .bind(p.account_id)
            .bind(p.user_name.is_none())
            .bind(p.user_name)
            .bind(p.user_name.map(str::to_lowercase))
            .bind(p.email.map(str::to_lowercase))
            .bind(p.user_id)
            .bind(p.password_hash)
            .bind(p.now_ms)
            .fetch_one(pool)
            .await
        })?;
        Ok(id)
    }

    /// The IAM user of `account_id` named `user_name` (without regard to case).
    pub async fn find_user(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Option<PrincipalRow>, sqlx::Error> {
        let statement = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND user_name_key = ?"
        );
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(statement.clone()))
                .bind(account_id)
                .bind(user_name.to_lowercase())
                .fetch_optional(pool)
                .await
        })
    }

    /// The root user signing in with `email`.
    pub async fn find_root_by_email(
        &self,
        email: &str,
    ) -> Result<Option<PrincipalRow>, sqlx::Error> {
        let statement = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE email = ? AND is_root = TRUE"
        );
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(statement.clone()))
                .bind(email.to_lowercase())
                .fetch_optional(pool)
                .await
        })
    }

    /// The root user of an account.
    pub async fn find_root(&self, account_id: &str) -> Result<Option<PrincipalRow>, sqlx::Error> {
        let statement = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND is_root = TRUE"
        );
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(statement.clone()))
                .bind(account_id)
                .fetch_optional(pool)
                .await
        })
    }

    /// A principal by row id.
    pub async fn principal(&self, id: i64) -> Result<Option<PrincipalRow>, sqlx::Error> {
        let statement = format!("SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE id = ?");
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(statement.clone()))
                .bind(id)
                .fetch_optional(pool)
                .await
        })
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
        let statement = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND is_root = FALSE\
             {keyset} ORDER BY user_name_key LIMIT ?"
        );
        on_db!(self, |pool, sql| {
            let mut query = sqlx::query_as(sql(statement.clone())).bind(account_id);
            if let Some(key) = after {
                query = query.bind(key);
            }
            query.bind(limit).fetch_all(pool).await
        })
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
        let done = on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "UPDATE principals SET failures = 0, throttled_until = 0, locked = FALSE \
                 WHERE id = ? AND (locked = FALSE OR failures = ?)",
            ))
            .bind(id)
            .bind(own_lock)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// An administrator's unlock: clears the password counter, throttle and lock, and the
    /// principal's code budget (security rule 29).
    pub async fn unlock_principal(&self, id: i64) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql("UPDATE principals SET failures = 0, throttled_until = 0, locked = FALSE WHERE id = ?"))
            .bind(id)
            .execute(pool)
    .await
    .map(|done| done.rows_affected())
        })?;
        self.unlock_code_budget(id).await
    }

    // -- policies ---------------------------------------------------------------------------

    /// Attaches (or replaces) a policy document, and ends the principal's sessions (security
    /// rule 26: rights granted under the old policies end with them).
    pub async fn put_policy(
        &self,
        principal_id: i64,
        name: &str,
        document: &str,
    ) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "DELETE FROM policies WHERE principal_id = ? AND name = ?",
            ))
            .bind(principal_id)
            .bind(name)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "INSERT INTO policies (principal_id, name, document) VALUES (?, ?, ?)",
            ))
            .bind(principal_id)
            .bind(name)
            .bind(document)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        self.delete_sessions_of(principal_id, None).await?;
        // Temporary credentials end with the policies they were issued under too (issue 15).
        self.delete_temporary_credentials_of(principal_id).await?;
        Ok(())
    }

    /// The policy documents attached to a principal.
    pub async fn policies(&self, principal_id: i64) -> Result<Vec<String>, sqlx::Error> {
        let rows: Vec<(String,)> = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT document FROM policies WHERE principal_id = ? ORDER BY name",
            ))
            .bind(principal_id)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(|(d,)| d).collect())
    }
}
