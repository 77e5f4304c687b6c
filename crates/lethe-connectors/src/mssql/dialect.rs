//! SQL Server's spelling of the engine's [`Dialect`] (T-SQL, SQL Server
//! 2016 and later), and [`render`], which turns the engine's statement
//! into text and scalar parameters for tiberius.
//!
//! T-SQL has no array parameters. The dialect therefore writes a marker
//! where a list parameter is used, and [`render`] expands it, numbering
//! placeholders `@P1…` in order of appearance:
//! - `expr in (@P1, …, @Pn)` for "equals any element";
//! - `(upper(expr) like @P1 escape '\' or …)` for pattern lists (patterns
//!   upper-cased, so case-sensitive collations match as well);
//! - a derived table `(select @P1 as k, @P2 as f … union all select …) as m`
//!   for the rows a set-based write joins: `update [db].[dbo].[T] set … from
//!   (…) as m where [T].[Pkey] = m.k and …` and `delete from [db].[dbo].[T]
//!   where exists (select 1 from (…) as m where [T].[Pkey] = m.k and …)`,
//!   forms SQL Server and SQLite (behind the TDS test server) both take.
//!
//! What it never emits: `LIMIT`, `||`, `RETURNING`, `regexp_*`,
//! `is not distinct from` (2022 only), `TRIM` (2017 only), `OPENJSON`.
//! Digits-only is nested `REPLACE` of the separators phone numbers are
//! written with (space, `-`, `(`, `)`, `.`, `+`, `/`): a number written
//! with any other character (a letter, a tab) is not found by the
//! structured search (free text still is, through the matcher).
//!
//! The caller keeps every statement under SQL Server's 2,100-parameter
//! limit ([`MAX_PARAMS`]) by splitting batches and row sets.

use std::collections::HashMap;

use crate::sql::{Dialect, Elem, Ident, Param, Statement, TableName};

/// Most parameters one rendered statement may carry; SQL Server refuses
/// more than 2,100, and the margin leaves room for scalars.
pub const MAX_PARAMS: usize = 2_000;

/// Separators removed by the digits-only expression, in order.
const SEPARATORS: [&str; 7] = [" ", "-", "(", ")", ".", "+", "/"];

const OPEN: char = '\u{1}';
const CLOSE: char = '\u{2}';

/// How a column's value is read as text, by its type's family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `nvarchar`, `nchar`, `varchar`, `char`, `ntext`, `text`, `xml`:
    /// read and compared as stored (an index on it stays usable).
    Text,
    /// `uniqueidentifier`: 36 characters, upper case.
    Guid,
    /// `datetime`, `datetime2`, `date`, `time`, `datetimeoffset`,
    /// `smalldatetime`: ISO 8601 (style 126).
    Date,
    /// Every other type (numbers, `money`, `bit`, binary).
    Other,
}

/// T-SQL for one target: its database (three-part names) and its
/// columns' type families, read from the table before statements are
/// built.
#[derive(Debug, Clone, Default)]
pub struct MsSql {
    /// `[db].[schema].[table]` when set; otherwise the login's database.
    pub database: Option<Ident>,
    /// Column name → family; a column not listed reads as text.
    pub families: HashMap<String, Family>,
}

impl MsSql {
    /// The family of a qualified column expression `t.[Name]`, if it is one.
    fn family_of(&self, expr: &str) -> Option<Family> {
        let name = expr.strip_prefix("t.[")?.strip_suffix(']')?;
        Some(*self.families.get(name).unwrap_or(&Family::Text))
    }
}

impl Dialect for MsSql {
    fn quote(&self, ident: &Ident) -> String {
        // `Ident` holds letters, digits and `_` only: nothing to escape.
        format!("[{ident}]")
    }

    fn placeholder(&self, n: usize) -> String {
        format!("{OPEN}S{n}{CLOSE}")
    }

    fn as_text(&self, expr: &str) -> String {
        match self.family_of(expr) {
            // A placeholder or a text column: already text.
            None | Some(Family::Text) => expr.to_owned(),
            Some(Family::Guid) => format!("cast({expr} as nvarchar(36))"),
            Some(Family::Date) => format!("convert(nvarchar(40), {expr}, 126)"),
            Some(Family::Other) => format!("cast({expr} as nvarchar(100))"),
        }
    }

