//! [`MssqlConnector`]: the [`Connector`] for tables in SQL Server. Per
//! call and table, one `SELECT` per group of subjects (a group is as many
//! as fit under SQL Server's parameter limit: the whole batch, usually);
//! erasure runs those and set-based `UPDATE`s or `DELETE`s of the changed
//! rows, chunked under the same limit, all in **one** transaction.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lethe_domain::{IdentifierHasher, Replacement, Subject, TargetInfo};

use super::compiled::{Compiled, Fail};
use super::dialect::{MsParam, MsSql, Rendered, MAX_PARAMS};
use super::pool::{Pool, TdsClient};
use super::target::MssqlTarget;
use crate::files::recordings::{self, locate, Located};
use crate::files::Matcher;
use crate::sql::{self, Attributed, ColumnTypes, Layout, Needles, Rewrite, Row, StrategyName};
use crate::{BatchSubject, Connector, ConnectorError, Erasure, Export, Finding, FollowUp};

/// What a call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Discover,
    Export,
    Erase,
}

/// The `mssql` connector: one instance serves every `[[mssql]]` target.
/// Cheap to clone; clones share connections and counters.
#[derive(Debug, Clone)]
pub struct MssqlConnector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    targets: Vec<Compiled>,
    hasher: Option<IdentifierHasher>,
    statements: AtomicU64,
    sql_log: std::sync::Mutex<Option<Vec<String>>>,
}

impl MssqlConnector {
    /// Checks every target without connecting, so a bad `lethe.toml`
    /// stops lethe at startup. `pseudonym` is the key for `pseudonym`
    /// replacements.
    pub fn new(
        targets: Vec<MssqlTarget>,
        pseudonym: Option<IdentifierHasher>,
    ) -> Result<Self, String> {
        let mut compiled: Vec<Compiled> = Vec::with_capacity(targets.len());
        for target in targets {
            let name = target.table.name.clone();
            if compiled.iter().any(|c| c.target.table.name == name) {
                return Err(format!(
                    "mssql target `{name}` is declared twice; give each `[[mssql]]` table its own `name`"
                ));
            }
            target.validate()?;
            if target.table.wants_pseudonyms() && pseudonym.is_none() {
                return Err(format!(
                    "mssql target `{name}`: pseudonym replacements need the pseudonym key, which is not configured"
                ));
            }
            let shared = compiled
                .iter()
                .find(|c| {
                    c.target.connection.same_as(&target.connection)
                        && c.target.database == target.database
                })
                .map(|c| Arc::clone(&c.pool));
            let conn = &target.connection;
            let pool = match shared {
                Some(pool) => pool,
                None => Arc::new(Pool::new(
                    conn.config(target.database.as_ref())
                        .map_err(|e| format!("mssql target `{name}`: {e}"))?,
                    Duration::from_secs(conn.connect_timeout_secs),
                )),
            };
            compiled.push(Compiled {
                strategy: target.table.strategy()?,
                statement_timeout: Duration::from_secs(conn.statement_timeout_secs),
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
                sql_log: std::sync::Mutex::new(None),
            }),
        })
    }

    /// Statements run against target tables (selects and writes; not the
    /// one-time column read nor transaction control).
    pub fn statements(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    /// Starts recording the text of every statement sent, for tests that
    /// check the connector emits T-SQL only. Values are parameters and
    /// never part of the text.
    pub fn record_sql(&self) {
        *self.inner.sql_log.lock().expect("log lock") = Some(Vec::new());
    }

    /// The statements recorded since [`Self::record_sql`].
    pub fn recorded_sql(&self) -> Vec<String> {
        self.inner
            .sql_log
            .lock()
            .expect("log lock")
            .clone()
            .unwrap_or_default()
    }
}

