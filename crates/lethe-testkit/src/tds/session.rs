//! One client's session: a SQLite connection with every database attached,
//! the transaction it holds, and the execution of translated statements
//! into reply tokens.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteArguments, SqliteConnectOptions, SqliteRow};
use sqlx::{Arguments, Column, Connection, Executor, Row, SqliteConnection, TypeInfo, ValueRef};

use super::server::Shared;
use super::translate::{translate, Ctx, Identity, SqlError, Stmt};
use super::types::{self, ColType, Value};
use super::wire::{
    self, DONE_COUNT, DONE_ERROR, DONE_MORE, TOK_DONE, TOK_DONEINPROC, TOK_DONEPROC,
};

/// Where the declared types of `IDENTITY` columns are kept, one per database.
const TYPES_TABLE: &str = "__lethe_tds_identity";

/// The server dropped the connection on purpose (see `TdsServer::drop_connection_at_statement`).
#[derive(Debug)]
pub(crate) struct Dropped;

/// A client session after login.
pub(crate) struct Session {
    conn: SqliteConnection,
    shared: Arc<Shared>,
    main_db: String,
    current_db: String,
    trancount: u32,
    tran_id: u64,
    nocount: bool,
    rowcount: u64,
    spid: u16,
}

/// Where a request came from: the reply tokens differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Batch,
    Rpc,
}

/// Opens the SQLite connection of a session: the login database as `main`,
/// every other database attached under its own name.
pub(crate) async fn open(
    dir: &Path,
    databases: &[String],
    main_db: &str,
) -> Result<SqliteConnection, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(dir.join(format!("{main_db}.db")))
        .create_if_missing(true)
        .busy_timeout(Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&options).await?;
    for db in databases
        .iter()
        .filter(|d| !d.eq_ignore_ascii_case(main_db))
    {
        let path = dir.join(format!("{db}.db"));
        let sql = format!(
            "ATTACH DATABASE '{}' AS \"{db}\"",
            path.display().to_string().replace('\'', "''")
        );
        conn.execute(sql.as_str()).await?;
    }
    Ok(conn)
}

/// Maps a SQLite error message to the SQL Server error a client expects.
fn sqlite_error(e: &sqlx::Error) -> SqlError {
    let msg = match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    };
    let after = |prefix: &str| {
        msg.split_once(prefix)
            .map(|(_, r)| r.trim().to_string())
            .unwrap_or_default()
    };
    if msg.starts_with("no such table") {
        let t = after(":");
        let t = t.rsplit('.').next().unwrap_or(&t).to_string();
        SqlError::new(208, format!("Invalid object name '{t}'."))
    } else if msg.starts_with("no such column") || msg.contains("has no column named") {
        let c = msg.rsplit([':', ' ']).next().unwrap_or("").to_string();
        SqlError::new(207, format!("Invalid column name '{c}'."))
    } else if msg.starts_with("UNIQUE constraint failed") {
        SqlError::new(
            2627,
            format!("Violation of PRIMARY KEY or UNIQUE KEY constraint. Cannot insert duplicate key ({}).", after(":")),
        )
    } else if msg.starts_with("NOT NULL constraint failed") {
        let col = after(":");
        SqlError::new(
            515,
            format!("Cannot insert the value NULL into column '{col}'; column does not allow nulls. INSERT fails."),
        )
    } else if msg.contains("FOREIGN KEY constraint failed") {
        SqlError::new(
            547,
            "The statement conflicted with a FOREIGN KEY constraint.",
        )
    } else if msg.contains("already exists") {
        SqlError::new(
            2714,
            format!(
                "There is already an object named {}.",
                msg.trim_end_matches(" already exists")
            ),
        )
    } else if msg.contains("database is locked") || msg.contains("database table is locked") {
        SqlError::new(1222, "Lock request time out period exceeded.")
    } else if let Some(near) = msg
        .strip_prefix("near \"")
        .and_then(|r| r.split('"').next())
    {
        SqlError::new(102, format!("Incorrect syntax near '{near}'."))
    } else {
        SqlError::new(50000, format!("sqlite: {msg}"))
    }
}

