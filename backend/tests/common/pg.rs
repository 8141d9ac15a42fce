//! A throwaway PostgreSQL for tests: one cluster per test process, started on first use in a
//! temporary folder on a free loopback port, trust authentication on 127.0.0.1 only, stopped
//! (`pg_ctl stop -m immediate`) and removed when the process exits. Each test asks for its own
//! database ([`fresh_database_url`]), so tests stay independent and may run in parallel.
//!
//! PostgreSQL refuses to run as root: as root (CI), the cluster belongs to `nobody` and its
//! programs run through `setpriv`; otherwise as the user running the tests. The binaries are
//! Debian's (`/usr/lib/postgresql/<version>/bin`, package `postgresql`, which `cargo xtask test`
//! installs when missing), or those in `MFA_RESYNC_PG_BIN`.
//!
//! Shared by the black-box harness (`backend/tests/common`) and the storage unit tests
//! (`backend/src/storage.rs`, through `#[path]`), so it uses only std and libc.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable that runs the black-box suite on PostgreSQL (`postgres`) rather than
/// SQLite (unset or `sqlite`).
pub const STORE_VAR: &str = "MFA_RESYNC_TEST_STORE";

/// Whether this test run's store is PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(STORE_VAR).is_ok_and(|v| v == "postgres")
}

/// A PostgreSQL cluster in a temporary folder of its own: the process's shared one
/// ([`fresh_database_url`]), or one a test starts for itself ([`Cluster::primary`],
/// [`Cluster::standby_of`]), stopped and removed when dropped.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_nobody: bool,
    /// `-c name=value` settings given to `postgres` after the common ones.
    settings: Vec<String>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);
static OWN_CLUSTERS: AtomicUsize = AtomicUsize::new(0);

/// A new, empty database in this process's cluster (started on first use): its URL.
pub fn fresh_database_url() -> String {
    let cluster = CLUSTER.get_or_init(Cluster::start);
    let name = format!(
        "t{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::Relaxed)
    );
    let out = Command::new(cluster.bin.join("psql"))
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
        ])
        .args(["-p", &cluster.port.to_string(), "-d", "postgres", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("running psql");
    assert!(
        out.status.success(),
        "CREATE DATABASE failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    cluster.url(&name)
}

/// Everything the database at `url` (one of [`fresh_database_url`]'s) stores, as `pg_dump`
/// writes it (text; `bytea` as `\x` and hex), followed by every `bytea` value decoded back to
/// its bytes: what a test that greps a SQLite file for secrets greps on PostgreSQL.
pub fn stored_bytes(url: &str) -> Vec<u8> {
    let cluster = CLUSTER.get_or_init(Cluster::start);
    let name = url.rsplit('/').next().expect("a database name");
    let out = Command::new(cluster.bin.join("pg_dump"))
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-p",
            &cluster.port.to_string(),
        ])
        .arg(name)
        .output()
        .expect("running pg_dump");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut stored = out.stdout.clone();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("COPY public.mfa_devices"),
        "a dump of the data"
    );
    for value in text.split("\\x").skip(1) {
        let hex: Vec<u8> = value.bytes().take_while(u8::is_ascii_hexdigit).collect();
        stored.push(b'\n');
        stored.extend(
            hex.chunks_exact(2)
                .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap()),
        );
    }
    stored
}

/// The cluster's port (to stop and start it in a test, [`stop`], [`start`]).
pub fn port() -> u16 {
    CLUSTER.get_or_init(Cluster::start).port
}

/// Stops the cluster at once (as a crash would); [`start`] brings it back on the same port.
pub fn stop() {
    let cluster = CLUSTER.get_or_init(Cluster::start);
    cluster.pg_ctl(&["stop", "-m", "immediate"]);
}

/// Starts the cluster again after [`stop`].
pub fn start() {
    let cluster = CLUSTER.get_or_init(Cluster::start);
    assert!(
        cluster.try_start(),
        "restarting PostgreSQL: {}",
        cluster.log()
    );
}

impl Cluster {
    /// The process's shared cluster.
    fn start() -> Cluster {
        let cluster = Cluster::init(format!("mfa-resync-pg-{}", std::process::id()), Vec::new());
        unsafe { libc::atexit(stop_at_exit) };
        cluster
    }

