//! Load benchmark: `cargo run --release -p backend --example load [-- SECONDS DEVICES WINDOW]`.
//!
//! Starts the real `mfa-resync` binary (release) on a fresh SQLite file, prints its start-up time
//! and idle memory (VmRSS), imports many hardware TOTP devices for one IAM user with the
//! self-service policy, signs in with MFA, and drives `POST /api/iam/ResyncMFADevice` over HTTP
//! with 1 and then 8 concurrent clients for a fixed time each. Every request carries a fresh valid
//! pair (i, i+1) of a device, walking each device forward through the ±24 h window, so every
//! request does the full work: session, policy, a full window scan, the compare-and-set and the
//! audit row. Prints requests/s and p50/p99 latency. Traffic goes to 127.0.0.1 only.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::crypto::{Sealed, SeedCipher};
use backend::storage::{NewDevice, Storage, StoredState};
use serde_json::json;
use shared::code::Digits;
use shared::otp::{Totp, format_code};
use shared::secret::Secret;
use tokio::sync::Mutex;

const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const ACCOUNT: &str = "111122223333";

fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("mfa-resync");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "--release", "-p", "backend", "--bin", "mfa-resync"])
            .status()
            .unwrap();
        assert!(ok.success());
    }
    bin
}

fn run(bin: &Path, db: &Path, args: &[&str], stdin: &str) {
    let mut c = Command::new(bin)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("MFA_RESYNC_KEY", KEY_HEX)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    assert!(c.wait().unwrap().success(), "{args:?}");
}

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (user + system) used so far by process `pid` (`self` for this one).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // `rest` starts at field 3 (state); a tick is 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

fn now_step() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

struct Fleet {
    secrets: Vec<Secret>,
    /// The next first step to use per device.
    next: Vec<Mutex<u64>>,
}

fn code(secret: &Secret, step: u64) -> String {
    let totp = Totp::default();
    format_code(totp.code_for_step(secret, step), Digits::SIX)
}

