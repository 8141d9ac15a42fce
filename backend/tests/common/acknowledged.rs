//! What a client was told against what is stored: resyncs recorded with their answers, and
//! the check that no acknowledged one is lost (failover, a killed server); on either store, a
//! [`Snapshot`] of the rows a crash may touch (devices, throttle counters, the audit trail) and
//! the check of the audit trail against every answer ([`Answered`]).

use std::collections::HashMap;

use super::{Client, Device, Server};

/// One resync sent: the device, the second step of its pair, and the answer (`status` 0: no
/// answer came, the server died).
#[derive(Debug)]
pub struct Sent {
    pub serial: String,
    pub step: i64,
    pub status: u16,
    pub retry_after: Option<String>,
    pub drift: Option<i64>,
}

/// Resyncs `dev` (owned by `user`) through `client` (signed in as someone allowed to) with
/// the pair of codes ending at `step`, recording the answer or its absence.
pub async fn resync(client: &mut Client, dev: &Device, user: &str, step: u64) -> Sent {
    let serial = dev.serial.as_str();
    let body = serde_json::json!({
        "UserName": user, "SerialNumber": serial,
        "AuthenticationCode1": dev.at(step - 1), "AuthenticationCode2": dev.at(step),
    });
    let answer = client.try_post("/api/iam/ResyncMFADevice", body).await;
    let (status, retry_after, drift) = match answer {
        Ok(r) => (
            r.status,
            r.header("retry-after").map(str::to_owned),
            r.body["DriftSteps"].as_i64(),
        ),
        Err(_) => (0, None, None),
    };
    Sent {
        serial: serial.to_owned(),
        step: step as i64,
        status,
        retry_after,
        drift,
    }
}

/// (drift_steps, last_used_step) of every device in the PostgreSQL database at `url`.
pub async fn stored_states(url: &str) -> HashMap<String, (i64, i64)> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT serial_number, drift_steps, last_used_step FROM mfa_devices")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows.into_iter().map(|(s, d, l)| (s, (d, l))).collect()
}

/// Every acknowledged resync of `serials` is in the stored state: per device, the last step
/// stored is at least the last acknowledged one; when it is that one, the drift is the one
/// acknowledged; when it is later, it is a pair that was sent and not acknowledged (a commit
/// whose answer was lost with the primary or the server), never one that was not sent.
pub fn assert_nothing_acknowledged_is_lost(
    sent: &[Sent],
    serials: &[&str],
    stored: &HashMap<String, (i64, i64)>,
) {
    for serial in serials {
        let (drift, last) = stored[*serial];
        let acknowledged = sent
            .iter()
            .filter(|s| s.serial == *serial && s.status == 200)
            .max_by_key(|s| s.step)
            .unwrap_or_else(|| panic!("no acknowledged resync of {serial}"));
        assert!(
            last >= acknowledged.step,
            "{serial}: stored step {last} is before the acknowledged {}",
            acknowledged.step
        );
        if last == acknowledged.step {
            assert_eq!(
                Some(drift),
                acknowledged.drift,
                "{serial}: the drift answered"
            );
        } else {
            assert!(
                sent.iter()
                    .any(|s| s.serial == *serial && s.step == last && s.status != 200),
                "{serial}: stored step {last} was never sent"
            );
        }
    }
}

/// A device's row as a crash check reads it: its state, its counter and its owner's name.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredDevice {
    pub drift_steps: i64,
    pub last_used_step: i64,
    pub failures: i64,
    /// The owner's user name (`None`: unassigned, or the root user's).
    pub owner: Option<String>,
}

/// An audit event, as much of it as an answer can be compared with.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredEvent {
    pub action: String,
    pub serial_number: Option<String>,
    pub outcome: String,
    pub error_code: Option<String>,
    pub request_id: Option<String>,
    pub repeats: i64,
}

/// What the store holds that a request may change, read while no server runs.
#[derive(Debug)]
pub struct Snapshot {
    /// By serial number.
    pub devices: HashMap<String, StoredDevice>,
    /// The code budget's failures of each IAM user that has one (security rule 29).
    pub code_budgets: HashMap<String, i64>,
    /// The password failures of each IAM user.
    pub password_failures: HashMap<String, i64>,
    pub audit: Vec<StoredEvent>,
}

impl Snapshot {
    /// The stored row of `serial` (it must exist).
    pub fn device(&self, serial: &str) -> &StoredDevice {
        self.devices
            .get(serial)
            .unwrap_or_else(|| panic!("no stored device {serial}"))
    }

    /// `user`'s code budget (0 without a row).
    pub fn budget(&self, user: &str) -> i64 {
        self.code_budgets.get(user).copied().unwrap_or(0)
    }
}

