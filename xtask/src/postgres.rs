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
/// 0007 builds such a SQLite database (no PostgreSQL database predates the seal format), and the
/// full disk is SQLite's file (PostgreSQL's outage is its own test). Every other backend test
/// runs on PostgreSQL too.
pub const SQLITE_ONLY: &[&str] = &[
    "a_database_sealed_the_old_way_is_resealed_at_start_and_keeps_working",
    "a_full_disk_answers_503_with_retry_after_and_service_returns_when_space_does",
    "a_database_made_read_only_while_serving_answers_503_and_service_returns_when_it_is_writable",
];

/// The black-box tests that run on PostgreSQL alone: failover needs a standby to promote, and
/// the servers sharing one database are servers sharing a PostgreSQL database. The SQLite pass
/// skips them by name (a plain `cargo test` on SQLite runs them, and they return at once,
/// saying why).
pub const POSTGRES_ONLY: &[&str] = &[
    "a_session_is_one_on_every_server_and_sign_out_ends_it_everywhere",
    "twenty_identical_resyncs_over_three_servers_succeed_once",
    "five_failures_over_three_servers_throttle_on_all",
    "a_signed_request_sent_to_two_servers_is_accepted_once",
    "a_server_killed_mid_loop_loses_nothing_acknowledged",
    "a_promoted_standby_is_followed_without_a_restart",
    "writes_refused_by_a_read_only_host_are_503_and_reconnect",
    "readyz_follows_the_database_going_away_and_coming_back",
    "postgres_stopped_and_started_under_load_answers_503_then_serves_losing_nothing",
    "four_servers_started_at_once_on_an_empty_database_migrate_it_once",
];

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A renamed test would silently run on the wrong store: every name skipped is a test.
    #[test]
    fn every_test_named_for_one_store_exists() {
        let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../backend/tests");
        let sources: String = std::fs::read_dir(tests)
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        for name in SQLITE_ONLY.iter().chain(POSTGRES_ONLY) {
            assert!(
                sources.contains(&format!("async fn {name}()")),
                "no test {name} in backend/tests"
            );
        }
    }
}
