//! `cargo xtask` — the commands a person runs on this project:
//!
//! - `cargo xtask run` installs the missing tools, builds the release app and server, seeds the
//!   demo account on first start and serves everything on one origin;
//! - `cargo xtask test` runs every check CI runs (see `tasks.rs`), and last searches every
//!   log and artifact of the run for its secrets (see `leaks.rs`);
//! - `cargo xtask dev` runs `trunk serve` beside a backend, for work on the UI;
//! - `cargo xtask size` builds the release app and prints what a first visit downloads (the
//!   step of `test` that checks the budget), for work on the app's size;
//! - `cargo xtask mutants` runs mutation testing over the rules (see `mutants.rs`);
//! - `cargo xtask fuzz` runs the fuzz targets of `fuzz/` (see `fuzz.rs`);
//! - `cargo xtask bench` measures the scan, the resync endpoint under load and the app on slow
//!   4G, and prints one table (see `bench.rs`).
//!
//! The standard library, the `brotli` and `zopfli` crates for the app's compressed copies
//! (pure Rust: a fresh machine needs no compression tool), and `aho-corasick` for the secrets
//! scan (every secret of a run searched in one pass over each file).

mod bench;
mod frontend;
mod fuzz;
mod http_get;
mod leaks;
mod mutants;
mod postgres;
mod precompress;
mod server;
mod shell;
mod tasks;
mod tools;
mod transfer;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <run|test|dev|mutants|fuzz|size|leaks|bench> [options]

  run  [--addr HOST:PORT] [--db PATH]   build everything and serve it (default 127.0.0.1:8080)
  test                                  format, lints, native, wasm and browser tests
  dev                                   trunk serve on 127.0.0.1:8081 with a backend on :8080
  mutants [--file GLOB]… [--in-diff F]  cargo-mutants over the engine, policy, throttle, sessions,
    [--re REGEX]… [--whole-suite]       SigV4 (the backend's unit tests; --whole-suite: all of
                                        its tests); caught / missed per file
  fuzz [TARGET] [--time S]              the fuzz targets, S seconds each (60): libFuzzer on
                                        nightly, else the stable smoke engine
  size                                  release app build, then the bytes a first visit downloads
  leaks                                 the last test run's logs and artifacts searched again for
                                        the secrets in its ledger (the last step of `test`)
  bench [--seconds S]                   the scan, resyncs/s at 1 and 8 clients (S seconds each),
                                        the first visit's bytes, slow 4G: one table";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => tasks::run(&args[1..]),
        Some("test") => tasks::test(),
        Some("dev") => tasks::dev(),
        Some("mutants") => mutants::mutants(&args[1..]),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        Some("size") => tasks::size(),
        Some("leaks") => leaks::check(&mut Vec::new()),
        Some("bench") => bench::bench(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}
