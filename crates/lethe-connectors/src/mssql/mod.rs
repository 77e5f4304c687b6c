//! The `mssql` connector: the contact-center suite's tables in SQL Server
//! databases `CCMData` and `CCMStatisticalData` (data-map.md A1), through
//! the shared [`sql`](crate::sql) engine on tiberius.
//!
//! - [`MsSql`]: the T-SQL dialect (brackets, `@P1…`, list parameters
//!   expanded under the 2,100-parameter limit, `UPDATE … FROM … JOIN`);
//! - [`presets`]: the eight tables, every name overridable;
//! - TLS on by default (`encrypt = "on"`, needs the `mssql-tls` build
//!   feature), plaintext only when configured for a test server;
//! - faults classified: deadlock victim, lock and statement timeouts, lost
//!   connections → transient; missing table or column, permission, login
//!   → permanent with what to fix.

mod compiled;
mod connector;
mod dialect;
mod failure;
mod pool;
pub mod presets;
mod spec;
mod target;

pub use connector::MssqlConnector;
pub use dialect::{render, Family, MsParam, MsSql, Rendered, MAX_PARAMS};
pub use spec::MssqlTargetSpec;
pub use target::{
    parse_table, Auth, Connection, Encrypt, MssqlTarget, DEFAULT_CONNECT_TIMEOUT_SECS,
    DEFAULT_PORT, DEFAULT_STATEMENT_TIMEOUT_SECS,
};
