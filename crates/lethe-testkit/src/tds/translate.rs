//! T-SQL to SQLite, limited to what a connector emits: brackets, `@P1`
//! parameters, `TOP (n)`, `OFFSET … FETCH`, three-part names, `N'…'`
//! literals, a few functions, and transaction and `SET` statements handled
//! by the session. SQLite-only syntax (`LIMIT`, `||`, ...) is rejected with
//! the error SQL Server gives, so a connector cannot come to depend on it.

use std::collections::HashMap;

use super::ddl::{follows_column_name, identity_columns, move_index_schema};
use super::lex::{lex, Kind, Tok};
use super::tokens::{call_args, last_sig, next_sig, render, significant, take_until};

/// An error reported to the client as SQL Server would report it.
#[derive(Debug, Clone)]
pub(crate) struct SqlError {
    pub number: i32,
    pub message: String,
}

impl SqlError {
    pub(crate) fn new(number: i32, message: impl Into<String>) -> Self {
        SqlError {
            number,
            message: message.into(),
        }
    }

    fn syntax(near: &str) -> Self {
        SqlError::new(102, format!("Incorrect syntax near '{near}'."))
    }

    fn unsupported(what: &str) -> Self {
        SqlError::new(
            50000,
            format!("lethe TDS test server: {what} is not supported"),
        )
    }
}

/// One statement of a batch, ready for the session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stmt {
    /// Returns rows; `tables` are the `(schema, table)` it reads, used to
    /// type its columns from their declarations.
    Query {
        sql: String,
        tables: Vec<(Option<String>, String)>,
    },
    /// Changes rows; `cur_cmd` is the DONE token's command code.
    Dml {
        sql: String,
        cur_cmd: u16,
    },
    /// `identity` lists the `IDENTITY` columns of a created table, made
    /// SQLite `INTEGER PRIMARY KEY`s, with the schema, table and their
    /// declared T-SQL type, which the session keeps aside.
    Ddl {
        sql: String,
        identity: Vec<Identity>,
    },
    Begin,
    Commit,
    Rollback,
    NoCount(bool),
    Use(String),
    /// A `SET` option the server accepts and ignores.
    Noop,
}

/// An `IDENTITY` column: its SQLite schema, table, name and declared type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Identity {
    pub schema: Option<String>,
    pub table: String,
    pub column: String,
    pub declared: String,
}

/// What translation needs to know about the session.
pub(crate) struct Ctx<'a> {
    /// The database attached as SQLite's `main`.
    pub main_db: &'a str,
    /// The database `dbo.` names resolve to (`USE` changes it).
    pub current_db: &'a str,
    pub databases: &'a [String],
    /// RPC parameter names in order, with their `@`.
    pub params: &'a [String],
    /// Values of `@@VERSION`, `@@TRANCOUNT`, ... keyed upper-case without `@@`.
    pub globals: &'a HashMap<String, String>,
}

/// Words that only SQLite (or PostgreSQL) understands.
const REJECTED: &[&str] = &[
    "LIMIT",
    "ILIKE",
    "RETURNING",
    "AUTOINCREMENT",
    "GLOB",
    "PRAGMA",
    "REGEXP",
];

impl Ctx<'_> {
    fn database(&self, name: &str) -> Option<&str> {
        self.databases
            .iter()
            .find(|d| d.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }

    /// The SQLite schema name a database is attached under.
    fn alias(&self, db: &str) -> String {
        if db.eq_ignore_ascii_case(self.main_db) {
            "main".into()
        } else {
            format!("\"{db}\"")
        }
    }
}

/// Translates a batch into statements; fails before anything runs, as SQL
/// Server's compile errors do.
pub(crate) fn translate(sql: &str, ctx: &Ctx<'_>) -> Result<Vec<Stmt>, SqlError> {
    split(lex(sql))
        .into_iter()
        .map(|s| statement(s, ctx))
        .collect()
}

