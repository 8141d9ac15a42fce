//! Issue 16: what happened to a person's own sign-ins and devices, in words. `POST
//! /api/audit/activity` pages through it; the session (`GET /api/session`) carries the notices
//! of what happened since the last sign-in that the person did not do (OWASP ASVS V6.3.5, V6.3.7:
//! failed attempts since the last sign-in, and changes made by someone else).
//!
//! The sentences are written here, once, for every client (the app shows them as they are and
//! puts the time in the browser's zone): wording them in the app would spend its transfer budget
//! on every sentence and its parts, and a script reading the API gets the same words.

use shared::api::{Action, ActivityEvent, ActivityRequest, ActivityResponse, Outcome};

use super::caller::{Authentication, Caller};
use super::users::audit_page_bounds;
use crate::clock::rfc3339_ms;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::{AuditFilter, AuditRow};

/// Rows read from the audit trail per query while looking for what to show.
const BATCH: i64 = 200;

/// The most rows one request reads: past them, a page ends early (with a `NextToken`) and the
/// notices are what this many rows say.
const MAX_SCANNED: usize = 2_000;

/// `POST /api/audit/activity`: the caller's own events — sign-ins and refused codes, resyncs of
/// their devices and by whom, devices enabled or deactivated, STS sessions — newest first, each
/// with its sentence, paged by `NextToken`. Successful reads and sign-outs are left out (they
/// change nothing). Not an IAM action: every principal may read its own, but only after MFA (a
/// stolen password learns nothing); not audited, as reading one's session is not.
pub async fn own_activity(
    state: &AppState,
    caller: &Caller,
    req: ActivityRequest,
) -> Result<ActivityResponse, Error> {
    if caller.authentication != Authentication::Mfa {
        return Err(Error::AccessDenied(
            "Sign in with your MFA device to see your activity.".into(),
        ));
    }
    let (limit, mut before) = audit_page_bounds(req.max_results, req.next_token.as_deref())?;
    let limit = limit as usize;
    let own = Own::of(caller);
    // One more than asked for says whether there is a next page.
    let mut shown: Vec<(i64, ActivityEvent)> = Vec::new();
    let mut scanned = 0;
    loop {
        let rows = own.rows(state, before).await?;
        for row in &rows {
            scanned += 1;
            before = row.id;
            if worth_showing(row) {
                shown.push((row.id, own.event(row)));
                if shown.len() > limit {
                    shown.truncate(limit);
                    let next = shown.last().map(|(id, _)| id.to_string());
                    return Ok(page(shown, next));
                }
            }
        }
        if rows.len() < BATCH as usize {
            return Ok(page(shown, None));
        }
        if scanned >= MAX_SCANNED {
            // Left off: the next page goes on below the last row read.
            return Ok(page(shown, Some(before.to_string())));
        }
    }
}

/// An answer of [`own_activity`].
fn page(shown: Vec<(i64, ActivityEvent)>, next_token: Option<String>) -> ActivityResponse {
    ActivityResponse {
        events: shown.into_iter().map(|(_, e)| e).collect(),
        next_token,
    }
}

/// What happened since the caller's previous sign-in with MFA that they did not do: refused
/// passwords and codes, counted, and changes to their devices made by someone else, each in
/// words, newest first. Empty without MFA (the notices are for a person who has proved
/// themselves), and when nothing happened. "The previous sign-in" is the second newest
/// successful `SignInMFA` of the caller: the newest is the one that opened this session.
pub async fn notices(state: &AppState, caller: &Caller) -> Result<Vec<ActivityEvent>, Error> {
    if caller.authentication != Authentication::Mfa {
        return Ok(Vec::new());
    }
    let own = Own::of(caller);
    let mut sign_ins_seen = 0;
    let (mut refused_codes, mut refused_passwords) = (Tally::default(), Tally::default());
    let mut changes = Vec::new();
    let mut before = i64::MAX;
    let mut scanned = 0;
    'scan: while scanned < MAX_SCANNED {
        let rows = own.rows(state, before).await?;
        for row in &rows {
            scanned += 1;
            before = row.id;
            let action = Action::parse(&row.action);
            let ok = row.outcome == "Success";
            match action {
                Some(Action::SignInMfa) if ok && row.actor == own.arn => {
                    sign_ins_seen += 1;
                    if sign_ins_seen == 2 {
                        break 'scan;
                    }
                }
                Some(a) if !ok && checks_a_code(a) => refused_codes.add(row),
                Some(Action::SignIn | Action::SignInRoot) if !ok => refused_passwords.add(row),
                Some(a) if ok && a.changes_state() && row.actor != own.arn => {
                    changes.push(own.event(row));
                }
                _ => {}
            }
        }
        if rows.len() < BATCH as usize {
            break;
        }
    }
    let mut notices = changes;
    for (tally, one, many) in [
        (
            &refused_codes,
            "1 refused MFA code since your last sign-in",
            "refused MFA codes since your last sign-in",
        ),
        (
            &refused_passwords,
            "1 refused password since your last sign-in",
            "refused passwords since your last sign-in",
        ),
    ] {
        if let Some(latest) = tally.latest {
            notices.push(ActivityEvent {
                event_time: rfc3339_ms(latest),
                action: tally.action.clone(),
                outcome: Outcome::Failure,
                summary: if tally.count == 1 {
                    one.to_owned()
                } else {
                    format!("{} {many}", tally.count)
                },
            });
        }
    }
    notices.sort_by(|a, b| b.event_time.cmp(&a.event_time));
    Ok(notices)
}

