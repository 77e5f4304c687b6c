//! The PostgreSQL backend: several lethe processes share one database.
//!
//! Every write transaction that appends to the audit chain first takes one
//! transaction-scoped advisory lock, so appends from all processes are
//! serialised and the chain stays linear. Migrations are run explicitly
//! (`lethe migrate`), never on connect, so several processes starting at
//! once do not race on the schema.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use crate::audit::AuditKey;
use crate::backend::{impl_store, TxClock};
use crate::callbacks::impl_callbacks;
use crate::error::StoreError;
use crate::manual::impl_manual;
use crate::results::impl_results;
use crate::steps::impl_step_queue;

/// The advisory lock key of the audit chain ("lethe" in ASCII).
const AUDIT_LOCK: i64 = 0x6c_65_74_68_65;

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    audit_key: AuditKey,
    signal: crate::signal::WorkSignal,
}

impl PgStore {
    /// Connects with a `postgres://` URL. Does not migrate.
    pub async fn connect(url: &str, audit_key: AuditKey) -> Result<Self, StoreError> {
        Self::connect_with(PgConnectOptions::from_str(url)?, audit_key).await
    }

    /// Connects with explicit options (tests set `search_path` to a schema
    /// of their own). Does not migrate.
    pub async fn connect_with(
        options: PgConnectOptions,
        audit_key: AuditKey,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            audit_key,
            signal: crate::signal::WorkSignal::default(),
        })
    }

    /// Brings the schema up to date (`lethe migrate`); sqlx's own lock
    /// keeps concurrent runs apart.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("../../migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// The claim statement: the one statement the backends cannot share.
    const CLAIM_STEPS: &'static str = crate::sql::CLAIM_STEPS_POSTGRES;

    /// The pool, for tests that inspect or tamper with rows directly.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Wakes workers here at once and, through `NOTIFY`, everywhere else.
    /// A failed notify is only logged: workers poll anyway.
    async fn signal_work(&self) {
        self.signal.bump();
        let notify = sqlx::query("select pg_notify($1, '')")
            .bind(crate::signal::CHANNEL)
            .execute(&self.pool)
            .await;
        if let Err(e) = notify {
            tracing::warn!(error = %e, "work notification not sent");
        }
    }

    /// After personal data was destroyed. PostgreSQL keeps dead row
    /// versions until vacuum; autovacuum removes them, and the operator's
    /// WAL archiving and backups are theirs to expire (README).
    async fn forget_old_pages(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn subscribe_work(&self) -> tokio::sync::watch::Receiver<u64> {
        self.signal.listen(&self.pool);
        self.signal.subscribe()
    }

    /// A transaction holding the audit chain's advisory lock until it ends,
    /// with the database server's clock read once the lock is held (the
    /// one clock all hosts share, see [`TxClock`]), in the same round trip.
    async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let mut tx = self.pool.begin().await?;
        let now: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
            "select clock_timestamp() from (select pg_advisory_xact_lock($1)) as locked",
        )
        .bind(AUDIT_LOCK)
        .fetch_one(&mut *tx)
        .await?;
        Ok(WriteTx {
            tx,
            clock: TxClock::store(now),
        })
    }

    /// One snapshot for the whole walk, so concurrent appends after it
    /// started do not look like a head mismatch.
    async fn begin_snapshot(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("set transaction isolation level repeatable read, read only")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// A write transaction holding the audit advisory lock.
struct WriteTx {
    tx: Transaction<'static, Postgres>,
    clock: TxClock,
}

impl WriteTx {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// When this transaction happens, on the database server's clock.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// A caller's time on the database server's clock.
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

impl_step_queue!(PgStore, PgConnection);
impl_results!(PgStore, PgConnection);
impl_manual!(PgStore, PgConnection);
impl_callbacks!(PgStore, PgConnection);
impl_store!(PgStore, PgConnection, "postgres");
