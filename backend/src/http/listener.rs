//! The accept loop (security rule 24): every connection under a limit and a set of deadlines, so
//! that slow or stalled clients cannot hold the server, and a shutdown that ends within its
//! deadline whatever the clients do.
//!
//! - **Connection limit** (`serve --max-connections`, default 1024): each connection holds a slot
//!   while it lives. Over the limit a new connection is accepted and closed at once, unanswered
//!   (the kernel's queue would otherwise hold it silently, and a flood would fill the queue);
//!   the client sees the connection closed and may retry.
//! - **Header-read timeout** (`serve --header-read-timeout-secs`, default 10 s): the TLS
//!   handshake, the first request and, on HTTP/1.1, every request's header must arrive within it.
//!   hyper starts it again as soon as an HTTP/1.1 connection waits for its next request, so it is
//!   also that connection's keep-alive timeout.
//! - **Idle timeout** ([`IDLE_TIMEOUT`], 60 s): a connection that has started no request and run
//!   no handler for that long (an idle HTTP/2 connection, a client that stopped reading its
//!   answer) is asked to close, and is closed [`Limits::header_read_timeout`] later if it has
//!   not.
//! - **Request timeout** (`app`'s `REQUEST_TIMEOUT`, 30 s): a handler that has not answered in
//!   time is answered 503.
//! - **Shutdown deadline** (`serve --shutdown-deadline-secs`, default 30 s): at SIGTERM or
//!   Ctrl-C the listener closes, every connection is asked to finish its request and close, and
//!   when the deadline passes the ones left are cut.
//!
//! Each request carries the peer's address as `ConnectInfo<SocketAddr>`, as
//! `into_make_service_with_connect_info` did.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// The default of `serve --header-read-timeout-secs`.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// The default of `serve --max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The default of `serve --shutdown-deadline-secs`.
pub const DEFAULT_SHUTDOWN_DEADLINE_SECS: u64 = 30;
/// A connection with no request started and no handler running for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// After a failed accept (out of file descriptors, say), the loop waits this long.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// The limits a connection lives under.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The TLS handshake, the first request and each HTTP/1.1 request header within this.
    pub header_read_timeout: Duration,
    /// No request and no handler for this long: the connection is closed.
    pub idle_timeout: Duration,
    /// Connections open at once; more are closed at once.
    pub max_connections: usize,
    /// After the shutdown signal, connections left after this long are cut.
    pub shutdown_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            idle_timeout: IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_deadline: Duration::from_secs(DEFAULT_SHUTDOWN_DEADLINE_SECS),
        }
    }
}

/// Accepts connections on `listener` and serves `app` on each (over TLS when `tls` is given)
/// until `shutdown` resolves; then drains the connections within the shutdown deadline.
pub(super) async fn run(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: a pause, then the loop goes on.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                        continue;
                    }
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, max = limits.max_connections, "connection limit reached: closed");
                    drop(stream);
                    continue;
                };
                let connection = Connection {
                    app: app.clone(),
                    tls: tls.clone(),
                    limits,
                    peer,
                    stop: stop_rx.clone(),
                };
                connections.spawn(async move {
                    connection.serve(stream).await;
                    drop(slot);
                });
            }
        }
    }
    drop(listener);
    let open = connections.len();
    tracing::info!(
        open,
        "shutting down: the open connections finish their requests"
    );
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            cut = connections.len(),
            deadline_secs = limits.shutdown_deadline.as_secs_f64(),
            "shutdown deadline passed: the connections left are cut"
        );
        connections.shutdown().await;
    }
}

/// One accepted connection, before it is served.
struct Connection {
    app: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    peer: SocketAddr,
    stop: watch::Receiver<bool>,
}

impl Connection {
    /// The TLS handshake (within the header-read timeout) when TLS is on, then HTTP.
    async fn serve(self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        match self.tls.clone() {
            None => self.serve_http(stream).await,
            Some(acceptor) => {
                let handshake =
                    tokio::time::timeout(self.limits.header_read_timeout, acceptor.accept(stream));
                let mut stop = self.stop.clone();
                let done = tokio::select! {
                    done = handshake => done,
                    () = stopped(&mut stop) => return,
                };
                match done {
                    Ok(Ok(tls)) => self.serve_http(tls).await,
                    Ok(Err(e)) => {
                        tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed");
                    }
                    Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
                }
            }
        }
    }

    /// HTTP/1.1 or HTTP/2 (by ALPN over TLS, by the client's preface on plain TCP) until the
    /// client closes, a timeout closes it, or the shutdown asks it to finish.
    async fn serve_http<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            app,
            limits,
            peer,
            mut stop,
            ..
        } = self;
        let activity = Arc::new(Activity::new());
        let service = {
            let activity = activity.clone();
            hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let busy = Activity::start(&activity);
                let app = app.clone();
                async move {
                    let res = app.oneshot(req).await;
                    drop(busy);
                    res
                }
            })
        };
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .keep_alive(true);
        builder.http2().timer(TokioTimer::new());
        let mut conn = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
        // Set when the idle timeout asked the connection to close: it is cut if still open then.
        let mut closing_by: Option<Instant> = None;
        // Set when the shutdown asked it to finish: the listener's deadline cuts it.
        let mut stopping = false;
        loop {
            let wake = closing_by.unwrap_or_else(|| activity.idle_deadline(&limits));
            tokio::select! {
                done = conn.as_mut() => {
                    if let Err(e) = done {
                        tracing::debug!(%peer, error = %e, "connection ended");
                    }
                    return;
                }
                () = stopped(&mut stop), if !stopping => {
                    stopping = true;
                    if closing_by.is_none() {
                        conn.as_mut().graceful_shutdown();
                    }
                }
                () = sleep_until(wake), if !stopping || closing_by.is_some() => {
                    if closing_by.is_some() {
                        tracing::debug!(%peer, "idle connection did not close in time: cut");
                        return;
                    }
                    if activity.idle_deadline(&limits) <= Instant::now() {
                        tracing::debug!(%peer, "connection idle: closing");
                        conn.as_mut().graceful_shutdown();
                        closing_by = Some(Instant::now() + limits.header_read_timeout);
                    }
                }
            }
        }
    }
}

/// Resolves once the shutdown has begun (or the listener is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// What a connection is doing: the handlers running and when the last one started or ended.
#[derive(Debug)]
struct Activity {
    running: AtomicUsize,
    /// When the connection opened (`false`) or a request last started or ended (`true`).
    last: Mutex<(Instant, bool)>,
}

/// A handler running on the connection; its drop ends it.
struct Busy(Arc<Activity>);

impl Activity {
    fn new() -> Self {
        Activity {
            running: AtomicUsize::new(0),
            last: Mutex::new((Instant::now(), false)),
        }
    }

    fn touch(&self) {
        if let Ok(mut last) = self.last.lock() {
            *last = (Instant::now(), true);
        }
    }

    fn start(this: &Arc<Self>) -> Busy {
        this.running.fetch_add(1, Ordering::SeqCst);
        this.touch();
        Busy(this.clone())
    }

    /// When the connection counts as idle: the header-read timeout after it opened while no
    /// request came, the idle timeout after the last request started or ended; never while a
    /// handler runs (the request timeout bounds those).
    fn idle_deadline(&self, limits: &Limits) -> Instant {
        let (at, seen) = self
            .last
            .lock()
            .map(|l| *l)
            .unwrap_or((Instant::now(), true));
        if self.running.load(Ordering::SeqCst) > 0 {
            return Instant::now() + limits.idle_timeout;
        }
        at + if seen {
            limits.idle_timeout
        } else {
            limits.header_read_timeout
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}
