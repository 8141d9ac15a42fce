//! The compressed copies of the built app: beside each text-like or wasm file of `dist/`, a
//! brotli copy (`FILE.br`, quality 11) and a gzip copy (`FILE.gz`, zopfli), written once at
//! build time so the server never compresses per request (it picks the copy by
//! `Accept-Encoding`: see the backend's `http/web.rs`).
//!
//! Brotli's window is the smallest power of two that holds the whole file (between 2^10 and
//! 2^24, the standard format's range). Measured on the release app (December 2026; wasm
//! 396,580 bytes): brotli 11 makes 113,704 bytes with that window (2^19) as with 2^22 or 2^24,
//! in text or generic mode alike, 0.1 % more than Google's C encoder (113,609); the smaller
//! window is declared in the stream, so a decoder never reserves more than the file needs.
//! gzip is zopfli (15 iterations), the DEFLATE encoder that searches hardest: measured on the
//! release app (December 2026; wasm 416,016 bytes) it makes 141,439 bytes where flate2's level 9
//! made 149,287 (5.3 % less) and zlib's 148,389, for about 2 s more per build. Only clients
//! without brotli get gzip (Chromium and Firefox offer br on HTTPS and on localhost), but the
//! app's budget is stated in gzip too (150 KB, the usability issue), and a build-time second is
//! cheap beside a slow phone's. Every decoder reads zopfli's output: it is plain DEFLATE. A copy
//! that would not be smaller than its file is not written.

use std::path::{Path, PathBuf};

use brotli::enc::BrotliEncoderParams;

use crate::shell::Result;

/// The file types worth compressing: the app's code, styles and markup (images and fonts in
/// their own formats are compressed already).
const COMPRESSIBLE: [&str; 6] = ["wasm", "js", "css", "html", "svg", "json"];

/// Brotli's quality: 11, the smallest output.
const BROTLI_QUALITY: i32 = 11;
/// Brotli's largest window, as a power of two (the most the standard format allows).
const BROTLI_MAX_WINDOW: u32 = 24;

/// The power of two of the smallest window that holds `len` bytes, within brotli's 10..=24.
fn brotli_window(len: usize) -> i32 {
    let bits = len.max(1).next_power_of_two().trailing_zeros();
    bits.clamp(10, BROTLI_MAX_WINDOW) as i32
}

/// The copies written for one file.
#[derive(Debug)]
pub struct Copies {
    /// The file, relative to `dist/`.
    pub file: PathBuf,
    /// Its own size.
    pub plain: u64,
    /// Its brotli copy's size, when one was written.
    pub br: Option<u64>,
    /// Its gzip copy's size, when one was written.
    pub gz: Option<u64>,
}

/// Writes the copies of every compressible file under `dist` (in sub-folders too) and says
/// what it wrote. Copies left from an earlier build are replaced or, when a copy is no longer
/// worth it, removed.
pub fn dist(dist: &Path) -> Result<Vec<Copies>> {
    let mut files = Vec::new();
    compressible_files(dist, &mut files)?;
    files.sort();
    let mut written = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let br = write_copy(&path, "br", &bytes, brotli(&bytes))?;
        let gz = write_copy(&path, "gz", &bytes, gzip(&bytes)?)?;
        written.push(Copies {
            file: path.strip_prefix(dist).unwrap_or(&path).to_path_buf(),
            plain: bytes.len() as u64,
            br,
            gz,
        });
    }
    Ok(written)
}

/// Every file below `dir` whose extension is in [`COMPRESSIBLE`].
fn compressible_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            compressible_files(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Writes `FILE.EXT` when `copy` is smaller than the file, else removes a stale one; its size.
fn write_copy(path: &Path, ext: &str, plain: &[u8], copy: Vec<u8>) -> Result<Option<u64>> {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    let target = PathBuf::from(name);
    if copy.len() < plain.len() {
        std::fs::write(&target, &copy).map_err(|e| format!("{}: {e}", target.display()))?;
        Ok(Some(copy.len() as u64))
    } else {
        match std::fs::remove_file(&target) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", target.display()))
            }
            _ => Ok(None),
        }
    }
}