    fn digits(&self, expr: &str) -> String {
        SEPARATORS
            .iter()
            .fold(expr.to_owned(), |e, s| format!("replace({e}, '{s}', '')"))
    }

    fn alnum_upper(&self, expr: &str) -> String {
        format!("upper({})", self.digits(expr))
    }

    fn upper_trim(&self, expr: &str) -> String {
        format!("upper({})", self.trim(expr))
    }

    fn lower_trim(&self, expr: &str) -> String {
        format!("lower({})", self.trim(expr))
    }

    fn trim(&self, expr: &str) -> String {
        format!("ltrim(rtrim({expr}))")
    }

    fn any_of(&self, expr: &str, n: usize) -> String {
        format!("{expr} in ({OPEN}L{n}{CLOSE})")
    }

    fn ilike_any(&self, expr: &str, n: usize) -> String {
        format!("{OPEN}I{n}|upper({expr}){CLOSE}")
    }

    fn like_any(&self, expr: &str, n: usize) -> String {
        format!("{OPEN}K{n}|{expr}{CLOSE}")
    }

    fn cast(&self, expr: &str, _type_name: &str) -> String {
        // SQL Server converts nvarchar implicitly to every column type the
        // engine writes or compares (uniqueidentifier, numbers, dates,
        // strings), and a key compared with an nvarchar parameter stays
        // sargable (the parameter is converted, not the column).
        expr.to_owned()
    }

    fn row_set(&self, first: usize, columns: &[(&str, Elem)], alias: &str) -> String {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        format!("{OPEN}R{first}|{}{CLOSE} as {alias}", names.join(","))
    }

    fn update_from(&self, table: &str, alias: &str, set: &str, source: &str, cond: &str) -> String {
        // `update <table> set … from <rows> where <table>.[c] = m.k …`: the
        // target is joined implicitly and named by its table name. Valid
        // T-SQL (and SQLite 3.33+), unlike `update t … from <table> as t`.
        let (set, cond) = (by_name(set, alias, table), by_name(cond, alias, table));
        format!("update {table} set {set} from {source} where {cond}")
    }

    fn delete_using(&self, table: &str, alias: &str, source: &str, cond: &str) -> String {
        let cond = by_name(cond, alias, table);
        format!("delete from {table} where exists (select 1 from {source} where {cond})")
    }

    fn not_distinct(&self, a: &str, b: &str) -> String {
        format!("({a} = {b} or ({a} is null and {b} is null))")
    }

    fn table(&self, t: &TableName) -> String {
        let schema = t
            .schema
            .as_ref()
            .map_or_else(|| "[dbo]".to_owned(), |s| self.quote(s));
        match &self.database {
            Some(db) => format!("{}.{schema}.{}", self.quote(db), self.quote(&t.table)),
            None => format!("{schema}.{}", self.quote(&t.table)),
        }
    }
}

/// `expr` with the engine's alias of the target (`t.[c]`) replaced by the
/// table's own name (`[tblData_CA_Trace].[c]`), for statements where the
/// target cannot carry an alias. Names are always bracketed, so `t.[` is
/// the alias wherever no letter, digit or `_` precedes it.
fn by_name(expr: &str, alias: &str, table: &str) -> String {
    let name = table
        .rsplit_once(".[")
        .map_or(table.to_owned(), |(_, t)| format!("[{t}"));
    let needle = format!("{alias}.[");
    let mut out = String::with_capacity(expr.len() + 64);
    let mut rest = expr;
    while let Some(at) = rest.find(&needle) {
        let word_before = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..at]);
        if word_before {
            out.push_str(&needle);
        } else {
            out.push_str(&name);
            out.push_str(".[");
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// A scalar parameter as tiberius binds it.
#[derive(Clone, PartialEq, Eq)]
pub enum MsParam {
    /// `nvarchar` or NULL.
    Text(Option<String>),
    /// `bigint`.
    Int(i64),
}

impl std::fmt::Debug for MsParam {
    // Values are personal data: show the type only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Text(_) => "Text",
            Self::Int(_) => "Int",
        })
    }
}

/// A statement as sent: T-SQL text with `@P1…` and its scalars in order.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub sql: String,
    pub params: Vec<MsParam>,
}

