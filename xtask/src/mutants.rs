//! `cargo xtask mutants [--file GLOB]… [--in-diff DIFF] [--re REGEX]… [--whole-suite]`: mutation
//! testing with cargo-mutants over the code that decides who gets in — the engine (`shared`),
//! the IAM policy evaluator, the throttle, the session rules and the SigV4 checks — and one
//! table of caught / missed / unviable / timeouts per file.
//!
//! cargo-mutants (pinned, installed from crates.io like the other tools) copies the tree, breaks
//! one function at a time and runs the package's tests; a mutant no test notices is *missed*.
//! Mutants that cannot change behaviour are excluded in `.cargo/mutants.toml`, each with the
//! reason, never silently.
//!
//! In `backend` only the library's unit tests build and run for each mutant (`cargo test
//! --lib`: a few seconds per mutant, where the whole suite — every black-box test binary
//! relinked, real servers started — takes minutes); the rules measured here are unit-tested
//! where they live. `--whole-suite` runs every backend test instead, to confirm that a mutant
//! the unit tests miss is caught by a black-box test; `--re` picks mutants by name (as
//! `cargo mutants --list` prints them). The build folder is kept in `target/mutants/build`
//! between runs, so dependencies are compiled once, not once per run.
//!
//! It is a documented command, not a CI step (the whole scope takes about an hour on two
//! cores); `--in-diff` narrows it to the lines a change touched.

use std::collections::BTreeMap;
use std::path::Path;

use crate::shell::{self, Result, command, run};

/// cargo-mutants' version, pinned: its output files and flags are read here.
const CARGO_MUTANTS_VERSION: &str = "27.1.0";

/// A package and the files of it that are mutated.
struct Scope {
    package: &'static str,
    files: &'static [&'static str],
    /// Cargo arguments that pick the tests run for each mutant (none: all of the package's).
    unit_tests: &'static [&'static str],
}

/// What is measured by default: every rule that decides a code, a policy, a throttle, a session
/// or a signature.
const SCOPES: &[Scope] = &[
    Scope {
        package: "shared",
        files: &["shared/src/**/*.rs"],
        unit_tests: &[],
    },
    Scope {
        package: "backend",
        files: &[
            "backend/src/policy/**/*.rs",
            "backend/src/throttle.rs",
            "backend/src/session.rs",
            "backend/src/http/query/sigv4.rs",
        ],
        // The library's unit tests: the black-box tests would relink a dozen binaries and
        // start servers for every mutant.
        unit_tests: &["--lib"],
    },
];

/// The outcomes cargo-mutants lists, one file each in its output folder.
const OUTCOMES: [&str; 4] = ["caught", "missed", "unviable", "timeout"];

/// What `cargo xtask mutants` was asked for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    /// `--file`: globs from the workspace root; none means every scope's files.
    globs: Vec<String>,
    /// `--in-diff`: only mutants on lines this diff touches.
    in_diff: Option<String>,
    /// `--re`: only mutants whose names match one of these.
    names: Vec<String>,
    /// `--whole-suite`: every test of the package, not only its unit tests.
    whole_suite: bool,
}

/// Runs cargo-mutants over each scope (or over the `--file` globs given, in the package that
/// holds them) and prints the table.
pub fn mutants(args: &[String]) -> Result {
    ensure_cargo_mutants()?;
    let Options {
        globs,
        in_diff,
        names,
        whole_suite,
    } = parse(args)?;
    let mut table: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    let mut failed = Vec::new();
    for scope in SCOPES {
        let files: Vec<&str> = if globs.is_empty() {
            scope.files.to_vec()
        } else {
            globs
                .iter()
                .map(String::as_str)
                .filter(|g| g.starts_with(&format!("{}/", scope.package)))
                .collect()
        };
        if files.is_empty() {
            continue;
        }
        let out = shell::root().join("target/mutants").join(scope.package);
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let mut cargo = command("cargo");
        cargo
            .args(["mutants", "--package", scope.package, "--output"])
            .arg(&out)
            .args(["--jobs", "1", "--no-shuffle"])
            // cargo-mutants copies the sources without `target/`; a build folder of its own,
            // kept between runs, spares compiling every dependency again each time.
            .env(
                "CARGO_TARGET_DIR",
                shell::root().join("target/mutants/build"),
            );
        for file in &files {
            cargo.args(["--file", file]);
        }
        if let Some(diff) = &in_diff {
            cargo.args(["--in-diff", diff]);
        }
        for name in &names {
            cargo.args(["--re", name]);
        }
        if !whole_suite {
            // Given to cargo's build and test alike, so only those tests are built.
            for arg in scope.unit_tests {
                cargo.arg(format!("--cargo-arg={arg}"));
            }
        }
        // cargo-mutants exits non-zero when a mutant is missed: that is a finding, read below.
        if let Err(e) = run(&mut cargo) {
            failed.push(e);
        }
        count(&out.join("mutants.out"), &mut table)?;
    }
    print!("{}", render(&table));
    let missed: usize = table.values().map(|c| c[1]).sum();
    if missed == 0 && failed.is_empty() {
        Ok(())
    } else if missed > 0 {
        Err(format!("{missed} mutant(s) missed: see the table above"))
    } else {
        Err(failed.join("; "))
    }
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = || format!("{arg} needs a value");
        match arg.as_str() {
            "--file" => options.globs.push(args.next().ok_or_else(value)?.clone()),
            "--in-diff" => options.in_diff = Some(args.next().ok_or_else(value)?.clone()),
            "--re" => options.names.push(args.next().ok_or_else(value)?.clone()),
            "--whole-suite" => options.whole_suite = true,
            other => {
                return Err(format!(
                    "unknown option {other} (--file GLOB, --in-diff DIFF, --re REGEX, --whole-suite)"
                ));
            }
        }
    }
    for glob in &options.globs {
        if !SCOPES
            .iter()
            .any(|s| glob.starts_with(&format!("{}/", s.package)))
        {
            return Err(format!(
                "--file {glob}: give the path from the workspace root (shared/… or backend/…)"
            ));
        }
    }
    Ok(options)
}

