//! `cargo xtask bench [--seconds S]`: issue 13's figures in one table — the window scan
//! (criterion, `shared/benches/resync.rs`), the resync endpoint under load at 1 and 8 clients
//! (`backend/examples/load/`, on SQLite, 2,000 devices, S seconds each, 10 by default: requests/s,
//! p50/p99, the server's CPU per resync), what a first visit sends (brotli and gzip only), and
//! the sign-in form's first and repeat visit on emulated slow 4G (Playwright,
//! `end2end/tests/slow-4g.spec.ts`, median of 5 runs each).
//!
//! Timings are printed, never asserted: these machines are shared and noisy. Compare figures
//! measured side by side, in one sitting.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::frontend;
use crate::shell::{self, Result, command, run as run_command};
use crate::tasks;
use crate::tools;

/// The criterion benchmark the scan figure comes from, and the steps it scans (±24 h of
/// 30-second steps).
const SCAN_GROUP: &str = "resync";
const SCAN_FUNCTION: &str = "totp ±24h (5,761 steps)";
const SCAN_STEPS: f64 = 5_761.0;

/// Devices in the load driver's database.
const DEVICES: &str = "2000";

/// `cargo xtask bench`.
pub fn bench(args: &[String]) -> Result {
    let seconds = match args {
        [] => 10,
        [flag, s] if flag == "--seconds" => s.parse::<u64>().ok().filter(|s| *s > 0).ok_or(
            format!("--seconds takes a whole number of seconds, not {s:?}"),
        )?,
        _ => return Err("usage: cargo xtask bench [--seconds S]".into()),
    };
    let out = shell::root().join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    println!("\n==> the window scan (criterion)");
    run_command(command("cargo").args([
        "bench", "-p", "shared", "--bench", "resync", "--", "--noplot", "totp",
    ]))?;
    let scan_ns = criterion_median(&shell::root().join("target/criterion"))?;

    println!("\n==> the resync endpoint under load (SQLite, {DEVICES} devices)");
    let load_json = out.join("load.json");
    let _ = std::fs::remove_file(&load_json);
    run_command(
        command("cargo")
            .args([
                "run",
                "--release",
                "-p",
                "backend",
                "--example",
                "load",
                "--",
            ])
            .args([&seconds.to_string(), DEVICES, "--clients", "1,8", "--json"])
            .arg(&load_json),
    )?;
    let runs = read_json(&load_json)?;

    println!("\n==> the app: a first visit's bytes, and slow 4G");
    tools::ensure_build_tools()?;
    tools::ensure_chromium()?;
    frontend::build_release()?;
    run_command(command("cargo").args(["build", "-p", "backend", "--bin", "mfa-resync"]))?;
    let (browser, gzip) = tasks::first_visits()?;
    let slow_json = shell::root().join("test-artifacts/slow-4g.json");
    let _ = std::fs::remove_file(&slow_json);
    tasks::slow_4g()?;
    let slow = read_json(&slow_json)?;

    let mut table = Table::default();
    table.row(
        "window scan, ±24 h (one core)",
        format!(
            "{:.1} M codes/s ({:.0} µs per scan)",
            SCAN_STEPS / scan_ns * 1e3,
            scan_ns / 1e3
        ),
    );
    for run in runs.as_array().ok_or("load.json: not a list")? {
        let n = |k: &str| run[k].as_f64().ok_or(format!("load.json: no {k}"));
        let clients = n("clients")?;
        let plural = if clients == 1.0 { "" } else { "s" };
        table.row(
            &format!("resyncs, {clients} client{plural}"),
            format!(
                "{:.0}/s, p50 {:.2} ms, p99 {:.2} ms, server CPU {:.0} µs per resync, {} non-200",
                n("requests_per_s")?,
                n("p50_ms")?,
                n("p99_ms")?,
                n("server_cpu_us_per_resync")?,
                n("non_200")?
            ),
        );
    }
    table.row(
        "first visit sends",
        format!("{:.1} KB br; {:.1} KB gzip only", kb(&browser), kb(&gzip)),
    );
    let ms = |k: &str| {
        slow[k]["median"]
            .as_f64()
            .ok_or(format!("slow-4g.json: no {k}"))
    };
    table.row(
        "slow 4G, sign-in form usable (median of 5)",
        format!(
            "first visit {:.0} ms, repeat visit {:.0} ms (goals 1,200 / 400)",
            ms("firstVisitMs")?,
            ms("repeatVisitMs")?
        ),
    );
    println!("\n==> figures");
    table.print();
    Ok(())
}

/// A first visit's bytes in KB.
fn kb(visit: &crate::transfer::FirstVisit) -> f64 {
    visit.total() as f64 / 1000.0
}

/// The median time, in ns, of [`SCAN_FUNCTION`] in criterion's results under `root`.
fn criterion_median(root: &Path) -> Result<f64> {
    let group = root.join(SCAN_GROUP);
    let entries = std::fs::read_dir(&group).map_err(|e| format!("{}: {e}", group.display()))?;
    for entry in entries.flatten() {
        let dir: PathBuf = entry.path().join("new");
        let Ok(benchmark) = read_json(&dir.join("benchmark.json")) else {
            continue;
        };
        if benchmark["function_id"] == SCAN_FUNCTION {
            let estimates = read_json(&dir.join("estimates.json"))?;
            return estimates["median"]["point_estimate"]
                .as_f64()
                .ok_or_else(|| format!("{}: no median", dir.display()));
        }
    }
    Err(format!(
        "no criterion result for {SCAN_GROUP}/{SCAN_FUNCTION} under {}",
        group.display()
    ))
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Rows of what was measured, printed as a Markdown table (it goes into notes as it is).
#[derive(Default)]
struct Table {
    rows: Vec<(String, String)>,
}

impl Table {
    fn row(&mut self, what: &str, figure: String) {
        self.rows.push((what.to_owned(), figure));
    }

    fn print(&self) {
        println!("| what | figure |\n|---|---|");
        for (what, figure) in &self.rows {
            println!("| {what} | {figure} |");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The median is read from the result whose function id is the scan's, among others.
    #[test]
    fn the_scan_median_is_read_from_criterions_files() {
        let root = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (dir, id, median) in [
            ("codes only", "codes only (5,761 steps)", 1.0),
            ("totp", SCAN_FUNCTION, 189_000.5),
        ] {
            let new = root.join(SCAN_GROUP).join(dir).join("new");
            std::fs::create_dir_all(&new).unwrap();
            std::fs::write(
                new.join("benchmark.json"),
                format!("{{\"function_id\": {id:?}}}"),
            )
            .unwrap();
            std::fs::write(
                new.join("estimates.json"),
                format!("{{\"median\": {{\"point_estimate\": {median}}}}}"),
            )
            .unwrap();
        }
        assert_eq!(criterion_median(&root).unwrap(), 189_000.5);
        std::fs::remove_dir_all(root.join(SCAN_GROUP).join("totp")).unwrap();
        assert!(
            criterion_median(&root)
                .unwrap_err()
                .contains("no criterion result")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
