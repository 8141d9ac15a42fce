//! The tools the build needs, installed from the package registries only (nothing from GitHub):
//! each is checked first and installed only when it is missing or at the wrong version.
//!
//! The recipe and its pitfalls are measured in the team's toolchain notes: Trunk 0.22.1 declares
//! a newer rust-version than this machine's 1.95 but builds with `--ignore-rust-version`;
//! wasm-bindgen-cli must equal Cargo.lock's `wasm-bindgen` and installs only without `--locked`;
//! wasm-opt comes from npm `binaryen@132`, because Debian's 108 builds a page that crashes at load.

use crate::shell::{self, Result, command, output, run};

/// Trunk's version, pinned: newer ones may change the offline behaviour this project relies on.
const TRUNK_VERSION: &str = "0.22.1";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Everything `cargo xtask run` needs: the wasm target, Trunk, wasm-bindgen-cli, npm packages.
pub fn ensure_build_tools() -> Result {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen()?;
    ensure_npm_packages()
}

/// Debian's Chromium and ChromeDriver, for the browser tests.
pub fn ensure_chromium() -> Result {
    let present = |p: &str| std::path::Path::new(p).exists();
    if present("/usr/bin/chromium") && present("/usr/bin/chromedriver") {
        return Ok(());
    }
    announce("Debian's chromium and chromium-driver", "a minute or two");
    apt_install(&["chromium", "chromium-driver"])
}

/// `apt-get update`, then Debian's `packages` without their recommendations.
pub fn apt_install(packages: &[&str]) -> Result {
    run(command("apt-get").arg("update").arg("-q"))?;
    run(command("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The venv's Python, relative to the workspace root (commands run from there).
pub const AWS_VENV_PYTHON: &str = "target/aws-venv/bin/python";

/// The venv's `bin/`, where `aws` lives.
pub fn aws_venv_bin() -> std::path::PathBuf {
    shell::root().join("target/aws-venv/bin")
}

/// A Python virtual environment with the pinned AWS CLI, boto3 and pytest from PyPI
/// (`end2end/aws/requirements.txt`), rebuilt when the pins change.
pub fn ensure_aws_venv() -> Result {
    let root = shell::root();
    let requirements = std::fs::read(root.join("end2end/aws/requirements.txt"))
        .map_err(|e| format!("end2end/aws/requirements.txt: {e}"))?;
    let stamp = root.join("target/aws-venv/.xtask-requirements-copy");
    if std::fs::read(&stamp).is_ok_and(|installed| installed == requirements) {
        return Ok(());
    }
    announce(
        "the AWS CLI, boto3 and pytest into target/aws-venv",
        "about a minute",
    );
    run(command("python3").args(["-m", "venv", "--clear", "target/aws-venv"]))?;
    run(command(AWS_VENV_PYTHON).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-r",
        "end2end/aws/requirements.txt",
    ]))?;
    std::fs::write(&stamp, requirements).map_err(|e| format!("{}: {e}", stamp.display()))
}

fn ensure_wasm_target() -> Result {
    let installed = output(command("rustup").args(["target", "list", "--installed"]));
    if installed.is_some_and(|list| list.lines().any(|l| l.trim() == WASM_TARGET)) {
        return Ok(());
    }
    announce("the Rust target wasm32-unknown-unknown", "under a minute");
    run(command("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_trunk() -> Result {
    if version_of("trunk").as_deref() == Some(TRUNK_VERSION) {
        return Ok(());
    }
    announce(
        &format!("trunk {TRUNK_VERSION}"),
        "10 to 16 minutes, once per machine",
    );
    run(command("cargo").args([
        "install",
        "--locked",
        "--ignore-rust-version",
        "--force",
        &format!("trunk@{TRUNK_VERSION}"),
    ]))
}

fn ensure_wasm_bindgen() -> Result {
    let wanted = locked_version("wasm-bindgen")?;
    if version_of("wasm-bindgen").as_deref() == Some(wanted.as_str())
        && version_of("wasm-bindgen-test-runner").as_deref() == Some(wanted.as_str())
    {
        return Ok(());
    }
    announce(
        &format!("wasm-bindgen-cli {wanted}"),
        "about 3 minutes, once per machine",
    );
    // Not `--locked`: the locked build wants a webpki-roots the registry mirror lacks.
    run(command("cargo").args([
        "install",
        "--force",
        "wasm-bindgen-cli",
        "--version",
        &wanted,
    ]))
}

/// `npm ci` when `node_modules` does not match `package-lock.json`.
fn ensure_npm_packages() -> Result {
    let root = shell::root();
    let lock = std::fs::read(root.join("package-lock.json"))
        .map_err(|e| format!("package-lock.json: {e}"))?;
    let stamp = root.join("node_modules/.xtask-lock-copy");
    if std::fs::read(&stamp).is_ok_and(|installed| installed == lock)
        && root.join("node_modules/.bin/wasm-opt").exists()
    {
        return Ok(());
    }
    announce(
        "the npm packages (binaryen 132 for wasm-opt, Playwright)",
        "seconds",
    );
    run(command("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    std::fs::write(&stamp, lock).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// The second word of `TOOL --version` ("trunk 0.22.1" → "0.22.1"), if the tool runs.
fn version_of(tool: &str) -> Option<String> {
    let text = output(command(tool).arg("--version"))?;
    text.split_whitespace().nth(1).map(str::to_owned)
}

/// The version of a package as Cargo.lock resolved it.
pub fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(shell::root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_owned());
        }
    }
    Err(format!("Cargo.lock has no package {package}"))
}

fn announce(what: &str, how_long: &str) {
    println!("xtask: installing {what} (takes {how_long} the first time)");
}
