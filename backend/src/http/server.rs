//! The listener: binds, prints the ready line (`listening on http://ADDR`, which the tests and
//! `cargo xtask` read for the port), serves [`super::app`] until SIGTERM or Ctrl-C, and runs the
//! session sweep beside it.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use super::web::WebAssets;
use crate::state::AppState;

/// What `serve` needs beside the state.
#[derive(Debug)]
pub struct ServeOptions {
    /// Where to listen (port 0: any free port; the ready line shows the real one).
    pub addr: SocketAddr,
    /// The built app to serve beside the API.
    pub web: Option<Arc<WebAssets>>,
}

/// Serves until a shutdown signal.
pub async fn serve(state: AppState, options: ServeOptions) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("binding {}", options.addr))?;
    let local = listener.local_addr()?;
    let sweeper = tokio::spawn(crate::session::sweep_expired(state.clone()));
    let app = super::app::app(state, options.web);
    println!("listening on http://{local}");
    std::io::stdout().flush()?;
    tracing::info!(%local, "listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    sweeper.abort();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