/// Splits a batch at `;`, and after a complete `SET option ON|OFF`.
fn split(toks: Vec<Tok>) -> Vec<Vec<Tok>> {
    let mut out = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    for t in toks {
        if t.is_punct(";") {
            out.push(std::mem::take(&mut cur));
            continue;
        }
        let sig = significant(&cur);
        if sig.len() == 3 && sig[0].is_word("SET") && t.kind != Kind::Space {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(t);
    }
    out.push(cur);
    out.retain(|s| s.iter().any(|t| t.kind != Kind::Space));
    out
}

fn statement(toks: Vec<Tok>, ctx: &Ctx<'_>) -> Result<Stmt, SqlError> {
    for t in &toks {
        if t.kind == Kind::Word && REJECTED.iter().any(|r| t.is_word(r)) {
            return Err(SqlError::syntax(&t.text));
        }
        if t.kind == Kind::Punct && ["||", "`", "?", "$", "::"].contains(&t.text.as_str()) {
            return Err(SqlError::syntax(&t.text[..1]));
        }
    }
    let sig = significant(&toks);
    let first = sig[0].text.to_ascii_uppercase();
    let word = |i: usize| {
        sig.get(i)
            .map(|t| t.text.to_ascii_uppercase())
            .unwrap_or_default()
    };
    Ok(match first.as_str() {
        "SET" if word(1) == "NOCOUNT" => Stmt::NoCount(word(2) == "ON"),
        "SET" => Stmt::Noop,
        "BEGIN" if word(1).starts_with("TRAN") => Stmt::Begin,
        "COMMIT" => Stmt::Commit,
        "ROLLBACK" => Stmt::Rollback,
        "USE" => {
            let name = sig.get(1).and_then(|t| t.ident()).unwrap_or_default();
            match ctx.database(&name) {
                Some(db) => Stmt::Use(db.to_string()),
                None => {
                    return Err(SqlError::new(
                        911,
                        format!("Database '{name}' does not exist. Make sure that the name is entered correctly."),
                    ))
                }
            }
        }
        "SELECT" | "WITH" | "VALUES" => {
            let out = rewrite(&toks, ctx, false)?;
            let tables = tables_read(&out);
            Stmt::Query {
                sql: render(&out),
                tables,
            }
        }
        "INSERT" | "UPDATE" | "DELETE" | "MERGE" => {
            if sig.iter().any(|t| t.is_word("OUTPUT")) {
                return Err(SqlError::unsupported("OUTPUT"));
            }
            let cur_cmd = match first.as_str() {
                "INSERT" => 0xC3,
                "DELETE" => 0xC4,
                _ => 0xC5,
            };
            Stmt::Dml {
                sql: render(&rewrite(&toks, ctx, false)?),
                cur_cmd,
            }
        }
        "TRUNCATE" => {
            // TRUNCATE TABLE x -> DELETE FROM x
            let mut toks = toks;
            let at = toks.iter().position(|t| t.is_word("TRUNCATE")).unwrap_or(0);
            toks[at] = Tok::new(Kind::Word, "DELETE");
            if let Some(t) = toks.iter_mut().find(|t| t.is_word("TABLE")) {
                *t = Tok::new(Kind::Word, "FROM");
            }
            Stmt::Dml {
                sql: render(&rewrite(&toks, ctx, false)?),
                cur_cmd: 0xC4,
            }
        }
        "CREATE" | "DROP" | "ALTER" => {
            let is_create_table = word(1) == "TABLE";
            let mut out = rewrite(&toks, ctx, is_create_table)?;
            let identity = if is_create_table && first == "CREATE" {
                identity_columns(&mut out)
            } else {
                move_index_schema(&mut out);
                Vec::new()
            };
            Stmt::Ddl {
                sql: render(&out),
                identity,
            }
        }
        "DECLARE" | "EXEC" | "EXECUTE" | "IF" | "WHILE" | "PRINT" | "SAVE" | "BEGIN" | "GOTO"
        | "RAISERROR" | "THROW" => {
            return Err(SqlError::unsupported(&format!("`{}`", sig[0].text)))
        }
        _ => return Err(SqlError::syntax(&sig[0].text)),
    })
}

const CHAR_TYPES: &[&str] = &[
    "nvarchar",
    "varchar",
    "nchar",
    "char",
    "uniqueidentifier",
    "ntext",
    "text",
];
const DROPPED_WORDS: &[&str] = &["CLUSTERED", "NONCLUSTERED"];

/// The token-level rewrite of one statement.
fn rewrite(toks: &[Tok], ctx: &Ctx<'_>, create_table: bool) -> Result<Vec<Tok>, SqlError> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    // (paren depth, LIMIT expression) of a TOP waiting for its query's end.
    let mut pending_top: Vec<(i32, String)> = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t.kind {
            Kind::Param => {
                let n = ctx
                    .params
                    .iter()
                    .position(|p| p.eq_ignore_ascii_case(&t.text))
                    .ok_or_else(|| {
                        SqlError::new(
                            137,
                            format!("Must declare the scalar variable \"{}\".", t.text),
                        )
                    })?;
                out.push(Tok::new(Kind::Param, format!("?{}", n + 1)));
                i += 1;
                continue;
            }
            Kind::Global => {
                let key = t.text.trim_start_matches('@').to_ascii_uppercase();
                let v = ctx
                    .globals
                    .get(&key)
                    .ok_or_else(|| SqlError::unsupported(&t.text))?;
                out.push(Tok::new(Kind::Str, v.clone()));
                i += 1;
                continue;
            }
            Kind::Punct if t.text == "(" => depth += 1,
            Kind::Punct if t.text == ")" => {
                if let Some((d, _)) = pending_top.last() {
                    if *d == depth {
                        let (_, expr) = pending_top.pop().unwrap_or_default();
                        out.push(Tok::new(Kind::Space, format!(" LIMIT {expr} ")));
                    }
                }
                depth -= 1;
            }
            _ => {}
        }
        if t.kind == Kind::Word || t.kind == Kind::Quoted {
            let prev_dot = last_sig(&out).is_some_and(|p| p.is_punct("."));
            if !prev_dot {
                if let Some(consumed) = name_chain(toks, i, ctx, &mut out)? {
                    i = consumed;
                    continue;
                }
            }
        }
        if t.kind == Kind::Word {
            let upper = t.text.to_ascii_uppercase();
            let after = next_sig(toks, i + 1);
            let followed_by_paren = after.is_some_and(|j| toks[j].is_punct("("));
            match upper.as_str() {
                "TOP" => {
                    let prev = last_sig(&out)
                        .map(|p| p.text.to_ascii_uppercase())
                        .unwrap_or_default();
                    if prev != "SELECT" && prev != "DISTINCT" && prev != "ALL" {
                        return Err(SqlError::unsupported(&format!("TOP after {prev}")));
                    }
                    let j = after.ok_or_else(|| SqlError::syntax("TOP"))?;
                    let (expr, end) = if toks[j].is_punct("(") {
                        let (inner, close) = take_until(toks, j + 1, &[]);
                        (rewrite(&inner, ctx, false)?, close + 1)
                    } else {
                        (rewrite(&toks[j..=j], ctx, false)?, j + 1)
                    };
                    if let Some(k) = next_sig(toks, end) {
                        if toks[k].is_word("PERCENT") || toks[k].is_word("WITH") {
                            return Err(SqlError::unsupported("TOP … PERCENT / WITH TIES"));
                        }
                    }
                    pending_top.push((depth, render(&expr)));
                    i = end;
                    continue;
                }
                "OFFSET" => {
                    let (offset, j) = take_until(toks, i + 1, &["ROWS", "ROW"]);
                    let offset = render(&rewrite(&offset, ctx, false)?);
                    let mut end = j + 1;
                    let mut fetch = "-1".to_string();
                    if let Some(k) = next_sig(toks, end) {
                        if toks[k].is_word("FETCH") {
                            let kw =
                                next_sig(toks, k + 1).ok_or_else(|| SqlError::syntax("FETCH"))?;
                            let (count, r) = take_until(toks, kw + 1, &["ROWS", "ROW"]);
                            fetch = render(&rewrite(&count, ctx, false)?);
                            let only =
                                next_sig(toks, r + 1).ok_or_else(|| SqlError::syntax("ROWS"))?;
                            if !toks[only].is_word("ONLY") {
                                return Err(SqlError::syntax(&toks[only].text));
                            }
                            end = only + 1;
                        }
                    }
                    out.push(Tok::new(
                        Kind::Space,
                        format!("LIMIT {} OFFSET {}", fetch.trim(), offset.trim()),
                    ));
                    i = end;
                    continue;
                }
                "FETCH" => return Err(SqlError::syntax("FETCH")),
                "GETDATE" | "GETUTCDATE" | "SYSDATETIME" | "SYSUTCDATETIME"
                | "CURRENT_TIMESTAMP" => {
                    out.push(Tok::new(Kind::Word, "strftime('%Y-%m-%d %H:%M:%f','now')"));
                    i = match after {
                        Some(j) if followed_by_paren => take_until(toks, j + 1, &[]).1 + 1,
                        _ => i + 1,
                    };
                    continue;
                }
                "SCOPE_IDENTITY" if followed_by_paren => {
                    out.push(Tok::new(Kind::Word, "last_insert_rowid()"));
                    i = take_until(toks, after.unwrap_or(i) + 1, &[]).1 + 1;
                    continue;
                }
                "NEWID" if followed_by_paren => {
                    out.push(Tok::new(
                        Kind::Word,
                        "(SELECT upper(substr(h,1,8)||'-'||substr(h,9,4)||'-4'||substr(h,14,3)||'-'||substr(h,17,4)||'-'||substr(h,21,12)) FROM (SELECT hex(randomblob(16)) AS h))",
                    ));
                    i = take_until(toks, after.unwrap_or(i) + 1, &[]).1 + 1;
                    continue;
                }
                "CONVERT" if followed_by_paren => {
                    // CONVERT(type, expr[, style]): the value as text, as the
                    // connector reads every column (style 126 is ISO 8601,
                    // which is how SQLite stores dates already).
                    let (args, close) = call_args(toks, after.unwrap_or(i) + 1);
                    let Some(expr) = args.get(1) else {
                        return Err(SqlError::syntax("CONVERT"));
                    };
                    out.push(Tok::new(Kind::Word, "CAST("));
                    out.extend(rewrite(expr, ctx, false)?);
                    out.push(Tok::new(Kind::Word, " AS TEXT)"));
                    i = close + 1;
                    continue;
                }
                "LEN" if followed_by_paren => {
                    out.push(Tok::new(Kind::Word, "length"));
                    i += 1;
                    continue;
                }
                "ISNULL" if followed_by_paren => {
                    out.push(Tok::new(Kind::Word, "ifnull"));
                    i += 1;
                    continue;
                }
                "COLLATE" if create_table => {
                    // Drop SQL Server collation names; char columns get NOCASE below.
                    i = next_sig(toks, i + 1).map_or(toks.len(), |j| j + 1);
                    continue;
                }
                w if DROPPED_WORDS.contains(&w) => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            if create_table && upper == "MAX" && last_sig(&out).is_some_and(|p| p.is_punct("(")) {
                // SQLite type names take numbers only: (max) is kept as (-1).
                out.push(Tok::new(Kind::Num, "-1"));
                i += 1;
                continue;
            }
            if create_table
                && depth == 1
                && CHAR_TYPES.iter().any(|c| t.is_word(c))
                && follows_column_name(&out)
            {
                // SQL Server's default collation is case-insensitive: so are these columns.
                out.push(t.clone());
                let mut end = i + 1;
                if let Some(j) = after.filter(|_| followed_by_paren) {
                    let (inner, close) = take_until(toks, j + 1, &[]);
                    out.push(Tok::new(Kind::Punct, "("));
                    out.extend(inner.into_iter().map(|t| {
                        if t.is_word("max") {
                            Tok::new(Kind::Num, "-1")
                        } else {
                            t
                        }
                    }));
                    out.push(Tok::new(Kind::Punct, ")"));
                    end = close + 1;
                }
                out.push(Tok::new(Kind::Space, " COLLATE NOCASE"));
                i = end;
                continue;
            }
        }
        out.push(t.clone());
        i += 1;
    }
    while let Some((_, expr)) = pending_top.pop() {
        out.push(Tok::new(Kind::Space, format!(" LIMIT {expr}")));
    }
    Ok(out)
}

/// Rewrites a dotted name starting at `i`: `[db].[dbo].[t]` -> `"db".[t]`
/// (or `main.[t]` for the database attached as main), `dbo.t` -> the
/// current database. Returns the index after the chain when it rewrote.
fn name_chain(
    toks: &[Tok],
    i: usize,
    ctx: &Ctx<'_>,
    out: &mut Vec<Tok>,
) -> Result<Option<usize>, SqlError> {
    // parts: the name tokens (None for an empty part as in db..t)
    let mut parts: Vec<Option<&Tok>> = vec![Some(&toks[i])];
    let mut j = i + 1;
    while j < toks.len() && toks[j].is_punct(".") {
        match toks.get(j + 1) {
            Some(t) if t.kind == Kind::Word || t.kind == Kind::Quoted => {
                parts.push(Some(t));
                j += 2;
            }
            Some(t) if t.is_punct(".") => {
                parts.push(None);
                j += 1;
            }
            _ => break,
        }
    }
    if parts.len() < 2 {
        return Ok(None);
    }
    let first = parts[0].and_then(Tok::ident).unwrap_or_default();
    let second = parts[1].and_then(Tok::ident);
    let schema_ok = |s: &Option<String>| s.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("dbo"));
    let (alias, rest) = if parts.len() >= 3 && schema_ok(&second) {
        match ctx.database(&first) {
            Some(db) => (ctx.alias(db), &parts[2..]),
            None if second.is_some() || parts.len() == 3 => {
                let shown: Vec<String> = parts
                    .iter()
                    .map(|p| p.and_then(Tok::ident).unwrap_or_default())
                    .collect();
                return Err(SqlError::new(
                    208,
                    format!("Invalid object name '{}'.", shown.join(".")),
                ));
            }
            None => return Ok(None),
        }
    } else if first.eq_ignore_ascii_case("dbo")
        && parts[0].is_some_and(|p| p.kind == Kind::Word || p.kind == Kind::Quoted)
    {
        (ctx.alias(ctx.current_db), &parts[1..])
    } else {
        return Ok(None);
    };
    let kind = if alias == "main" {
        Kind::Word
    } else {
        Kind::Quoted
    };
    out.push(Tok::new(kind, alias));
    for p in rest {
        out.push(Tok::new(Kind::Punct, "."));
        if let Some(p) = p {
            out.push((*p).clone());
        }
    }
    Ok(Some(j))
}

