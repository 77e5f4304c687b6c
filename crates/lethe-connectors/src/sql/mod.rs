//! The SQL target engine, shared by the SQL connectors (`postgres` now,
//! `mssql` next): a dialect-neutral declaration of a table target
//! ([`SqlTarget`]), the batch's identifier variants reduced to parameter
//! sets ([`canonical`]), the statements built from them through a small
//! [`Dialect`], and the attribution of returned rows to subjects in Rust.
//!
//! Per call and table: discovery, export and verification are **one**
//! `SELECT` for the whole batch; erasure is that `SELECT` plus **one**
//! `UPDATE` or `DELETE` of every changed row, in one transaction, each row
//! guarded by its personal columns being as they were read.

mod dialect;
mod ident;
pub(crate) mod rows;
mod search;
pub(crate) mod statement;
mod target;

pub use dialect::{Dialect, Elem, Param};
pub use ident::{Ident, TableName};
pub use rows::{pseudonym, Row};
pub(crate) use rows::{pseudonym_of, Attributed, Rewrite};
pub(crate) use search::Needles;
pub use search::{canonical, escape_like};
pub(crate) use statement::Layout;
pub use statement::{ColumnTypes, Statement};
pub use target::{ReplacementName, SqlTarget, StrategyName, ANONYMISE_TOKEN, REDACT_TOKEN};
