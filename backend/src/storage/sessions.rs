//! SQL for server-side sessions. Only a SHA-256 of each token is stored.

use super::db::{Storage, on_db};
use super::principals::PrincipalRow;

/// A session row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Who.
    pub principal_id: i64,
    /// Passed MFA.
    pub mfa_present: bool,
    /// Password-only: MFA enrolled but not yet passed.
    pub mfa_pending: bool,
    /// Unix ms of the password check (the absolute limit counts from here).
    pub signed_in_at: i64,
    /// Unix ms of the last use (the idle limit counts from here).
    pub last_seen_at: i64,
}

impl SessionRow {
    /// The row as rusqlite reads it (`direct.rs`), by the column names of the sqlx mapping.
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
        Ok(SessionRow {
            token_hash: row.get("token_hash")?,
            principal_id: row.get("principal_id")?,
            mfa_present: row.get("mfa_present")?,
            mfa_pending: row.get("mfa_pending")?,
            signed_in_at: row.get("signed_in_at")?,
            last_seen_at: row.get("last_seen_at")?,
        })
    }
}

/// A session with its principal, read in one query (every authenticated request needs both).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionWithPrincipal {
    /// The session.
    #[sqlx(flatten)]
    pub session: SessionRow,
    /// Who it belongs to.
    #[sqlx(flatten)]
    pub principal: PrincipalRow,
    /// The principal's policy documents by name, read in the same statement.
    #[sqlx(skip)]
    pub policies: Vec<String>,
}

/// One row of [`Storage::session_with_principal`]'s join: one per attached policy.
#[derive(sqlx::FromRow)]
struct SessionPolicyRow {
    #[sqlx(flatten)]
    found: SessionWithPrincipal,
    document: Option<String>,
}

impl Storage {
    /// The session with this token hash, its principal and the principal's policy documents,
    /// in one statement (every authenticated request needs them: one round trip, not two).
    pub async fn session_with_principal(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionWithPrincipal>, sqlx::Error> {
        const SELECT: &str = "SELECT s.token_hash, s.principal_id, s.mfa_present, \
             s.mfa_pending, s.signed_in_at, s.last_seen_at, p.id, p.account_id, p.is_root, \
             p.user_name, p.email, p.user_id, p.password_hash, p.failures, p.throttled_until, \
             p.locked, p.created_at, pol.document \
             FROM sessions s JOIN principals p ON p.id = s.principal_id \
             LEFT JOIN policies pol ON pol.principal_id = p.id \
             WHERE s.token_hash = ? ORDER BY pol.name";
        let rows: Vec<SessionPolicyRow> = match &self.direct {
            Some(direct) => {
                direct
                    .read(|c| {
                        c.prepare_cached(SELECT)?
                            .query_map([token_hash], |row| {
                                Ok(SessionPolicyRow {
                                    found: SessionWithPrincipal {
                                        session: SessionRow::from_sqlite(row)?,
                                        principal: PrincipalRow::from_sqlite(row)?,
                                        policies: Vec::new(),
                                    },
                                    document: row.get("document")?,
                                })
                            })?
                            .collect()
                    })
                    .await?
            }
            None => on_db!(self, |pool, sql| {
                sqlx::query_as(sql(SELECT))
                    .bind(token_hash)
                    .fetch_all(pool)
                    .await
            })?,
        };
        let mut documents = Vec::with_capacity(rows.len());
        let mut found = None;
        for row in rows {
            documents.extend(row.document);
            found.get_or_insert(row.found);
        }
        Ok(found.map(|f| SessionWithPrincipal {
            policies: documents,
            ..f
        }))
    }

    /// Stores a session.
    pub async fn insert_session(&self, s: &SessionRow) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "INSERT INTO sessions (token_hash, principal_id, mfa_present, mfa_pending, \
                 signed_in_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            ))
            .bind(&s.token_hash)
            .bind(s.principal_id)
            .bind(s.mfa_present)
            .bind(s.mfa_pending)
            .bind(s.signed_in_at)
            .bind(s.last_seen_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The session with this token hash.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT token_hash, principal_id, mfa_present, mfa_pending, signed_in_at, \
                 last_seen_at FROM sessions WHERE token_hash = ?",
            ))
            .bind(token_hash)
            .fetch_optional(pool)
            .await
        })
    }

    /// Ends a session; returns whether it existed (so a rotation happens once).
    pub async fn delete_session(&self, token_hash: &str) -> Result<bool, sqlx::Error> {
        let done = on_db!(self, |pool, sql| {
            sqlx::query(sql("DELETE FROM sessions WHERE token_hash = ?"))
                .bind(token_hash)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Ends every session of the principal but `keep` (security rule 26); returns how many.
    pub async fn delete_sessions_of(
        &self,
        principal_id: i64,
        keep: Option<&str>,
    ) -> Result<u64, sqlx::Error> {
        let done = on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "DELETE FROM sessions WHERE principal_id = ? AND token_hash <> ?",
            ))
            .bind(principal_id)
            .bind(keep.unwrap_or(""))
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }

    /// The session becomes password-only (its principal enrolled MFA while it was being made).
    pub async fn mark_session_pending(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "UPDATE sessions SET mfa_pending = TRUE, mfa_present = FALSE WHERE token_hash = ?",
            ))
            .bind(token_hash)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Records a use of the session.
    pub async fn touch_session(&self, token_hash: &str, now_ms: i64) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
            ))
            .bind(now_ms)
            .bind(token_hash)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Removes sessions idle since `idle_before` or signed in before `signed_in_before`.
    pub async fn delete_expired_sessions(
        &self,
        idle_before: i64,
        signed_in_before: i64,
    ) -> Result<u64, sqlx::Error> {
        let done = on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "DELETE FROM sessions WHERE last_seen_at < ? OR signed_in_at < ?",
            ))
            .bind(idle_before)
            .bind(signed_in_before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }
}
