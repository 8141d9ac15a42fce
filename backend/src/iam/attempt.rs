//! Counting an attempt before it is evaluated (security rules 7, 8, 10), for codes and
//! passwords alike: one storage statement guarded by the throttle's scheme
//! ([`crate::throttle`]) adds the failure, committed on its own; only a success clears it.

use crate::error::Error;
use crate::state::AppState;
use crate::storage::ThrottleKey;
use crate::throttle::Reserved;

/// Counts an attempt on `key` at the state's clock. Returns the reserved count and the time it
/// was taken at, or the `LimitExceeded` to answer when throttled or locked, identical for right
/// and wrong input (rule 10); `gone` when the row no longer exists. A wait that ends between
/// the increment and the read is simply retried.
pub(crate) async fn reserve(
    state: &AppState,
    key: ThrottleKey<'_>,
    gone: fn() -> Error,
) -> Result<Reserved, Error> {
    for _ in 0..3 {
        let now = state.clock.now_ms();
        if let Some(count) = state.storage.reserve_attempt(key, now).await? {
            return Ok(Reserved { count, now });
        }
        let stored = state.storage.throttle_of(key).await?.ok_or_else(gone)?;
        // A fresh time: the wait may have been set by a request that read the clock after us.
        stored.check(state.clock.now_ms())?;
    }
    Err(Error::LimitExceeded {
        retry_after: 1,
        locked: false,
    })
}
