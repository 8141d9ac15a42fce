//! ListUsers and the audit trail's LookupEvents.

use shared::api::{
    Action, AuditEvent, ListUsersRequest, ListUsersResponse, LookupEventsRequest,
    LookupEventsResponse, Outcome, Paging, User,
};

use super::authorize::authorize;
use super::caller::{Caller, audited};
use super::paging::{self, Position};
use super::validate::{validate_serial, validate_user_name};
use crate::clock::{rfc3339, rfc3339_ms};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::{AuditFilter, PrincipalRow};

/// A principal as IAM's `User`.
pub(crate) fn user_of(p: &PrincipalRow) -> User {
    User {
        path: "/".into(),
        user_name: p.display_name(),
        user_id: p.user_id.clone(),
        arn: p.arn(),
        create_date: rfc3339(p.created_at),
    }
}

/// `ListUsers`: a page of the account's IAM users, by name without regard to case.
pub async fn list_users(
    state: &AppState,
    caller: &Caller,
    _req: ListUsersRequest,
    paging: Paging,
) -> Result<ListUsersResponse, Error> {
    let action = Action::ListUsers;
    audited(state, caller, action, None, None, async {
        let page = paging::page(&paging, |p| match p {
            Position::User(key) => Some(key),
            _ => None,
        })?;
        let resource = format!("arn:aws:iam::{}:user/", caller.account());
        authorize(state, caller, action, &resource).await?;
        let rows = state
            .storage
            .users_page(caller.account(), page.after.as_deref(), page.limit())
            .await?;
        let (rows, marker) = page.finish(rows, |p| {
            // The stored key is the lower-cased name (`Storage::insert_principal`).
            Position::User(p.user_name.as_deref().unwrap_or_default().to_lowercase())
        });
        Ok(ListUsersResponse {
            users: rows.iter().map(user_of).collect(),
            is_truncated: marker.is_some(),
            marker,
        })
    })
    .await
}

/// `LookupEvents`: the account's audit trail, newest first, paged by `NextToken`.
pub async fn lookup_events(
    state: &AppState,
    caller: &Caller,
    req: LookupEventsRequest,
) -> Result<LookupEventsResponse, Error> {
    let action = Action::LookupEvents;
    audited(state, caller, action, None, None, async {
        authorize(state, caller, action, "*").await?;
        if let Some(name) = req.user_name.as_deref() {
            validate_user_name(name)?;
        }
        if let Some(serial) = req.serial_number.as_deref() {
            validate_serial(serial)?;
        }
        if let Some(action) = req.action.as_deref() {
            validate_action(action)?;
        }
        let filter = AuditFilter {
            target_user: req.user_name.as_deref(),
            action: req.action.as_deref(),
            outcome: req.outcome.map(Outcome::as_str),
            serial_number: req.serial_number.as_deref(),
        };
        events_page(
            state,
            caller.account(),
            &filter,
            req.max_results,
            req.next_token.as_deref(),
        )
        .await
    })
    .await
}

/// A page of the account's audit events that pass `filter`, newest first: at most
/// `max_results` (1–1000, default 50) older than the event `next_token` names.
async fn events_page(
    state: &AppState,
    account: &str,
    filter: &AuditFilter<'_>,
    max_results: Option<u32>,
    next_token: Option<&str>,
) -> Result<LookupEventsResponse, Error> {
    let (limit, before) = audit_page_bounds(max_results, next_token)?;
    let rows = state
        .storage
        .audit_events(account, filter, before, limit + 1)
        .await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_token = if more {
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok(LookupEventsResponse {
        events: rows
            .iter()
            .map(|r| AuditEvent {
                event_id: r.id.to_string(),
                event_time: rfc3339_ms(r.event_time),
                actor: r.actor.clone(),
                action: r.action.clone(),
                target_user: r.target_user.clone(),
                serial_number: r.serial_number.clone(),
                source_ip: r.source_ip.clone(),
                outcome: Outcome::parse(&r.outcome).unwrap_or(Outcome::Failure),
                error_code: r.error_code.clone(),
                repeats: (r.repeats > 1).then_some(r.repeats as u64),
                last_event_time: r.last_event_time.map(rfc3339_ms),
            })
            .collect(),
        next_token,
    })
}

/// A page of the audit trail as asked: how many events (`MaxResults`, 1–1000, default 50) and
/// below which event id (`NextToken`, the id the previous page ended at; none: from the newest).
/// `LookupEvents` and one's own activity page alike.
pub(super) fn audit_page_bounds(
    max_results: Option<u32>,
    next_token: Option<&str>,
) -> Result<(i64, i64), Error> {
    let limit = i64::from(max_results.unwrap_or(50));
    if !(1..=1000).contains(&limit) {
        return Err(Error::Validation("MaxResults must be 1 to 1000.".into()));
    }
    let before = match next_token {
        None => i64::MAX,
        Some(t) => t
            .parse::<i64>()
            .map_err(|_| Error::Validation("NextToken is not valid.".into()))?,
    };
    Ok((limit, before))
}

/// An action name to filter on: 1–64 ASCII letters (`ResyncMFADevice`). Any such name is
/// accepted; one that was never audited simply lists nothing.
fn validate_action(action: &str) -> Result<(), Error> {
    if (1..=64).contains(&action.len()) && action.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err(Error::Validation(
            "Action must be 1 to 64 letters, the name of an action (ResyncMFADevice).".into(),
        ))
    }
}