/// Expands the list markers of `s` (built with [`MsSql`]) into scalar
/// placeholders. Errors only on a statement another dialect built.
pub fn render(s: &Statement) -> Result<Rendered, String> {
    let mut out = Rendered {
        sql: String::with_capacity(s.sql.len() + 64),
        params: Vec::new(),
    };
    let mut rest = s.sql.as_str();
    while let Some(at) = rest.find(OPEN) {
        out.sql.push_str(&rest[..at]);
        let body_end = rest[at..]
            .find(CLOSE)
            .ok_or("unterminated parameter marker")?
            + at;
        let body = &rest[at + OPEN.len_utf8()..body_end];
        rest = &rest[body_end + CLOSE.len_utf8()..];
        let (head, arg) = body.split_once('|').unwrap_or((body, ""));
        let tag = head.chars().next().ok_or("empty marker")?;
        let n: usize = head[1..].parse().map_err(|_| "bad marker index")?;
        let param = |k: usize| s.params.get(k - 1).ok_or("marker beyond the parameters");
        match tag {
            'S' => {
                let value = match param(n)? {
                    Param::Text(v) => MsParam::Text(v.clone()),
                    _ => return Err("a list used as a scalar".into()),
                };
                push(&mut out, value);
            }
            'L' => {
                let values = texts(param(n)?)?;
                if values.is_empty() {
                    out.sql.push_str("null");
                }
                for (i, v) in values.into_iter().enumerate() {
                    if i > 0 {
                        out.sql.push_str(", ");
                    }
                    push(&mut out, MsParam::Text(v));
                }
            }
            'I' | 'K' => {
                let values = texts(param(n)?)?;
                out.sql.push('(');
                if values.is_empty() {
                    out.sql.push_str("1 = 0");
                }
                for (i, v) in values.into_iter().enumerate() {
                    if i > 0 {
                        out.sql.push_str(" or ");
                    }
                    let v = v.map(|p| {
                        // `[` opens a character class in T-SQL patterns.
                        let p = p.replace('[', "\\[");
                        if tag == 'I' {
                            p.to_uppercase()
                        } else {
                            p
                        }
                    });
                    out.sql.push_str(arg);
                    out.sql.push_str(" like ");
                    push(&mut out, MsParam::Text(v));
                    out.sql.push_str(" escape '\\'");
                }
                out.sql.push(')');
            }
            'R' => row_source(&mut out, s, n, arg)?,
            _ => return Err(format!("unknown marker `{tag}`")),
        }
    }
    out.sql.push_str(rest);
    Ok(out)
}

/// `(select @Pa as k, @Pb as f … union all select @Pc, @Pd …)`, one row
/// per element of the list parameters `first…`.
fn row_source(out: &mut Rendered, s: &Statement, first: usize, names: &str) -> Result<(), String> {
    let names: Vec<&str> = names.split(',').collect();
    let mut columns: Vec<Vec<MsParam>> = Vec::with_capacity(names.len());
    for k in 0..names.len() {
        let p = s
            .params
            .get(first + k - 1)
            .ok_or("row set beyond the parameters")?;
        columns.push(match p {
            Param::Ints(v) => v.iter().map(|i| MsParam::Int(*i)).collect(),
            other => texts(other)?.into_iter().map(MsParam::Text).collect(),
        });
    }
    let rows = columns.first().map_or(0, Vec::len);
    if rows == 0 || columns.iter().any(|c| c.len() != rows) {
        return Err("row set columns of unequal or zero length".into());
    }
    out.sql.push('(');
    for r in 0..rows {
        out.sql.push_str(if r == 0 {
            "select "
        } else {
            " union all select "
        });
        for (k, column) in columns.iter().enumerate() {
            if k > 0 {
                out.sql.push_str(", ");
            }
            push(out, column[r].clone());
            if r == 0 {
                out.sql.push_str(" as ");
                out.sql.push_str(names[k]);
            }
        }
    }
    out.sql.push(')');
    Ok(())
}

fn texts(p: &Param) -> Result<Vec<Option<String>>, String> {
    Ok(match p {
        Param::Texts(v) => v.iter().cloned().map(Some).collect(),
        Param::NullableTexts(v) => v.clone(),
        _ => return Err("expected a text list".into()),
    })
}

fn push(out: &mut Rendered, value: MsParam) {
    out.params.push(value);
    out.sql.push_str(&format!("@P{}", out.params.len()));
}

#[cfg(test)]
mod tests;
