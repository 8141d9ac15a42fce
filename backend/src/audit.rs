//! Writes an audit event for every attempt (security rule 21): who, what, whose, which device,
//! from where, how it ended. Never a code, a seed or a password: the entry has no field for them.
//! Refusals are bounded (rule 25): identical ones from one source within [`AGGREGATE_MS`] are
//! one event with a count, and one source adds at most a few distinct ones per account, action
//! and error in that time (`Storage::record_refusal`). The log line is written for each.

use shared::api::Outcome;

use crate::error::Error;
use crate::state::AppState;
use crate::storage::{NewAuditEvent, PrincipalRow};

/// Identical refusals from one source within this window are one event with a count (security
/// rule 25): 15 minutes, the clock-skew window of a signed request.
pub const AGGREGATE_MS: i64 = 15 * 60 * 1000;

/// The longest value a client chose that an event records whole: a serial number's limit
/// (IAM's 256).
pub const MAX_RECORDED: usize = 256;

/// `value` when it is at most `max` bytes of printable ASCII (every valid serial number and
/// user name is), else its first 64 printable characters (others as `?`) and its length, so
/// that neither the trail nor the log grows with what a client sends.
pub fn bounded(value: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let printable = |c: char| c.is_ascii_graphic() || c == ' ';
    if value.len() <= max && value.chars().all(printable) {
        return value.into();
    }
    let head: String = value
        .chars()
        .take(64)
        .map(|c| if printable(c) { c } else { '?' })
        .collect();
    format!("{head}…({} bytes)", value.len()).into()
}

/// Where a request came from.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The client's address.
    pub source_ip: String,
    /// The request id (also in the logs and the `X-Request-Id` header).
    pub request_id: String,
}

/// What an attempt concerned.
#[derive(Clone, Debug)]
pub struct AuditEntry<'a> {
    /// The action, e.g. `ResyncMFADevice`.
    pub action: &'a str,
    /// The account, when known.
    pub account_id: Option<&'a str>,
    /// The actor's ARN.
    pub actor: &'a str,
    /// The user concerned.
    pub target_user: Option<&'a str>,
    /// The device concerned.
    pub serial_number: Option<&'a str>,
}

/// An action's audit event, prepared before the action runs: its success event can then be
/// stored by the change it records, in that change's transaction ([`Prepared::success`],
/// `Storage::compare_and_set_state`), so a crash can never leave the change without its event
/// (security rule 31); [`Prepared::record`] writes the outcome afterwards — the row only if the
/// change's transaction did not.
#[derive(Debug)]
pub struct Prepared<'a> {
    meta: &'a RequestMeta,
    action: String,
    account_id: Option<String>,
    actor: String,
    /// As given (the log line and a refusal's row bound them when written) …
    target_user: Option<String>,
    serial_number: Option<String>,
    /// … and bounded, for the success's row.
    bounded: (Option<String>, Option<String>),
    /// Whether the success's row was stored by the change.
    stored: std::sync::atomic::AtomicBool,
}

impl<'a> Prepared<'a> {
    /// The event of `entry`'s attempt, from `meta`, with what a client chose bounded.
    pub fn new(meta: &'a RequestMeta, entry: &AuditEntry<'_>) -> Prepared<'a> {
        Prepared {
            meta,
            action: entry.action.to_owned(),
            account_id: entry.account_id.map(str::to_owned),
            actor: entry.actor.to_owned(),
            target_user: entry.target_user.map(str::to_owned),
            serial_number: entry.serial_number.map(str::to_owned),
            bounded: (
                entry
                    .target_user
                    .map(|u| bounded(u, MAX_RECORDED).into_owned()),
                entry
                    .serial_number
                    .map(|s| bounded(s, MAX_RECORDED).into_owned()),
            ),
            stored: Default::default(),
        }
    }

    fn entry(&self) -> AuditEntry<'_> {
        AuditEntry {
            action: &self.action,
            account_id: self.account_id.as_deref(),
            actor: &self.actor,
            target_user: self.target_user.as_deref(),
            serial_number: self.serial_number.as_deref(),
        }
    }

    /// The success's row at `now_ms`, for the change's transaction; call
    /// [`Prepared::stored`] once that transaction has committed it.
    pub fn success(&self, now_ms: i64) -> NewAuditEvent<'_> {
        NewAuditEvent {
            account_id: self.account_id.as_deref(),
            event_time: now_ms,
            actor: &self.actor,
            action: &self.action,
            target_user: self.bounded.0.as_deref(),
            serial_number: self.bounded.1.as_deref(),
            source_ip: &self.meta.source_ip,
            outcome: Outcome::Success.as_str(),
            error_code: None,
            request_id: Some(&self.meta.request_id),
        }
    }

    /// The change's transaction committed the success's row.
    pub fn stored(&self) {
        self.stored
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Records the outcome: the log line always, the row unless the change stored it.
    pub async fn record<T>(&self, state: &AppState, result: &Result<T, Error>) {
        let failure = result.as_ref().err().map(|e| e.code().as_str());
        let stored = self.stored.load(std::sync::atomic::Ordering::Relaxed);
        debug_assert!(!stored || failure.is_none(), "a stored success then failed");
        write(
            state,
            self.meta,
            &self.entry(),
            failure,
            stored && failure.is_none(),
        )
        .await;
    }
}

