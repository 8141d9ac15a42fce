//! The black-box harness: the real `mfa-resync` binary on a fresh SQLite file in a temporary
//! folder — or, with `MFA_RESYNC_TEST_STORE=postgres`, on a fresh database of a throwaway
//! PostgreSQL cluster ([`pg`]) — on a free loopback port, driven over real HTTP. Device codes are computed here from
//! the seeds `demo --json` prints, with the `shared` crate.
#![allow(dead_code)]

pub mod acknowledged;
pub mod crash;
pub mod ledger;
pub mod pg;
pub mod query;
pub mod timing;
pub mod timing_pairs;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use shared::code::Digits;
use shared::otp::{Totp, format_code, hotp};
use shared::secret::Secret;

pub const BIN: &str = env!("CARGO_BIN_EXE_mfa-resync");

/// The status, `Retry-After` and body of `GET path`.
pub async fn probe(server: &Server, path: &str) -> (u16, Option<String>, String) {
    let resp = http_client()
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, resp.text().await.unwrap())
}

/// A plain reqwest client. reqwest's rustls needs a crypto provider for any client (it builds
/// its TLS configuration up front): ring's, installed once for the process.
pub fn http_client() -> reqwest::Client {
    install_ring();
    reqwest::Client::new()
}

/// Installs ring as the process's rustls provider (once; later calls do nothing).
pub fn install_ring() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A running server with its own database.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub demo: Value,
    /// Every code sent by any client of this server (the logs must hold none of them).
    pub sent: Arc<Mutex<Vec<String>>>,
    extra_args: Vec<String>,
    starts: usize,
    /// The PostgreSQL database's URL when the suite runs on PostgreSQL.
    pg_url: Option<String>,
    /// The thread that copies the server's stderr into its log file, when it goes through a
    /// pipe ([`Server::log_through_pipe`]).
    log_copier: Option<std::thread::JoinHandle<()>>,
    piped_log: bool,
    /// Environment variables the server is started with ([`Server::env`]).
    extra_env: Vec<(String, std::ffi::OsString)>,
}

