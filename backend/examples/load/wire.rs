//! A loopback relay between the server and PostgreSQL that counts, in the frontend's stream,
//! statements (`Query` and `Execute` messages) and round trips (each time the server sends
//! after PostgreSQL answered): what one resync costs the database, measured on the wire.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What crossed the relay so far.
#[derive(Default)]
pub struct Wire {
    pub statements: AtomicU64,
    pub round_trips: AtomicU64,
}

impl Wire {
    /// (statements, round trips) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.statements.load(Ordering::Relaxed),
            self.round_trips.load(Ordering::Relaxed),
        )
    }
}

/// Listens on a loopback port and relays each connection to `upstream` (`host:port`); returns
/// the port and the counters.
pub async fn start(upstream: String) -> (u16, Arc<Wire>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let wire = Arc::new(Wire::default());
    let counting = wire.clone();
    tokio::spawn(async move {
        while let Ok((down, _)) = listener.accept().await {
            let Ok(up) = TcpStream::connect(&upstream).await else {
                continue;
            };
            tokio::spawn(relay(down, up, counting.clone()));
        }
    });
    (port, wire)
}

async fn relay(down: TcpStream, up: TcpStream, wire: Arc<Wire>) {
    let (mut from_server, mut to_server) = down.into_split();
    let (mut from_db, mut to_db) = up.into_split();
    // Whether PostgreSQL has spoken since the server last sent: the server's next send is a
    // new round trip.
    let answered = Arc::new(AtomicBool::new(true));
    let heard = answered.clone();
    let frontend = async move {
        let mut messages = Frontend::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from_server.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if answered.swap(false, Ordering::Relaxed) {
                wire.round_trips.fetch_add(1, Ordering::Relaxed);
            }
            let statements = messages.feed(&buf[..n]);
            wire.statements.fetch_add(statements, Ordering::Relaxed);
            if to_db.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let backend = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from_db.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            heard.store(true, Ordering::Relaxed);
            if to_server.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(frontend, backend);
}

/// The frontend's message framing: untyped `SSLRequest` and startup messages, then messages of
/// one type byte and a 32-bit length (which counts itself).
#[derive(Default)]
struct Frontend {
    pending: Vec<u8>,
    started: bool,
}

impl Frontend {
    /// Takes bytes; returns how many `Query` ('Q') and `Execute` ('E') messages they completed.
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        const SSL_REQUEST: u32 = 80_877_103;
        self.pending.extend_from_slice(bytes);
        let mut statements = 0;
        let mut at = 0;
        loop {
            let rest = &self.pending[at..];
            let (skip, kind) = if self.started {
                if rest.len() < 5 {
                    break;
                }
                let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
                (1 + len, Some(rest[0]))
            } else {
                if rest.len() < 8 {
                    break;
                }
                let len = u32::from_be_bytes(rest[0..4].try_into().unwrap()) as usize;
                let code = u32::from_be_bytes(rest[4..8].try_into().unwrap());
                if code != SSL_REQUEST {
                    self.started = true;
                }
                (len, None)
            };
            if rest.len() < skip {
                break;
            }
            if matches!(kind, Some(b'Q' | b'E')) {
                statements += 1;
            }
            at += skip;
        }
        self.pending.drain(..at);
        statements
    }
}