/// Refusals of one kind, counted with their repeats (security rule 25 folds identical
/// refusals into one row).
#[derive(Default)]
struct Tally {
    count: i64,
    latest: Option<i64>,
    action: String,
}

impl Tally {
    fn add(&mut self, row: &AuditRow) {
        self.count += row.repeats.max(1);
        let at = row.last_event_time.unwrap_or(row.event_time);
        if self.latest.is_none_or(|l| at > l) {
            self.latest = Some(at);
            self.action.clone_from(&row.action);
        }
    }
}

/// The actions that check an MFA code: a refusal of one is a refused code.
fn checks_a_code(action: Action) -> bool {
    matches!(
        action,
        Action::SignInMfa
            | Action::ResyncMfaDevice
            | Action::EnableMfaDevice
            | Action::GetSessionToken
    )
}

/// Whether the activity list shows a row: what changed something, and every refusal. A
/// successful read or sign-out says nothing about the person's security.
fn worth_showing(row: &AuditRow) -> bool {
    match Action::parse(&row.action) {
        _ if row.outcome != "Success" => true,
        Some(Action::SignOut) => false,
        Some(a) => a.changes_state(),
        None => true,
    }
}

/// The person whose activity it is.
struct Own {
    account: String,
    name: String,
    arn: String,
}

impl Own {
    fn of(caller: &Caller) -> Own {
        Own {
            account: caller.account().to_owned(),
            name: caller.principal.display_name(),
            arn: caller.arn(),
        }
    }

    /// Up to [`BATCH`] of their rows older than `before`, newest first.
    async fn rows(&self, state: &AppState, before: i64) -> Result<Vec<AuditRow>, Error> {
        Ok(state
            .storage
            .audit_events(&self.account, &self.filter(), before, BATCH)
            .await?)
    }

    fn filter(&self) -> AuditFilter<'_> {
        AuditFilter {
            target_user: Some(&self.name),
            ..AuditFilter::default()
        }
    }

    /// A row as the person reads it.
    fn event(&self, row: &AuditRow) -> ActivityEvent {
        ActivityEvent {
            event_time: rfc3339_ms(row.last_event_time.unwrap_or(row.event_time)),
            action: row.action.clone(),
            outcome: Outcome::parse(&row.outcome).unwrap_or(Outcome::Failure),
            summary: summary(row, &self.arn),
        }
    }
}

/// An audit row in words for the person it concerns (whose ARN is `own`); someone else who
/// acted is named ("by the administrator bob", "by the account's root user").
pub fn summary(row: &AuditRow, own: &str) -> String {
    let ok = row.outcome == "Success";
    let device = row
        .serial_number
        .as_deref()
        .map_or_else(|| "an MFA device".to_owned(), |s| format!("the device {s}"));
    let times = match row.repeats {
        n if n > 1 => format!(" ({n} times)"),
        _ => String::new(),
    };
    let what = match (Action::parse(&row.action), ok) {
        (Some(Action::SignIn | Action::SignInRoot), true) => "Password accepted".to_owned(),
        (Some(Action::SignIn | Action::SignInRoot), false) => "A wrong password was refused".into(),
        (Some(Action::SignInMfa), true) => format!("Signed in with {device}"),
        (Some(Action::SignInMfa), false) => format!("A sign-in code from {device} was refused"),
        (Some(Action::ResyncMfaDevice), true) => format!("{} was resynchronised", upper(&device)),
        (Some(Action::ResyncMfaDevice), false) => {
            format!("A resync of {device} was refused")
        }
        (Some(Action::EnableMfaDevice), true) => format!("{} was enabled", upper(&device)),
        (Some(Action::EnableMfaDevice), false) => format!("Enabling {device} was refused"),
        (Some(Action::DeactivateMfaDevice), true) => {
            format!("{} was deactivated", upper(&device))
        }
        (Some(Action::UnlockMfaDevice), true) => format!("{} was unlocked", upper(&device)),
        (Some(Action::CreateVirtualMfaDevice), true) => {
            format!("A virtual MFA device was created ({})", device_serial(row))
        }
        (Some(Action::DeleteVirtualMfaDevice), true) => {
            format!("A virtual MFA device was deleted ({})", device_serial(row))
        }
        (Some(Action::GetSessionToken), true) => {
            "Temporary credentials were issued to a script (STS)".into()
        }
        (Some(Action::GetSessionToken), false) => {
            "A request for temporary credentials (STS) was refused".into()
        }
        (Some(Action::DeleteAccessKey), true) => "An access key was deleted".into(),
        (_, true) => format!("{} succeeded", row.action),
        (_, false) => format!("{} was refused", row.action),
    };
    let reason = match (&row.error_code, ok) {
        (Some(code), false) => format!(": {code}"),
        _ => String::new(),
    };
    if row.actor == own {
        format!("{what}{reason}{times}")
    } else {
        format!("{what} by {}{reason}{times}", someone(&row.actor))
    }
}