impl Server {
    /// A fresh database with the demo account, and the server on it.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// The same with extra `serve` arguments.
    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Server {
            child: None,
            base: String::new(),
            dir,
            demo: Value::Null,
            sent: Arc::default(),
            extra_args: extra.iter().map(|s| s.to_string()).collect(),
            starts: 0,
            pg_url: pg::on_postgres().then(pg::fresh_database_url),
            log_copier: None,
            piped_log: false,
            extra_env: Vec::new(),
        };
        let out = s.cli(&["demo", "--json"], None);
        s.demo = serde_json::from_str(&out).expect("demo --json prints JSON");
        s.spawn();
        s
    }

    /// A server with the demo account on the PostgreSQL database at `url` (any `--db` URL,
    /// several hosts too), with a key of its own.
    pub fn start_on(url: &str) -> Server {
        let mut s = Server {
            child: None,
            base: String::new(),
            dir: tempfile::tempdir().unwrap(),
            demo: Value::Null,
            sent: Arc::default(),
            extra_args: Vec::new(),
            starts: 0,
            pg_url: Some(url.to_owned()),
            log_copier: None,
            piped_log: false,
            extra_env: Vec::new(),
        };
        let out = s.cli(&["demo", "--json"], None);
        s.demo = serde_json::from_str(&out).expect("demo --json prints JSON");
        s.spawn();
        s
    }

    /// Another server on `first`'s database with its key (a copy of the key file): the way
    /// servers behind one load balancer share a PostgreSQL database.
    pub fn join(first: &Server) -> Server {
        let url = first
            .pg_url
            .clone()
            .expect("servers share a PostgreSQL database");
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            first.dir.path().join("mfa-resync.key"),
            dir.path().join("mfa-resync.key"),
        )
        .unwrap();
        let mut s = Server {
            child: None,
            base: String::new(),
            dir,
            demo: first.demo.clone(),
            sent: first.sent.clone(),
            extra_args: first.extra_args.clone(),
            starts: 0,
            pg_url: Some(url),
            log_copier: None,
            piped_log: false,
            extra_env: first.extra_env.clone(),
        };
        s.spawn();
        s
    }

    /// SIGKILL, as a crash: no shutdown, no answer to what is in flight.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
        self.join_log_copier();
    }

    /// From the next start on, the server's stderr goes through a pipe that a thread of the
    /// test copies into its log file: the server itself then writes no file but its database
    /// (a test that limits the size of the files it may write limits the database alone).
    pub fn log_through_pipe(&mut self) {
        self.piped_log = true;
    }

    /// From the next start on, the server runs with `key` set to `value` in its environment.
    pub fn env(&mut self, key: &str, value: impl Into<std::ffi::OsString>) {
        self.extra_env.push((key.to_owned(), value.into()));
    }

    fn join_log_copier(&mut self) {
        if let Some(copier) = self.log_copier.take() {
            copier.join().unwrap();
        }
    }

    /// Starts the server again on the same database after [`Server::kill`] (a new port: the
    /// clients of the last run must be made again, [`Server::client`]).
    pub fn revive(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        self.spawn();
    }

    /// The server process's id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The SQLite file (when the suite runs on SQLite).
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("db.sqlite")
    }

    /// `--db` and, on PostgreSQL, `--key-file` (beside the SQLite file otherwise, by default).
    pub fn db_args(&self) -> Vec<std::ffi::OsString> {
        match &self.pg_url {
            Some(url) => vec![
                "--db".into(),
                url.into(),
                "--key-file".into(),
                self.dir.path().join("mfa-resync.key").into(),
            ],
            None => vec!["--db".into(), self.db().into()],
        }
    }

    /// What the store holds, as bytes to search for secrets: the SQLite file and its WAL, or
    /// PostgreSQL's dump with its `bytea` values decoded ([`pg::stored_bytes`]).
    pub fn stored_files(&self) -> Vec<Vec<u8>> {
        match &self.pg_url {
            Some(url) => vec![pg::stored_bytes(url)],
            None => vec![
                std::fs::read(self.db()).unwrap(),
                std::fs::read(self.db().with_extension("sqlite-wal")).unwrap_or_default(),
            ],
        }
    }

    /// Opens the server's database connections before a test that races requests: sixteen
    /// `/readyz` at once (each one query). A PostgreSQL connection takes milliseconds to open,
    /// so without this the first parallel requests wait for connections while the earliest
    /// finish, and they no longer overlap as the test means them to.
    pub async fn warm_pool(&self) {
        let http = http_client();
        let probes = (0..16).map(|_| {
            let http = http.clone();
            let url = format!("{}/readyz", self.base);
            tokio::spawn(async move { http.get(url).send().await.unwrap().status().as_u16() })
        });
        for probe in probes.collect::<Vec<_>>() {
            assert_eq!(probe.await.unwrap(), 200);
        }
    }

    /// The PostgreSQL database's URL, when the suite runs on PostgreSQL.
    pub fn pg_url(&self) -> Option<&str> {
        self.pg_url.as_deref()
    }

    /// Whether this server's store is PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.pg_url.is_some()
    }

    fn log(&self, n: usize) -> PathBuf {
        self.dir.path().join(format!("server-{n}.log"))
    }

    /// Runs a command of the binary on this database; returns stdout, panics on failure.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        let (ok, out, err) = self.cli_status(args, stdin);
        assert!(ok, "mfa-resync {args:?} failed: {err}");
        out
    }

    /// Runs a command; returns (success, stdout, stderr). The secrets it reads and prints go
    /// to the ledger, its log (stderr) to `cli.log` beside the server's.
    pub fn cli_status(&self, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
        if let Some(input) = stdin {
            ledger::record_stdin(input);
        }
        let mut child = Command::new(BIN)
            .args(self.db_args())
            .args(args)
            .env("RUST_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Ok(printed) = serde_json::from_str::<Value>(&stdout) {
            ledger::record_json(&printed);
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("cli.log"))
            .and_then(|mut log| log.write_all(&out.stderr))
            .unwrap();
        (
            out.status.success(),
            stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.log(self.starts)).unwrap();
        let mut child = Command::new(BIN)
            .args(self.db_args())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(&self.extra_args)
            .env("RUST_LOG", "debug")
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(if self.piped_log {
                Stdio::piped()
            } else {
                Stdio::from(log.try_clone().unwrap())
            })
            .spawn()
            .unwrap();
        if let Some(mut stderr) = child.stderr.take() {
            let mut log = log;
            self.log_copier = Some(std::thread::spawn(move || {
                std::io::copy(&mut stderr, &mut log).unwrap();
            }));
        }
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no ready line: {line:?}, log: {}", self.logs()));
        self.base = addr.to_owned();
        self.child = Some(child);
    }

    /// SIGTERM; asserts a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            let exit = child.wait().unwrap();
            assert!(exit.success(), "server exit: {exit:?}");
        }
        self.join_log_copier();
    }

    /// SIGTERM; waits at most `bound` for the exit (else kills it and panics), asserts a clean
    /// exit, and returns how long the exit took.
    pub fn stop_within(&mut self, bound: std::time::Duration) -> std::time::Duration {
        let mut child = self.child.take().expect("running");
        let start = std::time::Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        loop {
            if let Some(exit) = child.try_wait().unwrap() {
                assert!(exit.success(), "server exit: {exit:?}");
                return start.elapsed();
            }
            if start.elapsed() > bound {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server did not exit within {bound:?} of SIGTERM");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The `host:port` the server listens on.
    pub fn addr(&self) -> String {
        self.base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, a)| a)
            .to_owned()
    }

    /// A client of this server over `http` (e.g. one that trusts a test certificate).
    pub fn client_with(&self, http: reqwest::Client) -> Client {
        Client {
            http,
            base: self.base.clone(),
            cookie: None,
            sent: self.sent.clone(),
        }
    }

    /// Stops and starts again on the same database.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// All server logs so far.
    pub fn logs(&self) -> String {
        (1..=self.starts)
            .map(|n| std::fs::read_to_string(self.log(n)).unwrap_or_default())
            .collect()
    }

    /// Stops the server and checks its logs hold no code sent and no seed (security rule 15).
    pub fn finish(mut self) {
        self.stop();
        let logs = self.logs();
        assert!(logs.contains("response"), "the server logged requests");
        let sent = self.sent.lock().unwrap();
        let codes = sent
            .iter()
            .filter(|c| c.len() >= 6 && c.bytes().all(|b| b.is_ascii_digit()));
        for code in codes {
            assert!(
                !contains_number(&logs, code),
                "a code {code} is in the logs"
            );
        }
        let lower_logs = logs.to_lowercase();
        for d in self.demo["Devices"].as_array().unwrap() {
            if let Some(seed) = d["Base32Seed"].as_str() {
                assert!(!logs.contains(seed), "a seed is in the logs");
                assert!(!lower_logs.contains(&seed.to_lowercase()));
                // Its bytes in hex (either case) too.
                let hex: String = Secret::from_base32(seed)
                    .unwrap()
                    .as_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert!(!lower_logs.contains(&hex), "a seed is in the logs as hex");
            }
        }
    }

    /// Notes codes a test sends by other means than [`Client`] (the logs must hold none).
    pub fn remember_codes(&self, codes: &[&str]) {
        let mut sent = self.sent.lock().unwrap();
        for code in codes {
            ledger::record(ledger::Kind::Code, code);
            sent.push((*code).to_owned());
        }
    }

    /// Notes a password a test sends by other means than [`Client::sign_in`].
    pub fn remember_password(&self, password: &str) {
        ledger::record(ledger::Kind::Password, password);
    }

    pub fn client(&self) -> Client {
        Client {
            http: http_client(),
            base: self.base.clone(),
            cookie: None,
            sent: self.sent.clone(),
        }
    }

    /// A demo device by serial number.
    pub fn device(&self, serial: &str) -> Device {
        let d = self.demo["Devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["SerialNumber"] == serial)
            .unwrap_or_else(|| panic!("no demo device {serial}"));
        Device {
            serial: serial.to_owned(),
            secret: d["Base32Seed"]
                .as_str()
                .map(|s| Secret::from_base32(s).unwrap()),
            digits: Digits::new(d["Digits"].as_u64().unwrap() as u8).unwrap(),
            period: d["Period"].as_u64().unwrap() as u32,
            counter: d["Counter"].as_u64(),
        }
    }

    /// Runs SQL against the server's database file (to expire throttles, read rows). SQLite
    /// only: a test that uses it runs on SQLite alone so far (issue 12's next phase ports them).
    pub async fn sql(&self) -> sqlx::SqlitePool {
        assert!(
            !self.on_postgres(),
            "this test reads the SQLite file directly and does not run on PostgreSQL yet"
        );
        let url = format!("sqlite://{}", self.db().display());
        sqlx::SqlitePool::connect(&url).await.unwrap()
    }

    /// The server's database, on either store (statements with `$1` placeholders, which sqlx
    /// numbers on SQLite too).
    async fn pool(&self) -> TestPool {
        match &self.pg_url {
            Some(url) => TestPool::Postgres(sqlx::PgPool::connect(url).await.unwrap()),
            None => TestPool::Sqlite(self.sql().await),
        }
    }

    /// The stored row of a device, every column that a request may change.
    pub async fn device_row(&self, serial: &str) -> DeviceRow {
        const ROW: &str = "SELECT drift_steps, last_used_step, hotp_counter, seed, failures, \
             throttled_until, locked, owner_id FROM mfa_devices WHERE serial_number = $1";
        match self.pool().await {
            TestPool::Sqlite(pool) => {
                let row = sqlx::query_as(ROW).bind(serial).fetch_one(&pool).await;
                pool.close().await;
                row.unwrap()
            }
            TestPool::Postgres(pool) => {
                let row = sqlx::query_as(ROW).bind(serial).fetch_one(&pool).await;
                pool.close().await;
                row.unwrap()
            }
        }
    }

    /// Runs one statement without parameters on either store; returns the rows it changed.
    pub async fn exec_plain(&self, sql: &'static str) -> u64 {
        match self.pool().await {
            TestPool::Sqlite(pool) => {
                let done = sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
                done.rows_affected()
            }
            TestPool::Postgres(pool) => {
                let done = sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
                done.rows_affected()
            }
        }
    }

    /// Runs one statement, whose one `?` is bound to `serial`; booleans written `TRUE`/`FALSE`.
    pub async fn exec(&self, sql: &'static str, serial: &str) {
        let sql = sqlx::AssertSqlSafe(sql.replace('?', "$1"));
        match self.pool().await {
            TestPool::Sqlite(pool) => {
                sqlx::query(sql).bind(serial).execute(&pool).await.unwrap();
                pool.close().await;
            }
            TestPool::Postgres(pool) => {
                sqlx::query(sql).bind(serial).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // The logs outlive the temporary folder when the run scans them for secrets.
        if let Some(keep) = ledger::keep_dir() {
            let logs = (1..=self.starts)
                .map(|n| self.log(n))
                .chain([self.dir.path().join("cli.log")]);
            for log in logs.filter(|l| l.exists()) {
                let _ = std::fs::copy(&log, keep.join(log.file_name().unwrap()));
            }
        }
    }
}

/// Runs `$body` on the server's store: `$pool` is a fresh pool of that engine (closed after),
/// `$sql(…)` makes a statement for it from SQL written with `?` placeholders (numbered `$1…`
/// on PostgreSQL). Booleans are written `TRUE`/`FALSE`, which both engines read.
#[macro_export]
macro_rules! on_store {
    ($server:expr, |$pool:ident, $sql:ident| $body:expr) => {{
        let server: &$crate::common::Server = &$server;
        match server.pg_url() {
            None => {
                #[allow(unused)]
                fn $sql(sql: &'static str) -> &'static str {
                    sql
                }
                let $pool = server.sql().await;
                let out = $body;
                $pool.close().await;
                out
            }
            Some(url) => {
                #[allow(unused)]
                fn $sql(sql: &'static str) -> ::sqlx::AssertSqlSafe<String> {
                    $crate::common::numbered(sql)
                }
                let $pool = ::sqlx::PgPool::connect(url).await.unwrap();
                let out = $body;
                $pool.close().await;
                out
            }
        }
    }};
}

/// `sql` with its `?` placeholders numbered `$1, $2, …` (PostgreSQL's form).
pub fn numbered(sql: &str) -> sqlx::AssertSqlSafe<String> {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    sqlx::AssertSqlSafe(out)
}

/// A connection pool on the server's store.
enum TestPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceRow {
    pub drift_steps: i64,
    pub last_used_step: i64,
    pub hotp_counter: i64,
    pub seed: Option<Vec<u8>>,
    pub failures: i64,
    pub throttled_until: i64,
    pub locked: bool,
    pub owner_id: Option<i64>,
}

/// Whether `text` holds `number` not adjacent to other digits.
pub fn contains_number(text: &str, number: &str) -> bool {
    let bytes = text.as_bytes();
    // A letter, digit or `_` beside the digits: part of a longer number or word (a request
    // id's hex, `c19c93da17…`), which is not a code; likewise after a decimal point after a
    // digit (a fraction, "latency 1.032782 s") and after a measurement's label (a request's
    // `micros=429454`): the rules of the whole run's scan (`xtask/src/leaks.rs`). Without
    // them a long run's logs (thousands of request ids and latencies) held a code by chance.
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    text.match_indices(number).any(|(i, _)| {
        let before = i.checked_sub(1).is_some_and(|j| {
            word(&bytes[j])
                || (bytes[j] == b'.' && j.checked_sub(1).is_some_and(|k| bytes[k].is_ascii_digit()))
        });
        let measured = text[..i].ends_with("micros=");
        let after = bytes.get(i + number.len()).is_some_and(word);
        !before && !after && !measured
    })
}

/// A device as the test holds it: computes what it shows.
pub struct Device {
    pub serial: String,
    pub secret: Option<Secret>,
    pub digits: Digits,
    pub period: u32,
    pub counter: Option<u64>,
}

/// Milliseconds since the Unix epoch (the server's clock is the system's).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn now_step() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

impl Device {
    /// The TOTP code of `step`.
    pub fn at(&self, step: u64) -> String {
        let totp = Totp {
            period: self.period,
            t0: 0,
            digits: self.digits,
        };
        format_code(
            totp.code_for_step(self.secret.as_ref().unwrap(), step),
            self.digits,
        )
    }

    /// The code `offset` steps from now.
    pub fn now(&self, offset: i64) -> String {
        self.at((now_step() as i64 + offset) as u64)
    }

    /// The HOTP code of counter `c`.
    pub fn hotp(&self, c: u64) -> String {
        format_code(
            hotp(self.secret.as_ref().unwrap(), c, self.digits),
            self.digits,
        )
    }
}

/// An HTTP client carrying its own session cookie.
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
    sent: Arc<Mutex<Vec<String>>>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["Error"]["Code"].as_str().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    fn remember_codes(&self, body: &Value) {
        ledger::record_json(body);
        if let Some(map) = body.as_object() {
            for (k, v) in map {
                if k.starts_with("AuthenticationCode")
                    && let Some(s) = v.as_str()
                {
                    self.sent.lock().unwrap().push(s.to_owned());
                }
            }
        }
    }

    async fn finish(&mut self, res: reqwest::Response) -> Resp {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for c in headers.get_all("set-cookie") {
            ledger::record_set_cookie(c.to_str().unwrap_or(""));
        }
        if let Some(c) = headers.get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = c.split(';').next().unwrap();
            self.cookie = (!pair.ends_with('=')).then(|| pair.to_owned());
        }
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        ledger::record_json(&body);
        Resp {
            status,
            headers,
            body,
        }
    }

    /// A state change as the browser app sends it.
    pub async fn post(&mut self, path: &str, body: Value) -> Resp {
        self.try_post(path, body).await.unwrap()
    }

    /// [`Client::post`], with the transport's error when no answer came (a server killed).
    pub async fn try_post(&mut self, path: &str, body: Value) -> Result<Resp, reqwest::Error> {
        self.remember_codes(&body);
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-requested-with", "mfa-resync")
            .body(body.to_string());
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await?;
        Ok(self.finish(res).await)
    }

    /// [`Client::post`] with extra headers.
    pub async fn post_with_headers(
        &mut self,
        path: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        self.remember_codes(&body);
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-requested-with", "mfa-resync")
            .body(body.to_string());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    /// A raw request, for the CSRF tests.
    pub async fn raw(&mut self, req: reqwest::RequestBuilder) -> Resp {
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    pub async fn sign_in(&mut self, user: &str) -> Resp {
        let password = format!("demo-{user}-password");
        self.post(
            "/api/sign-in",
            json!({"Account": "demo", "UserName": user, "Password": password}),
        )
        .await
    }

    pub async fn sign_in_root(&mut self) -> Resp {
        self.post(
            "/api/sign-in/root",
            json!({"Email": "root@demo.example", "Password": "demo-root-password"}),
        )
        .await
    }

    pub async fn mfa(&mut self, serial: &str, code: &str) -> Resp {
        self.post(
            "/api/sign-in/mfa",
            json!({"AuthenticationCode": code, "SerialNumber": serial}),
        )
        .await
    }

    /// Signs in with password and the device's current code.
    pub async fn sign_in_with_mfa(&mut self, user: &str, dev: &Device) {
        let r = self.sign_in(user).await;
        assert_eq!(r.status, 200, "{r:?}");
        let r = self.mfa(&dev.serial, &dev.now(0)).await;
        assert_eq!(r.status, 200, "{r:?}");
    }

    pub async fn resync(&mut self, user: Option<&str>, serial: &str, c1: &str, c2: &str) -> Resp {
        let mut body = json!({
            "SerialNumber": serial, "AuthenticationCode1": c1, "AuthenticationCode2": c2
        });
        if let Some(u) = user {
            body["UserName"] = json!(u);
        }
        self.post("/api/iam/ResyncMFADevice", body).await
    }

    pub async fn list(&mut self, user: Option<&str>) -> Resp {
        let body = match user {
            Some(u) => json!({"UserName": u}),
            None => json!({}),
        };
        self.post("/api/iam/ListMFADevices", body).await
    }
}

pub const ALICE_VIRTUAL: &str = "arn:aws:iam::123456789012:mfa/alice";
pub const ALICE_FOB: &str = "GAHT10000001";
pub const ALICE_FIDO: &str = "arn:aws:iam::123456789012:u2f/user/alice/fido-alice";
pub const BOB_VIRTUAL: &str = "arn:aws:iam::123456789012:mfa/bob";
pub const BOB_HOTP: &str = "GAKT20000002";
pub const ADMIN_VIRTUAL: &str = "arn:aws:iam::123456789012:mfa/admin";
pub const ROOT_VIRTUAL: &str = "arn:aws:iam::123456789012:mfa/root-account-mfa-device";
