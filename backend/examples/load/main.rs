//! Load benchmark: `cargo run --release -p backend --example load -- [SECONDS [DEVICES
//! [WINDOW]]] [--db URL] [--servers N] [--clients 1,8] [--count] [--json PATH]`.
//!
//! Starts the real `mfa-resync` binary (release) — on a fresh SQLite file, or with `--db
//! postgres://…` on a PostgreSQL database (one host), which may be reused from an earlier run
//! (same devices, same seeds) — prints its start-up time and idle memory (VmRSS), seeds DEVICES
//! (2,000) hardware TOTP devices for one IAM user with the self-service policy in batched
//! multi-row inserts ([`Storage::insert_devices`], 1,000 rows a statement), signs in with MFA,
//! and drives `POST /api/iam/ResyncMFADevice` over HTTP with each number of concurrent
//! clients of `--clients` for SECONDS (10) each, spread over `--servers` servers (1) on the
//! database. Every request carries a fresh valid pair (i, i+1) of a device, walking each device
//! forward through the ±WINDOW (2880) window, so every request does the full work: session,
//! policy, a full window scan, the compare-and-set and the audit row. Prints requests/s, p50/p99
//! latency and the servers' CPU per resync. `--count` then runs one more server with sqlx's
//! statement log (and, on PostgreSQL, through a relay that counts the wire's round trips,
//! `wire.rs`) for 200 resyncs and prints statements and round trips per resync. `--json`
//! writes each run's figures to PATH (`cargo xtask bench` reads them). Traffic goes to
//! 127.0.0.1 only.

mod wire;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::crypto::{Sealed, SeedCipher};
use backend::storage::{Database, NewDevice, Storage, StoredState};
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::code::Digits;
use shared::otp::{Totp, format_code};
use shared::secret::Secret;
use tokio::sync::Mutex;

const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const ACCOUNT: &str = "111122223333";
/// Devices sealed and inserted per [`Storage::insert_devices`] call (one transaction).
const SEED_CHUNK: usize = 20_000;

/// The command line.
struct Options {
    seconds: u64,
    devices: usize,
    window: u64,
    /// `--db`: a PostgreSQL URL; a fresh SQLite file otherwise.
    db: Option<String>,
    servers: usize,
    clients: Vec<usize>,
    count: bool,
    /// `--json PATH`: the figures of each run, for `cargo xtask bench`.
    json: Option<PathBuf>,
}

impl Options {
    fn parse() -> Result<Options, String> {
        let mut o = Options {
            seconds: 10,
            devices: 2000,
            window: 2880,
            db: None,
            servers: 1,
            clients: vec![1, 8],
            count: false,
            json: None,
        };
        let mut positional = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--db" => o.db = Some(value("--db")?),
                "--json" => o.json = Some(value("--json")?.into()),
                "--servers" => {
                    o.servers = value("--servers")?
                        .parse()
                        .map_err(|e| format!("--servers: {e}"))?
                }
                "--clients" => {
                    o.clients = value("--clients")?
                        .split(',')
                        .map(|n| n.parse().map_err(|e| format!("--clients: {n}: {e}")))
                        .collect::<Result<_, _>>()?
                }
                "--count" => o.count = true,
                flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
                _ => positional.push(arg),
            }
        }
        let number = |i: usize, name: &str| -> Result<Option<u64>, String> {
            positional
                .get(i)
                .map(|v| v.parse().map_err(|e| format!("{name} {v:?}: {e}")))
                .transpose()
        };
        o.seconds = number(0, "SECONDS")?.unwrap_or(o.seconds);
        o.devices = number(1, "DEVICES")?.map_or(o.devices, |n| n as usize);
        o.window = number(2, "WINDOW")?.unwrap_or(o.window);
        if o.servers == 0 || o.clients.contains(&0) || o.devices < 2 {
            return Err("--servers and --clients must be at least 1, DEVICES at least 2".into());
        }
        if o.window < 200 {
            return Err("WINDOW must be at least 200 steps".into());
        }
        if let Some(url) = &o.db
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(format!("--db takes a postgres:// URL, not {url:?}"));
        }
        Ok(o)
    }
}

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

/// Runs a command of the binary on `db`; whether it succeeded.
fn run(bin: &Path, db: &str, args: &[&str], stdin: &str) -> bool {
    let mut c = Command::new(bin)
        .args(["--db", db])
        .args(args)
        .env("MFA_RESYNC_KEY", KEY_HEX)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    c.wait().unwrap().success()
}

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
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

