//! [`PostgresTarget`]: a table target of the SQL engine plus how to reach
//! its database.

use std::path::PathBuf;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

use super::tls::SslMode;
use crate::sql::SqlTarget;

/// Connections per distinct connection setting unless `pool_size` says.
pub const DEFAULT_POOL_SIZE: usize = 4;
/// Seconds to wait for a connection unless `connect_timeout_secs` says.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;

/// How to reach a database. Targets with equal settings share one pool.
#[derive(Debug, Clone)]
pub struct Connection {
    /// `postgres://user:password@host:port/db` or libpq `key=value` form.
    /// A secret: never logged, never in an error message.
    pub url: SecretString,
    /// TLS; overrides any `sslmode` in the URL, which cannot say
    /// `verify-full` (tokio-postgres knows only disable/prefer/require).
    pub sslmode: SslMode,
    /// Extra trusted CA certificates (PEM) for `verify-full`.
    pub ca_file: Option<PathBuf>,
    /// Most connections open at once.
    pub pool_size: usize,
    pub connect_timeout_secs: u64,
}

impl Connection {
    /// The URL parsed, `sslmode` applied. Errors say what is wrong without
    /// quoting the URL.
    pub(crate) fn config(&self) -> Result<tokio_postgres::Config, String> {
        let mut config = tokio_postgres::Config::from_str(self.url.expose_secret()).map_err(|e| {
            format!(
                "`url` is not a PostgreSQL connection URL ({e}); give `sslmode` as its own field, not in the URL"
            )
        })?;
        config.ssl_mode(self.sslmode.wire());
        Ok(config)
    }

    /// Whether two targets can share a pool.
    pub(crate) fn same_as(&self, other: &Connection) -> bool {
        self.url.expose_secret() == other.url.expose_secret()
            && self.sslmode == other.sslmode
            && self.ca_file == other.ca_file
            && self.pool_size == other.pool_size
            && self.connect_timeout_secs == other.connect_timeout_secs
    }
}

/// One `[[postgres]]` target, resolved and validated.
#[derive(Debug, Clone)]
pub struct PostgresTarget {
    pub table: SqlTarget,
    pub connection: Connection,
}

impl PostgresTarget {
    /// Checks the table declaration and the connection setting without
    /// connecting.
    pub fn validate(&self) -> Result<(), String> {
        self.table.validate()?;
        let name = &self.table.name;
        self.connection
            .config()
            .map_err(|e| format!("postgres target `{name}`: {e}"))?;
        if self.connection.pool_size == 0 {
            return Err(format!(
                "postgres target `{name}`: `pool_size` must be at least 1"
            ));
        }
        if self.connection.ca_file.is_some() && self.connection.sslmode != SslMode::VerifyFull {
            return Err(format!(
                "postgres target `{name}`: `ca_file` is only used with sslmode `verify-full`; set it or remove `ca_file`"
            ));
        }
        Ok(())
    }
}
