//! The mfa-resync browser app: Leptos 0.8, client-side rendered, served by the backend on the
//! same origin. Pages map to URLs through [`nav`] (the History API, no router); the server's
//! clock drives the warning timer ([`clock`], [`live`], [`timer`]); [`api`] is the typed client.
#![deny(missing_docs)]

pub mod api;
pub mod app_state;
pub mod background;
pub mod clock;
pub mod components;
pub mod json;
pub mod live;
pub mod nav;
pub mod pages;
pub mod timer;

use leptos::prelude::*;

use crate::app_state::{Auth, SessionKind};
use crate::components::link::Link;
use crate::live::ServerClock;
use crate::nav::{Nav, Page};
use crate::pages::{
    admin::AdminPage, credentials::CredentialsPage, sign_in::SignInPage,
    troubleshoot::TroubleshootPage,
};

/// The root component: header, the current page, and the server's clock in the footer.
#[component]
pub fn App() -> impl IntoView {
    let nav = Nav::install();
    let clock = ServerClock::install();
    let auth = Auth::install(nav);
    view! {
        <header class="top">
            <p class="brand">"mfa-resync"</p>
            <nav aria-label="Main">
                {move || auth.has_mfa().then(|| view! {
                    <Link to=Page::Credentials current=true text="Security credentials" />
                    // Only for those whose policy lets them list the account's users.
                    {auth.allows(shared::api::Action::ListUsers).then(|| view! {
                        <Link to=Page::Admin current=true text="Administration" />
                    })}
                })}
                {move || matches!(auth.kind(), SessionKind::PasswordOnly | SessionKind::Mfa).then(|| view! {
                    <button type="button" class="link" on:click=move |_| auth.sign_out()>
                        "Sign out"
                    </button>
                })}
            </nav>
        </header>
        <main id="main">
            {move || match nav.page() {
                Page::SignIn => view! { <SignInPage /> }.into_any(),
                Page::Troubleshoot => view! { <TroubleshootPage /> }.into_any(),
                Page::Credentials => view! { <CredentialsPage /> }.into_any(),
                Page::Admin => view! { <AdminPage /> }.into_any(),
            }}
        </main>
        <footer>
            <p data-testid="server-time">
                {move || match (clock.now_ms(), clock.unreachable()) {
                    (Some(ms), _) => format!("Server time {} UTC", clock_face(ms)),
                    (None, true) => "The server could not be reached.".to_string(),
                    (None, false) => "Reading the server's clock…".to_string(),
                }}
            </p>
        </footer>
    }
}

/// `HH:MM:SS` of a time in milliseconds since the epoch, UTC.
pub fn clock_face(ms: f64) -> String {
    let s = (ms / 1000.0).floor() as u64 % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// Logs where a panic happened to the browser console. Smaller than `console_error_panic_hook`
/// (about 1 KB gzip less: no stack capture, no formatting of the whole `PanicHookInfo`; the
/// console formats the parts), and enough to find the line.
pub fn report_panics_to_the_console() {
    std::panic::set_hook(Box::new(|info| {
        let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
        web_sys::console::error_4(
            &"mfa-resync stopped on a bug; reload the page. At".into(),
            &file.into(),
            &"line".into(),
            &line.into(),
        );
    }));
}
