//! HTTPS (`serve --tls-cert --tls-key`) against the real binary: a real TLS handshake on
//! loopback with a certificate made here, HTTP/1.1 and HTTP/2 by ALPN, the `__Host-` session
//! cookie and HSTS (security rules 17 and 30), the Host rule (28) as over HTTP; and the same
//! cookie and HSTS behind a TLS-terminating proxy (`--public-url https://…`).

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::json;

const HSTS: &str = "max-age=63072000; includeSubDomains";

/// A self-signed certificate for the loopback names (and `evil.example`, so that a request
/// naming that host gets past TLS to the Host rule), written as PEM files.
struct TestCert {
    dir: tempfile::TempDir,
    pem: String,
}

impl TestCert {
    fn new() -> TestCert {
        let names = ["localhost", "127.0.0.1", "evil.example"].map(String::from);
        let made = rcgen::generate_simple_self_signed(names.to_vec()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pem = made.cert.pem();
        std::fs::write(dir.path().join("cert.pem"), &pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem()).unwrap();
        TestCert { dir, pem }
    }

    fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    fn args(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.cert().display().to_string(),
            "--tls-key".into(),
            self.key().display().to_string(),
        ]
    }

    /// A client trusting only this certificate.
    fn client(&self) -> reqwest::ClientBuilder {
        install_ring();
        let root = reqwest::Certificate::from_pem(self.pem.as_bytes()).unwrap();
        reqwest::Client::builder().tls_certs_only([root])
    }
}

fn start(args: &[String]) -> Server {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start_with(&args)
}

/// The session's `Set-Cookie` over HTTPS: `__Host-` prefixed, with every attribute the prefix
/// needs; the cookie then works, and the unprefixed name counts for nothing. HSTS on every
/// response, refusals and missing pages too.
// Multi-threaded: the client's HTTP/2 connections keep answering (the shutdown's GOAWAY and
// PING) while `finish` blocks this thread waiting for the exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_cookie_is_host_prefixed_and_hsts_is_sent() {
    let cert = TestCert::new();
    let server = start(&cert.args());
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let mut alice = server.client_with(cert.client().build().unwrap());
    let r = alice.sign_in("alice").await;
    assert_eq!(r.status, 200, "{r:?}");
    let set = r.header("set-cookie").unwrap().to_owned();
    let (pair, attrs) = set.split_once("; ").unwrap();
    assert!(pair.starts_with("__Host-mfa_resync_session="), "{set}");
    assert_eq!(attrs, "HttpOnly; SameSite=Strict; Secure; Path=/");
    assert!(!set.contains("Domain"), "{set}");
    assert_eq!(alice.get("/api/session").await.status, 200);
    assert_eq!(r.header("strict-transport-security"), Some(HSTS));

    let token = pair.split_once('=').unwrap().1;
    let mut plain_name = server.client_with(cert.client().build().unwrap());
    plain_name.cookie = Some(format!("mfa_resync_session={token}"));
    let r = plain_name.get("/api/session").await;
    assert_eq!((r.status, r.code()), (401, "NotSignedIn"));
    assert_eq!(r.header("strict-transport-security"), Some(HSTS));
    let missing = alice.get("/no-such-page").await;
    assert_eq!(missing.header("strict-transport-security"), Some(HSTS));

    let out = alice.post("/api/sign-out", json!({})).await;
    assert_eq!(out.status, 200);
    let cleared = out.header("set-cookie").unwrap();
    assert!(
        cleared.starts_with("__Host-mfa_resync_session=; ") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    server.finish();
}

/// ALPN offers both: a client that asks for HTTP/2 gets it, one limited to HTTP/1.1 gets
/// that; the Host rule holds on both (HTTP/2 names the host in `:authority`).
// Multi-threaded: the client's HTTP/2 connections keep answering (the shutdown's GOAWAY and
// PING) while `finish` blocks this thread waiting for the exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_speaks_http2_and_http11_and_refuses_a_foreign_host() {
    let cert = TestCert::new();
    let server = start(&cert.args());
    let time = format!("{}/api/time", server.base);

    let h2 = cert.client().build().unwrap();
    let r = h2.get(&time).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.version()),
        (200, reqwest::Version::HTTP_2)
    );
    let h1 = cert.client().http1_only().build().unwrap();
    let r = h1.get(&time).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.version()),
        (200, reqwest::Version::HTTP_11)
    );
    assert_eq!(r.headers().get("strict-transport-security").unwrap(), HSTS);

    // HTTP/1.1 with a foreign Host header; HTTP/2 with a foreign :authority.
    let mut c = server.client_with(h1);
    let evil = c
        .raw(c.http().get(&time).header("host", "evil.example"))
        .await;
    assert_eq!((evil.status, evil.code()), (403, "CrossOriginRequest"));
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let rebinding = cert
        .client()
        .resolve("evil.example", server.addr().parse().unwrap())
        .build()
        .unwrap();
    let r = rebinding
        .get(format!("https://evil.example:{port}/api/time"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.version()),
        (403, reqwest::Version::HTTP_2)
    );
    // The server's own names, over HTTP/2: answered.
    let own = cert
        .client()
        .resolve("localhost", server.addr().parse().unwrap())
        .build()
        .unwrap();
    let r = own
        .get(format!("https://localhost:{port}/api/time"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.version()),
        (200, reqwest::Version::HTTP_2)
    );
    server.finish();
}

