//! Running programs: the repository root, a `PATH` that puts the project's own tools first, and
//! commands that fail with a sentence naming what failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What went wrong, as a sentence for the terminal.
pub type Error = String;
/// The result of every step.
pub type Result<T = ()> = std::result::Result<T, Error>;

/// The workspace root (the parent of this crate's folder).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// `PATH` with npm's `node_modules/.bin` (wasm-opt 132 must win over Debian's 108) and cargo's
/// install folder first.
pub fn tool_path() -> String {
    let mut dirs = vec![root().join("node_modules/.bin"), cargo_bin()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs)
        .expect("PATH entries contain no separator")
        .into_string()
        .expect("PATH is UTF-8")
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin() -> PathBuf {
    match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home).join("bin"),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo/bin"),
    }
}

/// A command run from the workspace root with the project's `PATH`.
pub fn command(program: &str) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(root())
        .env("PATH", tool_path())
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    command
}

/// Runs a command to completion with inherited output; an exit other than 0 is an error.
pub fn run(command: &mut Command) -> Result {
    let shown = describe(command);
    let status = command
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs a command and returns its standard output, or `None` when it cannot start or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The command line as a person would type it.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a command with its standard output shown as it comes and also kept, in memory and in
/// the file `copy` (an artifact: the secrets scan reads it); when it fails, the error carries
/// the lines that say what failed (test names, `Error:` lines), so the summary at the end of a
/// long log still names them.
pub fn run_reporting_failures(command: &mut Command, copy: &Path) -> Result {
    use std::io::{BufRead, BufReader, Write};
    let shown = describe(command);
    let mut file = std::fs::File::create(copy).map_err(|e| format!("{}: {e}", copy.display()))?;
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    let mut kept = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let Ok(line) = line else { break };
        println!("{line}");
        writeln!(file, "{line}").map_err(|e| format!("{}: {e}", copy.display()))?;
        kept.push(line);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        return Ok(());
    }
    let mut message = format!("`{shown}` failed ({status})");
    for line in failure_lines(&kept) {
        message.push_str("\n         ");
        message.push_str(line.trim_end());
    }
    Err(message)
}

/// What a test runner printed about its failures: Playwright's list of failed tests (between
/// "N failed" and the next count) and pytest's `FAILED` lines, then the first `Error:` lines;
/// at most 24 lines.
fn failure_lines(lines: &[String]) -> Vec<&str> {
    let is_count = |l: &str, word: &str| {
        let t = l.trim();
        t.split_once(' ')
            .is_some_and(|(n, rest)| n.parse::<u32>().is_ok() && rest.starts_with(word))
    };
    let mut picked: Vec<&str> = Vec::new();
    let mut in_failed_list = false;
    for line in lines {
        if is_count(line, "failed") || is_count(line, "flaky") {
            in_failed_list = true;
            picked.push(line);
        } else if in_failed_list && line.contains(" › ") {
            picked.push(line);
        } else {
            in_failed_list = false;
            if line.starts_with("FAILED ") {
                picked.push(line);
            }
        }
    }
    picked.extend(
        lines
            .iter()
            .map(String::as_str)
            .filter(|l| l.trim_start().starts_with("Error:") || l.starts_with("E   "))
            .take(6),
    );
    picked.truncate(24);
    picked
}

#[cfg(test)]
mod tests {
    use super::failure_lines;

    #[test]
    fn playwright_and_pytest_failures_are_picked_out() {
        let out: Vec<String> = [
            "[1/15] end2end/tests/a11y.spec.ts:7:5 › sign-in works",
            "    Error: expect(locator).toBeFocused() failed",
            "  1 failed",
            "    end2end/tests/a11y.spec.ts:7:5 › sign-in with MFA works with the keyboard alone ───",
            "  14 passed (1.5m)",
            "FAILED end2end/aws/test_cli.py::test_resync - AssertionError",
            "E   assert 1 == 2",
            "33 passed in 21.51s",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            failure_lines(&out),
            [
                "  1 failed",
                "    end2end/tests/a11y.spec.ts:7:5 › sign-in with MFA works with the keyboard alone ───",
                "FAILED end2end/aws/test_cli.py::test_resync - AssertionError",
                "    Error: expect(locator).toBeFocused() failed",
                "E   assert 1 == 2",
            ]
        );
    }

    #[test]
    fn a_clean_run_picks_nothing() {
        let out = [
            "  15 passed (2.0m)".to_owned(),
            "33 passed in 21.51s".to_owned(),
        ];
        assert!(failure_lines(&out).is_empty());
    }
}
