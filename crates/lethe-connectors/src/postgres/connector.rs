//! [`PostgresConnector`]: the [`Connector`] for tables in PostgreSQL. Each
//! call runs the engine's one `SELECT` for the whole batch; erasure runs it
//! and one set-based `UPDATE` or `DELETE` in one transaction.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lethe_domain::{IdentifierHasher, Replacement, Strategy, Subject, TargetInfo};
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::catalog;
use super::dialect::Postgres;
use super::failure::classify;
use super::pool::{Conn, Pool};
use super::target::PostgresTarget;
use super::tls::{client_config, MakeRustls};
use crate::files::Matcher;
use crate::sql::{
    self, Attributed, ColumnTypes, Layout, Needles, Param, Rewrite, Row, StrategyName,
};
use crate::{BatchSubject, Connector, ConnectorError, Erasure, Export, Finding};

/// What a call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Discover,
    Export,
    Erase,
}

/// The `postgres` connector: one instance serves every `[[postgres]]`
/// target. Cheap to clone; clones share pools and counters.
#[derive(Debug, Clone)]
pub struct PostgresConnector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    targets: Vec<Compiled>,
    hasher: Option<IdentifierHasher>,
    statements: AtomicU64,
}

/// A target ready to run: its strategy, its pool, and the column types
/// read from the catalog on first use.
#[derive(Debug)]
struct Compiled {
    target: PostgresTarget,
    strategy: Strategy,
    pool: Arc<Pool>,
    types: tokio::sync::Mutex<Option<Arc<ColumnTypes>>>,
}

/// What [`PostgresConnector::connection_info`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Whether the session is encrypted (`pg_stat_ssl.ssl`).
    pub tls: bool,
    /// `server_version` as the server reports it.
    pub server_version: String,
}

impl PostgresConnector {
    /// Checks every target (unique names, declarations, URLs, CA files)
    /// without connecting, so a bad `lethe.toml` stops lethe at startup.
    /// `pseudonym` is the key for `pseudonym` replacements; a target asking
    /// for them without one is refused.
    pub fn new(
        targets: Vec<PostgresTarget>,
        pseudonym: Option<IdentifierHasher>,
    ) -> Result<Self, String> {
        let mut compiled: Vec<Compiled> = Vec::with_capacity(targets.len());
        for target in targets {
            let name = target.table.name.clone();
            if compiled.iter().any(|c| c.target.table.name == name) {
                return Err(format!(
                    "postgres target `{name}` is declared twice; give each `[[postgres]]` table its own `name`"
                ));
            }
            target.validate()?;
            if target.table.wants_pseudonyms() && pseudonym.is_none() {
                return Err(format!(
                    "postgres target `{name}`: pseudonym replacements need the pseudonym key, which is not configured"
                ));
            }
            let shared = compiled
                .iter()
                .find(|c| c.target.connection.same_as(&target.connection))
                .map(|c| Arc::clone(&c.pool));
            let pool = match shared {
                Some(pool) => pool,
                None => {
                    let conn = &target.connection;
                    let tls = client_config(conn.sslmode, conn.ca_file.as_deref())
                        .map_err(|e| format!("postgres target `{name}`: {e}"))?;
                    let config = conn
                        .config()
                        .map_err(|e| format!("postgres target `{name}`: {e}"))?;
                    Arc::new(Pool::new(
                        config,
                        MakeRustls(tls),
                        conn.pool_size,
                        Duration::from_secs(conn.connect_timeout_secs),
                    ))
                }
            };
            compiled.push(Compiled {
                strategy: target.table.strategy()?,
                target,
                pool,
                types: tokio::sync::Mutex::new(None),
            });
        }
        Ok(Self {
            inner: Arc::new(Inner {
                targets: compiled,
                hasher: pseudonym,
                statements: AtomicU64::new(0),
            }),
        })
    }

    /// Statements run against target tables since this connector was
    /// built: one per discovery, export and verification whatever the
    /// batch size, plus one per erasure that changes rows. The one-time
    /// catalog check of a target and transaction control are not counted.
    pub fn statements(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    /// Connects as `target` does and reports the session: whether it is
    /// encrypted and the server version. For health checks and tests.
    pub async fn connection_info(&self, target: &str) -> Result<ConnectionInfo, ConnectorError> {
        let c = self.inner.target(target)?;
        let mut conn = c.pool.get().await.map_err(|e| c.fail(&e))?;
        let row = conn
            .client()
            .query_one(
                "select coalesce((select ssl from pg_stat_ssl where pid = pg_backend_pid()), false), \
                 current_setting('server_version')",
                &[],
            )
            .await
            .map_err(|e| {
                conn.discard();
                c.fail(&e)
            })?;
        Ok(ConnectionInfo {
            tls: row.get(0),
            server_version: row.get(1),
        })
    }
}

impl Inner {
    fn target(&self, name: &str) -> Result<&Compiled, ConnectorError> {
        self.targets
            .iter()
            .find(|t| t.target.table.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .targets
                    .iter()
                    .map(|t| t.target.table.name.as_str())
                    .collect();
                ConnectorError::permanent(format!(
                    "the postgres connector has no target `{name}` (known: {})",
                    known.join(", ")
                ))
            })
    }

