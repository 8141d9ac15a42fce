//! Security rule 24 against the real binary on real sockets: slow clients cannot hold the
//! server. Each wait is bounded by the timeout under test, so a server without it fails the
//! test instead of hanging it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request line and part of a header, never finished.
fn half_a_header(addr: &str) -> String {
    format!("GET /api/time HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ")
}

/// Reads until the server closes the connection (EOF or reset), within `bound`; returns what
/// it sent.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(bound, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept the connection open past {bound:?}"
    );
    got
}

/// Fifty connections that send half a header are closed once the header-read timeout (1 s
/// here) passes, while a normal request is answered; so are connections that send nothing, or
/// only the start of the HTTP/2 preface (before hyper knows the protocol).
#[tokio::test]
async fn half_sent_headers_are_closed_within_the_header_read_timeout() {
    let server = Server::start_with(&["--header-read-timeout-secs", "1"]);
    let addr = server.addr();
    let start = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(half_a_header(&addr).as_bytes()).await.unwrap();
        slow.push(s);
    }
    for first_bytes in ["", "", "PRI * HTTP/2.0\r\n"] {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(first_bytes.as_bytes()).await.unwrap();
        slow.push(s);
    }
    assert_eq!(server.client().get("/api/time").await.status, 200);
    let mut closing = tokio::task::JoinSet::new();
    for mut s in slow {
        closing.spawn(async move { read_until_closed(&mut s, Duration::from_secs(8)).await });
    }
    while let Some(sent) = closing.join_next().await {
        let sent = String::from_utf8_lossy(&sent.unwrap()).into_owned();
        // hyper may say 408 before it closes; it answers nothing else.
        assert!(
            sent.is_empty() || sent.starts_with("HTTP/1.1 408"),
            "{sent}"
        );
    }
    let elapsed = start.elapsed();
    println!("53 stalled connections closed after {elapsed:?} (header-read timeout 1 s)");
    assert!(
        elapsed >= Duration::from_millis(900),
        "closed early: {elapsed:?}"
    );
    assert_eq!(server.client().get("/api/time").await.status, 200);
    server.finish();
}

/// SIGTERM ends the process within the shutdown deadline (2 s here) while clients hold
/// connections: half a header (the header-read timeout is the default 10 s, longer than the
/// deadline), and a client that stopped reading a large answer.
#[tokio::test]
async fn sigterm_exits_within_the_deadline_whatever_the_clients_do() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>t</title>",
    )
    .unwrap();
    std::fs::write(dist.path().join("big.bin"), vec![7u8; 32 << 20]).unwrap();
    let dist_arg = dist.path().to_str().unwrap().to_owned();
    let mut server = Server::start_with(&["--shutdown-deadline-secs", "2", "--dist", &dist_arg]);
    let addr = server.addr();
    let mut held = Vec::new();
    for _ in 0..5 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(half_a_header(&addr).as_bytes()).await.unwrap();
        held.push(s);
    }
    // The slow reader: asks for 32 MiB, reads the start of the answer, then stops reading.
    let mut reader = TcpStream::connect(&addr).await.unwrap();
    reader
        .write_all(format!("GET /big.bin HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut start_of_answer = [0u8; 12];
    reader.read_exact(&mut start_of_answer).await.unwrap();
    assert_eq!(&start_of_answer, b"HTTP/1.1 200");
    assert_eq!(server.client().get("/api/time").await.status, 200);

    let took = server.stop_within(Duration::from_secs(10));
    println!("SIGTERM to exit with 6 stuck clients: {took:?} (deadline 2 s)");
    assert!(took < Duration::from_secs(6), "{took:?}");
    let logs = server.logs();
    assert!(
        logs.contains("shutdown deadline passed"),
        "the stuck connections were cut at the deadline: {}",
        &logs[logs.len().saturating_sub(3000)..]
    );
    drop((held, reader));
    server.finish();
}

/// With `--max-connections 2`, two held connections take the slots: a third is closed at once,
/// unanswered; once a slot is free again, a request is answered.
#[tokio::test]
async fn over_the_connection_limit_a_connection_is_closed_unanswered() {
    let server = Server::start_with(&["--max-connections", "2"]);
    let addr = server.addr();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(half_a_header(&addr).as_bytes()).await.unwrap();
        held.push(s);
    }
    let mut third = TcpStream::connect(&addr).await.unwrap();
    // The server may close before the request is written: a failed write is that too.
    let _ = third
        .write_all(format!("GET /api/time HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await;
    let answer = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));

    // The first held request, finished: answered, and its slot is freed when it closes.
    let mut first = held.remove(0);
    first
        .write_all(b"1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut first, Duration::from_secs(5)).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    // The slot is released just after the socket closes: a few tries, within a bound.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let _ = s
            .write_all(
                format!("GET /api/time HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await;
        let answer = read_until_closed(&mut s, Duration::from_secs(5)).await;
        if answer.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "no slot came free");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(server.logs().contains("connection limit reached"));
    drop(held);
    server.finish();
}
