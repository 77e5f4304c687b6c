//! Fixtures shared by lethe's tests, the demo and the benchmark, so all
//! three see the same data:
//!
//! - [`call_history`]: the console call-history table of data-map.md A5 as a
//!   migration-style SQL file, created in a schema of the caller's choice;
//! - [`generate`]: a deterministic generator of realistic call rows (phone
//!   numbers in every shape the estate writes them, upper-case caller-ID
//!   names cut at 15 characters, transfers, operator logins) with planted
//!   subjects whose row counts are known;
//! - [`load`]: a `COPY FROM STDIN` loader (a million rows in seconds);
//! - [`tds`]: a TDS 7.4 test server backed by SQLite, for the SQL Server connector;
//! - [`es`]: the suite's Elasticsearch indices (mappings, a generator with
//!   planted subjects, a `_bulk` loader) and an `osmem-server` launcher;
//! - [`cloudlink`]: a Mitel CloudLink test server (tokens, users,
//!   conversations, fault injection) with planted employees.
//!
//! Every number comes from Ofcom's ranges reserved for drama, so no real
//! person's number is ever generated.

pub mod call_history;
pub mod cloudlink;
pub mod es;
pub mod generate;
pub mod load;
pub mod mssql;
pub mod proxy;
pub mod sweep;
pub mod tds;
mod time;

pub use call_history::{create_call_history, CALL_HISTORY_SQL};
pub use generate::{CallRow, Fixture, Plant};
pub use load::load_call_history;
