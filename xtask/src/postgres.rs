//! PostgreSQL for the tests (issue 12): Debian's server binaries, installed when missing, and
//! the black-box backend suite run a second time on PostgreSQL. The tests start and remove
//! their own throwaway cluster (`backend/tests/common/pg.rs`): no service, no Docker.

use crate::shell::{Result, command, run};

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
    run(command("apt-get").arg("update").arg("-q"))?;
    run(command("apt-get")
        .args([
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "postgresql",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The black-box tests that still read the SQLite file itself or its connection (the next phase
/// of issue 12 ports them: the seed and typed-name checks to a dump of the PostgreSQL database,
/// the rest to `on_store!`); every other backend test runs on PostgreSQL too. The first-format
/// re-seal is SQLite's alone: no PostgreSQL database predates the seal format.
pub const SQLITE_ONLY: &[&str] = &[
    // attempts.rs: greps the database file for the typed names.
    "audit_rows_of_failures_and_no_typed_unknown_name",
    // rules.rs and security.rs: grep the database file for seeds.
    "a_seed_created_through_the_api_is_not_stored_in_clear",
    "the_database_file_holds_no_seed",
    // security.rs: read rows through `Server::sql` (SQLite's pool).
    "a_foreign_host_is_refused_and_the_public_url_is_the_origin",
    "all_digit_aliases_and_exposed_key_files_are_refused",
    "oversized_input_is_refused_and_recorded_bounded",
    "sessions_follow_the_cookie_rules",
    // seal_migration.rs: SQLite databases from before migration 0007.
    "a_database_sealed_the_old_way_is_resealed_at_start_and_keeps_working",
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
