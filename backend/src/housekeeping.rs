//! What the server forgets on a schedule, for as long as it runs: expired sessions and temporary
//! credentials, devices' drift history past its bound (evenly thinned), the digests
//! of signatures past the clock-skew window (security rule 22) and a few minutes more (server
//! clocks differ), and the rows of unknown sign-in names a day after their last failure unless
//! locked (rule 24). Every ten minutes; each statement is idempotent, so several servers on one
//! database may all run it.

use std::time::Duration;

use crate::state::AppState;

/// How often the sweep runs.
const EVERY: Duration = Duration::from_secs(600);

/// An unknown name's row this long after its last failure is forgotten, unless locked.
pub const FORGET_PASSWORD_FAILURES_MS: i64 = 24 * 60 * 60 * 1000;

/// Used signatures are kept this long past their request's skew window, in case another
/// server's clock runs behind this one's.
pub const SIGNATURE_GRACE_MS: i64 = 5 * 60 * 1000;

/// Runs the sweep every ten minutes, from the first tick at start.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        sweep(&state).await;
    }
}

/// One sweep at the state's clock.
pub async fn sweep(state: &AppState) {
    let now = state.clock.now_ms();
    let s = &state.settings;
    if let Err(e) = state
        .storage
        .delete_expired_sessions(now - s.session_idle_ms, now - s.session_absolute_ms)
        .await
    {
        tracing::warn!(error = %e, "session sweep failed");
    }
    if let Err(e) = state
        .storage
        .delete_expired_signatures(now - SIGNATURE_GRACE_MS)
        .await
    {
        tracing::warn!(error = %e, "signature sweep failed");
    }
    if let Err(e) = state.storage.thin_drift_samples().await {
        tracing::warn!(error = %e, "drift history sweep failed");
    }
    if let Err(e) = state
        .storage
        .delete_expired_temporary_credentials(now)
        .await
    {
        tracing::warn!(error = %e, "temporary credential sweep failed");
    }
    if let Err(e) = state
        .storage
        .forget_password_failures(now - FORGET_PASSWORD_FAILURES_MS)
        .await
    {
        tracing::warn!(error = %e, "password failure sweep failed");
    }
}