/// Adds the outcomes in `dir` (`caught.txt`, …: one mutant a line, `path:line:col: what`) to
/// the table, by file.
fn count(dir: &Path, table: &mut BTreeMap<String, [usize; 4]>) -> Result {
    for (slot, outcome) in OUTCOMES.iter().enumerate() {
        let path = dir.join(format!("{outcome}.txt"));
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        tally(&text, slot, table);
    }
    Ok(())
}

fn tally(text: &str, slot: usize, table: &mut BTreeMap<String, [usize; 4]>) {
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let file = line.split(':').next().unwrap_or(line).to_owned();
        table.entry(file).or_default()[slot] += 1;
    }
}

/// The table: a line per file, then the total and the share of viable mutants caught.
fn render(table: &BTreeMap<String, [usize; 4]>) -> String {
    let width = table.keys().map(String::len).max().unwrap_or(4).max(5);
    let mut out = format!(
        "{:width$}  caught  missed  unviable  timeouts  caught of viable\n",
        "file"
    );
    let mut total = [0usize; 4];
    let line = |name: &str, c: &[usize; 4]| {
        // Viable mutants build; a timeout is counted as caught by cargo-mutants' own rule
        // (the test run did not pass).
        let viable = c[0] + c[1] + c[3];
        let share = if viable == 0 {
            "—".to_owned()
        } else {
            format!("{:.1} %", 100.0 * (c[0] + c[3]) as f64 / viable as f64)
        };
        format!(
            "{name:width$}  {:>6}  {:>6}  {:>8}  {:>8}  {share:>16}\n",
            c[0], c[1], c[2], c[3]
        )
    };
    for (file, counts) in table {
        out.push_str(&line(file, counts));
        for (t, c) in total.iter_mut().zip(counts) {
            *t += c;
        }
    }
    out.push_str(&line("total", &total));
    out
}

fn ensure_cargo_mutants() -> Result {
    let version = shell::output(command("cargo").args(["mutants", "--version"]));
    if version.is_some_and(|v| v.split_whitespace().nth(1) == Some(CARGO_MUTANTS_VERSION)) {
        return Ok(());
    }
    println!(
        "xtask: installing cargo-mutants {CARGO_MUTANTS_VERSION} (takes a few minutes the first time)"
    );
    run(command("cargo").args([
        "install",
        "--locked",
        "--force",
        &format!("cargo-mutants@{CARGO_MUTANTS_VERSION}"),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_counted_by_file_and_timeouts_count_as_caught() {
        let mut table = BTreeMap::new();
        tally(
            "shared/src/verify.rs:87:40: replace | with & in scan\n\
             shared/src/verify.rs:118:20: replace < with <= in verify_totp\n\
             shared/src/code.rs:117:9: replace Code::digits -> Digits with Default::default()\n",
            0,
            &mut table,
        );
        tally(
            "shared/src/verify.rs:161:17: replace - with / in verify_hotp\n",
            1,
            &mut table,
        );
        tally("shared/src/code.rs:1:1: x\n", 3, &mut table);
        assert_eq!(table["shared/src/verify.rs"], [2, 1, 0, 0]);
        assert_eq!(table["shared/src/code.rs"], [1, 0, 0, 1]);
        let shown = render(&table);
        assert!(shown.contains("66.7 %"), "{shown}");
        assert!(shown.contains("100.0 %"), "{shown}");
        assert!(
            shown.lines().last().unwrap().starts_with("total"),
            "{shown}"
        );
        assert!(shown.contains("  80.0 %"), "{shown}");
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn file_globs_must_name_their_package() {
        assert_eq!(
            parse(&args(&["--file", "shared/src/verify.rs"])),
            Ok(Options {
                globs: vec!["shared/src/verify.rs".to_owned()],
                ..Options::default()
            })
        );
        assert!(parse(&args(&["--file", "verify.rs"])).is_err());
        assert!(parse(&args(&["--file"])).is_err());
        assert!(parse(&args(&["--jobs", "2"])).is_err());
    }

    /// By default only the unit tests run; `--whole-suite` asks for every test, `--re` (any
    /// number of times) picks mutants by name.
    #[test]
    fn names_and_the_whole_suite_are_options() {
        assert_eq!(parse(&args(&[])), Ok(Options::default()));
        assert_eq!(
            parse(&args(&[
                "--re",
                "sigv4\\.rs:200",
                "--whole-suite",
                "--in-diff",
                "d.diff",
                "--re",
                "accept_once",
            ])),
            Ok(Options {
                globs: Vec::new(),
                in_diff: Some("d.diff".to_owned()),
                names: vec!["sigv4\\.rs:200".to_owned(), "accept_once".to_owned()],
                whole_suite: true,
            })
        );
        assert!(parse(&args(&["--re"])).is_err());
        assert!(parse(&args(&["--whole-suite=yes"])).is_err());
    }
}
