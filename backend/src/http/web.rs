//! The built single-page app (Trunk's `dist/`): its files, `index.html` for every deep link,
//! and the hashes of its inline bootstrap for the Content-Security-Policy. Unknown `/api`
//! paths answer the API's JSON error instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Extension;
use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

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
            let index = ServeFile::new(web.dir.join("index.html"));
            match ServeDir::new(&web.dir).fallback(index).oneshot(req).await {
                Ok(res) => res.into_response(),
                Err(e) => Error::internal(e).into_response(),
            }
        }
        _ => Error::NoSuchEntity("Not found.".into()).into_response(),
    }
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