fn serial(d: usize) -> String {
    format!("LOAD{d:08}")
}

/// Device `d`'s seed: derived from its serial number, so a database seeded by an earlier run
/// is driven again without storing the seeds anywhere else.
fn seed(d: usize) -> Vec<u8> {
    Sha256::digest(serial(d).as_bytes())[..20].to_vec()
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

/// One resync of device `d` with its next pair; its latency and whether it was a 200, or
/// `None` when the device has walked to the window's edge.
async fn resync_next(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    fleet: &Fleet,
    d: usize,
    window: u64,
) -> Option<(Duration, bool)> {
    let step = {
        let mut next = fleet.next[d].lock().await;
        let s = *next;
        *next += 2;
        s
    };
    if step + 1 > now_step() + window - 2 {
        return None;
    }
    let body = json!({
        "SerialNumber": serial(d),
        "AuthenticationCode1": code(&fleet.secrets[d], step),
        "AuthenticationCode2": code(&fleet.secrets[d], step + 1),
    });
    let t = Instant::now();
    let res = http
        .post(format!("{base}/api/iam/ResyncMFADevice"))
        .header("content-type", "application/json")
        .header("x-requested-with", "mfa-resync")
        .header("cookie", cookie)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let ok = res.status().as_u16() == 200;
    let _ = res.bytes().await;
    Some((t.elapsed(), ok))
}

/// One run's figures, as `--json` writes them.
#[derive(serde::Serialize)]
struct Figures {
    clients: usize,
    servers: usize,
    requests: usize,
    requests_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_200: u64,
    server_cpu_us_per_resync: f64,
}

async fn drive(
    servers: &[RunningServer],
    cookie: &str,
    fleet: Arc<Fleet>,
    clients: usize,
    o: &Options,
) -> Figures {
    let http = reqwest::Client::new();
    let server_cpu = || {
        servers
            .iter()
            .map(|s| cpu_seconds(&s.child.id().to_string()))
            .sum::<f64>()
    };
    let (client_cpu, server_cpu_before) = (cpu_seconds("self"), server_cpu());
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, fleet) = (http.clone(), fleet.clone());
        let (base, cookie) = (servers[c % servers.len()].base.clone(), cookie.to_owned());
        let window = o.window;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let n = fleet.secrets.len();
            let mut d = c * (n / clients.max(1));
            while Instant::now() < deadline {
                d = (d + 1) % n;
                if let Some((latency, ok)) =
                    resync_next(&http, &base, &cookie, &fleet, d, window).await
                {
                    latencies.push(latency);
                    errors += u64::from(!ok);
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
    let server_cpu = server_cpu() - server_cpu_before;
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    let figures = Figures {
        clients,
        servers: servers.len(),
        requests: all.len(),
        requests_per_s: all.len() as f64 / elapsed,
        p50_ms: pct(0.50).as_secs_f64() * 1000.0,
        p99_ms: pct(0.99).as_secs_f64() * 1000.0,
        non_200: errors,
        server_cpu_us_per_resync: server_cpu / all.len().max(1) as f64 * 1e6,
    };
    println!(
        "{clients} client(s), {} server(s): {} resyncs in {elapsed:.1} s = {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {errors} non-200",
        figures.servers, figures.requests, figures.requests_per_s, figures.p50_ms, figures.p99_ms,
    );
    println!(
        "  CPU: servers {:.0}% of a core ({:.0} µs per resync), this client {:.0}% of a core",
        server_cpu / elapsed * 100.0,
        figures.server_cpu_us_per_resync,
        client_cpu / elapsed * 100.0,
    );
    figures
}

/// A server started by this driver.
struct RunningServer {
    child: Child,
    base: String,
}

impl RunningServer {
    fn start(bin: &Path, db: &str, window: u64, log_path: &Path, rust_log: &str) -> RunningServer {
        let log = std::fs::File::create(log_path).unwrap();
        let mut child = Command::new(bin)
            .args(["--db", db])
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--resync-window",
                &window.to_string(),
            ])
            .env("MFA_RESYNC_KEY", KEY_HEX)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                panic!("no ready line: {line:?}; the server's log:\n{log}")
            })
            .to_owned();
        RunningServer { child, base }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The account, the user and the devices, unless an earlier run stored them; returns where
