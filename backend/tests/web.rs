//! The built app as a browser on a slow network receives it (issue 13), against the real
//! binary over real HTTP: the brotli or gzip copy that `Accept-Encoding` asks for, byte for
//! byte, with the original `Content-Type`; `Cache-Control` immutable on the content-hashed
//! files and `no-cache` on `index.html` wherever it answers; `Vary: Accept-Encoding`; 304 for
//! a conditional request that still matches.
//!
//! The `dist/` here is made by the test: its compressed copies are written with the `brotli`
//! and `flate2` crates (the server only serves files; it compresses nothing itself).

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::*;
use sha2::Digest;

/// What a browser sends (Chromium over HTTPS).
const BROWSER: &str = "gzip, deflate, br, zstd";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

const WASM: &str = "app-0123456789abcdef_bg.wasm";
const JS: &str = "app-0123456789abcdef.js";
/// Served without compressed copies (as a file type the build does not compress would be).
const CSS: &str = "style-fedcba9876543210.css";
/// In a folder, as Trunk's `snippets/` would be.
const NESTED: &str = "assets/logo-00112233aabbccdd.svg";

/// The inline bootstrap, as Trunk writes it.
const SCRIPT: &str = "import init, * as bindings from '/app-0123456789abcdef.js';\nconst wasm = await init({ module_or_path: '/app-0123456789abcdef_bg.wasm' });";

fn index_html() -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>mfa-resync</title>\
         <link rel=\"stylesheet\" href=\"/{CSS}\"><script type=\"module\">{SCRIPT}</script>\
         </head><body></body></html>"
    )
}

fn wasm() -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..20_000u32 {
        bytes.push((i % 251) as u8 ^ (i / 97) as u8);
    }
    bytes
}

fn js() -> String {
    "export function resync(serial, first, second) { return fetch('/api/iam/ResyncMFADevice'); }\n"
        .repeat(40)
}

fn compress_br(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
    w.write_all(bytes).unwrap();
    drop(w);
    out
}

fn compress_gz(bytes: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(bytes).unwrap();
    w.finish().unwrap()
}

fn decompress_br(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Writes `name` and, with `copies`, `name.br` and `name.gz` beside it.
fn put(dist: &Path, name: &str, bytes: &[u8], copies: bool) {
    let path = dist.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    if copies {
        std::fs::write(dist.join(format!("{name}.br")), compress_br(bytes)).unwrap();
        std::fs::write(dist.join(format!("{name}.gz")), compress_gz(bytes)).unwrap();
    }
}

/// A `dist/` shaped like Trunk's with the build's compressed copies, and a server on it.
fn serve_dist() -> (tempfile::TempDir, Server) {
    let dist = tempfile::tempdir().unwrap();
    put(dist.path(), "index.html", index_html().as_bytes(), true);
    put(dist.path(), WASM, &wasm(), true);
    put(dist.path(), JS, js().as_bytes(), true);
    put(dist.path(), CSS, b"body { margin: 0 }", false);
    put(
        dist.path(),
        NESTED,
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        true,
    );
    let server = Server::start_with(&["--dist", dist.path().to_str().unwrap()]);
    (dist, server)
}

/// One answer: status, headers, the body bytes exactly as sent (nothing decoded).
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn fetch(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let mut req = http_client().request(method, format!("{}{path}", server.base));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.unwrap();
    Answer {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.bytes().await.unwrap().to_vec(),
    }
}

async fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> Answer {
    fetch(server, reqwest::Method::GET, path, headers).await
}

fn read(dist: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dist.join(name)).unwrap()
}

/// br for a browser, gzip for a client that takes only gzip, the file itself otherwise; the
/// bytes are the copy on disk, the type is the original file's.
#[tokio::test]
async fn the_copy_that_accept_encoding_asks_for_is_sent() {
    let (dist, server) = serve_dist();
    let dist = dist.path();
    // Request headers, the Content-Encoding expected, the file whose bytes are expected.
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>, String);
    let cases: [Case; 6] = [
        (
            &[("accept-encoding", BROWSER)],
            Some("br"),
            format!("{WASM}.br"),
        ),
        (
            &[("accept-encoding", "br")],
            Some("br"),
            format!("{WASM}.br"),
        ),
        (
            &[("accept-encoding", "gzip")],
            Some("gzip"),
            format!("{WASM}.gz"),
        ),
        (
            &[("accept-encoding", "br;q=0, gzip")],
            Some("gzip"),
            format!("{WASM}.gz"),
        ),
        (&[("accept-encoding", "identity")], None, WASM.to_owned()),
        (&[], None, WASM.to_owned()),
    ];
    for (headers, encoding, file) in cases {
        let r = get(&server, &format!("/{WASM}"), headers).await;
        assert_eq!(r.status, 200, "{headers:?}");
        assert_eq!(r.header("content-encoding"), encoding, "{headers:?}");
        assert_eq!(r.header("content-type"), Some("application/wasm"));
        assert_eq!(r.header("vary"), Some("accept-encoding"), "{headers:?}");
        assert_eq!(r.body, read(dist, &file), "{headers:?}: not {file}");
        let length = r.body.len().to_string();
        assert_eq!(r.header("content-length"), Some(length.as_str()));
    }
    // The copy on disk is the file compressed, and it is much smaller.
    let br = get(
        &server,
        &format!("/{WASM}"),
        &[("accept-encoding", BROWSER)],
    )
    .await;
    assert_eq!(decompress_br(&br.body), wasm());
    assert!(br.body.len() * 3 < wasm().len(), "{}", br.body.len());

    let js = get(&server, &format!("/{JS}"), &[("accept-encoding", BROWSER)]).await;
    assert_eq!(js.header("content-encoding"), Some("br"));
    assert_eq!(js.header("content-type"), Some("text/javascript"));
    assert_eq!(js.body, read(dist, &format!("{JS}.br")));

    // A file without copies is sent as it is, still varying (a copy could appear).
    let css = get(&server, &format!("/{CSS}"), &[("accept-encoding", BROWSER)]).await;
    assert_eq!(css.header("content-encoding"), None);
    assert_eq!(css.header("content-type"), Some("text/css"));
    assert_eq!(css.header("vary"), Some("accept-encoding"));
    assert_eq!(css.body, read(dist, CSS));

    // HEAD names the same representation, without its body.
    let head = fetch(
        &server,
        reqwest::Method::HEAD,
        &format!("/{WASM}"),
        &[("accept-encoding", BROWSER)],
    )
    .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-encoding"), Some("br"));
    assert_eq!(head.header("cache-control"), Some(IMMUTABLE));
    let br_length = read(dist, &format!("{WASM}.br")).len().to_string();
    assert_eq!(head.header("content-length"), Some(br_length.as_str()));
    assert!(head.body.is_empty());
    server.finish();
}

