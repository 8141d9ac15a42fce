//! The built single-page app (Trunk's `dist/`): its files, `index.html` for every deep link,
//! and the hashes of its inline bootstrap for the Content-Security-Policy. Unknown `/api`
//! paths answer the API's JSON error instead.
//!
//! **Compression.** `cargo xtask` writes a brotli (`FILE.br`) and a gzip (`FILE.gz`) copy
//! beside each text-like or wasm file of `dist/` at build time; tower-http's `ServeDir` sends
//! the copy the request's `Accept-Encoding` prefers (br before gzip at equal weight), with
//! `Content-Encoding` and the original `Content-Type` (`application/wasm` stays), and the file
//! itself when no copy fits. Nothing is compressed per request.
//!
//! **Caching.** Trunk names every file it writes into `dist/` after a hash of its content
//! (`filehash = true` in Trunk.toml: `frontend-<hash>.js`, `frontend-<hash>_bg.wasm`,
//! `style-<hash>.css`) except `index.html`, the one file whose name must stay fixed; this app
//! has no `snippets/` and copies no other assets. So the rule is: every file under `dist/` but
//! `index.html` is content-addressed and answered `Cache-Control: public, max-age=31536000,
//! immutable` (a browser never asks for it again: a new build has new names); `index.html`,
//! at `/`, at `/index.html` and as the answer to every deep link, is answered `no-cache` (a
//! browser asks each time, and gets a 304 while it is unchanged). An asset added later under
//! a fixed name would break this rule: give it a hash (Trunk's `data-trunk` links do).
//!
//! **Validators.** Each answer carries `ETag` (size and modification time of the file sent,
//! so the br, gzip and plain forms have different tags) and `Last-Modified`; `If-None-Match`
//! or `If-Modified-Since` that still match answer 304 Not Modified, with the same
//! `Cache-Control` and `Vary: Accept-Encoding` as the 200 would carry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Extension;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeader;

use crate::error::Error;

/// The built single-page app and the CSP that lets exactly its inline bootstrap run.
#[derive(Debug)]
pub struct WebAssets {
    /// The folder Trunk built (`dist/`).
    pub dir: PathBuf,
    /// `'sha256-…'` of each inline script of `index.html`.
    pub script_hashes: Vec<String>,
}

impl WebAssets {
    /// Reads `DIR/index.html` and hashes each inline script's exact text.
    pub fn load(dir: &Path) -> std::io::Result<WebAssets> {
        let index = std::fs::read_to_string(dir.join("index.html"))?;
        Ok(WebAssets {
            dir: dir.to_path_buf(),
            script_hashes: inline_scripts(&index)
                .into_iter()
                .map(|s| format!("'sha256-{}'", BASE64.encode(&Sha256::digest(s.as_bytes()))))
                .collect(),
        })
    }
}

/// The app, when served: a request extension set by [`super::app`].
#[derive(Clone, Debug)]
pub(super) struct Web(pub Option<Arc<WebAssets>>);

/// The text of every `<script>` without a `src` attribute.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start + "<script".len()..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let attrs = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script") else {
            break;
        };
        if !attrs.contains("src=") {
            out.push(&body[..close]);
        }
        rest = &body[close..];
    }
    out
}

/// Unknown `/api` paths answer JSON; everything else is the app (or 404 without one).
pub(super) async fn fallback(Extension(Web(web)): Extension<Web>, req: Request) -> Response {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return Error::NoSuchEntity("No such API path.".into()).into_response();
    }
    match &web {
        Some(web) if req.method() == Method::GET || req.method() == Method::HEAD => {
            serve(&web.dir, req).await
        }
        _ => Error::NoSuchEntity("Not found.".into()).into_response(),
    }
}

/// `Cache-Control` of the content-hashed files: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of `index.html`: stored, but revalidated before every use.
const REVALIDATE: &str = "no-cache";

/// A file of `dir` (its br or gzip copy when the client takes it), or `index.html` for
/// `/index.html`, directories and paths that name no file; with the caching headers of the
/// module doc.
async fn serve(dir: &Path, req: Request) -> Response {
    // The index answers carry `no-cache` from here; what `ServeDir` finds itself is
    // everything else under dist/, content-hashed, so an answer still without
    // `Cache-Control` below is one of those.
    let index = SetResponseHeader::overriding(
        ServeFile::new(dir.join("index.html"))
            .precompressed_br()
            .precompressed_gzip(),
        header::CACHE_CONTROL,
        HeaderValue::from_static(REVALIDATE),
    );
    let served = if req.uri().path() == "/index.html" {
        index.oneshot(req).await.map(IntoResponse::into_response)
    } else {
        ServeDir::new(dir)
            .append_index_html_on_directories(false)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(index)
            .oneshot(req)
            .await
            .map(IntoResponse::into_response)
    };
    // Both services answer every error themselves (404 goes to the index, I/O errors are 500).
    let Ok(mut res) = served;
    let status = res.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let headers = res.headers_mut();
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
        }
        // ServeDir names it on a 200 only; a 304 must carry it too (RFC 9110 §15.4.5).
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = r#"<head><script src="/a.js"></script><script type="module">import x from "/b.js";
x();</script></head>"#;
        assert_eq!(inline_scripts(html), vec!["import x from \"/b.js\";\nx();"]);
    }
}