/// The tables a query reads: the names after FROM and JOIN.
fn tables_read(toks: &[Tok]) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i].is_word("FROM") || toks[i].is_word("JOIN") {
            if let Some(j) = next_sig(toks, i + 1) {
                let first = toks[j].ident();
                if toks.get(j + 1).is_some_and(|t| t.is_punct(".")) {
                    if let (Some(schema), Some(table)) =
                        (first, toks.get(j + 2).and_then(Tok::ident))
                    {
                        out.push((Some(schema), table));
                    }
                } else if let Some(table) = first.filter(|_| toks[j].kind != Kind::Punct) {
                    out.push((None, table));
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sql: &str) -> Result<Stmt, SqlError> {
        let dbs = vec!["CCMData".to_string(), "CCMStatisticalData".to_string()];
        let params = vec!["@P1".to_string(), "@P2".to_string()];
        let globals = HashMap::from([("TRANCOUNT".to_string(), "0".to_string())]);
        let ctx = Ctx {
            main_db: "CCMData",
            current_db: "CCMData",
            databases: &dbs,
            params: &params,
            globals: &globals,
        };
        let mut v = translate(sql, &ctx)?;
        assert_eq!(v.len(), 1, "{v:?}");
        Ok(v.remove(0))
    }

    fn sql(s: &str) -> String {
        match one(s).unwrap() {
            Stmt::Query { sql, .. } | Stmt::Dml { sql, .. } | Stmt::Ddl { sql, .. } => sql,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_parameters_and_paging() {
        assert_eq!(
            sql(
                "SELECT TOP (@P2) [a] FROM [CCMStatisticalData].[dbo].[t] WHERE b = @p1 ORDER BY a"
            ),
            "SELECT  [a] FROM \"CCMStatisticalData\".[t] WHERE b = ?1 ORDER BY a LIMIT ?2"
        );
        assert_eq!(
            sql("DELETE FROM CCMData.dbo.t WHERE id = @P1"),
            "DELETE FROM main.t WHERE id = ?1"
        );
        assert_eq!(
            sql("UPDATE dbo.t SET a = N'x'"),
            "UPDATE main.t SET a = 'x'"
        );
        assert_eq!(
            sql("SELECT a FROM t ORDER BY a OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY"),
            "SELECT a FROM t ORDER BY a LIMIT 5 OFFSET 10"
        );
        assert_eq!(
            sql("SELECT * FROM (SELECT TOP 1 a FROM t) x"),
            "SELECT * FROM (SELECT  a FROM t LIMIT 1 ) x"
        );
        assert_eq!(sql("SELECT @@TRANCOUNT"), "SELECT 0");
    }

    #[test]
    fn create_table_keeps_declared_types_case_insensitive() {
        assert_eq!(
            sql("CREATE TABLE dbo.x (id uniqueidentifier NOT NULL, n nvarchar(max) COLLATE Latin1_General_CI_AS, text int IDENTITY(1,1))"),
            "CREATE TABLE main.x (id uniqueidentifier COLLATE NOCASE NOT NULL, n nvarchar(-1) COLLATE NOCASE , text INTEGER  PRIMARY KEY)"
        );
        assert_eq!(
            sql("CREATE INDEX ix ON dbo.x (id)"),
            "CREATE INDEX main.ix ON x (id)"
        );
    }

    #[test]
    fn sqlite_only_syntax_fails_like_sql_server() {
        for (s, near) in [
            ("SELECT 1 LIMIT 1", "LIMIT"),
            ("SELECT 'a' || 'b'", "|"),
            ("SELECT ?", "?"),
        ] {
            let e = one(s).unwrap_err();
            assert_eq!(
                (e.number, e.message),
                (102, format!("Incorrect syntax near '{near}'."))
            );
        }
        assert_eq!(one("SELECT @P3").unwrap_err().number, 137);
        assert_eq!(one("SELECT * FROM Other.dbo.t").unwrap_err().number, 208);
    }
}