/// Per-subject results of a call, filled group by group.
#[derive(Default)]
struct Outcome {
    findings: Vec<Finding>,
    exports: Vec<Export>,
    erasures: Vec<Erasure>,
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
                    "the mssql connector has no target `{name}` (known: {})",
                    known.join(", ")
                ))
            })
    }

    async fn run(
        &self,
        target: &str,
        batch: &[BatchSubject],
        op: Op,
    ) -> Result<Outcome, ConnectorError> {
        let c = self.target(target)?;
        let subjects = BatchSubject::subjects(batch);
        let include_weak: Vec<bool> = batch.iter().map(|b| b.include_weak).collect();
        let nothing = || Outcome {
            findings: vec![Finding::default(); batch.len()],
            exports: vec![Export::default(); batch.len()],
            erasures: vec![Erasure::default(); batch.len()],
        };
        if (op == Op::Erase && c.strategy.is_retain()) || Needles::new(&subjects).is_empty() {
            return Ok(nothing());
        }
        let mut client = c.pool.get().await.map_err(|e| c.fail(&e))?;
        let result = self
            .run_on(c, &mut client, op, &subjects, &include_weak)
            .await;
        match &result {
            Ok(_) => c.pool.put(client),
            Err((e, broken)) => {
                if *broken {
                    c.pool.discard_idle();
                } else {
                    c.pool.put(client);
                }
                if e.message.contains("error 207") || e.message.contains("error 208") {
                    // The table changed shape: read its columns again next time.
                    *c.types.lock().await = None;
                }
            }
        }
        result.map_err(|(e, _)| e)
    }

    async fn run_on(
        &self,
        c: &Compiled,
        client: &mut TdsClient,
        op: Op,
        subjects: &[Subject],
        include_weak: &[bool],
    ) -> Result<Outcome, Fail> {
        let types = c.column_types(client).await?;
        let (types, dialect) = (&types.0, &types.1);
        let groups = c.groups(dialect, subjects, op == Op::Export)?;
        if op != Op::Erase {
            let mut out = Outcome::default();
            for g in groups {
                self.group(
                    c,
                    client,
                    dialect,
                    types,
                    op,
                    &subjects[g.clone()],
                    &include_weak[g],
                    &mut out,
                )
                .await?;
            }
            return Ok(out);
        }
        self.control(c, client, "begin transaction").await?;
        let mut out = Outcome::default();
        for g in groups {
            let done = self
                .group(
                    c,
                    client,
                    dialect,
                    types,
                    op,
                    &subjects[g.clone()],
                    &include_weak[g],
                    &mut out,
                )
                .await;
            if let Err((e, broken)) = done {
                // Some errors end only the statement in SQL Server: roll
                // back explicitly so nothing of the batch stays.
                let broken = broken
                    || self
                        .control(c, client, "rollback transaction")
                        .await
                        .is_err();
                return Err((e, broken));
            }
        }
        self.control(c, client, "commit transaction").await?;
        Ok(out)
    }

    /// Runs `op` for one group of subjects, appending its results.
    #[expect(clippy::too_many_arguments, reason = "one call's state, passed once")]
    async fn group(
        &self,
        c: &Compiled,
        client: &mut TdsClient,
        d: &MsSql,
        types: &ColumnTypes,
        op: Op,
        subjects: &[Subject],
        include_weak: &[bool],
        out: &mut Outcome,
    ) -> Result<(), Fail> {
        let table = &c.target.table;
        let place = c.target.place();
        let needles = Needles::new(subjects);
        let layout = Layout::new(table, op == Op::Export);
        let select = (!needles.is_empty())
            .then(|| sql::statement::select(d, table, &layout, &needles))
            .flatten();
        let Some(select) = select else {
            out.findings
                .extend(vec![Finding::default(); subjects.len()]);
            out.exports.extend(vec![Export::default(); subjects.len()]);
            out.erasures
                .extend(vec![Erasure::default(); subjects.len()]);
            return Ok(());
        };
        let matcher = if table.free_text.is_empty() {
            None
        } else {
            Some(
                Matcher::for_subjects(subjects)
                    .map_err(|e| (c.permanent(&e.to_string()), false))?,
            )
        };
        let rows = self.query(c, client, &c.render(&select)?).await?;
        let found = Attributed::new(layout.clone(), rows, &needles, matcher.as_ref());
        match op {
            Op::Discover => {
                let mut findings = found.findings(subjects, &needles, &place);
                if let Some(r) = &c.target.recordings {
                    let strong_only = vec![false; subjects.len()];
                    for (s, location) in found.values_of(&r.column, &strong_only) {
                        findings[s]
                            .follow_ups
                            .extend(follow_up(&location, &r.roots));
                    }
                }
                out.findings.extend(findings);
            }
            Op::Export => out.exports.extend(found.exports(subjects.len(), &place)),
            Op::Erase => {
                let hasher = self.hasher.as_ref();
                let replace = |i: usize, old: Option<&str>| -> Option<String> {
                    let (column, kinds, _) = &layout.idents[i];
                    match (table.strategy, table.column_replacement(column)) {
                        (StrategyName::Redact, _) => Some(table.redact_token().to_owned()),
                        (_, Replacement::Null) => None,
                        (_, Replacement::Token(t)) => Some(t),
                        (_, Replacement::Pseudonym) => {
                            let h = hasher.expect("checked when the connector was built");
                            old.map(|v| sql::pseudonym_of(h, &needles, kinds, v))
                        }
                    }
                };
                let how = match table.strategy {
                    StrategyName::Delete => Rewrite::Delete,
                    _ => Rewrite::Columns {
                        whole_party: table.strategy == StrategyName::Anonymise,
                        replace: &replace,
                        token: table.redact_token(),
                    },
                };
                let (changes, erasures) = found.plan(include_weak, &how);
                let build = |rows: &[sql::statement::RowChange]| match how {
                    Rewrite::Delete => sql::statement::delete(d, table, &layout, types, rows),
                    Rewrite::Columns { .. } => {
                        sql::statement::update(d, table, &layout, types, rows)
                    }
                };
                // Recordings go before the rows that name them: a crash
                // in between leaves a row whose file is already gone,
                // which the re-run takes as done.
                if let Some(r) = &c.target.recordings {
                    for (_, location) in found.values_of(&r.column, include_weak) {
                        if let Located::Local(path) = locate(&location, &r.roots) {
                            recordings::delete(&path)
                                .map_err(|e| (recording_error(&table.name, &e), false))?;
                        }
                    }
                }
                if let Some(first) = changes.first() {
                    let per_row = c.render(&build(std::slice::from_ref(first)))?.params.len();
                    let mut changed = 0u64;
                    for chunk in changes.chunks((MAX_PARAMS / per_row.max(1)).max(1)) {
                        changed += self.execute(c, client, &c.render(&build(chunk))?).await?;
                    }
                    if changed != changes.len() as u64 {
                        return Err((
                            ConnectorError::transient(format!(
                                "mssql target `{}`: {} of {} rows of `{place}` changed while they were being erased; nothing was changed, retry",
                                table.name,
                                (changes.len() as u64).saturating_sub(changed),
                                changes.len()
                            )),
                            false,
                        ));
                    }
                    tracing::debug!(connector.name = "mssql", target.name = %table.name, rows.changed = changed, "erased rows");
                }
                out.erasures.extend(erasures);
            }
        }
        Ok(())
    }

    fn log(&self, sql: &str) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        if let Some(log) = self.sql_log.lock().expect("log lock").as_mut() {
            log.push(sql.to_owned());
        }
    }

    async fn query(
        &self,
        c: &Compiled,
        client: &mut TdsClient,
        s: &Rendered,
    ) -> Result<Vec<Row>, Fail> {
        self.log(&s.sql);
        let q = query_of(s);
        let run = async {
            let rows = q.query(client).await?.into_first_result().await?;
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<&str, usize>(i).map(|v| v.map(str::to_owned)))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|values| Row { values })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        c.timed(run).await
    }

    async fn execute(
        &self,
        c: &Compiled,
        client: &mut TdsClient,
        s: &Rendered,
    ) -> Result<u64, Fail> {
        self.log(&s.sql);
        let q = query_of(s);
        c.timed(async { Ok(q.execute(client).await?.total()) })
            .await
    }

    /// Transaction control (not counted).
    async fn control(&self, c: &Compiled, client: &mut TdsClient, sql: &str) -> Result<(), Fail> {
        c.timed(async {
            client
                .simple_query(sql)
                .await?
                .into_results()
                .await
                .map(drop)
        })
        .await
    }
}

