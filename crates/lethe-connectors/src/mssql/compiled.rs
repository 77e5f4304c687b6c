//! [`Compiled`]: one target ready to run: its connections, its statement
//! timeout, the column types read from its table on first use, and the
//! grouping of a batch under SQL Server's parameter limit.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use lethe_domain::{Strategy, Subject};
use tiberius::ColumnType;

use super::dialect::{render, Family, MsSql, Rendered, MAX_PARAMS};
use super::failure::{breaks_connection, classify};
use super::pool::{Pool, TdsClient};
use super::target::MssqlTarget;
use crate::sql::{self, ColumnTypes, Layout, Needles};
use crate::ConnectorError;

/// A target ready to run.
#[derive(Debug)]
pub(super) struct Compiled {
    pub(super) target: MssqlTarget,
    pub(super) strategy: Strategy,
    pub(super) pool: Arc<Pool>,
    /// Column types read from the table on first use.
    pub(super) types: tokio::sync::Mutex<Option<Arc<(ColumnTypes, MsSql)>>>,
    pub(super) statement_timeout: Duration,
}

/// A failure and whether the connection is unusable after it.
pub(super) type Fail = (ConnectorError, bool);

impl Compiled {
    pub(super) fn fail(&self, e: &tiberius::error::Error) -> ConnectorError {
        classify(&self.target.table.name, &self.target.place(), e)
    }

    pub(super) fn permanent(&self, what: &str) -> ConnectorError {
        ConnectorError::permanent(format!(
            "mssql target `{}` (table `{}`): {what}",
            self.target.table.name,
            self.target.place()
        ))
    }

    pub(super) fn render(&self, s: &sql::Statement) -> Result<Rendered, Fail> {
        render(s).map_err(|e| (self.permanent(&format!("internal: {e}")), false))
    }

    /// `f` under the statement timeout; a timeout leaves the connection
    /// mid-reply, so it is dropped (the server rolls back its transaction).
    pub(super) async fn timed<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, tiberius::error::Error>>,
    ) -> Result<T, Fail> {
        match tokio::time::timeout(self.statement_timeout, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err((self.fail(&e), breaks_connection(&e))),
            Err(_) => Err((
                ConnectorError::transient(format!(
                    "mssql target `{}` (table `{}`): no answer within {} s (statement_timeout_secs); will retry",
                    self.target.table.name,
                    self.target.place(),
                    self.statement_timeout.as_secs()
                )),
                true,
            )),
        }
    }

    /// Groups of consecutive subjects whose `SELECT` fits under the
    /// parameter limit: halves until each fits.
    pub(super) fn groups(
        &self,
        d: &MsSql,
        subjects: &[Subject],
        with_context: bool,
    ) -> Result<Vec<Range<usize>>, Fail> {
        let layout = Layout::new(&self.target.table, with_context);
        let mut todo: Vec<Range<usize>> = Vec::new();
        todo.push(0..subjects.len());
        let mut out = Vec::new();
        while let Some(r) = todo.pop() {
            let needles = Needles::new(&subjects[r.clone()]);
            let params = sql::statement::select(d, &self.target.table, &layout, &needles)
                .map(|s| self.render(&s).map(|r| r.params.len()))
                .transpose()?
                .unwrap_or(0);
            if params <= MAX_PARAMS || r.len() == 1 {
                if params > MAX_PARAMS {
                    return Err((
                        self.permanent(
                            "one subject has more identifiers than one statement can carry",
                        ),
                        false,
                    ));
                }
                out.push(r);
            } else {
                let mid = r.start + r.len() / 2;
                todo.push(mid..r.end);
                todo.push(r.start..mid);
            }
        }
        Ok(out)
    }

    /// The table's columns and their types, read once per target (again
    /// after a statement named a missing object), checked against the
    /// declaration. `select top (0) *` answers with the column metadata
    /// only, on SQL Server and on the test server alike.
    pub(super) async fn column_types(
        &self,
        client: &mut TdsClient,
    ) -> Result<Arc<(ColumnTypes, MsSql)>, Fail> {
        let mut cached = self.types.lock().await;
        if let Some(t) = cached.as_ref() {
            return Ok(Arc::clone(t));
        }
        let mut dialect = MsSql {
            database: self.target.database.clone(),
            families: HashMap::new(),
        };
        let sql = format!(
            "select top (0) * from {}",
            crate::sql::Dialect::table(&dialect, &self.target.table.table)
        );
        let columns: Vec<(String, ColumnType)> = self
            .timed(async {
                let mut stream = client.simple_query(sql).await?;
                let columns = stream
                    .columns()
                    .await?
                    .map(|cs| {
                        cs.iter()
                            .map(|c| (c.name().to_owned(), c.column_type()))
                            .collect()
                    })
                    .unwrap_or_default();
                stream.into_results().await?;
                Ok(columns)
            })
            .await?;
        let mut types = ColumnTypes::default();
        for (name, t) in columns {
            let family = family(t);
            types
                .types
                .insert(name.clone(), format!("{family:?}").to_lowercase());
            dialect.families.insert(name, family);
        }
        types
            .check(&self.target.table)
            .map_err(|why| (self.permanent(&why), false))?;
        let t = Arc::new((types, dialect));
        *cached = Some(Arc::clone(&t));
        Ok(t)
    }
}

/// The family a column type reads as text in.
fn family(t: ColumnType) -> Family {
    use ColumnType as T;
    match t {
        T::BigVarChar | T::BigChar | T::NVarchar | T::NChar | T::Text | T::NText | T::Xml => {
            Family::Text
        }
        T::Guid => Family::Guid,
        T::Datetime
        | T::Datetime4
        | T::Datetimen
        | T::Daten
        | T::Timen
        | T::Datetime2
        | T::DatetimeOffsetn => Family::Date,
        _ => Family::Other,
    }
}