/// Plain HTTP keeps the unprefixed cookie and sends no HSTS; behind a TLS-terminating proxy
/// (`--public-url https://mfa.example`) the cookie is `__Host-` prefixed and HSTS is sent.
#[tokio::test]
async fn plain_http_keeps_the_plain_cookie_and_a_https_public_url_gives_the_secure_one() {
    let server = Server::start();
    let mut c = server.client();
    let r = c.sign_in("bob").await;
    assert!(
        r.header("set-cookie")
            .unwrap()
            .starts_with("mfa_resync_session="),
        "{r:?}"
    );
    assert_eq!(r.header("strict-transport-security"), None);
    assert_eq!(c.get("/api/session").await.status, 200);
    server.finish();

    let server = Server::start_with(&["--public-url", "https://mfa.example"]);
    let mut c = server.client();
    let body = json!({"Account": "demo", "UserName": "bob", "Password": "demo-bob-password"});
    let r = c
        .raw(proxied(
            c.http()
                .post(format!("{}/api/sign-in", server.base))
                .header("content-type", "application/json")
                .body(body.to_string()),
        ))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let set = r.header("set-cookie").unwrap().to_owned();
    assert!(set.starts_with("__Host-mfa_resync_session="), "{set}");
    assert!(
        set.ends_with("; HttpOnly; SameSite=Strict; Secure; Path=/"),
        "{set}"
    );
    assert_eq!(r.header("strict-transport-security"), Some(HSTS));
    let cookie = set.split(';').next().unwrap().to_owned();
    let r = c
        .raw(proxied(
            c.http()
                .get(format!("{}/api/session", server.base))
                .header("cookie", cookie),
        ))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    server.finish();
}

/// A request as the proxy in front of `https://mfa.example` passes it on.
fn proxied(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    req.header("host", "mfa.example")
        .header("origin", "https://mfa.example")
        .header("x-requested-with", "mfa-resync")
}

/// A client that opens a TCP connection and never starts the TLS handshake is closed once the
/// header-read timeout passes (1 s here).
#[tokio::test]
async fn a_stalled_tls_handshake_is_closed_within_the_header_read_timeout() {
    use tokio::io::AsyncReadExt;
    let cert = TestCert::new();
    let mut args = cert.args();
    args.extend(["--header-read-timeout-secs".into(), "1".into()]);
    let mut server = start(&args);
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(8), async {
        let mut buf = [0u8; 64];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the stalled handshake was kept open");
    server.stop();
    assert!(server.logs().contains("TLS handshake timed out"));
}

/// A certificate or key that cannot be used stops `serve` at start with the reason, before it
/// listens, and a non-zero exit.
#[test]
fn bad_certificate_or_key_files_stop_serve_at_start() {
    let cert = TestCert::new();
    let other = TestCert::new();
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is no PEM\n").unwrap();
    let missing = dir.path().join("missing.pem");
    let db = dir.path().join("db.sqlite");
    let cases = [
        (missing.clone(), cert.key(), "--tls-cert"),
        (garbage.clone(), cert.key(), "no PEM certificate"),
        (cert.cert(), garbage.clone(), "--tls-key"),
        (cert.cert(), other.key(), "does not fit"),
    ];
    for (c, k, expected) in cases {
        let out = std::process::Command::new(BIN)
            .arg("--db")
            .arg(&db)
            .args(["serve", "--addr", "127.0.0.1:0", "--tls-cert"])
            .arg(&c)
            .arg("--tls-key")
            .arg(&k)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{c:?} {k:?}: {stdout}");
        assert!(!stdout.contains("listening"), "{stdout}");
        assert!(
            stderr.contains("error: ") && stderr.contains(expected),
            "{expected}: {stderr}"
        );
    }
}
