//! A link to one of the app's pages.

use leptos::prelude::*;

use crate::nav::{Page, use_nav};

/// A link to one of the app's pages: a real `href` (it reads, copies and opens in a new tab as
/// a link does) that, clicked, shows the page without reloading the app ([`crate::nav::Nav::go`]).
#[component]
pub fn Link(
    /// The page it leads to.
    to: Page,
    /// Marks the link `aria-current="page"` while its page shows (the main navigation's links).
    #[prop(optional)]
    current: bool,
    /// The link's text (a string, not `Children`: boxed children cost 177 B gzip more over the
    /// app's six links, measured).
    text: &'static str,
) -> impl IntoView {
    let nav = use_nav();
    view! {
        <a
            href=to.path()
            aria-current=move || (current && nav.page() == to).then_some("page")
            on:click=move |ev| {
                ev.prevent_default();
                nav.go(to);
            }
        >
            {text}
        </a>
    }
}
