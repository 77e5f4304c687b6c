//! One store per test on a real backend: a temp SQLite file, or a fresh
//! PostgreSQL schema in the database named by `LETHE_TEST_DATABASE_URL`.

use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use lethe_store::{AuditKey, PgStore, SqliteStore, Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{PgPool, SqlitePool};

const PG_ENV: &str = "LETHE_TEST_DATABASE_URL";

/// The audit key every test store uses.
pub fn audit_key() -> AuditKey {
    AuditKey::new(b"test audit key")
}

/// The pool under the store, for statements that bypass it (tampering).
enum Raw {
    Sqlite(SqlitePool),
    Pg {
        pool: PgPool,
        admin: PgPool,
        schema: String,
    },
}

/// A store under test plus raw access to its tables.
pub struct Harness {
    pub store: Arc<dyn Store>,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

impl Harness {
    /// A store on a new SQLite file in a temp directory.
    pub async fn sqlite() -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("lethe.db"), audit_key())
            .await
            .expect("open sqlite store");
        let raw = Raw::Sqlite(store.pool().clone());
        Harness {
            store: Arc::new(store),
            raw,
            _dir: Some(dir),
        }
    }

    /// A store on a new schema, or `None` (after a loud SKIP line) when no
    /// PostgreSQL is configured on a developer's machine. Panics under CI.
    pub async fn postgres() -> Option<Harness> {
        let Ok(url) = std::env::var(PG_ENV) else {
            if std::env::var_os("CI").is_some() {
                panic!("{PG_ENV} is not set; run the README test command, which starts PostgreSQL");
            }
            // Straight to the process's stderr: libtest captures `eprintln!`
            // of passing tests, and a skip must not go unnoticed.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {}: {PG_ENV} is not set; this PostgreSQL test did not run",
                std::thread::current().name().unwrap_or("postgres test"),
            );
            return None;
        };
        let options = PgConnectOptions::from_str(&url).expect("LETHE_TEST_DATABASE_URL");
        let admin = PgPool::connect_with(options.clone())
            .await
            .expect("connect to PostgreSQL");
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(&format!("create schema {schema}"))
            .execute(&admin)
            .await
            .expect("create test schema");
        let store = PgStore::connect_with(
            options.options([("search_path", schema.as_str())]),
            audit_key(),
        )
        .await
        .expect("connect pg store");
        store.migrate().await.expect("migrate");
        let raw = Raw::Pg {
            pool: store.pool().clone(),
            admin,
            schema,
        };
        Some(Harness {
            store: Arc::new(store),
            raw,
            _dir: None,
        })
    }

    /// Drops the PostgreSQL schema of a test that passed (a failed test
    /// leaves it behind for inspection).
    pub async fn cleanup(self) {
        if let Raw::Pg {
            pool,
            admin,
            schema,
        } = self.raw
        {
            drop(self.store);
            pool.close().await;
            sqlx::query(&format!("drop schema {schema} cascade"))
                .execute(&admin)
                .await
                .expect("drop test schema");
        }
    }

    /// A second store on the same database, as another lethe process would
    /// open it: the same file, or the same PostgreSQL schema.
    pub async fn peer(&self) -> Arc<dyn Store> {
        match &self.raw {
            Raw::Sqlite(_) => {
                let dir = self._dir.as_ref().expect("sqlite harness has a dir");
                Arc::new(
                    SqliteStore::open(&dir.path().join("lethe.db"), audit_key())
                        .await
                        .expect("open peer store"),
                )
            }
            Raw::Pg { schema, .. } => {
                let url = std::env::var(PG_ENV).expect(PG_ENV);
                let options = PgConnectOptions::from_str(&url).expect(PG_ENV);
                Arc::new(
                    PgStore::connect_with(
                        options.options([("search_path", schema.as_str())]),
                        audit_key(),
                    )
                    .await
                    .expect("connect peer store"),
                )
            }
        }
    }

    /// Whether stores opened by [`Harness::peer`] hear each other's signals.
    pub fn signals_cross_processes(&self) -> bool {
        matches!(self.raw, Raw::Pg { .. })
    }

    /// Runs one statement without binds, returning the rows it touched.
    pub async fn exec(&self, sql: &str) -> u64 {
        match &self.raw {
            Raw::Sqlite(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .expect(sql)
                .rows_affected(),
            Raw::Pg { pool, .. } => sqlx::query(sql)
                .execute(pool)
                .await
                .expect(sql)
                .rows_affected(),
        }
    }

    /// One integer from a query without binds.
    pub async fn count(&self, sql: &str) -> i64 {
        match &self.raw {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql),
            Raw::Pg { pool, .. } => sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql),
        }
    }

    /// Every text column of every audit event, joined per row.
    pub async fn audit_texts(&self) -> Vec<String> {
        let sql = "select actor || ' ' || kind || ' ' || data from audit_event order by seq";
        match &self.raw {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.expect(sql),
            Raw::Pg { pool, .. } => sqlx::query_scalar(sql).fetch_all(pool).await.expect(sql),
        }
    }

    /// Back-dates every idempotency key (to test expiry).
    pub async fn set_keys_created_at(&self, at: DateTime<Utc>) {
        let sql = "update idempotency_key set created_at = $1";
        match &self.raw {
            Raw::Sqlite(pool) => sqlx::query(sql)
                .bind(at)
                .execute(pool)
                .await
                .expect(sql)
                .rows_affected(),
            Raw::Pg { pool, .. } => sqlx::query(sql)
                .bind(at)
                .execute(pool)
                .await
                .expect(sql)
                .rows_affected(),
        };
    }
}
