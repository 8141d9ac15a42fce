//! PostgreSQL for the tests (issue 12): Debian's server binaries, installed when missing, and
//! the black-box backend suite run a second time on PostgreSQL. The tests start and remove
//! their own throwaway cluster (`backend/tests/common/pg.rs`): no service, no Docker. The
//! browser and AWS CLI tests on PostgreSQL use the same code ([`fresh_database`]): one cluster
//! for this process, stopped and removed when it exits.

use crate::shell::{Result, command, run};

/// The backend tests' throwaway cluster, compiled into xtask as it is (std and libc only).
#[path = "../../backend/tests/common/pg.rs"]
mod cluster;

/// A new, empty database in this process's throwaway cluster (started on first use, as an
/// unprivileged user when xtask runs as root): its `postgres://` URL.
pub fn fresh_database() -> Result<String> {
    // The cluster code asserts (it is test code): a failure to start is a panic, caught here so
    // the step fails with the reason and the rest of `cargo xtask test` still runs.
    std::panic::catch_unwind(cluster::fresh_database_url).map_err(|_| {
        "a throwaway PostgreSQL cluster could not be started (the reason is above)".into()
    })
}

/// Debian's `postgresql` (its `initdb`, `pg_ctl`, `postgres`, `psql` under
/// `/usr/lib/postgresql/<version>/bin`), unless some version is there already.
pub fn ensure_postgresql() -> Result {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.path().join("bin/initdb").exists());
    if installed {
        return Ok(());
    }
    println!("xtask: installing Debian's postgresql (takes a minute the first time)");
    crate::tools::apt_install(&["postgresql"])
}

/// The black-box tests that run on SQLite alone: the re-seal of rows sealed before migration
/// 0007 builds such a SQLite database (no PostgreSQL database predates the seal format). Every
/// other backend test runs on PostgreSQL too.
pub const SQLITE_ONLY: &[&str] =
    &["a_database_sealed_the_old_way_is_resealed_at_start_and_keeps_working"];

/// `cargo test -p backend --tests` with the harness on PostgreSQL (`MFA_RESYNC_TEST_STORE`).
pub fn black_box_tests() -> Result {
    let mut test = command("cargo");
    test.args(["test", "--locked", "-p", "backend", "--tests", "--"])
        .env("MFA_RESYNC_TEST_STORE", "postgres");
    for name in SQLITE_ONLY {
        test.args(["--skip", name]);
    }
    run(&mut test)
}