    /// Runs `op` for `batch` on `target`.
    async fn run(
        &self,
        target: &str,
        batch: &[BatchSubject],
        op: Op,
    ) -> Result<Outcome, ConnectorError> {
        let c = self.target(target)?;
        let subjects = BatchSubject::subjects(batch);
        let include_weak: Vec<bool> = batch.iter().map(|b| b.include_weak).collect();
        if op == Op::Erase && c.strategy.is_retain() {
            return Ok(Outcome::Nothing);
        }
        let table = &c.target.table;
        let needles = Needles::new(&subjects);
        if needles.is_empty() {
            return Ok(Outcome::Nothing);
        }
        let matcher = if table.free_text.is_empty() {
            None
        } else {
            Some(Matcher::for_subjects(&subjects).map_err(|e| c.permanent(&e.to_string()))?)
        };
        let layout = Layout::new(table, op == Op::Export);
        let Some(select) = sql::statement::select(&Postgres, table, &layout, &needles) else {
            return Ok(Outcome::Nothing);
        };
        let mut conn = c.pool.get().await.map_err(|e| c.fail(&e))?;
        let result = self
            .run_on(
                c,
                &mut conn,
                op,
                &select,
                layout,
                &needles,
                matcher.as_ref(),
                &subjects,
                &include_weak,
            )
            .await;
        if let Err((e, connection_fault)) = &result {
            if *connection_fault {
                conn.discard();
            }
            if matches!(e.message.as_str(), m if m.contains("SQLSTATE 42")) {
                // The table changed shape: read the catalog again next time.
                *c.types.lock().await = None;
            }
        }
        result.map_err(|(e, _)| e)
    }

    #[expect(clippy::too_many_arguments, reason = "one call's state, passed once")]
    async fn run_on(
        &self,
        c: &Compiled,
        conn: &mut Conn<'_>,
        op: Op,
        select: &sql::Statement,
        layout: Layout,
        needles: &Needles,
        matcher: Option<&Matcher>,
        subjects: &[Subject],
        include_weak: &[bool],
    ) -> Result<Outcome, (ConnectorError, bool)> {
        let fail = |e: tokio_postgres::Error| {
            let connection_fault = e.as_db_error().is_none();
            (c.fail(&e), connection_fault)
        };
        let types = c.column_types(conn.client()).await?;
        let place = c.target.table.table.to_string();
        if op != Op::Erase {
            let rows = self.query(conn.client(), select).await.map_err(fail)?;
            let found = Attributed::new(layout, rows, needles, matcher);
            return Ok(match op {
                Op::Export => Outcome::Exports(found.exports(subjects.len(), &place)),
                _ => Outcome::Findings(found.findings(subjects, needles, &place)),
            });
        }
        let tx = conn.client().transaction().await.map_err(fail)?;
        let rows = self.query(&tx, select).await.map_err(fail)?;
        let found = Attributed::new(layout.clone(), rows, needles, matcher);
        let table = &c.target.table;
        let hasher = self.hasher.as_ref();
        let replace = |i: usize, old: Option<&str>| -> Option<String> {
            let (column, kinds, _) = &layout.idents[i];
            match (table.strategy, table.column_replacement(column)) {
                (StrategyName::Redact, _) => Some(table.redact_token().to_owned()),
                (_, Replacement::Null) => None,
                (_, Replacement::Token(t)) => Some(t),
                (_, Replacement::Pseudonym) => {
                    let h = hasher.expect("checked when the connector was built");
                    old.map(|v| sql::pseudonym_of(h, needles, kinds, v))
                }
            }
        };
        let how = match table.strategy {
            StrategyName::Delete => Rewrite::Delete,
            StrategyName::Anonymise | StrategyName::Redact => Rewrite::Columns {
                whole_party: table.strategy == StrategyName::Anonymise,
                replace: &replace,
                token: table.redact_token(),
            },
            StrategyName::Retain => unreachable!("retain returns before querying"),
        };
        let (changes, erasures) = found.plan(include_weak, &how);
        if changes.is_empty() {
            return Ok(Outcome::Erasures(erasures));
        }
        let write = match how {
            Rewrite::Delete => sql::statement::delete(&Postgres, table, &layout, &types, &changes),
            Rewrite::Columns { .. } => {
                sql::statement::update(&Postgres, table, &layout, &types, &changes)
            }
        };
        if types.key_indexed {
            // One index probe per changed row: with many rows the planner
            // prefers hashing the whole table, which costs a full scan and,
            // past `work_mem`, temp files. Scoped to this transaction.
            tx.batch_execute("set local enable_hashjoin = off; set local enable_mergejoin = off")
                .await
                .map_err(fail)?;
        }
        let changed = self.execute(&tx, &write).await.map_err(fail)?;
        if changed != changes.len() as u64 {
            // Dropping the transaction rolls it back.
            return Err((
                ConnectorError::transient(format!(
                    "postgres target `{}`: {} of {} rows of `{place}` changed while they were being erased; nothing was changed, retry",
                    table.name,
                    changes.len() as u64 - changed.min(changes.len() as u64),
                    changes.len()
                )),
                false,
            ));
        }
        tx.commit().await.map_err(fail)?;
        tracing::debug!(
            connector.name = "postgres",
            target.name = %table.name,
            rows.changed = changed,
            "erased rows in one transaction"
        );
        Ok(Outcome::Erasures(erasures))
    }