/// each device's walk starts (after every step an earlier run used).
async fn seed_database(bin: &Path, db: &str, o: &Options, key_dir: &Path) -> u64 {
    let account = [
        "account",
        "create",
        "--alias",
        "load",
        "--root-email",
        "root@load.example",
        "--account-id",
        ACCOUNT,
    ];
    if run(bin, db, &account, "load-root-password\n") {
        let user = [
            "user",
            "create",
            "--account",
            "load",
            "--user-name",
            "loader",
            "--policy",
            "self-service",
        ];
        assert!(run(bin, db, &user, "load-user-password\n"), "user create");
    }
    let database = Database::from_str(db).unwrap();
    let storage = Storage::connect(&database).await.unwrap();
    let cipher = SeedCipher::load(Some(KEY_HEX), &key_dir.join("unused.key")).unwrap();
    let owner = storage.find_user(ACCOUNT, "loader").await.unwrap().unwrap();
    // The devices an earlier run stored are LOAD00000000 up: find the first missing.
    let (mut lo, mut hi) = (0, o.devices);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match storage.device(ACCOUNT, &serial(mid)).await.unwrap() {
            Some(_) => lo = mid + 1,
            None => hi = mid,
        }
    }
    // A reused database (PostgreSQL): the walks go on after every step an earlier run burned
    // on any device but device 0, which signs in at now. (Read here, not through `Storage`:
    // the server has no use for it.)
    let mut last_used = -1;
    if lo > 0 && o.db.is_some() {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        let max: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(last_used_step) FROM mfa_devices \
             WHERE account_id = $1 AND serial_number <> $2",
        )
        .bind(ACCOUNT)
        .bind(serial(0))
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        last_used = max.unwrap_or(-1);
    }
    let t = Instant::now();
    for chunk in (lo..o.devices).collect::<Vec<_>>().chunks(SEED_CHUNK) {
        let serials: Vec<String> = chunk.iter().map(|&d| serial(d)).collect();
        let sealed: Vec<Vec<u8>> = chunk
            .iter()
            .zip(&serials)
            .map(|(&d, serial_number)| {
                let what = Sealed::DeviceSeed {
                    account_id: ACCOUNT,
                    serial_number,
                };
                cipher.encrypt(what, &seed(d)).unwrap()
            })
            .collect();
        let devices: Vec<NewDevice> = serials
            .iter()
            .zip(&sealed)
            .map(|(serial_number, seed)| NewDevice {
                account_id: ACCOUNT,
                serial_number,
                kind: "hardware-totp",
                owner_id: Some(owner.id),
                seed: Some(seed),
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
            .collect();
        storage.insert_devices(&devices).await.unwrap();
    }
    if lo < o.devices {
        let seeded = o.devices - lo;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "seeded {seeded} devices in {secs:.1} s ({:.0} devices/s; {lo} were there)",
            seeded as f64 / secs
        );
    }
    storage.close().await;
    let fresh = now_step() - (o.window - o.window / 100 - 1);
    fresh.max((last_used + 1) as u64)
}