fn value_of(row: &SqliteRow, i: usize) -> Value {
    let Ok(raw) = row.try_get_raw(i) else {
        return Value::Null;
    };
    if raw.is_null() {
        return Value::Null;
    }
    let kind = raw.type_info().name().to_string();
    match kind.as_str() {
        "INTEGER" => row
            .try_get_unchecked::<i64, _>(i)
            .map_or(Value::Null, Value::Int),
        "REAL" => row
            .try_get_unchecked::<f64, _>(i)
            .map_or(Value::Null, Value::Float),
        "BLOB" => row
            .try_get_unchecked::<Vec<u8>, _>(i)
            .map_or(Value::Null, Value::Blob),
        _ => row
            .try_get_unchecked::<String, _>(i)
            .map_or(Value::Null, Value::Text),
    }
}

fn bind(args: &mut SqliteArguments<'static>, v: &Value) -> Result<(), SqlError> {
    let r = match v.clone() {
        Value::Null => args.add(Option::<i64>::None),
        Value::Int(i) => args.add(i),
        Value::Float(f) => args.add(f),
        Value::Text(s) => args.add(s),
        Value::Blob(b) => args.add(b),
    };
    r.map_err(|e| {
        SqlError::new(
            8023,
            format!("The incoming request has an invalid parameter: {e}"),
        )
    })
}

impl Session {
    pub(crate) fn new(
        conn: SqliteConnection,
        shared: Arc<Shared>,
        main_db: String,
        spid: u16,
    ) -> Self {
        Session {
            conn,
            shared,
            current_db: main_db.clone(),
            main_db,
            trancount: 0,
            tran_id: 0,
            nocount: false,
            rowcount: 0,
            spid,
        }
    }

