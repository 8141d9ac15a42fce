//! Pages by URL over the History API (`pushState` + `popstate`): a few lines instead of
//! `leptos_router`, which costs about 49 KB gzip (../shared/notes/performance.md).

use leptos::prelude::*;

/// The app's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/` and `/sign-in`: password, then the device's code.
    SignIn,
    /// `/troubleshoot`: resync a device from a password-only session, then finish signing in.
    Troubleshoot,
    /// `/credentials`: one's own devices.
    Credentials,
    /// `/admin`: users, their devices and the audit trail.
    Admin,
}

impl Page {
    /// The page a path shows; unknown paths show sign-in.
    pub fn from_path(path: &str) -> Page {
        match path.trim_end_matches('/') {
            "/troubleshoot" => Page::Troubleshoot,
            "/credentials" => Page::Credentials,
            "/admin" => Page::Admin,
            _ => Page::SignIn,
        }
    }

    /// The page's path.
    pub fn path(&self) -> &'static str {
        match self {
            Page::SignIn => "/sign-in",
            Page::Troubleshoot => "/troubleshoot",
            Page::Credentials => "/credentials",
            Page::Admin => "/admin",
        }
    }

    /// The document title.
    pub fn title(&self) -> &'static str {
        match self {
            Page::SignIn => "Sign in — mfa-resync",
            Page::Troubleshoot => "Resynchronise your MFA device — mfa-resync",
            Page::Credentials => "Security credentials — mfa-resync",
            Page::Admin => "Administration — mfa-resync",
        }
    }
}

/// The current page, shared through context.
#[derive(Clone, Copy)]
pub struct Nav {
    page: RwSignal<Page>,
}

impl Nav {
    /// Reads the URL and follows the browser's back and forward buttons.
    pub fn install() -> Nav {
        let page = RwSignal::new(Page::from_path(&current_path()));
        let handle = window_event_listener(leptos::ev::popstate, move |_| {
            page.set(Page::from_path(&current_path()));
        });
        on_cleanup(move || handle.remove());
        let nav = Nav { page };
        Effect::new(move || document().set_title(page.get().title()));
        provide_context(nav);
        nav
    }

    /// The current page (reactive).
    pub fn page(&self) -> Page {
        self.page.get()
    }

    /// Goes to `page`, adding a history entry.
    pub fn go(&self, page: Page) {
        if self.page.get_untracked() != page {
            if let Ok(history) = window().history() {
                let _ = history.push_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(page.path()),
                );
            }
            self.page.set(page);
        }
    }
}

/// The navigation in context.
pub fn use_nav() -> Nav {
    use_context::<Nav>().expect("App installs the navigation")
}

fn current_path() -> String {
    window().location().pathname().unwrap_or_default()
}