/// Every file but index.html is immutable; index.html is revalidated wherever it answers (at
/// `/`, `/index.html`, a folder, a deep link), compressed too, and the CSP hashes the inline
/// bootstrap of exactly the index that is sent. The API stays `no-store`.
#[tokio::test]
async fn hashed_files_are_immutable_and_the_index_is_revalidated() {
    let (dist, server) = serve_dist();
    let dist = dist.path();
    for file in [WASM, JS, CSS, NESTED] {
        let r = get(
            &server,
            &format!("/{file}"),
            &[("accept-encoding", BROWSER)],
        )
        .await;
        assert_eq!(r.status, 200, "{file}");
        assert_eq!(r.header("cache-control"), Some(IMMUTABLE), "{file}");
        assert_eq!(r.header("vary"), Some("accept-encoding"), "{file}");
        assert!(r.header("etag").is_some(), "{file}");
    }
    let hash = data_encoding::BASE64.encode(&sha2::Sha256::digest(SCRIPT.as_bytes()));
    for path in [
        "/",
        "/index.html",
        "/troubleshoot/deep/link",
        "/assets",
        "/assets/",
        "/no-such-file.js",
    ] {
        let r = get(&server, path, &[("accept-encoding", BROWSER)]).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
        assert_eq!(r.header("vary"), Some("accept-encoding"), "{path}");
        assert_eq!(r.header("content-encoding"), Some("br"), "{path}");
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert!(r.header("etag").is_some(), "{path}");
        assert_eq!(r.body, read(dist, "index.html.br"), "{path}");
        let sent = String::from_utf8(decompress_br(&r.body)).unwrap();
        assert!(sent.contains(&format!(">{SCRIPT}</script>")), "{sent}");
        let csp = r.header("content-security-policy").unwrap();
        assert!(
            csp.contains(&format!(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}'"
            )),
            "{csp}"
        );
    }
    let plain = get(&server, "/troubleshoot", &[]).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("cache-control"), Some("no-cache"));
    assert_eq!(plain.body, index_html().as_bytes());

    let api = get(&server, "/api/time", &[("accept-encoding", BROWSER)]).await;
    assert_eq!(api.status, 200);
    assert_eq!(api.header("cache-control"), Some("no-store"));
    let unknown = get(&server, "/api/nope", &[("accept-encoding", BROWSER)]).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.header("cache-control"), Some("no-store"));
    server.finish();
}

/// A browser revalidating index.html (`no-cache`) gets 304 and no body while it is unchanged,
/// by ETag or by date; the 304 repeats `Cache-Control` and `Vary`. Each encoding is its own
/// representation, with its own ETag.
#[tokio::test]
async fn a_conditional_request_that_still_matches_gets_304() {
    let (_dist, server) = serve_dist();
    let browser = ("accept-encoding", BROWSER);
    for (path, cache) in [
        ("/", "no-cache"),
        ("/index.html", "no-cache"),
        ("/deep/link", "no-cache"),
        (&format!("/{WASM}") as &str, IMMUTABLE),
    ] {
        let first = get(&server, path, &[browser]).await;
        assert_eq!(first.status, 200, "{path}");
        let etag = first.header("etag").unwrap();
        let last_modified = first.header("last-modified").unwrap();
        for condition in [
            ("if-none-match", etag),
            ("if-modified-since", last_modified),
        ] {
            let again = get(&server, path, &[browser, condition]).await;
            assert_eq!(again.status, 304, "{path} {condition:?}");
            assert!(again.body.is_empty());
            assert_eq!(again.header("etag"), Some(etag), "{path}");
            assert_eq!(again.header("cache-control"), Some(cache), "{path}");
            assert_eq!(again.header("vary"), Some("accept-encoding"), "{path}");
        }
        let changed = get(&server, path, &[browser, ("if-none-match", "\"other\"")]).await;
        assert_eq!(changed.status, 200, "{path}");
        // The gzip form has another tag: a cache holding br cannot answer gzip with it.
        let gzip = get(
            &server,
            path,
            &[("accept-encoding", "gzip"), ("if-none-match", etag)],
        )
        .await;
        assert_eq!(gzip.status, 200, "{path}");
        assert_eq!(gzip.header("content-encoding"), Some("gzip"));
        assert_ne!(gzip.header("etag"), Some(etag), "{path}");
    }
    server.finish();
}
