//! What a client was told against what is stored: resyncs recorded with their answers, and
//! the check that no acknowledged one is lost (failover, a killed server).

use std::collections::HashMap;

use super::{Client, Device};

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