/// Signs in with MFA on `base` with device 0 (its next pair's second code, walked past).
async fn sign_in(base: &str, fleet: &Fleet) -> String {
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
    let cookie_of = |res: &reqwest::Response| {
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let res = post(
        "/api/sign-in",
        json!({"Account": "load", "UserName": "loader", "Password": "load-user-password"}),
        None,
    )
    .await
    .unwrap();
    let cookie = cookie_of(&res);
    // A run within the same 30 s step as the last on this database finds the code used:
    // then the next step's code is waited for.
    let mut tries = 0;
    let res = loop {
        let step = now_step();
        let res = post(
            "/api/sign-in/mfa",
            json!({"SerialNumber": serial(0), "AuthenticationCode": code(&fleet.secrets[0], step)}),
            Some(cookie.clone()),
        )
        .await
        .unwrap();
        tries += 1;
        if res.status().as_u16() == 200 || tries == 2 {
            break res;
        }
        while now_step() == step {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    assert_eq!(res.status().as_u16(), 200, "MFA sign-in");
    cookie_of(&res)
}

/// Statements and round trips per resync: one more server, logging sqlx's statements (and on
/// PostgreSQL connected through the counting relay), driven by one client for 200 resyncs.
async fn count_per_resync(
    bin: &Path,
    db: &str,
    o: &Options,
    dir: &Path,
    fleet: Arc<Fleet>,
    cookie: &str,
) {
    let (db, wire) = match db.split_once("://") {
        Some((scheme, rest)) if o.db.is_some() => {
            let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let (user, host) = authority
                .rsplit_once('@')
                .map_or(("", authority), |(u, h)| (u, h));
            let upstream = if host.contains(':') {
                host.to_owned()
            } else {
                format!("{host}:5432")
            };
            let (port, wire) = wire::start(upstream).await;
            let at = if user.is_empty() {
                String::new()
            } else {
                format!("{user}@")
            };
            (format!("{scheme}://{at}127.0.0.1:{port}{tail}"), Some(wire))
        }
        _ => (db.to_owned(), None),
    };
    let log = dir.join("count.log");
    let server = RunningServer::start(bin, &db, o.window, &log, "warn,sqlx::query=debug");
    let http = reqwest::Client::new();
    let n = fleet.secrets.len();
    // Warm-up: the pool's connections and prepared statements.
    for d in 0..20 {
        resync_next(
            &http,
            &server.base,
            cookie,
            &fleet,
            (d * 7919 + 1) % n,
            o.window,
        )
        .await;
    }
    let lines = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("sqlx::query"))
            .count()
    };
    let (logged, on_wire) = (lines(), wire.as_ref().map(|w| w.counts()));
    let mut done = 0;
    for d in 0..200 {
        if let Some((_, true)) = resync_next(
            &http,
            &server.base,
            cookie,
            &fleet,
            (d * 104_729 + 3) % n,
            o.window,
        )
        .await
        {
            done += 1;
        }
    }
    let per = |x: u64| x as f64 / f64::from(done.max(1));
    println!(
        "per resync ({done} of 200 succeeded): {:.1} statements logged by sqlx (on SQLite \
         the request's own statements run on storage/direct.rs, which sqlx does not see)",
        per((lines() - logged) as u64)
    );
    if let (Some(wire), Some((s0, r0))) = (wire, on_wire) {
        let (s1, r1) = wire.counts();
        println!(
            "  on the wire to PostgreSQL: {:.1} statements (Query/Execute), {:.1} round trips",
            per(s1 - s0),
            per(r1 - r0)
        );
    }
    server.stop();
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // reqwest's rustls needs a crypto provider even for plain-HTTP clients: ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let o = match Options::parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let bin = binary();
    let dir = tempfile::tempdir().unwrap();
    let db = match &o.db {
        Some(url) => url.clone(),
        None => dir.path().join("load.sqlite").display().to_string(),
    };
    let start_step = seed_database(&bin, &db, &o, dir.path()).await;

    // Start the servers: start-up time to the ready line, idle memory.
    let t = Instant::now();
    let servers: Vec<RunningServer> = (0..o.servers)
        .map(|i| {
            let log = dir.path().join(format!("server-{i}.log"));
            RunningServer::start(&bin, &db, o.window, &log, "info")
        })
        .collect();
    let startup = t.elapsed() / o.servers as u32;
    tokio::time::sleep(Duration::from_millis(500)).await; // let it settle before measuring idle
    println!(
        "engine: {}; resync window: ±{} steps",
        if o.db.is_some() { "postgres" } else { "sqlite" },
        o.window
    );
    println!(
        "start-up to ready line: {:.0} ms; idle VmRSS: {} KiB ({} devices in the database)",
        startup.as_secs_f64() * 1000.0,
        vm_rss_kib(servers[0].child.id()),
        o.devices
    );

    let secrets = (0..o.devices)
        .map(|d| Secret::from_bytes(seed(d)).unwrap())
        .collect();
    // Device 0 is the sign-in device: never walked (its next step is past any window).
    let next = (0..o.devices)
        .map(|d| Mutex::new(if d == 0 { u64::MAX / 2 } else { start_step }))
        .collect();
    let fleet = Arc::new(Fleet { secrets, next });
    let cookie = sign_in(&servers[0].base, &fleet).await;
    let mut runs = Vec::new();
    for &clients in &o.clients {
        runs.push(drive(&servers, &cookie, fleet.clone(), clients, &o).await);
    }
    if let Some(path) = &o.json {
        std::fs::write(path, serde_json::to_vec_pretty(&runs).unwrap()).unwrap();
    }
    println!(
        "VmRSS after load: {} KiB",
        vm_rss_kib(servers[0].child.id())
    );
    for server in servers {
        server.stop();
    }
    if o.count {
        count_per_resync(&bin, &db, &o, dir.path(), fleet, &cookie).await;
    }
    std::process::ExitCode::SUCCESS
}