    async fn query(
        &self,
        client: &impl GenericClient,
        s: &sql::Statement,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        let params = to_sql(&s.params);
        let rows = client.query(s.sql.as_str(), &params).await?;
        Ok(rows
            .iter()
            .map(|r| Row {
                values: (0..r.len())
                    .map(|i| r.get::<_, Option<String>>(i))
                    .collect(),
            })
            .collect())
    }

    async fn execute(
        &self,
        client: &impl GenericClient,
        s: &sql::Statement,
    ) -> Result<u64, tokio_postgres::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        client.execute(s.sql.as_str(), &to_sql(&s.params)).await
    }
}

fn to_sql(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| -> &(dyn ToSql + Sync) {
            match p {
                Param::Texts(v) => v,
                Param::NullableTexts(v) => v,
                Param::Ints(v) => v,
                Param::Text(v) => v,
            }
        })
        .collect()
}

impl Compiled {
    fn fail(&self, e: &tokio_postgres::Error) -> ConnectorError {
        classify(
            &self.target.table.name,
            &self.target.table.table.to_string(),
            e,
        )
    }

    fn permanent(&self, what: &str) -> ConnectorError {
        ConnectorError::permanent(format!(
            "postgres target `{}` (table `{}`): {what}",
            self.target.table.name, self.target.table.table
        ))
    }

    /// The table's column types from the catalog, read once per target
    /// (again after a statement named a missing object), checked against
    /// the declaration.
    async fn column_types(
        &self,
        client: &tokio_postgres::Client,
    ) -> Result<Arc<ColumnTypes>, (ConnectorError, bool)> {
        let mut cached = self.types.lock().await;
        if let Some(types) = cached.as_ref() {
            return Ok(Arc::clone(types));
        }
        let t = &self.target.table;
        let types = catalog::read(client, t)
            .await
            .map_err(|e| (self.fail(&e), e.as_db_error().is_none()))?
            .ok_or_else(|| {
                let why =
                    "the table does not exist or the connecting role cannot see it; fix `table`";
                (self.permanent(why), false)
            })?;
        types
            .check(t)
            .map_err(|why| (self.permanent(&why), false))?;
        let types = Arc::new(types);
        *cached = Some(Arc::clone(&types));
        Ok(types)
    }
}

/// A call's result before it is split per method.
enum Outcome {
    Findings(Vec<Finding>),
    Exports(Vec<Export>),
    Erasures(Vec<Erasure>),
    /// Nothing could match: every method answers "nothing".
    Nothing,
}

#[async_trait]
impl Connector for PostgresConnector {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn targets(&self) -> Vec<TargetInfo> {
        self.inner
            .targets
            .iter()
            .map(|c| c.target.table.info("postgres", c.strategy.clone()))
            .collect()
    }

    async fn discover(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        Ok(match self.inner.run(target, batch, Op::Discover).await? {
            Outcome::Findings(f) => f,
            _ => vec![Finding::default(); batch.len()],
        })
    }

    async fn export(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        Ok(match self.inner.run(target, batch, Op::Export).await? {
            Outcome::Exports(e) => e,
            _ => vec![Export::default(); batch.len()],
        })
    }

    async fn erase(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        Ok(match self.inner.run(target, batch, Op::Erase).await? {
            Outcome::Erasures(e) => e,
            _ => vec![Erasure::default(); batch.len()],
        })
    }
}
