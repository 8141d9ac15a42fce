//! The timing test's long form (issue 14, security rules 10 and 11):
//! `cargo bench -p backend --bench timing -- [SAMPLES] [--pair a|b|c]`.
//!
//! Starts the real `mfa-resync` binary (release, on a fresh SQLite file; on PostgreSQL with
//! `MFA_RESYNC_TEST_STORE=postgres`) and, for each pair of request classes, sends SAMPLES
//! (5,000) requests of each class over HTTP on loopback in a random interleaving, timing each
//! from the request's first byte out to the answer's last byte in. Welch's t of the two
//! classes, raw and cropped at the pooled 90th percentile, is printed per pair with the
//! verdict against |t| < 4.5 (dudect's threshold); the exit status is 1 when a pair fails.
//!
//! (a) a throttled device: a wrong pair vs the right pair of now (both 429);
//! (b) wrong code 1 vs wrong code 2, the other code right (both 403);
//! (c) at sign-in, an unknown user vs a known user with a wrong password (both 401).
//!
//! Run it on a quiet machine: another busy process adds noise to both classes alike (the
//! interleaving sees to that), which lowers |t| rather than raising it, but a noisy run needs
//! more samples to see a small difference.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::ExitCode;

use common::timing::{Comparison, clock_seed, schedule};
use common::timing_pairs::*;
use common::*;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut samples = 5000;
    let mut pairs = vec!['a', 'b', 'c'];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            "--pair" => {
                pairs = args
                    .next()
                    .map(|p| p.chars().filter(|c| "abc".contains(*c)).collect())
                    .unwrap_or_default();
            }
            n => match n.parse() {
                Ok(n) if n >= 2 => samples = n,
                _ => {
                    eprintln!("usage: timing [SAMPLES ≥ 2] [--pair a|b|c|abc]");
                    return ExitCode::from(2);
                }
            },
        }
    }
    let server = Server::start();
    println!(
        "timing: {samples} samples per class, each pair interleaved at random, threshold |t| < {}",
        common::timing::THRESHOLD
    );
    let admin = admin_session(&server).await;
    let mut failed = 0;
    // (b) before (a): (a) leaves the device throttled for a day.
    for pair in ['b', 'a', 'c'].into_iter().filter(|p| pairs.contains(p)) {
        let order = schedule(samples, clock_seed());
        let (name, result): (&str, Comparison) = match pair {
            'a' => (
                "(a) throttled device, wrong pair vs right pair",
                throttled_wrong_or_right(&server, &admin, &order).await,
            ),
            'b' => (
                "(b) wrong code 1 vs wrong code 2",
                first_or_second_code_wrong(&server, &admin, &order).await,
            ),
            _ => (
                "(c) unknown user vs known user, wrong password",
                unknown_user_or_wrong_password(&server, &order).await,
            ),
        };
        println!("{}", result.summary(name));
        if !result.indistinguishable() {
            failed += 1;
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        println!("timing: {failed} pair(s) can be told apart");
        ExitCode::FAILURE
    }
}