/// Reads the [`Snapshot`] of `server`'s database, on either store.
pub async fn snapshot(server: &Server) -> Snapshot {
    type DeviceRow = (String, i64, i64, i64, Option<String>);
    let devices: Vec<DeviceRow> = crate::on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT d.serial_number, d.drift_steps, d.last_used_step, d.failures, p.user_name \
         FROM mfa_devices d LEFT JOIN principals p ON p.id = d.owner_id"
    ))
    .fetch_all(&pool)
    .await
    .unwrap());
    let code_budgets: Vec<(String, i64)> = crate::on_store!(server, |pool, sql| sqlx::query_as(
        sql("SELECT p.user_name, b.failures FROM code_budgets b \
             JOIN principals p ON p.id = b.principal_id WHERE p.user_name IS NOT NULL")
    )
    .fetch_all(&pool)
    .await
    .unwrap());
    let password_failures: Vec<(String, i64)> = crate::on_store!(server, |pool, sql| {
        sqlx::query_as(sql(
            "SELECT user_name, failures FROM principals WHERE user_name IS NOT NULL",
        ))
        .fetch_all(&pool)
        .await
        .unwrap()
    });
    let audit: Vec<StoredEvent> = crate::on_store!(server, |pool, sql| sqlx::query_as(sql(
        "SELECT action, serial_number, outcome, error_code, request_id, repeats \
         FROM audit_events ORDER BY id"
    ))
    .fetch_all(&pool)
    .await
    .unwrap());
    Snapshot {
        devices: devices
            .into_iter()
            .map(|(serial, drift_steps, last_used_step, failures, owner)| {
                let row = StoredDevice {
                    drift_steps,
                    last_used_step,
                    failures,
                    owner,
                };
                (serial, row)
            })
            .collect(),
        code_budgets: code_budgets.into_iter().collect(),
        password_failures: password_failures.into_iter().collect(),
        audit,
    }
}

/// One request a client sent and what came back: its status (0: no answer, the server died),
/// the error code and the request id the server answered with.
#[derive(Clone, Debug)]
pub struct Answered {
    /// The audit trail's name of the action (`ResyncMFADevice`, `SignInMFA`, …).
    pub action: &'static str,
    pub serial: Option<String>,
    pub status: u16,
    pub error_code: String,
    pub request_id: Option<String>,
}

/// The audit trail against the answers (security rule 21): every success answered has its
/// own event (its request id, once); every refusal answered is counted in an event of its
/// action, device and error code (identical refusals share one, rule 25); and no success is
/// recorded that was answered as something else or sent by nobody — nothing applied twice.
pub fn assert_audit_matches(answers: &[Answered], audit: &[StoredEvent]) {
    let mut successes: HashMap<&str, Vec<&StoredEvent>> = HashMap::new();
    for event in audit.iter().filter(|e| e.outcome == "Success") {
        if let Some(id) = event.request_id.as_deref() {
            successes.entry(id).or_default().push(event);
        }
    }
    let mut refusals: HashMap<(&str, Option<&str>, &str), i64> = HashMap::new();
    for a in answers.iter().filter(|a| a.status != 0 && a.status != 200) {
        *refusals
            .entry((a.action, a.serial.as_deref(), a.error_code.as_str()))
            .or_default() += 1;
    }
    let by_id: HashMap<&str, &Answered> = answers
        .iter()
        .filter_map(|a| a.request_id.as_deref().map(|id| (id, a)))
        .collect();
    for a in answers.iter().filter(|a| a.status == 200) {
        let id = a
            .request_id
            .as_deref()
            .expect("every answer has a request id");
        let events = successes.get(id).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(
            events.len(),
            1,
            "{a:?}: its success is recorded once: {events:?}"
        );
        assert_eq!(
            (
                events[0].action.as_str(),
                events[0].serial_number.as_deref()
            ),
            (a.action, a.serial.as_deref()),
            "{a:?}"
        );
    }
    for (id, events) in &successes {
        if let Some(a) = by_id.get(id) {
            assert_eq!(
                a.status, 200,
                "a success recorded for a request answered {a:?}"
            );
        }
        assert_eq!(
            events.len(),
            1,
            "one request, one success event: {events:?}"
        );
    }
    let answered_ok = answers.iter().filter(|a| a.status == 200).count();
    let unanswered = answers.iter().filter(|a| a.status == 0).count();
    let recorded: usize = successes.values().map(Vec::len).sum();
    assert!(
        (answered_ok..=answered_ok + unanswered).contains(&recorded),
        "{recorded} successes recorded, {answered_ok} answered, {unanswered} unanswered"
    );
    for ((action, serial, code), n) in refusals {
        let stored: i64 = audit
            .iter()
            .filter(|e| {
                e.outcome == "Failure"
                    && e.action == action
                    && e.serial_number.as_deref() == serial
                    && e.error_code.as_deref() == Some(code)
            })
            .map(|e| e.repeats)
            .sum();
        assert!(
            stored >= n,
            "{n} refusals {action} {serial:?} {code} answered, {stored} recorded"
        );
    }
}
