//! Who is signed in, shared by the pages: the session (`GET /api/session`), the devices offered
//! at sign-in, and a notice for the sign-in page (why the person landed there). [`Auth`]'s
//! methods make every change of it; pages report what their requests answered.

use leptos::prelude::*;
use shared::api::{MfaDeviceChoice, SessionResponse, SignInResponse};

use crate::api;
use crate::background::run_call;
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

/// The session as the app knows it; a `Copy` handle in context. Its fields are private: every
/// change of the session goes through a method here (password accepted, MFA accepted, signed
/// out, expired…), which pages call once their request answered.
#[derive(Clone, Copy)]
pub struct Auth {
    /// `false` until the first answer of `GET /api/session`.
    checked: RwSignal<bool>,
    /// The session, if signed in (password-only or with MFA).
    session: RwSignal<Option<SessionResponse>>,
    /// The devices the sign-in answer offered.
    devices: RwSignal<Vec<MfaDeviceChoice>>,
    /// The device the person chose at the code step, carried into troubleshooting.
    chosen: RwSignal<Option<String>>,
    /// A sentence for the sign-in page ("your session expired …").
    notice: RwSignal<Option<String>>,
    /// Auth's own requests (the session check, signing out) are under way. They run through
    /// [`run_call`] like every request; this signal lives as long as the app, so their answers are
    /// never dropped: they concern the whole app, not a page one may have left.
    pending: RwSignal<bool>,
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
            chosen: RwSignal::new(None),
            notice: RwSignal::new(None),
            pending: RwSignal::new(false),
            nav,
        };
        auth.read_session(auth.pending, None);
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

    /// The password was accepted: the devices its answer offers for the code step, then the
    /// session it made (read again); with no code to enter, on to the credentials. `pending` is
    /// the page's, so a session that answers after the person left it does nothing ([`run_call`]).
    pub fn password_accepted(self, answer: SignInResponse, pending: RwSignal<bool>) {
        self.notice.set(None);
        self.devices.set(answer.mfa_devices);
        let then = (!answer.mfa_required).then_some(Page::Credentials);
        self.read_session(pending, then);
    }

    /// The device's code was accepted: the session, read again, now has MFA; on to the
    /// credentials. `pending` is the page's, as for [`Auth::password_accepted`].
    pub fn mfa_accepted(self, pending: RwSignal<bool>) {
        self.read_session(pending, Some(Page::Credentials));
    }

    /// Reads `GET /api/session` through [`run_call`] with `pending` (at the start, and after each
    /// sign-in step), then goes to `then`. An answer that is no session (not signed in, or no
    /// answer) leaves the one known: none at the start, the password-only one when the read
    /// after MFA failed.
    fn read_session(self, pending: RwSignal<bool>, then: Option<Page>) {
        run_call(pending, api::session(), move |session| {
            if let Ok(session) = session {
                self.session.set(Some(session));
            }
            self.checked.set(true);
            if let Some(page) = then {
                self.nav.go(page);
            }
        });
    }

    /// The caller's devices, listed again for the code step (after a reload the sign-in
    /// answer's offer is gone).
    pub fn devices_listed(self, devices: Vec<MfaDeviceChoice>) {
        self.devices.set(devices);
    }

    /// The session is gone: back to sign-in, saying why.
    pub fn expired(self) {
        self.signed_out(
            "Your session has expired or was signed out, so you were returned to sign-in. Sign in again to continue.",
        );
    }

    /// Signs out and returns to sign-in.
    pub fn sign_out(self) {
        run_call(self.pending, api::sign_out(), move |_| {
            self.signed_out("You have signed out.");
        });
    }

    /// Back to sign-in without a session, with `notice` there.
    fn signed_out(self, notice: &str) {
        // Leave the page first, so its own "not signed in" reaction never runs.
        self.nav.go(Page::SignIn);
        self.notice.set(Some(notice.into()));
        self.session.set(None);
        self.devices.set(Vec::new());
    }

    /// The sentence for the sign-in page, if any (reactive).
    pub fn notice(&self) -> Option<String> {
        self.notice.get()
    }

    /// Reads the devices the sign-in answer offered (reactive).
    pub fn with_devices<R>(&self, f: impl FnOnce(&[MfaDeviceChoice]) -> R) -> R {
        self.devices.with(|d| f(d))
    }

    /// The devices the sign-in answer offered, read without subscribing.
    pub fn devices_untracked(&self) -> Vec<MfaDeviceChoice> {
        self.devices.get_untracked()
    }

    /// The device chosen at the code step (also the troubleshoot page's choice).
    pub fn chosen_device(&self) -> RwSignal<Option<String>> {
        self.chosen
    }

    /// Whether the session may do `action` (its name, e.g. `ListUsers`) on the caller's own
    /// user and devices, as `GET /api/session`'s `Allowed` says (reactive).
    pub fn allows(&self, action: shared::action::Action) -> bool {
        let name = action.name();
        self.session.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.allowed.iter().any(|a| a == name))
        })
    }

    /// Reads the session's notices: what happened since the last sign-in that the person did
    /// not do (reactive).
    pub fn with_notices<R>(&self, f: impl FnOnce(&[shared::api::ActivityEvent]) -> R) -> R {
        self.session
            .with(|s| f(s.as_ref().map_or(&[][..], |s| &s.notices)))
    }

    /// Whether the root user is signed in (reactive).
    pub fn is_root(&self) -> bool {
        self.session.with(|s| s.as_ref().is_some_and(|s| s.root))
    }

    /// The session's ARN (empty when signed out), read without subscribing.
    pub fn arn_untracked(&self) -> String {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.arn.clone()).unwrap_or_default())
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
