//! The mfa-resync browser app: Leptos 0.8, client-side rendered.
#![deny(missing_docs)]

use leptos::prelude::*;

/// The root component: the page frame and, for now, the server's clock.
#[component]
pub fn App() -> impl IntoView {
    let server_time = LocalResource::new(fetch_server_time);
    view! {
        <main>
            <h1>"mfa-resync"</h1>
            <p>"Resynchronise an MFA device whose codes stopped working."</p>
            <p data-testid="server-time">
                {move || match server_time.get() {
                    None => "Reading the server's clock…".to_string(),
                    Some(Ok(ms)) => format!("Server clock: {ms} ms since the Unix epoch"),
                    Some(Err(e)) => format!("The server could not be reached: {e}"),
                }}
            </p>
        </main>
    }
}

async fn fetch_server_time() -> Result<u64, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Time {
        now_ms: u64,
    }
    let response = gloo_net::http::Request::get("/api/time")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let time: Time = response.json().await.map_err(|e| e.to_string())?;
    Ok(time.now_ms)
}