/// The serial number alone, for the sentences that say "device" already.
fn device_serial(row: &AuditRow) -> &str {
    row.serial_number.as_deref().unwrap_or("no serial")
}

/// "the device X" as the start of a sentence.
fn upper(device: &str) -> String {
    let mut chars = device.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

/// Who acted, from their ARN: "the IAM user bob", "the account's root user", "someone not
/// signed in" (a refused request that named nobody known).
fn someone(actor: &str) -> String {
    match actor.rsplit_once(':') {
        Some((_, "root")) => "the account's root user".into(),
        Some((_, resource)) => match resource.strip_prefix("user/") {
            Some(name) => format!("the IAM user {name}"),
            None => resource.to_owned(),
        },
        None => "someone not signed in".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

    fn row(action: &str, outcome: &str, actor: &str) -> AuditRow {
        AuditRow {
            id: 7,
            event_time: 1_764_000_000_000,
            actor: actor.into(),
            action: action.into(),
            target_user: Some("alice".into()),
            serial_number: Some("GAHT10000001".into()),
            source_ip: "127.0.0.1".into(),
            outcome: outcome.into(),
            error_code: (outcome == "Failure").then(|| "InvalidAuthenticationCode".into()),
            repeats: 1,
            last_event_time: None,
        }
    }

    #[test]
    fn ones_own_actions_are_told_plainly_and_others_are_named() {
        assert_eq!(
            summary(&row("ResyncMFADevice", "Success", ALICE), ALICE),
            "The device GAHT10000001 was resynchronised"
        );
        assert_eq!(
            summary(
                &row(
                    "ResyncMFADevice",
                    "Success",
                    "arn:aws:iam::111122223333:user/bob"
                ),
                ALICE
            ),
            "The device GAHT10000001 was resynchronised by the IAM user bob"
        );
        assert_eq!(
            summary(
                &row(
                    "DeactivateMFADevice",
                    "Success",
                    "arn:aws:iam::111122223333:root"
                ),
                ALICE
            ),
            "The device GAHT10000001 was deactivated by the account's root user"
        );
        assert_eq!(
            summary(&row("SignInMFA", "Success", ALICE), ALICE),
            "Signed in with the device GAHT10000001"
        );
    }

    #[test]
    fn refusals_say_why_and_how_many_times() {
        let mut refused = row("SignInMFA", "Failure", ALICE);
        assert_eq!(
            summary(&refused, ALICE),
            "A sign-in code from the device GAHT10000001 was refused: InvalidAuthenticationCode"
        );
        refused.repeats = 4;
        assert_eq!(
            summary(&refused, ALICE),
            "A sign-in code from the device GAHT10000001 was refused: InvalidAuthenticationCode \
             (4 times)"
        );
        let mut password = row("SignIn", "Failure", "unknown");
        password.serial_number = None;
        password.error_code = Some("SignInFailed".into());
        assert_eq!(
            summary(&password, ALICE),
            "A wrong password was refused by someone not signed in: SignInFailed"
        );
    }

    #[test]
    fn reads_and_sign_outs_are_not_shown_but_every_refusal_is() {
        assert!(!worth_showing(&row("ListMFADevices", "Success", ALICE)));
        assert!(!worth_showing(&row("SignOut", "Success", ALICE)));
        assert!(worth_showing(&row("ListMFADevices", "Failure", ALICE)));
        assert!(worth_showing(&row("ResyncMFADevice", "Success", ALICE)));
        assert!(worth_showing(&row("GetSessionToken", "Success", ALICE)));
    }

    #[test]
    fn refusals_are_tallied_with_their_repeats_and_the_latest_time() {
        let mut tally = Tally::default();
        let mut a = row("SignInMFA", "Failure", ALICE);
        a.repeats = 3;
        a.last_event_time = Some(a.event_time + 5_000);
        let mut b = row("ResyncMFADevice", "Failure", ALICE);
        b.event_time += 1_000;
        tally.add(&a);
        tally.add(&b);
        assert_eq!(tally.count, 4);
        assert_eq!(tally.latest, Some(a.event_time + 5_000));
        assert_eq!(tally.action, "SignInMFA");
    }
}
