//! The SQLite backend: one file, one lethe process.
//!
//! Writes are serialised in-process by a mutex held for the whole write
//! transaction (`begin immediate`), so a read-then-write transaction never
//! meets `SQLITE_BUSY` on its upgrade and the audit chain is appended in
//! order. Reads run concurrently on the other pooled connections (WAL).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::audit::AuditKey;
use crate::backend::{impl_store, TxClock};
use crate::callbacks::impl_callbacks;
use crate::error::StoreError;
use crate::manual::impl_manual;
use crate::results::impl_results;
use crate::steps::impl_step_queue;

/// The store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    write_lock: Arc<Mutex<()>>,
    audit_key: AuditKey,
    signal: crate::signal::WorkSignal,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file and brings its schema
    /// up to date: a single process owns the file, so it may migrate.
    pub async fn open(path: &Path, audit_key: AuditKey) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            // Deleted and overwritten content is zeroed in its page, so a
            // destroyed identifier does not linger in free space.
            .pragma("secure_delete", "on");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../../migrations/sqlite").run(&pool).await?;
        Ok(Self {
            pool,
            write_lock: Arc::new(Mutex::new(())),
            audit_key,
            signal: crate::signal::WorkSignal::default(),
        })
    }

    /// The claim statement: the one statement the backends cannot share.
    const CLAIM_STEPS: &'static str = crate::sql::CLAIM_STEPS_SQLITE;

    /// The pool, for tests that inspect or tamper with rows directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Takes the writer lock, then an immediate (write-locked) transaction.
    async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let guard = Arc::clone(&self.write_lock).lock_owned().await;
        let tx = self.pool.begin_with("begin immediate").await?;
        Ok(WriteTx {
            tx,
            clock: TxClock::local(),
            _guard: guard,
        })
    }

    /// Wakes this process's workers (SQLite has no other processes).
    async fn signal_work(&self) {
        self.signal.bump();
    }

    /// After personal data was destroyed: the write-ahead log still holds
    /// the old page images, so they are checkpointed into the (zeroed)
    /// database pages and the log is truncated.
    async fn forget_old_pages(&self) -> Result<(), StoreError> {
        sqlx::query("pragma wal_checkpoint(truncate)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn subscribe_work(&self) -> tokio::sync::watch::Receiver<u64> {
        self.signal.subscribe()
    }

    /// A read transaction: in WAL mode it sees one snapshot throughout.
    async fn begin_snapshot(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin().await?)
    }
}

/// A write transaction holding the in-process writer lock until it ends.
struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    clock: TxClock,
    _guard: OwnedMutexGuard<()>,
}

impl WriteTx {
    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// When this transaction happens.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// A caller's time on the store's clock (the same clock here).
    fn on_store_clock(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        self.clock.on_store_clock(at)
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }

    async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.tx.rollback().await?)
    }
}

impl_step_queue!(SqliteStore, SqliteConnection);
impl_results!(SqliteStore, SqliteConnection);
impl_manual!(SqliteStore, SqliteConnection);
impl_callbacks!(SqliteStore, SqliteConnection);
impl_store!(SqliteStore, SqliteConnection, "sqlite");
