//! The `postgres` connector: tables in PostgreSQL, first of all the
//! MiVB Console's call history (data-map.md A5), through the shared
//! [`sql`](crate::sql) engine on tokio-postgres.
//!
//! - [`tls`]: `sslmode` `disable | prefer | require | verify-full` on
//!   rustls (ring), with an optional CA file.
//! - a small pool per distinct connection setting, which drops broken
//!   connections so the first call after an outage reconnects;
//! - faults classified: unreachable server, serialization failure,
//!   deadlock, shutdown, resources → transient; missing table or column,
//!   permission, authentication, TLS verification → permanent with what to
//!   fix.

mod catalog;
mod connector;
mod dialect;
mod failure;
mod pool;
pub mod presets;
mod spec;
mod target;
pub mod tls;

pub use connector::{ConnectionInfo, PostgresConnector};
pub use dialect::Postgres;
pub use spec::PostgresTargetSpec;
pub use target::{Connection, PostgresTarget, DEFAULT_CONNECT_TIMEOUT_SECS, DEFAULT_POOL_SIZE};
pub use tls::SslMode;
