//! The three commands. `test` runs every check CI runs, in order, and ends with a summary.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::frontend;
use crate::leaks;
use crate::server::Server;
use crate::shell::{self, Result, command, run as run_command};
use crate::tools;
use crate::transfer::{self, FirstVisit};

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// `cargo xtask run [--addr A] [--db PATH]`: tools, release builds, demo seed on first start, serve.
pub fn run(args: &[String]) -> Result {
    let addr = flag(args, "--addr")?
        .or_else(|| std::env::var("MFA_RESYNC_ADDR").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let db = flag(args, "--db")?
        .or_else(|| std::env::var("MFA_RESYNC_DB").ok())
        .map(PathBuf::from)
        .unwrap_or_else(|| shell::root().join("data/mfa-resync.sqlite"));
    tools::ensure_build_tools()?;
    frontend::build_release()?;
    run_command(command("cargo").args([
        "build",
        "--release",
        "-p",
        "backend",
        "--bin",
        "mfa-resync",
    ]))?;
    let binary = shell::root().join("target/release/mfa-resync");
    seed_demo_on_first_start(&binary, &db)?;
    Server::start(
        &binary,
        &db,
        &addr,
        Some(&shell::root().join("dist")),
        &[],
        None,
    )?
    .wait()
}

/// `cargo xtask dev`: a debug backend on :8080 and `trunk serve` on :8081 proxying `/api/` to it.
pub fn dev() -> Result {
    tools::ensure_build_tools()?;
    run_command(command("cargo").args(["build", "-p", "backend", "--bin", "mfa-resync"]))?;
    let binary = shell::root().join("target/debug/mfa-resync");
    let db = shell::root().join("data/mfa-resync.sqlite");
    seed_demo_on_first_start(&binary, &db)?;
    // The browser talks to Trunk's origin, which proxies `/api/` here: allow that origin.
    let trunk_origin = [("MFA_RESYNC_ALLOW_ORIGIN", "http://127.0.0.1:8081")];
    let _server = Server::start(&binary, &db, DEFAULT_ADDR, None, &trunk_origin, None)?;
    println!("xtask: the app is at http://127.0.0.1:8081/ (rebuilt on every change)");
    run_command(command("trunk").arg("serve"))
}

/// `cargo xtask size`: the release app and the debug server built, then what a first visit
/// downloads, checked against the budget as `test` does.
pub fn size() -> Result {
    tools::ensure_build_tools()?;
    frontend::build_release()?;
    run_command(command("cargo").args(["build", "-p", "backend", "--bin", "mfa-resync"]))?;
    first_visit_within_budget(&mut Vec::new())
}

/// `cargo xtask test`: everything, with a summary; non-zero exit on any failure.
pub fn test() -> Result {
    let mut report = Report::default();
    let mut facts = Vec::new();
    // Every harness of the run writes the secrets it makes or receives to the ledger, and the
    // Rust harness keeps its servers' logs, for the secrets scan at the end (`leaks.rs`).
    leaks::clear()?;
    // SAFETY: nothing else runs yet: xtask has started no thread.
    unsafe {
        std::env::set_var(
            "MFA_RESYNC_SECRET_LEDGER",
            shell::root().join(leaks::LEDGER),
        );
        std::env::set_var("MFA_RESYNC_KEEP_LOGS", shell::root().join(leaks::KEPT_LOGS));
    }
    let tools_ok = report.step("tools installed", || {
        tools::ensure_build_tools()?;
        tools::ensure_chromium()?;
        crate::postgres::ensure_postgresql()?;
        tools::ensure_aws_venv()
    });
    if !tools_ok {
        return report.finish();
    }
    report.step("format (cargo fmt --check)", || {
        run_command(command("cargo").args(["fmt", "--all", "--", "--check"]))
    });
    report.step("clippy, native, warnings denied", || {
        run_command(command("cargo").args([
            "clippy",
            "--locked",
            "--workspace",
            "--exclude",
            "frontend",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    report.step("clippy, wasm32, warnings denied", || {
        run_command(command("cargo").args([
            "clippy",
            "--locked",
            "-p",
            "shared",
            "-p",
            "frontend",
            "--all-targets",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    });
    report.step("native tests (shared, backend, xtask)", || {
        let mut test = command("cargo");
        test.args([
            "test",
            "--locked",
            "--workspace",
            "--exclude",
            "frontend",
            "--",
        ]);
        for name in crate::postgres::POSTGRES_ONLY {
            test.args(["--skip", name]);
        }
        run_command(&mut test)
    });
    report.step(
        "backend black-box tests on PostgreSQL",
        crate::postgres::black_box_tests,
    );
    report.step("wasm tests in headless Chromium (shared, frontend)", || {
        run_command(
            command("cargo")
                .args(["test", "--locked", "-p", "shared", "-p", "frontend"])
                .args(["--target", "wasm32-unknown-unknown"])
                .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
        )
    });
    let app_built = report.step(
        "release app (trunk build --release)",
        frontend::build_release,
    );
    let server_built = report.step("backend binary", || {
        run_command(command("cargo").args([
            "build",
            "--locked",
            "-p",
            "backend",
            "--bin",
            "mfa-resync",
        ]))
    });
    if app_built && server_built {
        report.step(
            "release app: bytes sent for a first visit, within its budget",
            || first_visit_within_budget(&mut facts),
        );
        report.facts.append(&mut facts);
        let slow_4g = shell::root().join("test-artifacts/slow-4g.txt");
        let _ = std::fs::remove_file(&slow_4g);
        report.step(
            "browser tests (Playwright, headless Chromium) and AWS CLI/boto3 tests (pytest)",
            end_to_end,
        );
        // Written by end2end/tests/slow-4g.spec.ts: its timings are reported, never asserted.
        if let Ok(line) = std::fs::read_to_string(&slow_4g) {
            report.facts.push(line.trim_end().to_owned());
        }
        report.step(
            "browser tests and AWS CLI/boto3 tests on PostgreSQL",
            end_to_end_on_postgres,
        );
    }
    report.step(
        "secrets never leak: every log and artifact searched for every secret of the run",
        || leaks::check(&mut facts),
    );
    report.facts.append(&mut facts);
    if let Some(used) = disk_used(&shell::root().join("target")) {
        report.facts.push(format!(
            "target/ holds {:.1} GB (CI's disk is small: keep an eye on it)",
            used as f64 / 1e9
        ));
    }
    report.finish()
}

/// The built server on the built app, with a fresh database: what a first visit downloads
/// with a browser's `Accept-Encoding` (checked: all brotli, within the budget) and, printed
/// beside it, with gzip only.
fn first_visit_within_budget(facts: &mut Vec<String>) -> Result {
    let (browser, gzip) = first_visits()?;
    for sent in &browser.files {
        println!(
            "xtask: {} {} bytes {}",
            sent.path,
            sent.bytes,
            sent.encoding.as_deref().unwrap_or("identity")
        );
    }
    let fact = format!(
        "first visit sends {browser} for `Accept-Encoding: {}` (budget {} KB); {gzip} for `gzip` only (budget {} KB)",
        transfer::BROWSER,
        transfer::BUDGET_BYTES / 1000,
        transfer::GZIP_BUDGET_BYTES / 1000
    );
    println!("xtask: {fact}");
    facts.push(fact);
    browser.check()?;
    gzip.check()
}

/// The built server (debug) on the built app (`dist/`), with a fresh database: a first visit
/// with a browser's `Accept-Encoding`, and one with gzip only.
pub(crate) fn first_visits() -> Result<(FirstVisit, FirstVisit)> {
    in_temp_dir("size", |dir| {
        let server = Server::start(
            &shell::root().join("target/debug/mfa-resync"),
            dir.join("size.sqlite"),
            "127.0.0.1:0",
            Some(&shell::root().join("dist")),
            &[],
            Some(&dir.join("server.log")),
        )?;
        let browser = FirstVisit::measure(&server.url, transfer::BROWSER)?;
        let gzip = FirstVisit::measure(&server.url, transfer::GZIP_ONLY)?;
        Ok((browser, gzip))
    })
}

/// The slow-4G Playwright spec alone (`cargo xtask bench`) against the built server and app on
/// a fresh demo database; it writes `test-artifacts/slow-4g.json`.
pub(crate) fn slow_4g() -> Result {
    in_temp_dir("slow-4g", |dir| {
        end_to_end_on(
            dir,
            dir.join("slow-4g.sqlite").as_os_str(),
            Store::Sqlite,
            &[],
            Some("slow 4G"),
        )
    })
}

/// Bytes under `dir` as `du` counts them (blocks in use), if `du` runs.
fn disk_used(dir: &Path) -> Option<u64> {
    let out = shell::output(command("du").args(["-s", "-B1"]).arg(dir))?;
    out.split_whitespace().next()?.parse().ok()
}

/// A real backend on a free loopback port with a fresh SQLite database; Playwright, then the AWS
/// CLI and boto3 (pytest), against it.
fn end_to_end() -> Result {
    in_temp_dir("e2e", |dir| {
        end_to_end_on(
            dir,
            dir.join("e2e.sqlite").as_os_str(),
            Store::Sqlite,
            &[],
            None,
        )
    })
}

/// The same on PostgreSQL (issue 12): a fresh database in a throwaway cluster; every Playwright
/// spec but the slow-4G timing (measured once, on SQLite), and the AWS CLI/boto3 tests. The
/// seed key is given, as every server on PostgreSQL needs (a random one, for this run only).
fn end_to_end_on_postgres() -> Result {
    let url = crate::postgres::fresh_database()?;
    let key = random_key()?;
    in_temp_dir("e2e-pg", |dir| {
        end_to_end_on(
            dir,
            std::ffi::OsStr::new(&url),
            Store::Postgres,
            &[("MFA_RESYNC_KEY", &key)],
            None,
        )
    })
}

/// 32 random bytes from the kernel, in hex: a seed-encryption key (`MFA_RESYNC_KEY`).
fn random_key() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Which engine an end-to-end run uses.
#[derive(Clone, Copy, PartialEq)]
enum Store {
    Sqlite,
    Postgres,
}

/// Runs `body` in a fresh folder of the temporary directory, removed afterwards.
fn in_temp_dir<T>(name: &str, body: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let dir = std::env::temp_dir().join(format!("mfa-resync-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = body(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Playwright and pytest against a server on `db` (a SQLite path or a PostgreSQL URL), seeded
/// with the demo account; `dir` holds the demo's answer; `env` goes to every `mfa-resync`.
/// `only`: just the Playwright tests whose title matches it, no pytest.
fn end_to_end_on(
    dir: &Path,
    db: &std::ffi::OsStr,
    store: Store,
    env: &[(&str, &str)],
    only: Option<&str>,
) -> Result {
    let binary = shell::root().join("target/debug/mfa-resync");
    let demo = shell::output(
        command(binary.to_str().expect("UTF-8 path"))
            .envs(env.iter().copied())
            .arg("--db")
            .arg(db)
            .args(["demo", "--json"]),
    )
    .ok_or("`mfa-resync demo --json` failed")?;
    let demo_file = dir.join("demo.json");
    std::fs::write(&demo_file, demo).map_err(|e| format!("{}: {e}", demo_file.display()))?;
    let artifacts = shell::root().join("test-artifacts");
    std::fs::create_dir_all(&artifacts).map_err(|e| format!("{}: {e}", artifacts.display()))?;
    let suffix = match store {
        Store::Sqlite => "",
        Store::Postgres => "-postgres",
    };
    let server = Server::start(
        &binary,
        db,
        "127.0.0.1:0",
        Some(&shell::root().join("dist")),
        env,
        Some(&artifacts.join(format!("e2e-server{suffix}.log"))),
    )?;
    let mut playwright = command("npx");
    playwright
        .args([
            "playwright",
            "test",
            "--config",
            "end2end/playwright.config.ts",
        ])
        .arg(format!("--output=test-artifacts/playwright{suffix}"))
        .env("MFA_RESYNC_URL", &server.url)
        .env("MFA_RESYNC_DEMO", &demo_file);
    if store == Store::Postgres {
        playwright.arg("--grep-invert=slow 4G");
    }
    if let Some(title) = only {
        playwright.arg(format!("--grep={title}"));
        return shell::run_reporting_failures(
            &mut playwright,
            &artifacts.join(format!("playwright{suffix}.out")),
        );
    }
    let playwright = shell::run_reporting_failures(
        &mut playwright,
        &artifacts.join(format!("playwright{suffix}.out")),
    );
    let aws = shell::run_reporting_failures(
        command(tools::AWS_VENV_PYTHON)
            .args([
                "-m",
                "pytest",
                "end2end/aws",
                "-q",
                "-p",
                "no:cacheprovider",
            ])
            .env(
                "PATH",
                format!("{}:{}", tools::aws_venv_bin().display(), shell::tool_path()),
            )
            .env("MFA_RESYNC_URL", &server.url)
            .env("MFA_RESYNC_DEMO", &demo_file)
            .env("MFA_RESYNC_BIN", &binary)
            .env("MFA_RESYNC_DB", db)
            .envs(env.iter().copied()),
        &artifacts.join(format!("pytest{suffix}.out")),
    );
    playwright.and(aws)
}

fn seed_demo_on_first_start(binary: &Path, db: &Path) -> Result {
    if db.exists() {
        return Ok(());
    }
    println!(
        "xtask: first start: seeding the demo account into {}",
        db.display()
    );
    run_command(
        command(binary.to_str().expect("UTF-8 path"))
            .arg("--db")
            .arg(db)
            .arg("demo"),
    )
}

/// The value after `name` in `args`, if present.
fn flag(args: &[String], name: &str) -> Result<Option<String>> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .cloned()
            .map(Some)
            .ok_or(format!("{name} needs a value")),
    }
}

/// What ran, how long it took and whether it passed.
#[derive(Default)]
struct Report {
    steps: Vec<(String, Duration, std::result::Result<(), String>)>,
    facts: Vec<String>,
}

impl Report {
    /// Runs one step, prints its heading, records the outcome; true when it passed.
    fn step(&mut self, name: &str, body: impl FnOnce() -> Result) -> bool {
        println!("\n==> {name}");
        let started = Instant::now();
        let outcome = body();
        let passed = outcome.is_ok();
        self.steps
            .push((name.to_owned(), started.elapsed(), outcome));
        passed
    }

    fn finish(self) -> Result {
        println!("\n==> summary");
        for (name, took, outcome) in &self.steps {
            let mark = if outcome.is_ok() { "ok    " } else { "FAILED" };
            println!("{mark} {name} ({:.0} s)", took.as_secs_f64());
            if let Err(e) = outcome {
                println!("       {e}");
            }
        }
        for fact in &self.facts {
            println!("{fact}");
        }
        let failed = self.steps.iter().filter(|(_, _, o)| o.is_err()).count();
        println!(
            "xtask steps: {} passed, {failed} failed",
            self.steps.len() - failed
        );
        if failed == 0 {
            Ok(())
        } else {
            Err(format!("{failed} step(s) failed"))
        }
    }
}
