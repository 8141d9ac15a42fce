//! Running a request in the background. `Action` and `LocalResource` would do, but each use
//! instantiates their generic machinery anew (about 1 KB gzip apiece, measured); one function
//! over `spawn_local` keeps the app inside its 150 KB budget.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// Runs `request`, with `pending` true meanwhile, then hands its output to `done`.
pub fn run<T: 'static>(
    pending: RwSignal<bool>,
    request: impl Future<Output = T> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    pending.set(true);
    spawn_local(async move {
        let output = request.await;
        pending.try_set(false);
        done(output);
    });
}
