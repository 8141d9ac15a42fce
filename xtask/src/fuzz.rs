//! `cargo xtask fuzz [TARGET] [--time S]`: the fuzz targets of `fuzz/` (issue 14), each for
//! S seconds (60 by default), one after the other; then a table of executions per target.
//!
//! The engine is the best this machine has:
//! - with a nightly toolchain (`rustup toolchain list`), libFuzzer through cargo-fuzz
//!   (installed from crates.io, pinned): coverage-guided, `-s none` (the targets are safe Rust:
//!   no sanitizer, several times the executions per second). New inputs go to
//!   `target/fuzz/corpus/TARGET` (the committed corpus in `fuzz/corpus/TARGET` is read, never
//!   written); a failing input is written to `target/fuzz/artifacts/TARGET/` and the run fails —
//!   copy it into `fuzz/corpus/TARGET` with the fix, so the smoke test replays it for good;
//! - otherwise the stable smoke engine (`fuzz/src/bin/fuzz-smoke.rs`), which is not
//!   coverage-guided: rounds of mutations of the committed corpus.
//!
//! `cargo xtask test` does not run this: the native tests replay every corpus plus 25,000
//! mutations per target (`fuzz/tests/smoke.rs`).

use std::collections::BTreeMap;

use crate::shell::{self, Result, command, run};

/// cargo-fuzz's version, pinned.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The seconds per target when `--time` is left out.
const DEFAULT_SECONDS: u64 = 60;

/// Runs the fuzz targets named in `args` (all when none is) and prints executions per target.
pub fn fuzz(args: &[String]) -> Result {
    let (only, seconds) = parse_args(args)?;
    let all = targets()?;
    let chosen: Vec<String> = match only {
        Some(name) if all.contains(&name) => vec![name],
        Some(name) => {
            return Err(format!(
                "no fuzz target `{name}`; the targets are {}",
                all.join(", ")
            ));
        }
        None => all,
    };
    let nightly = shell::output(command("rustup").args(["toolchain", "list"]))
        .is_some_and(|list| list.lines().any(|l| l.starts_with("nightly")));
    let engine = if nightly {
        ensure_cargo_fuzz()?;
        "libFuzzer (cargo-fuzz, nightly, coverage-guided)"
    } else {
        "the stable smoke engine (no nightly toolchain here: not coverage-guided)"
    };
    println!(
        "xtask: fuzzing {} for {seconds} s each with {engine}",
        chosen.join(", ")
    );
    let mut executions = BTreeMap::new();
    for name in &chosen {
        let count = if nightly {
            libfuzzer(name, seconds)?
        } else {
            stable(name, seconds)?
        };
        executions.insert(name.clone(), count);
    }
    println!("\nxtask: {engine}, {seconds} s per target, 0 failures:");
    for (name, count) in &executions {
        println!("  {name:<10} {count:>12} executions");
    }
    Ok(())
}

/// `[TARGET] [--time S]`.
fn parse_args(args: &[String]) -> Result<(Option<String>, u64)> {
    let (mut only, mut seconds) = (None, DEFAULT_SECONDS);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--time" => {
                seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|s| *s > 0)
                    .ok_or("--time takes a whole number of seconds above 0")?;
            }
            name if !name.starts_with('-') && only.is_none() => only = Some(name.to_owned()),
            other => {
                return Err(format!(
                    "unexpected argument `{other}`: fuzz [TARGET] [--time S]"
                ));
            }
        }
    }
    Ok((only, seconds))
}

/// The targets: one libFuzzer binary each in `fuzz/libfuzzer/fuzz_targets/` (the smoke test
/// checks each entry of `fuzz::TARGETS` has one).
fn targets() -> Result<Vec<String>> {
    let dir = shell::root().join("fuzz/libfuzzer/fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    names.sort();
    Ok(names)
}

/// One target under libFuzzer for `seconds`; its executions (libFuzzer's final stats).
fn libfuzzer(name: &str, seconds: u64) -> Result<u64> {
    let root = shell::root();
    let corpus = root.join("target/fuzz/corpus").join(name);
    let artifacts = root.join("target/fuzz/artifacts").join(name);
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let out = command("cargo")
        .args([
            "+nightly",
            "fuzz",
            "run",
            "--fuzz-dir",
            "fuzz/libfuzzer",
            "-s",
            "none",
        ])
        .arg(name)
        .arg(&corpus)
        .arg(root.join("fuzz/corpus").join(name))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .output()
        .map_err(|e| format!("cargo fuzz: {e}"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "fuzz target {name} failed (its input is in {}):\n{}",
            artifacts.display(),
            tail.join("\n")
        ));
    }
    executed_units(&log).ok_or_else(|| format!("{name}: libFuzzer printed no final stats"))
}

/// libFuzzer's `stat::number_of_executed_units: N`.
fn executed_units(log: &str) -> Option<u64> {
    log.lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
}

/// One target under the stable engine for `seconds`; its executions.
fn stable(name: &str, seconds: u64) -> Result<u64> {
    let out = shell::output(
        command("cargo")
            .args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "fuzz",
                "--bin",
                "fuzz-smoke",
                "--",
            ])
            .args([name, &seconds.to_string()]),
    )
    .ok_or_else(|| format!("fuzz target {name} failed (its panic is above)"))?;
    out.lines()
        .find_map(|l| l.strip_prefix("executions "))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("{name}: fuzz-smoke printed no count"))
}

fn ensure_cargo_fuzz() -> Result {
    let version = shell::output(command("cargo").args(["fuzz", "--version"]));
    if version.is_some_and(|v| v.split_whitespace().nth(1) == Some(CARGO_FUZZ_VERSION)) {
        return Ok(());
    }
    println!(
        "xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION} (takes a few minutes the first time)"
    );
    run(command("cargo").args([
        "install",
        "--locked",
        "--force",
        &format!("cargo-fuzz@{CARGO_FUZZ_VERSION}"),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_a_target_and_a_time() {
        let args = |a: &[&str]| parse_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(args(&[]), Ok((None, 60)));
        assert_eq!(args(&["code", "--time", "5"]), Ok((Some("code".into()), 5)));
        assert_eq!(args(&["--time", "5", "code"]), Ok((Some("code".into()), 5)));
        assert!(args(&["--time", "0"]).is_err());
        assert!(args(&["--time"]).is_err());
        assert!(args(&["code", "policy"]).is_err());
    }

    #[test]
    fn the_executions_are_read_from_libfuzzers_final_stats() {
        let log = "#200000\tDONE   cov: 34 ft: 66\nDone 200000 runs in 0 second(s)\n\
                   stat::number_of_executed_units: 200000\nstat::average_exec_per_sec:     0\n";
        assert_eq!(executed_units(log), Some(200_000));
        assert_eq!(executed_units("Done 5 runs"), None);
    }

    #[test]
    fn every_target_is_listed_once() {
        let names = targets().unwrap();
        assert!(names.len() >= 8, "{names:?}");
        assert!(names.iter().any(|n| n == "json_body"));
    }
}
