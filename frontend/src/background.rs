//! Running a request in the background: every request of the app goes through [`run_call`] (the
//! server clock's round trips aside, see [`crate::live`]); a flow of several requests (sign in,
//! then read the session; the root user's device check, then the creation; the pages of
//! `ListUsers`) starts each from the answer of the one before. `Action` and `LocalResource`
//! would do, but each use instantiates their generic machinery anew (about 1 KB gzip apiece,
//! measured), and so did a generic runner over any future (about 100 B br of wasm a call site):
//! [`run_call`] waits for every call with one compiled body, only `done` and the reading of the
//! answer being the call's own (3.4 KB br less for the whole app, December 2026).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{ApiError, Call, Sent};

/// Sends `call`, with `pending` true meanwhile, then hands its answer to `done` — unless the
/// component that owns `pending` is gone by then (the person moved on: an answer arriving late
/// must not act, e.g. report an expired session after they signed out).
pub fn run_call<T: 'static>(
    pending: RwSignal<bool>,
    call: Call<T>,
    done: impl FnOnce(Result<T, ApiError>) + 'static,
) {
    let (sent, read) = call.into_parts();
    wait(pending, sent, Box::new(move |answer| done(read(answer))));
}

/// [`run_call`]'s one body.
fn wait(pending: RwSignal<bool>, sent: Sent, done: Box<dyn FnOnce(Result<String, ApiError>)>) {
    pending.set(true);
    spawn_local(async move {
        let answer = sent.await;
        // `try_set` hands the value back when the signal was disposed with its owner.
        if pending.try_set(false).is_none() {
            done(answer);
        }
    });
}
