//! What the server forgets on a schedule, for as long as it runs: expired sessions, the digests
//! of signatures past the clock-skew window (security rule 22), and password failures a day
//! old that did not lock (rule 24: unknown sign-in names leave no row for ever; known ones are
//! forgotten alike). Every ten minutes; each statement is idempotent, so several servers on
//! one database may all run it.

use std::time::Duration;

use crate::state::AppState;

/// How often the sweep runs.
const EVERY: Duration = Duration::from_secs(600);

/// Password failures this old that did not lock are forgotten.
pub const FORGET_PASSWORD_FAILURES_MS: i64 = 24 * 60 * 60 * 1000;

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
    if let Err(e) = state.storage.delete_expired_signatures(now).await {
        tracing::warn!(error = %e, "signature sweep failed");
    }
    if let Err(e) = state
        .storage
        .forget_password_failures(now - FORGET_PASSWORD_FAILURES_MS)
        .await
    {
        tracing::warn!(error = %e, "password failure sweep failed");
    }
}
