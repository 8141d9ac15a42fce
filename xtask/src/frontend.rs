//! The browser app's release build with Trunk, and its compressed copies.

use crate::precompress;
use crate::shell::{self, Result, command, run};

/// Builds the release app into `dist/` (offline: Trunk.toml forbids downloads), then writes
/// the brotli and gzip copy beside each compressible file (see [`precompress`]).
pub fn build_release() -> Result {
    run(command("trunk").args(["build", "--release"]))?;
    let dist = shell::root().join("dist");
    for copies in precompress::dist(&dist)? {
        let size = |bytes: Option<u64>| bytes.map_or("-".to_owned(), |b| b.to_string());
        println!(
            "xtask: dist/{}: {} bytes, br {}, gzip {}",
            copies.file.display(),
            copies.plain,
            size(copies.br),
            size(copies.gz)
        );
    }
    Ok(())
}