fn query_of(s: &Rendered) -> tiberius::Query<'static> {
    let mut q = tiberius::Query::new(s.sql.clone());
    for p in &s.params {
        match p {
            MsParam::Text(v) => q.bind(v.clone().map(Cow::<'static, str>::Owned)),
            MsParam::Int(i) => q.bind(*i),
        }
    }
    q
}

#[async_trait]
impl Connector for MssqlConnector {
    fn kind(&self) -> &'static str {
        "mssql"
    }

    fn targets(&self) -> Vec<TargetInfo> {
        self.inner
            .targets
            .iter()
            .map(|c| c.target.table.info("mssql", c.strategy.clone()))
            .collect()
    }

    async fn discover(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        Ok(self.inner.run(target, batch, Op::Discover).await?.findings)
    }

    async fn export(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        Ok(self.inner.run(target, batch, Op::Export).await?.exports)
    }

    async fn erase(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        Ok(self.inner.run(target, batch, Op::Erase).await?.erasures)
    }
}

/// What a person must do about a recording lethe may not delete itself;
/// `None` for one under a configured root.
fn follow_up(location: &str, roots: &[recordings::RecordingRoot]) -> Option<FollowUp> {
    match locate(location, roots) {
        Located::Local(_) => None,
        Located::Outside => Some(FollowUp(format!(
            "Delete the recording `{location}` where it is stored: it is outside every configured recording root, so lethe did not touch it."
        ))),
        Located::Refused(why) => Some(FollowUp(format!(
            "Check the recording `{location}` by hand: lethe refused to touch {why}."
        ))),
    }
}

/// A recording that could not be deleted; names the target, never the
/// path (it holds the caller's number).
fn recording_error(target: &str, e: &std::io::Error) -> ConnectorError {
    let message =
        format!("mssql target `{target}`: cannot delete a recording under its root ({e})");
    if e.kind() == std::io::ErrorKind::PermissionDenied
        || e.kind() == std::io::ErrorKind::InvalidInput
    {
        ConnectorError::permanent(message)
    } else {
        ConnectorError::transient(message)
    }
}
