//! `cargo run --release -p fuzz --bin fuzz-smoke -- TARGET SECONDS`: the stable engine's long
//! run (what `cargo xtask fuzz` runs where no nightly toolchain is installed). Not
//! coverage-guided: rounds of mutations of the committed corpus, each round a new seed, until
//! the time is up; prints `executions N` at the end. A failing property panics with its input's
//! target and round, exit code 101.

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(name), Some(seconds)) = (args.first(), args.get(1).and_then(|s| s.parse().ok()))
    else {
        eprintln!("usage: fuzz-smoke TARGET SECONDS");
        std::process::exit(2);
    };
    let Some(target) = fuzz::target(name) else {
        eprintln!("no fuzz target {name}");
        std::process::exit(2);
    };
    let corpus = fuzz::corpus(name).unwrap_or_else(|e| panic!("fuzz/corpus/{name}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut executions, mut round) = (0u64, 0u64);
    while Instant::now() < deadline {
        round += 1;
        executions += fuzz::smoke_seeded(target, &corpus, 10_000, round) as u64;
    }
    println!("executions {executions}");
}
