//! SQL for audit events (security rule 21).

use super::db::{Storage, on_db};

/// An event to record. Holds no code, seed or password by construction.
#[derive(Clone, Debug)]
pub struct NewAuditEvent<'a> {
    /// The account concerned, when known.
    pub account_id: Option<&'a str>,
    /// Unix ms.
    pub event_time: i64,
    /// The actor's ARN (for a failed sign-in, the one named).
    pub actor: &'a str,
    /// The action.
    pub action: &'a str,
    /// The user concerned.
    pub target_user: Option<&'a str>,
    /// The device concerned.
    pub serial_number: Option<&'a str>,
    /// The client's address.
    pub source_ip: &'a str,
    /// `Success` or `Failure`.
    pub outcome: &'a str,
    /// The error code of a failure.
    pub error_code: Option<&'a str>,
    /// The request id, to match the logs.
    pub request_id: Option<&'a str>,
}

/// A stored event.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    /// Row id.
    pub id: i64,
    /// Unix ms.
    pub event_time: i64,
    /// ARN.
    pub actor: String,
    /// The action.
    pub action: String,
    /// The user concerned.
    pub target_user: Option<String>,
    /// The device concerned.
    pub serial_number: Option<String>,
    /// Client address.
    pub source_ip: String,
    /// `Success` or `Failure`.
    pub outcome: String,
    /// The error code.
    pub error_code: Option<String>,
    /// How many attempts the row stands for (identical refusals from one source aggregate).
    pub repeats: i64,
    /// Unix ms of the latest of them, when more than one.
    pub last_event_time: Option<i64>,
}

/// How many distinct refusals one source may add to one account's trail, per action and error,
/// within the aggregation window; beyond, they all count on its latest row (rule 25).
pub const MAX_DISTINCT_REFUSALS: i64 = 20;

impl Storage {
    /// Records a refusal (security rule 25): counted on the latest row of the same refusal —
    /// same source, account, actor, action, user, device and error — written since `since`
    /// (Unix ms), or, once this source and actor have [`MAX_DISTINCT_REFUSALS`] such rows for
    /// the account, action and error since then, on the latest of them whatever its user or
    /// device (never on another actor's); else appended. Returns whether it was appended.
    pub async fn record_refusal(
        &self,
        e: &NewAuditEvent<'_>,
        since: i64,
    ) -> Result<bool, sqlx::Error> {
        const SAME: &str = "source_ip = ? AND action = ? AND outcome = 'Failure' \
             AND account_id IS NOT DISTINCT FROM ? AND error_code IS NOT DISTINCT FROM ? \
             AND event_time >= ? AND actor = ?";
        let identical = on_db!(self, |pool, sql| {
            sqlx::query_scalar::<_, i64>(sql(format!(
                "SELECT id FROM audit_events WHERE {SAME} \
                 AND target_user IS NOT DISTINCT FROM ? AND serial_number IS NOT DISTINCT FROM ? \
                 ORDER BY id DESC LIMIT 1"
            )))
            .bind(e.source_ip)
            .bind(e.action)
            .bind(e.account_id)
            .bind(e.error_code)
            .bind(since)
            .bind(e.actor)
            .bind(e.target_user)
            .bind(e.serial_number)
            .fetch_optional(pool)
            .await
        })?;
        let row = match identical {
            Some(id) => Some(id),
            None => {
                let recent: Vec<i64> = on_db!(self, |pool, sql| {
                    sqlx::query_scalar(sql(format!(
                        "SELECT id FROM audit_events WHERE {SAME} ORDER BY id DESC LIMIT ?"
                    )))
                    .bind(e.source_ip)
                    .bind(e.action)
                    .bind(e.account_id)
                    .bind(e.error_code)
                    .bind(since)
                    .bind(e.actor)
                    .bind(MAX_DISTINCT_REFUSALS)
                    .fetch_all(pool)
                    .await
                })?;
                (recent.len() as i64 >= MAX_DISTINCT_REFUSALS)
                    .then(|| recent.first().copied())
                    .flatten()
            }
        };
        if let Some(id) = row {
            let done = on_db!(self, |pool, sql| {
                sqlx::query(sql(
                    "UPDATE audit_events SET repeats = repeats + 1, last_event_time = ?, \
                     last_request_id = ? WHERE id = ?",
                ))
                .bind(e.event_time)
                .bind(e.request_id)
                .bind(id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
            })?;
            if done == 1 {
                return Ok(false);
            }
        }
        self.insert_audit(e).await?;
        Ok(true)
    }

    /// Appends an event.
    pub async fn insert_audit(&self, e: &NewAuditEvent<'_>) -> Result<(), sqlx::Error> {
        if let Some(direct) = &self.direct {
            let values = EventValues::from(e);
            direct.run(move |c| insert_event(c, &values)).await?;
            return Ok(());
        }
        on_db!(self, |pool, sql| {
            bind_event(sqlx::query(sql(INSERT_EVENT)), e)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Events of an account with id below `before_id`, newest first, narrowed by `filter`
    /// (each member left `None` does not narrow).
    pub async fn audit_events(
        &self,
        account_id: &str,
        filter: &AuditFilter<'_>,
        before_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT id, event_time, actor, action, target_user, serial_number, source_ip, \
                 outcome, error_code, repeats, last_event_time FROM audit_events \
                 WHERE account_id = ? AND id < ? \
                 AND (? IS NULL OR LOWER(target_user) = LOWER(?)) \
                 AND (? IS NULL OR action = ?) \
                 AND (? IS NULL OR outcome = ?) \
                 AND (? IS NULL OR serial_number = ?) \
                 ORDER BY id DESC LIMIT ?",
            ))
            .bind(account_id)
            .bind(before_id)
            .bind(filter.target_user)
            .bind(filter.target_user)
            .bind(filter.action)
            .bind(filter.action)
            .bind(filter.outcome)
            .bind(filter.outcome)
            .bind(filter.serial_number)
            .bind(filter.serial_number)
            .bind(limit)
            .fetch_all(pool)
            .await
        })
    }
}

