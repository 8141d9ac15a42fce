//! Running a request in the background: every request of the app goes through [`run`] (the
//! server clock's round trips aside, see [`crate::live`]); a request that needs two calls (sign
//! in, then read the session) is one future, so the check below covers both. `Action` and
//! `LocalResource` would do, but each use instantiates their generic machinery anew (about
//! 1 KB gzip apiece, measured); one function over `spawn_local` keeps the app inside its
//! 150 KB budget.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

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
