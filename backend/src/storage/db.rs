//! The database handle: the SQLite file, its pool and its migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// The database.
#[derive(Clone, Debug)]
pub struct Storage {
    pub(super) pool: SqlitePool,
}

/// Connections in the pool (each runs on its own sqlx worker thread). Measured on the resync
/// benchmark (`backend/examples/load.rs`, 2 busy cores, 8 clients): one connection halves the
/// server's CPU per resync (no writers queueing on SQLite's lock) and wins with the ±100-step
/// window (~2,100–2,200 against ~1,700–2,000 requests/s), but with the ±2880-step window it
/// leaves a core idle — the connection is handed from request to request by the async workers,
/// which are busy scanning — and its p99 latency grows (21–39 ms against 16–19 ms). 2 and 4
/// connections were no better than 8.
const POOL_CONNECTIONS: u32 = 8;

impl Storage {
    /// Opens (creating it and its folder if needed) the SQLite file in WAL mode and migrates it.
    pub async fn open(path: &Path) -> Result<Storage, sqlx::Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode, NORMAL is durable against a crash of the application (a committed
            // transaction is in the WAL file); only a power loss or OS crash may lose the last
            // commits before a checkpoint, never corrupt the database. SQLite's recommended
            // setting for WAL.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_CONNECTIONS)
            .connect_with(options)
            .await?;
        sqlx::migrate!().run(&pool).await?;
        Ok(Storage { pool })
    }

    /// Closes the pool (checkpointing WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