    /// A cluster of the test's own, durable (`synchronous_commit=on`, unlike the shared one)
    /// and ready to stream its WAL to standbys, with `settings` (`name=value`) on top.
    pub fn primary(settings: &[&str]) -> Cluster {
        let n = OWN_CLUSTERS.fetch_add(1, Ordering::Relaxed);
        let mut all = vec![
            "synchronous_commit=on".to_owned(),
            "wal_level=replica".to_owned(),
        ];
        all.extend(settings.iter().map(|s| s.to_string()));
        Cluster::init(format!("mfa-resync-pg-{}-{n}", std::process::id()), all)
    }

    /// A streaming-replication standby of `primary` (`pg_basebackup -R`, as the same
    /// unprivileged user), started on a port of its own and caught up.
    pub fn standby_of(primary: &Cluster) -> Cluster {
        let n = OWN_CLUSTERS.fetch_add(1, Ordering::Relaxed);
        let mut standby = Cluster::folder(
            format!("mfa-resync-pg-{}-{n}", std::process::id()),
            vec!["synchronous_commit=on".to_owned()],
        );
        run(standby
            .command("pg_basebackup")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-X",
                "stream",
                "-R",
                "-c",
                "fast",
            ])
            .args(["-p", &primary.port.to_string(), "--no-sync", "-D"])
            .arg(standby.data()));
        standby.start_on_free_port();
        standby
    }

    /// `initdb` in a new temporary folder `name`, then started on a free port.
    fn init(name: String, settings: Vec<String>) -> Cluster {
        let mut cluster = Cluster::folder(name, settings);
        run(cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args(["-U", "postgres", "--auth=trust", "--locale=C", "-E", "UTF8"])
            .arg("--no-sync"));
        // hba: initdb's default with --auth=trust (replication too, from 127.0.0.1); only
        // loopback TCP is listened on below.
        cluster.start_on_free_port();
        cluster
    }

    /// An empty folder for a cluster, owned by `nobody` when we are root.
    fn folder(name: String, settings: Vec<String>) -> Cluster {
        let bin = bin_dir();
        let as_nobody = unsafe { libc::geteuid() } == 0;
        let dir = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("creating the cluster's folder");
        if as_nobody {
            run(Command::new("chown").arg("nobody:nogroup").arg(&dir));
        }
        Cluster {
            bin,
            dir,
            port: 0,
            as_nobody,
            settings,
        }
    }

    fn start_on_free_port(&mut self) {
        for _ in 0..5 {
            self.port = free_port();
            if self.try_start() {
                return;
            }
        }
        panic!("PostgreSQL did not start: {}", self.log());
    }

    /// The cluster's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates `database`.
    pub fn create_database(&self, database: &str) {
        self.psql("postgres", &format!("CREATE DATABASE {database}"));
    }

    /// Runs one statement with `psql` on `database`; its output, unaligned, without headers.
    pub fn psql(&self, database: &str, statement: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-U", "postgres"])
            .args([
                "-p",
                &self.port.to_string(),
                "-d",
                database,
                "-c",
                statement,
            ])
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql {statement:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Stops the cluster at once, as a crash would.
    pub fn stop_immediate(&self) {
        self.pg_ctl(&["stop", "-m", "immediate"]);
    }

    /// Promotes a standby to primary and waits until it takes writes.
    pub fn promote(&self) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "60", "promote"]));
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// A PostgreSQL program, as `nobody` when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if self.as_nobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
                .arg(path);
            c
        } else {
            Command::new(path)
        };
        command.current_dir(&self.dir).stdin(Stdio::null());
        command
    }

    fn try_start(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off{}",
            self.port,
            self.dir.display(),
            self.settings
                .iter()
                .map(|s| format!(" -c {s}"))
                .collect::<String>()
        );
        self.command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn pg_ctl(&self, args: &[&str]) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A test's own cluster is stopped and removed when dropped (the shared one, a static, at exit).
impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop_immediate();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Stops the cluster and removes its folder when the test process exits.
extern "C" fn stop_at_exit() {
    if let Some(cluster) = CLUSTER.get() {
        cluster.pg_ctl(&["stop", "-m", "immediate"]);
        let _ = std::fs::remove_dir_all(&cluster.dir);
    }
}

/// `MFA_RESYNC_PG_BIN`, or the newest `/usr/lib/postgresql/<version>/bin` with `initdb`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MFA_RESYNC_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): \
             `apt-get install -y postgresql` (cargo xtask test does), or set MFA_RESYNC_PG_BIN"
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn run(command: &mut Command) {
    let out = command.output().expect("running a PostgreSQL program");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