async fn drive(
    base: &str,
    cookie: &str,
    fleet: Arc<Fleet>,
    clients: usize,
    seconds: u64,
    window: u64,
    server_pid: u32,
) {
    let http = reqwest::Client::new();
    let (client_cpu, server_cpu) = (cpu_seconds("self"), cpu_seconds(&server_pid.to_string()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, fleet) = (http.clone(), fleet.clone());
        let (base, cookie) = (base.to_owned(), cookie.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let n = fleet.secrets.len();
            let mut d = c * (n / clients.max(1));
            while Instant::now() < deadline {
                d = (d + 1) % n;
                let step = {
                    let mut next = fleet.next[d].lock().await;
                    let s = *next;
                    *next += 2;
                    s
                };
                if step + 1 > now_step() + window - 2 {
                    continue; // this device has walked to the window's edge
                }
                let body = json!({
                    "SerialNumber": format!("LOAD{d:08}"),
                    "AuthenticationCode1": code(&fleet.secrets[d], step),
                    "AuthenticationCode2": code(&fleet.secrets[d], step + 1),
                });
                let t = Instant::now();
                let res = http
                    .post(format!("{base}/api/iam/ResyncMFADevice"))
                    .header("content-type", "application/json")
                    .header("x-requested-with", "mfa-resync")
                    .header("cookie", &cookie)
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                let ok = res.status().as_u16() == 200;
                let _ = res.bytes().await;
                latencies.push(t.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let client_cpu = cpu_seconds("self") - client_cpu;
    let server_cpu = cpu_seconds(&server_pid.to_string()) - server_cpu;
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{clients} client(s): {} resyncs in {elapsed:.1} s = {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {errors} non-200",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
    println!(
        "  CPU: server {:.0}% of a core ({:.0} µs per resync), this client {:.0}% of a core",
        server_cpu / elapsed * 100.0,
        server_cpu / all.len().max(1) as f64 * 1e6,
        client_cpu / elapsed * 100.0,
    );
}

#[tokio::main]
async fn main() {
    // reqwest's rustls needs a crypto provider even for plain-HTTP clients: ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let devices: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    // The resync window in steps (default ±2880): a smaller one shows the cost around the scan.
    let window: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2880);
    let bin = binary();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("load.sqlite");

    run(
        &bin,
        &db,
        &[
            "account",
            "create",
            "--alias",
            "load",
            "--root-email",
            "root@load.example",
            "--account-id",
            ACCOUNT,
        ],
        "load-root-password\n",
    );
    run(
        &bin,
        &db,
        &[
            "user",
            "create",
            "--account",
            "load",
            "--user-name",
            "loader",
            "--policy",
            "self-service",
        ],
        "load-user-password\n",
    );

    // Many devices, inserted through the library (seeds encrypted with the server's key).
    let storage = Storage::open(&db).await.unwrap();
    let cipher = SeedCipher::load(Some(KEY_HEX), &dir.path().join("unused.key")).unwrap();
    let owner = storage.find_user(ACCOUNT, "loader").await.unwrap().unwrap();
    let start_step = now_step() - (window - window / 100 - 1);
    let mut secrets = Vec::new();
    for d in 0..devices {
        let bytes = backend::crypto::random_bytes(20).unwrap();
        let serial = format!("LOAD{d:08}");
        let what = Sealed::DeviceSeed {
            account_id: ACCOUNT,
            serial_number: &serial,
        };
        let sealed = cipher.encrypt(what, &bytes).unwrap();
        storage
            .insert_device(NewDevice {
                account_id: ACCOUNT,
                serial_number: &serial,
                kind: "hardware-totp",
                owner_id: Some(owner.id),
                seed: Some(&sealed),
                digits: 6,
                period: 30,
                state: StoredState {
                    drift_steps: 0,
                    last_used_step: -1,
                    hotp_counter: 0,
                },
                enabled_at: Some(0),
                now_ms: 0,
            })
            .await
            .unwrap();
        secrets.push(Secret::from_bytes(bytes).unwrap());
    }
    storage.close().await;

    // Start the server: start-up time to the ready line, idle memory.
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let t = Instant::now();
    let mut child: Child = Command::new(&bin)
        .arg("--db")
        .arg(&db)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--resync-window",
            &window.to_string(),
        ])
        .env("MFA_RESYNC_KEY", KEY_HEX)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let startup = t.elapsed();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await; // let it settle before measuring idle
    println!("resync window: ±{window} steps");
    println!(
        "start-up to ready line: {:.0} ms; idle VmRSS: {} KiB ({} devices in the database)",
        startup.as_secs_f64() * 1000.0,
        vm_rss_kib(child.id()),
        devices
    );

    // Sign in with MFA (device 0's current code, then walk it past that step).
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value, cookie: Option<String>| {
        let mut r = http
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .header("x-requested-with", "mfa-resync")
            .body(body.to_string());
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send()
    };
    let res = post(
        "/api/sign-in",
        json!({"Account": "load", "UserName": "loader", "Password": "load-user-password"}),
        None,
    )
    .await
    .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let step = now_step();
    let res = post(
        "/api/sign-in/mfa",
        json!({"SerialNumber": "LOAD00000000", "AuthenticationCode": code(&secrets[0], step)}),
        Some(cookie),
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let mut next: Vec<Mutex<u64>> = (0..devices).map(|_| Mutex::new(start_step)).collect();
    next[0] = Mutex::new(step + 1);
    let fleet = Arc::new(Fleet { secrets, next });
    for clients in [1, 8] {
        drive(
            &base,
            &cookie,
            fleet.clone(),
            clients,
            seconds,
            window,
            child.id(),
        )
        .await;
    }
    println!("VmRSS after load: {} KiB", vm_rss_kib(child.id()));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