    /// Runs a batch or an `sp_executesql` call and returns its reply tokens.
    pub(crate) async fn run(
        &mut self,
        sql: &str,
        params: &[(String, Value)],
        origin: Origin,
    ) -> Result<Vec<u8>, Dropped> {
        let mut out = Vec::new();
        let done_tok = if origin == Origin::Rpc {
            TOK_DONEINPROC
        } else {
            TOK_DONE
        };
        let mut last_done: Option<usize> = None;
        let mut failed = None;
        let names: Vec<String> = params.iter().map(|(n, _)| n.clone()).collect();
        let globals = self.globals();
        let ctx = Ctx {
            main_db: &self.main_db,
            current_db: &self.current_db,
            databases: &self.shared.config.databases,
            params: &names,
            globals: &globals,
        };
        match translate(sql, &ctx) {
            Err(e) => failed = Some(e),
            Ok(stmts) => {
                for stmt in stmts {
                    match self.statement(stmt, params, &mut out, done_tok).await? {
                        Ok(Some(at)) => last_done = Some(at),
                        Ok(None) => {}
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
            }
        }
        if let Some(e) = failed {
            wire::error(&mut out, e.number, 16, &e.message);
            let tok = if origin == Origin::Rpc {
                TOK_DONEPROC
            } else {
                TOK_DONE
            };
            wire::done(&mut out, tok, DONE_ERROR, 0, 0);
            return Ok(out);
        }
        match origin {
            Origin::Rpc => {
                wire::return_status(&mut out, 0);
                wire::done(&mut out, TOK_DONEPROC, 0, 0xE0, 0);
            }
            Origin::Batch => match last_done {
                // The last statement's DONE ends the reply: clear its MORE bit.
                Some(at) if at + 13 == out.len() => out[at + 1] &= !(DONE_MORE as u8),
                _ => wire::done(&mut out, TOK_DONE, 0, 0, 0),
            },
        }
        Ok(out)
    }

    fn globals(&self) -> HashMap<String, String> {
        let mut g = HashMap::new();
        g.insert(
            "VERSION".into(),
            "'Microsoft SQL Server 2022 (RTM) - 16.0.4000.0 (lethe TDS test server on SQLite)'"
                .into(),
        );
        g.insert("TRANCOUNT".into(), self.trancount.to_string());
        g.insert("ROWCOUNT".into(), self.rowcount.to_string());
        g.insert("SPID".into(), self.spid.to_string());
        g.insert("SERVERNAME".into(), "'lethe-tds'".into());
        g.insert("IDENTITY".into(), "last_insert_rowid()".into());
        g
    }

    /// Counts a statement and drops the connection when the server was told to.
    fn count_statement(&self) -> Result<(), Dropped> {
        let n = self.shared.statements.fetch_add(1, Ordering::SeqCst) + 1;
        let kill_at = self.shared.drop_at.load(Ordering::SeqCst);
        if kill_at != 0 && n >= kill_at {
            self.shared.drop_at.store(0, Ordering::SeqCst);
            return Err(Dropped);
        }
        Ok(())
    }

    async fn raw(&mut self, sql: &str) -> Result<(), SqlError> {
        self.conn
            .execute(sql)
            .await
            .map(|_| ())
            .map_err(|e| sqlite_error(&e))
    }

    fn done_status(&self) -> u16 {
        if self.nocount {
            DONE_MORE
        } else {
            DONE_MORE | DONE_COUNT
        }
    }

    /// Runs one statement; `Ok(Ok(Some(at)))` gives the offset of the DONE it wrote.
    async fn statement(
        &mut self,
        stmt: Stmt,
        params: &[(String, Value)],
        out: &mut Vec<u8>,
        done_tok: u8,
    ) -> Result<Result<Option<usize>, SqlError>, Dropped> {
        match stmt {
            Stmt::NoCount(on) => self.nocount = on,
            Stmt::Noop => {}
            Stmt::Use(db) => {
                wire::env_change_str(out, 1, &db, &self.current_db);
                self.current_db = db;
            }
            Stmt::Begin => {
                self.count_statement()?;
                if self.trancount == 0 {
                    if let Err(e) = self.raw("BEGIN").await {
                        return Ok(Err(e));
                    }
                    self.tran_id += 1;
                    let mut new = vec![8u8];
                    new.extend_from_slice(&self.tran_id.to_le_bytes());
                    wire::env_change(out, 8, &new, &[0]);
                }
                self.trancount += 1;
            }
            Stmt::Commit => {
                self.count_statement()?;
                if self.trancount == 0 {
                    return Ok(Err(SqlError::new(
                        3902,
                        "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.",
                    )));
                }
                self.trancount -= 1;
                if self.trancount == 0 {
                    if let Err(e) = self.raw("COMMIT").await {
                        return Ok(Err(e));
                    }
                    let mut old = vec![8u8];
                    old.extend_from_slice(&self.tran_id.to_le_bytes());
                    wire::env_change(out, 9, &[0], &old);
                }
            }
            Stmt::Rollback => {
                self.count_statement()?;
                if self.trancount == 0 {
                    return Ok(Err(SqlError::new(
                        3903,
                        "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.",
                    )));
                }
                self.trancount = 0;
                if let Err(e) = self.raw("ROLLBACK").await {
                    return Ok(Err(e));
                }
                let mut old = vec![8u8];
                old.extend_from_slice(&self.tran_id.to_le_bytes());
                wire::env_change(out, 10, &[0], &old);
            }
            Stmt::Ddl { sql, identity } => {
                self.count_statement()?;
                if let Err(e) = self.raw(&sql).await {
                    return Ok(Err(e));
                }
                if let Err(e) = self.keep_identity_types(&identity).await {
                    return Ok(Err(e));
                }
                let at = out.len();
                wire::done(out, done_tok, DONE_MORE, 0xC6, 0);
                return Ok(Ok(Some(at)));
            }
            Stmt::Dml { sql, cur_cmd } => {
                self.count_statement()?;
                let mut args = SqliteArguments::default();
                for (_, v) in params {
                    if let Err(e) = bind(&mut args, v) {
                        return Ok(Err(e));
                    }
                }
                let n = match sqlx::query_with(&sql, args).execute(&mut self.conn).await {
                    Ok(r) => r.rows_affected(),
                    Err(e) => return Ok(Err(sqlite_error(&e))),
                };
                self.rowcount = n;
                let at = out.len();
                wire::done(out, done_tok, self.done_status(), cur_cmd, n);
                return Ok(Ok(Some(at)));
            }
            Stmt::Query { sql, tables } => {
                self.count_statement()?;
                return Ok(self
                    .query(&sql, &tables, params, out, done_tok)
                    .await
                    .map(Some));
            }
        }
        Ok(Ok(None))
    }

    async fn query(
        &mut self,
        sql: &str,
        tables: &[(Option<String>, String)],
        params: &[(String, Value)],
        out: &mut Vec<u8>,
        done_tok: u8,
    ) -> Result<usize, SqlError> {
        let mut args = SqliteArguments::default();
        for (_, v) in params {
            bind(&mut args, v)?;
        }
        let rows = sqlx::query_with(sql, args)
            .fetch_all(&mut self.conn)
            .await
            .map_err(|e| sqlite_error(&e))?;
        let names: Vec<String> = match rows.first() {
            Some(r) => r.columns().iter().map(|c| c.name().to_string()).collect(),
            None => {
                let d = self
                    .conn
                    .describe(sql)
                    .await
                    .map_err(|e| sqlite_error(&e))?;
                d.columns().iter().map(|c| c.name().to_string()).collect()
            }
        };
        let values: Vec<Vec<Value>> = rows
            .iter()
            .map(|r| (0..names.len()).map(|i| value_of(r, i)).collect())
            .collect();
        let mut col_types = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let declared = self.declared_type(tables, name).await;
            col_types
                .push(declared.unwrap_or_else(|| types::from_values(values.iter().map(|r| &r[i]))));
        }
        // COLMETADATA: count, then per column user type, flags (nullable), type info, name.
        out.push(0x81);
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        for (name, ty) in names.iter().zip(&col_types) {
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&0x0009u16.to_le_bytes());
            types::put_type_info(out, *ty);
            wire::put_b_varchar(out, name);
        }
        for row in &values {
            out.push(0xD1);
            for (v, ty) in row.iter().zip(&col_types) {
                types::put_value(out, *ty, v).map_err(|e| SqlError::new(e.0, e.1))?;
            }
        }
        self.rowcount = values.len() as u64;
        let at = out.len();
        wire::done(out, done_tok, self.done_status(), 0xC1, values.len() as u64);
        Ok(at)
    }

