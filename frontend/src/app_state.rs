//! Who is signed in, shared by the pages: the session (`GET /api/session`), the devices offered
//! at sign-in, and a notice for the sign-in page (why the person landed there).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{MfaDeviceChoice, SessionResponse};

use crate::api;
use crate::nav::{Nav, Page};

/// Where the session stands; pages switch on this, not on the session's fields, so a re-read
/// session that did not change re-renders nothing (and wipes no half-typed form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// `GET /api/session` has not answered yet.
    Unknown,
    /// Not signed in.
    SignedOut,
    /// Signed in with a password; MFA still to do.
    PasswordOnly,
    /// Signed in with MFA.
    Mfa,
}

/// Where a page sends a session that may not see it, and what the sign-in page then says:
/// sign-in with MFA done → credentials; credentials while signed out and administration
/// without MFA → sign-in. `None`: the page may show.
pub fn redirect(page: Page, kind: SessionKind) -> Option<(Page, Option<&'static str>)> {
    match (page, kind) {
        (Page::SignIn, SessionKind::Mfa) => Some((Page::Credentials, None)),
        (Page::Credentials, SessionKind::SignedOut) => Some((
            Page::SignIn,
            Some("Sign in to see your security credentials."),
        )),
        (Page::Admin, SessionKind::SignedOut | SessionKind::PasswordOnly) => {
            Some((Page::SignIn, Some("Sign in with MFA to administer users.")))
        }
        _ => None,
    }
}

/// The session as the app knows it; a `Copy` handle in context.
#[derive(Clone, Copy)]
pub struct Auth {
    /// `None` before the first answer of `GET /api/session`.
    pub checked: RwSignal<bool>,
    /// The session, if signed in (password-only or with MFA).
    pub session: RwSignal<Option<SessionResponse>>,
    /// The devices the sign-in answer offered.
    pub devices: RwSignal<Vec<MfaDeviceChoice>>,
    /// A sentence for the sign-in page ("your session expired …").
    pub notice: RwSignal<Option<String>>,
    kind: Memo<SessionKind>,
    nav: Nav,
}

impl Auth {
    /// Asks the server who is signed in and provides the handle.
    pub fn install(nav: Nav) -> Auth {
        let checked = RwSignal::new(false);
        let session = RwSignal::new(None::<SessionResponse>);
        let kind = Memo::new(move |_| {
            if !checked.get() {
                return SessionKind::Unknown;
            }
            session.with(|s| match s {
                None => SessionKind::SignedOut,
                Some(s) if s.mfa_present => SessionKind::Mfa,
                Some(_) => SessionKind::PasswordOnly,
            })
        });
        let auth = Auth {
            checked,
            session,
            kind,
            devices: RwSignal::new(Vec::new()),
            notice: RwSignal::new(None),
            nav,
        };
        auth.refresh();
        // One guard for every page (see [`redirect`]).
        Effect::new(move |_| {
            if let Some((to, notice)) = redirect(nav.page(), kind.get()) {
                if let Some(notice) = notice {
                    auth.notice.set(Some(notice.into()));
                }
                nav.go(to);
            }
        });
        provide_context(auth);
        auth
    }

    /// Reads `GET /api/session` again.
    pub fn refresh(self) {
        spawn_local(async move {
            let session = api::session().await.ok();
            self.session.set(session);
            self.checked.set(true);
        });
    }

    /// The session is gone: back to sign-in, saying why.
    pub fn expired(self) {
        // Leave the page first, so its own "not signed in" reaction never runs.
        self.nav.go(Page::SignIn);
        self.notice.set(Some(
            "Your session has expired or was signed out, so you were returned to sign-in. Sign in again to continue.".into(),
        ));
        self.session.set(None);
        self.devices.set(Vec::new());
    }

    /// Signs out and returns to sign-in.
    pub fn sign_out(self) {
        spawn_local(async move {
            let _ = api::sign_out().await;
            self.nav.go(Page::SignIn);
            self.notice.set(Some("You have signed out.".into()));
            self.session.set(None);
            self.devices.set(Vec::new());
        });
    }

    /// Where the session stands (reactive; changes only when it changes).
    pub fn kind(&self) -> SessionKind {
        self.kind.get()
    }

    /// Whether the session passed MFA (reactive).
    pub fn has_mfa(&self) -> bool {
        self.kind() == SessionKind::Mfa
    }

    /// Whether there is a password-only session (reactive).
    pub fn password_only(&self) -> bool {
        self.kind() == SessionKind::PasswordOnly
    }
}

/// The session handle in context.
pub fn use_auth() -> Auth {
    use_context::<Auth>().expect("App installs the session state")
}
