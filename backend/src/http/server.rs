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
    /// The origins the server is reached at (`--public-url`); empty: the listen address and,
    /// on loopback, its names (`127.0.0.1`, `localhost`, `[::1]`) with the bound port.
    pub public_urls: Vec<String>,
}

/// `https://mfa.example` of `https://mfa.example/`; an origin has no path.
fn origin_of(url: &str) -> anyhow::Result<String> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains('/') => Ok(trimmed.to_owned()),
        _ => anyhow::bail!("--public-url {url}: an http:// or https:// origin without a path"),
    }
}

/// The origins a server bound to `local` is reached at when none are configured.
fn default_origins(local: SocketAddr) -> Vec<String> {
    let port = local.port();
    let ip = local.ip();
    let mut out = Vec::new();
    if ip.is_loopback() || ip.is_unspecified() {
        out.push(format!("http://127.0.0.1:{port}"));
        out.push(format!("http://localhost:{port}"));
        out.push(format!("http://[::1]:{port}"));
    } else {
        out.push(format!("http://{local}"));
    }
    out
}

/// Serves until a shutdown signal.
pub async fn serve(mut state: AppState, options: ServeOptions) -> anyhow::Result<()> {
    let configured = options
        .public_urls
        .iter()
        .map(|u| origin_of(u))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("binding {}", options.addr))?;
    let local = listener.local_addr()?;
    let mut settings = (*state.settings).clone();
    settings.public_origins = if configured.is_empty() {
        default_origins(local)
    } else {
        configured
    };
    tracing::info!(origins = ?settings.public_origins, "public origins");
    state.settings = Arc::new(settings);
    let sweeper = tokio::spawn(crate::housekeeping::run(state.clone()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_origins_are_origins_and_default_to_the_loopback_names() {
        assert_eq!(
            origin_of("https://mfa.example/").unwrap(),
            "https://mfa.example"
        );
        assert_eq!(
            origin_of("http://10.0.0.5:8080").unwrap(),
            "http://10.0.0.5:8080"
        );
        for bad in [
            "mfa.example",
            "https://",
            "https://mfa.example/app",
            "ftp://x",
        ] {
            assert!(origin_of(bad).is_err(), "{bad}");
        }
        let local: SocketAddr = "127.0.0.1:4321".parse().unwrap();
        assert_eq!(
            default_origins(local),
            [
                "http://127.0.0.1:4321",
                "http://localhost:4321",
                "http://[::1]:4321"
            ]
        );
        let lan: SocketAddr = "192.0.2.7:80".parse().unwrap();
        assert_eq!(default_origins(lan), ["http://192.0.2.7:80"]);
    }
}
