//! [`Dialect`]: the few places where SQL databases differ in what the
//! engine emits. Everything else (which columns, which conditions, which
//! rows) is decided once in [`super::statement`].

use lethe_domain::IdentifierKind;

use super::ident::{Ident, TableName};

/// A parameter value, dialect-neutral. Arrays are one parameter each; a
/// dialect without array parameters packs them in [`Dialect::bind`].
#[derive(Clone, PartialEq, Eq)]
pub enum Param {
    /// A list of strings (search values, keys).
    Texts(Vec<String>),
    /// A list of strings that may be SQL NULL (column values).
    NullableTexts(Vec<Option<String>>),
    /// A list of 64-bit integers (per row, a bit per column it changes).
    Ints(Vec<i64>),
    /// One string or NULL (a value every changed row gets).
    Text(Option<String>),
}

impl std::fmt::Debug for Param {
    // Values are personal data: show the shape only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Texts(v) => write!(f, "Texts({})", v.len()),
            Self::NullableTexts(v) => write!(f, "NullableTexts({})", v.len()),
            Self::Ints(v) => write!(f, "Ints({})", v.len()),
            Self::Text(_) => f.write_str("Text"),
        }
    }
}

/// The element type of a column of a row set (see [`Dialect::row_set`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    Text,
    Int,
}

/// How one SQL database spells what the engine needs. Every method gets
/// expressions the engine built from quoted identifiers and placeholders,
/// never a value.
pub trait Dialect: Send + Sync {
    /// A quoted identifier: `"caller_number"` (PostgreSQL), `[ANI]` (SQL Server).
    fn quote(&self, ident: &Ident) -> String;

    /// The `n`th parameter (1-based): `$1`, `@P1`.
    fn placeholder(&self, n: usize) -> String;

    /// `expr` rendered as text, so every column type reads and compares
    /// the same way (keys, numbers stored as integers, timestamps).
    fn as_text(&self, expr: &str) -> String;

    /// `expr` with every character but ASCII digits removed.
    fn digits(&self, expr: &str) -> String;

    /// `expr` with ASCII letters and digits kept, upper-cased.
    fn alnum_upper(&self, expr: &str) -> String;

    /// Upper case of `expr` without surrounding spaces.
    fn upper_trim(&self, expr: &str) -> String;

    /// Lower case of `expr` without surrounding spaces.
    fn lower_trim(&self, expr: &str) -> String;

    /// `expr` without surrounding spaces.
    fn trim(&self, expr: &str) -> String;

    /// True when `expr` equals any element of text-list parameter `n`.
    fn any_of(&self, expr: &str, n: usize) -> String;

    /// True when `expr` is `LIKE` (ASCII case-insensitive) any pattern of
    /// text-list parameter `n`; patterns escape with `\`.
    fn ilike_any(&self, expr: &str, n: usize) -> String;

    /// True when `expr` is `LIKE` (case-sensitive) any pattern of
    /// parameter `n`; patterns escape with `\`.
    fn like_any(&self, expr: &str, n: usize) -> String;

    /// `expr` (text) converted to the SQL type `type_name`, as read from the
    /// catalog (`bigint`, `uuid`, `character varying(50)`).
    fn cast(&self, expr: &str, type_name: &str) -> String;

    /// A row source aliased `alias(c1, c2, ...)` whose `i`th column is
    /// parameter `first + i`, so an update or delete joins the rows it
    /// changes in one statement (`unnest(...)` in PostgreSQL).
    fn row_set(&self, first: usize, columns: &[(&str, Elem)], alias: &str) -> String;

    /// `UPDATE table AS t SET ... FROM source WHERE ...`.
    fn update_from(&self, table: &str, alias: &str, set: &str, source: &str, cond: &str) -> String;

    /// `DELETE FROM table AS t USING source WHERE ...`.
    fn delete_using(&self, table: &str, alias: &str, source: &str, cond: &str) -> String;

    /// True when `a` and `b` are equal or both NULL. SQL Server before
    /// 2022 has no `is not distinct from`; a dialect spells it its way.
    fn not_distinct(&self, a: &str, b: &str) -> String {
        format!("{a} is not distinct from {b}")
    }

    /// Packs parameters for the driver (identity where arrays are native).
    fn bind(&self, params: Vec<Param>) -> Vec<Param> {
        params
    }

    /// A table name, each part quoted.
    fn table(&self, t: &TableName) -> String {
        match &t.schema {
            Some(s) => format!("{}.{}", self.quote(s), self.quote(&t.table)),
            None => self.quote(&t.table),
        }
    }

    /// The canonical form of `expr` for `kind`, the database's side of
    /// [`super::canonical`].
    fn canonical(&self, kind: IdentifierKind, expr: &str) -> String {
        match kind {
            IdentifierKind::Phone => self.digits(expr),
            IdentifierKind::Email | IdentifierKind::DirectoryAccount => self.lower_trim(expr),
            IdentifierKind::Name => self.upper_trim(expr),
            IdentifierKind::AccountNumber => self.alnum_upper(expr),
            IdentifierKind::CloudlinkUserId => self.trim(expr),
        }
    }
}