    /// Records the T-SQL types of `IDENTITY` columns, which SQLite knows as `INTEGER`.
    async fn keep_identity_types(&mut self, identity: &[Identity]) -> Result<(), SqlError> {
        for id in identity {
            let schema = id
                .schema
                .as_deref()
                .map(|s| format!("{s}."))
                .unwrap_or_default();
            self.raw(&format!(
                "CREATE TABLE IF NOT EXISTS {schema}{TYPES_TABLE} \
                 (tbl TEXT NOT NULL COLLATE NOCASE, col TEXT NOT NULL COLLATE NOCASE, decl TEXT NOT NULL, PRIMARY KEY (tbl, col))"
            ))
            .await?;
            sqlx::query(&format!(
                "INSERT OR REPLACE INTO {schema}{TYPES_TABLE} VALUES (?1, ?2, ?3)"
            ))
            .bind(&id.table)
            .bind(&id.column)
            .bind(&id.declared)
            .execute(&mut self.conn)
            .await
            .map_err(|e| sqlite_error(&e))?;
        }
        Ok(())
    }

    /// The declared type of a result column, from the first table read that has it.
    async fn declared_type(
        &mut self,
        tables: &[(Option<String>, String)],
        column: &str,
    ) -> Option<ColType> {
        for (schema, table) in tables {
            let found: Option<(String,)> = match schema {
                Some(s) => sqlx::query_as(
                    "SELECT type FROM pragma_table_info(?1, ?2) WHERE name = ?3 COLLATE NOCASE",
                )
                .bind(table)
                .bind(s)
                .bind(column)
                .fetch_optional(&mut self.conn)
                .await
                .ok()
                .flatten(),
                None => sqlx::query_as(
                    "SELECT type FROM pragma_table_info(?1) WHERE name = ?2 COLLATE NOCASE",
                )
                .bind(table)
                .bind(column)
                .fetch_optional(&mut self.conn)
                .await
                .ok()
                .flatten(),
            };
            if let Some((decl,)) = found {
                if decl.eq_ignore_ascii_case("INTEGER") {
                    let prefix = schema
                        .as_deref()
                        .map(|s| format!("{s}."))
                        .unwrap_or_default();
                    let kept: Option<(String,)> = sqlx::query_as(&format!(
                        "SELECT decl FROM {prefix}{TYPES_TABLE} WHERE tbl = ?1 AND col = ?2"
                    ))
                    .bind(table)
                    .bind(column)
                    .fetch_optional(&mut self.conn)
                    .await
                    .ok()
                    .flatten();
                    if let Some((kept,)) = kept {
                        return types::from_declared(&kept);
                    }
                }
                return types::from_declared(&decl);
            }
        }
        None
    }

    /// Undoes an open transaction (the client went away).
    pub(crate) async fn close(mut self) {
        if self.trancount > 0 {
            let _ = self.raw("ROLLBACK").await;
        }
        let _ = self.conn.close().await;
    }
}