/// Records the attempt's outcome. A failure to write is logged; it does not change the answer.
pub async fn record<T>(
    state: &AppState,
    meta: &RequestMeta,
    entry: &AuditEntry<'_>,
    result: &Result<T, Error>,
) {
    record_outcome(state, meta, entry, result.as_ref().err()).await;
}

/// The actor of an attempt that names no known principal (an unknown user name, a refused
/// request without a live session).
pub const UNKNOWN_ACTOR: &str = "unknown";

/// Records `action` by a principal — its ARN as actor, itself as the user concerned — or by
/// `unknown` without one (a refused request whose cookie names no live session), failed with
/// the error code `failure` (`None`: it succeeded).
pub async fn record_by(
    state: &AppState,
    meta: &RequestMeta,
    action: &str,
    principal: Option<&PrincipalRow>,
    failure: Option<&str>,
) {
    let actor = principal.map_or_else(|| UNKNOWN_ACTOR.to_owned(), PrincipalRow::arn);
    let own = principal.map(PrincipalRow::display_name);
    let entry = AuditEntry {
        action,
        account_id: principal.map(|p| p.account_id.as_str()),
        actor: &actor,
        target_user: own.as_deref(),
        serial_number: None,
    };
    write(state, meta, &entry, failure, false).await;
}

/// [`record`] with the outcome alone: success, or the error it failed with.
pub async fn record_outcome(
    state: &AppState,
    meta: &RequestMeta,
    entry: &AuditEntry<'_>,
    error: Option<&Error>,
) {
    write(state, meta, entry, error.map(|e| e.code().as_str()), false).await;
}

/// The event's log line, and its row unless `stored` (the change's transaction wrote it).
async fn write(
    state: &AppState,
    meta: &RequestMeta,
    entry: &AuditEntry<'_>,
    failure: Option<&str>,
    stored: bool,
) {
    let (outcome, code) = match failure {
        None => (Outcome::Success, None),
        Some(code) => (Outcome::Failure, Some(code)),
    };
    // What a client typed is recorded bounded: a refused 2 MB serial costs a line, not 2 MB.
    let target_user = entry.target_user.map(|u| bounded(u, MAX_RECORDED));
    let serial_number = entry.serial_number.map(|s| bounded(s, MAX_RECORDED));
    let (target_user, serial_number) = (target_user.as_deref(), serial_number.as_deref());
    let event = NewAuditEvent {
        account_id: entry.account_id,
        event_time: state.clock.now_ms(),
        actor: entry.actor,
        action: entry.action,
        target_user,
        serial_number,
        source_ip: &meta.source_ip,
        outcome: outcome.as_str(),
        error_code: code,
        request_id: Some(&meta.request_id),
    };
    tracing::info!(
        action = entry.action,
        actor = entry.actor,
        target_user,
        serial = serial_number,
        outcome = event.outcome,
        error_code = code,
        "audit"
    );
    let written = match code {
        None if stored => Ok(()),
        None => state.storage.insert_audit(&event).await,
        Some(_) => state
            .storage
            .record_refusal(&event, event.event_time - AGGREGATE_MS)
            .await
            .map(|_| ()),
    };
    if let Err(e) = written {
        tracing::error!(error = %e, "audit event not written");
    }
}

#[cfg(test)]
mod tests {
    use super::bounded;

    #[test]
    fn recorded_values_are_bounded_and_printable() {
        let serial = "arn:aws:iam::123456789012:mfa/alice";
        assert_eq!(bounded(serial, 256), serial);
        let huge = "A".repeat(1_900_000);
        let b = bounded(&huge, 256);
        assert_eq!(b, format!("{}…(1900000 bytes)", "A".repeat(64)));
        assert_eq!(bounded("a\nb\u{1b}[31m", 256), "a?b?[31m…(8 bytes)");
        assert_eq!(
            bounded(&"x".repeat(257), 256).len(),
            64 + "…(257 bytes)".len()
        );
    }
}
