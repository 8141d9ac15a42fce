//! `serve`: reads the TLS files (`super::tls`), binds, settles the public origins and whether
//! the browser reaches the server over HTTPS, prints the ready line (`listening on http://ADDR`,
//! or `https://` with TLS, which the tests and `cargo xtask` read for the address), serves
//! [`super::app`] through [`super::listener`] until SIGTERM or Ctrl-C, and runs the
//! housekeeping sweep (`crate::housekeeping`) beside it.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use super::listener::Limits;
use super::tls::TlsFiles;
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
    /// HTTPS with this certificate and key (`--tls-cert`, `--tls-key`); `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Timeouts, the connection limit and the shutdown deadline.
    pub limits: Limits,
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

/// The origins a server bound to `local` is reached at when none are configured, with the
/// scheme it serves (`http` or `https`).
fn default_origins(scheme: &str, local: SocketAddr) -> Vec<String> {
    let port = local.port();
    let ip = local.ip();
    let mut out = Vec::new();
    if ip.is_loopback() || ip.is_unspecified() {
        out.push(format!("{scheme}://127.0.0.1:{port}"));
        out.push(format!("{scheme}://localhost:{port}"));
        out.push(format!("{scheme}://[::1]:{port}"));
    } else {
        out.push(format!("{scheme}://{local}"));
    }
    out
}

/// Whether browsers reach the server over HTTPS (security rule 30): it serves TLS itself, or
/// every configured public origin is `https://` (a TLS-terminating proxy in front).
fn secure_transport(tls: bool, public_origins: &[String]) -> bool {
    tls || (!public_origins.is_empty() && public_origins.iter().all(|o| o.starts_with("https://")))
}

/// Serves until a shutdown signal.
pub async fn serve(mut state: AppState, options: ServeOptions) -> anyhow::Result<()> {
    let configured = options
        .public_urls
        .iter()
        .map(|u| origin_of(u))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let tls = options.tls.as_ref().map(super::tls::acceptor).transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("binding {}", options.addr))?;
    let local = listener.local_addr()?;
    let mut settings = (*state.settings).clone();
    settings.secure_transport = secure_transport(tls.is_some(), &configured);
    settings.public_origins = if configured.is_empty() {
        default_origins(scheme, local)
    } else {
        configured
    };
    tracing::info!(
        origins = ?settings.public_origins,
        secure_transport = settings.secure_transport,
        "public origins"
    );
    state.settings = Arc::new(settings);
    let sweeper = tokio::spawn(crate::housekeeping::run(state.clone()));
    let app = super::app::app(state, options.web);
    let shutdown = shutdown_signal()?;
    println!("listening on {scheme}://{local}");
    std::io::stdout().flush()?;
    tracing::info!(%local, limits = ?options.limits, "listening");
    super::listener::run(listener, app, tls, options.limits, shutdown).await;
    sweeper.abort();
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM or SIGINT (Ctrl-C). The handlers are installed here, before the ready line: one
/// installed when the future is first polled left a moment after the line in which a SIGTERM
/// (a test stopping a server it just saw start) killed the process instead of stopping it.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = interrupt.recv() => {},
        }
    })
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
            default_origins("http", local),
            [
                "http://127.0.0.1:4321",
                "http://localhost:4321",
                "http://[::1]:4321"
            ]
        );
        let lan: SocketAddr = "192.0.2.7:80".parse().unwrap();
        assert_eq!(default_origins("http", lan), ["http://192.0.2.7:80"]);
        assert_eq!(default_origins("https", lan), ["https://192.0.2.7:80"]);
    }

    #[test]
    fn https_is_in_force_with_tls_or_when_every_public_origin_is_https() {
        let https = ["https://mfa.example".to_owned()];
        let mixed = [
            "https://mfa.example".to_owned(),
            "http://10.0.0.5".to_owned(),
        ];
        assert!(secure_transport(true, &[]));
        assert!(secure_transport(false, &https));
        assert!(!secure_transport(false, &mixed));
        assert!(!secure_transport(false, &[]));
    }
}
