//! Running a request in the background: every request of the app goes through [`run`] (the
//! server clock's round trips aside, see [`crate::live`]); a request that needs two calls (sign
//! in, then read the session) is one future, so the check below covers both. `Action` and
//! `LocalResource` would do, but each use instantiates their generic machinery anew (about
//! 1 KB gzip apiece, measured); one function over `spawn_local` keeps the app inside its
//! 150 KB budget.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{ApiError, Call, Sent};
use crate::json::Decode;

/// Runs `request`, with `pending` true meanwhile, then hands its output to `done` — unless the
/// component that owns `pending` is gone by then (the person moved on: an answer arriving late
/// must not act, e.g. report an expired session after they signed out).
pub fn run<T: 'static>(
    pending: RwSignal<bool>,
    request: impl Future<Output = T> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    pending.set(true);
    spawn_local(async move {
        let output = request.await;
        // `try_set` hands the value back when the signal was disposed with its owner.
        if pending.try_set(false).is_none() {
            done(output);
        }
    });
}

/// [`run`] for one API call: the same, with one compiled body for every call — only `done` and
/// the reading of the answer are the call's own. Waiting inside a call-specific `async` block
/// instead cost about 100 B br of wasm per call site (measured, December 2026).
pub fn run_call<T: Decode + 'static>(
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
        if pending.try_set(false).is_none() {
            done(answer);
        }
    });
}
