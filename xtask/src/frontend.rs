//! The browser app's release build with Trunk, and its transfer size.

use std::process::{Command, Stdio};

use crate::shell::{self, Result, command, run};

/// Builds the release app into `dist/` (offline: Trunk.toml forbids downloads).
pub fn build_release() -> Result {
    run(command("trunk").args(["build", "--release"]))
}

/// Gzipped bytes (`gzip -9 -n`) of what a browser downloads: wasm, js and css.
pub struct TransferSize {
    /// The WebAssembly module.
    pub wasm: u64,
    /// The JavaScript glue.
    pub js: u64,
    /// The stylesheet.
    pub css: u64,
}

impl TransferSize {
    /// Measures `dist/`.
    pub fn measure() -> Result<TransferSize> {
        let mut size = TransferSize {
            wasm: 0,
            js: 0,
            css: 0,
        };
        let dist = shell::root().join("dist");
        let entries = std::fs::read_dir(&dist).map_err(|e| format!("{}: {e}", dist.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let slot = match path.extension().and_then(|e| e.to_str()) {
                Some("wasm") => &mut size.wasm,
                Some("js") => &mut size.js,
                Some("css") => &mut size.css,
                _ => continue,
            };
            let gz = Command::new("gzip")
                .args(["-9", "-n", "-c"])
                .arg(&path)
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("gzip: {e}"))?;
            if !gz.status.success() {
                return Err(format!("gzip {}: {}", path.display(), gz.status));
            }
            *slot += gz.stdout.len() as u64;
        }
        if size.wasm == 0 || size.js == 0 {
            return Err(format!("{}: no wasm or no js to measure", dist.display()));
        }
        Ok(size)
    }

    /// All three together.
    pub fn total(&self) -> u64 {
        self.wasm + self.js + self.css
    }

    /// An error when the app outgrows [`BUDGET_BYTES`] (a size is exact, unlike a timing, so
    /// the budget is checked, not only printed).
    pub fn within_budget(&self) -> Result {
        if self.total() <= BUDGET_BYTES {
            Ok(())
        } else {
            Err(format!(
                "the release app is {self}: {} bytes over",
                self.total() - BUDGET_BYTES
            ))
        }
    }
}

/// The most the release app may weigh on the wire: 150 KB (1 KB = 1,000 bytes), gzip.
pub const BUDGET_BYTES: u64 = 150_000;

impl std::fmt::Display for TransferSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kb = |bytes: u64| bytes as f64 / 1000.0;
        write!(
            f,
            "{:.1} KB gzip (wasm {:.1} KB, js {:.1} KB, css {:.1} KB; budget 150 KB)",
            kb(self.total()),
            kb(self.wasm),
            kb(self.js),
            kb(self.css)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_150_kb_of_all_three_together() {
        let at = TransferSize {
            wasm: 140_000,
            js: 8_000,
            css: 2_000,
        };
        assert_eq!(at.within_budget(), Ok(()));
        let over = TransferSize { css: 2_001, ..at };
        let error = over.within_budget().unwrap_err();
        assert!(error.contains("150.0 KB gzip"), "{error}");
        assert!(error.ends_with(": 1 bytes over"), "{error}");
    }
}