/// `bytes` in brotli at [`BROTLI_QUALITY`] with the window of [`brotli_window`].
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let params = BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: brotli_window(bytes.len()),
        size_hint: bytes.len(),
        ..BrotliEncoderParams::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .expect("compressing from memory to memory cannot fail");
    out
}

/// `bytes` in gzip by zopfli (its default 15 iterations), without a name in the header and with
/// time 0 (the copy is the same for the same file).
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 2);
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        bytes,
        &mut out,
    )
    .map_err(|e| format!("gzip: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn text() -> Vec<u8> {
        "function resync(serial, first, second) { return post('/api/iam/ResyncMFADevice'); }\n"
            .repeat(50)
            .into_bytes()
    }

    #[test]
    fn the_window_is_the_smallest_that_holds_the_file() {
        assert_eq!(brotli_window(0), 10);
        assert_eq!(brotli_window(1024), 10);
        assert_eq!(brotli_window(1025), 11);
        assert_eq!(brotli_window(396_580), 19);
        assert_eq!(brotli_window(1 << 19), 19);
        assert_eq!(brotli_window(100 << 20), 24);
    }

    #[test]
    fn the_copies_decompress_to_the_file() {
        let plain = text();
        let br = brotli(&plain);
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, plain);
        let gz = gzip(&plain).unwrap();
        assert_eq!(&gz[..3], [0x1f, 0x8b, 8], "gzip magic, deflate");
        assert_eq!(&gz[4..8], [0, 0, 0, 0], "no time in the header");
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, plain);
        assert!(br.len() < gz.len() && gz.len() * 10 < plain.len());
    }

    #[test]
    fn zopfli_beats_zlib_level_9() {
        // Text that does not repeat whole: numbers and words in a varying order.
        let plain: String = (0..4000u32)
            .map(|i| {
                format!(
                    "{} {} ",
                    i.wrapping_mul(2_654_435_761) % 977,
                    ["resync", "drift", "step", "code"][(i % 7 % 4) as usize]
                )
            })
            .collect();
        let gz = gzip(plain.as_bytes()).unwrap();
        let mut level9 = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut level9, plain.as_bytes()).unwrap();
        let level9 = level9.finish().unwrap();
        assert!(
            gz.len() < level9.len(),
            "zopfli {} vs level 9 {}",
            gz.len(),
            level9.len()
        );
    }

    #[test]
    fn copies_are_written_beside_compressible_files_only_when_smaller() {
        let dir = std::env::temp_dir().join(format!("xtask-precompress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("snippets/x")).unwrap();
        std::fs::write(dir.join("app-00ff.js"), text()).unwrap();
        std::fs::write(dir.join("snippets/x/inline0.js"), text()).unwrap();
        std::fs::write(dir.join("index.html"), "<p>").unwrap();
        std::fs::write(dir.join("index.html.br"), "stale").unwrap();
        std::fs::write(dir.join("logo.png"), text()).unwrap();
        let written = dist(&dir).unwrap();
        let files: Vec<_> = written.iter().map(|c| c.file.clone()).collect();
        assert_eq!(
            files,
            ["app-00ff.js", "index.html", "snippets/x/inline0.js"].map(PathBuf::from)
        );
        assert!(dir.join("app-00ff.js.br").exists() && dir.join("app-00ff.js.gz").exists());
        assert!(dir.join("snippets/x/inline0.js.br").exists());
        // Three bytes do not shrink: no copy, and the stale one is gone.
        assert!(!dir.join("index.html.br").exists() && !dir.join("index.html.gz").exists());
        assert_eq!((written[1].br, written[1].gz), (None, None));
        assert!(!dir.join("logo.png.br").exists());
        let js = &written[0];
        assert_eq!(js.plain, text().len() as u64);
        assert_eq!(
            js.br,
            Some(std::fs::metadata(dir.join("app-00ff.js.br")).unwrap().len())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
