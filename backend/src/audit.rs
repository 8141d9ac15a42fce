//! Writes an audit event for every attempt (security rule 21): who, what, whose, which device,
//! from where, how it ended. Never a code, a seed or a password: the entry has no field for them.

use shared::api::Outcome;

use crate::error::Error;
use crate::state::AppState;
use crate::storage::{NewAuditEvent, PrincipalRow};

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
    write(state, meta, &entry, failure).await;
}

/// [`record`] with the outcome alone: success, or the error it failed with.
pub async fn record_outcome(
    state: &AppState,
    meta: &RequestMeta,
    entry: &AuditEntry<'_>,
    error: Option<&Error>,
) {
    write(state, meta, entry, error.map(|e| e.code().as_str())).await;
}

/// The event's row and log line.
async fn write(
    state: &AppState,
    meta: &RequestMeta,
    entry: &AuditEntry<'_>,
    failure: Option<&str>,
) {
    let (outcome, code) = match failure {
        None => (Outcome::Success, None),
        Some(code) => (Outcome::Failure, Some(code)),
    };
    let event = NewAuditEvent {
        account_id: entry.account_id,
        event_time: state.clock.now_ms(),
        actor: entry.actor,
        action: entry.action,
        target_user: entry.target_user,
        serial_number: entry.serial_number,
        source_ip: &meta.source_ip,
        outcome: outcome.as_str(),
        error_code: code,
        request_id: Some(&meta.request_id),
    };
    tracing::info!(
        action = entry.action,
        actor = entry.actor,
        target_user = entry.target_user,
        serial = entry.serial_number,
        outcome = event.outcome,
        error_code = code,
        "audit"
    );
    if let Err(e) = state.storage.insert_audit(&event).await {
        tracing::error!(error = %e, "audit event not written");
    }
}
