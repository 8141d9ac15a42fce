//! The audit trail.

use serde::{Deserialize, Serialize};

/// `POST /api/audit/LookupEvents`: the audit trail, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEventsRequest {
    /// Only events whose target user is this one (without regard to case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Only events of this action, exactly as listed (`ResyncMFADevice`, `SignIn`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Only successes, or only failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Only events concerning this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// 1–1000, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// From a previous response, for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Our `POST /api/audit/activity` (issue 16): a page of the caller's own activity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivityRequest {
    /// 1–1000, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// From a previous response, for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One event of a person's own activity (issue 16), as `POST /api/audit/activity` and the
/// session's notices give it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivityEvent {
    /// When, RFC 3339 UTC with milliseconds (for refusals counted together, the latest).
    pub event_time: String,
    /// The action: `SignInMFA`, `ResyncMFADevice`, …
    pub action: String,
    /// Success or failure.
    pub outcome: Outcome,
    /// What happened, in words for the person it concerns: "The device GAHT10000001 was
    /// resynchronised by the IAM user bob", "3 refused MFA codes since your last sign-in".
    pub summary: String,
}

/// The answer to `POST /api/audit/activity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivityResponse {
    /// The events, newest first.
    pub events: Vec<ActivityEvent>,
    /// Pass it back for the next page; `null` at the end.
    #[serde(default)]
    pub next_token: Option<String>,
}

/// The outcome of an audited attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// It succeeded.
    Success,
    /// It was refused or failed; see `ErrorCode`.
    Failure,
}

impl Outcome {
    /// The wire name, as serde writes it (and as the audit table stores it).
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "Success",
            Outcome::Failure => "Failure",
        }
    }

    /// The outcome of a wire name; `None` for any other text.
    pub fn parse(name: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failure]
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

/// One audit event (security rule 21). Never holds a code, a seed or a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditEvent {
    /// The event's id.
    pub event_id: String,
    /// When, RFC 3339 UTC with milliseconds.
    pub event_time: String,
    /// Who did it (ARN); for a failed sign-in, the ARN that was named.
    pub actor: String,
    /// The action: `SignIn`, `SignInMFA`, `ResyncMFADevice`, …
    pub action: String,
    /// The user whose device or password was concerned.
    #[serde(default)]
    pub target_user: Option<String>,
    /// The device's serial number.
    #[serde(default)]
    pub serial_number: Option<String>,
    /// The client's address.
    pub source_ip: String,
    /// Success or failure.
    pub outcome: Outcome,
    /// The error code of a failure.
    #[serde(default)]
    pub error_code: Option<String>,
    /// How many identical refusals from this source the event stands for (security rule 25);
    /// absent: one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<u64>,
    /// When the latest of them happened, when more than one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_time: Option<String>,
}

/// The answer to `LookupEvents`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEventsResponse {
    /// The events, newest first.
    pub events: Vec<AuditEvent>,
    /// Pass it back for the next page; `null` at the end.
    #[serde(default)]
    pub next_token: Option<String>,
}
