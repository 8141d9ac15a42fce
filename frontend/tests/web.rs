//! Browser tests of the app's pure parts, run by wasm-bindgen-test in headless Chromium.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn app_mounts_and_shows_its_heading() {
    let document = web_sys::window().unwrap().document().unwrap();
    let body = document.body().unwrap();
    leptos::mount::mount_to(body.clone(), frontend::App).forget();
    assert!(body.inner_html().contains("<h1>mfa-resync</h1>"), "{}", body.inner_html());
}