/// The statement that appends an event, its values bound by [`bind_event`] or
/// [`insert_event`] in this order.
pub(super) const INSERT_EVENT: &str = "INSERT INTO audit_events (account_id, event_time, \
     actor, action, target_user, serial_number, source_ip, outcome, error_code, request_id) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// [`INSERT_EVENT`] with `e`'s values, on either engine's sqlx query.
pub(super) fn bind_event<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, DB::Arguments>,
    e: &NewAuditEvent<'_>,
) -> sqlx::query::Query<'q, DB, DB::Arguments>
where
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<&'t str>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    query
        .bind(e.account_id)
        .bind(e.event_time)
        .bind(e.actor)
        .bind(e.action)
        .bind(e.target_user)
        .bind(e.serial_number)
        .bind(e.source_ip)
        .bind(e.outcome)
        .bind(e.error_code)
        .bind(e.request_id)
}

/// [`INSERT_EVENT`] on the request path's SQLite connection (`direct.rs`).
pub(super) fn insert_event(
    c: &rusqlite::Connection,
    values: &EventValues,
) -> rusqlite::Result<usize> {
    c.prepare_cached(INSERT_EVENT)?
        .execute(rusqlite::params_from_iter(values.0.iter()))
}

/// An event's columns in [`INSERT_EVENT`]'s order, owned: SQLite's writes run on the writer's
/// thread (`writer.rs`), after the request's borrowed data may be gone.
#[derive(Debug)]
pub(super) struct EventValues([rusqlite::types::Value; 10]);

impl From<&NewAuditEvent<'_>> for EventValues {
    fn from(e: &NewAuditEvent<'_>) -> EventValues {
        use rusqlite::types::Value;
        let text = |t: &str| Value::Text(t.to_owned());
        let maybe = |t: Option<&str>| t.map_or(Value::Null, text);
        EventValues([
            maybe(e.account_id),
            Value::Integer(e.event_time),
            text(e.actor),
            text(e.action),
            maybe(e.target_user),
            maybe(e.serial_number),
            text(e.source_ip),
            text(e.outcome),
            maybe(e.error_code),
            maybe(e.request_id),
        ])
    }
}

/// Which events [`Storage::audit_events`] lists; `None` lets every value through.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditFilter<'a> {
    /// The user concerned, without regard to case.
    pub target_user: Option<&'a str>,
    /// The action, exactly.
    pub action: Option<&'a str>,
    /// `Success` or `Failure`.
    pub outcome: Option<&'a str>,
    /// The device concerned, exactly.
    pub serial_number: Option<&'a str>,
}
