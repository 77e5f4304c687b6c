//! [`MssqlTarget`]: a table target of the SQL engine, the database it
//! lives in, and how to reach its SQL Server.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tiberius::{AuthMethod, Config, EncryptionLevel};

use crate::sql::{Ident, SqlTarget, TableName};

/// Seconds to wait for a connection and login unless `connect_timeout_secs` says.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// Seconds one statement may run unless `statement_timeout_secs` says.
pub const DEFAULT_STATEMENT_TIMEOUT_SECS: u64 = 120;
/// SQL Server's default port.
pub const DEFAULT_PORT: u16 = 1433;

/// Whether the TDS session is encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encrypt {
    /// TLS for the whole session, the server's certificate verified unless
    /// `trust_server_certificate`. Needs a build with the `mssql-tls`
    /// feature.
    #[default]
    On,
    /// No TLS at all, not even for the login (tiberius's
    /// `DANGER_PLAINTEXT`): passwords and personal data cross the network
    /// in clear. Only for a test server that does not support encryption.
    Off,
}

/// How lethe logs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// SQL Server authentication: `user` and `password_env`.
    #[default]
    Sql,
    /// Windows (NTLM) authentication as `DOMAIN\user`. tiberius offers it
    /// on Windows builds only; elsewhere lethe refuses it at startup.
    Windows,
}

/// How to reach a SQL Server. Targets with equal settings share idle
/// connections.
#[derive(Clone)]
pub struct Connection {
    /// An ADO.NET connection string (`server=tcp:host,1433;user=…;
    /// password=…`), a secret. When given, host, port, user and password
    /// come from it; `database` and `encrypt` below still apply.
    pub ado: Option<SecretString>,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    /// A secret: never logged, never in an error message.
    pub password: Option<SecretString>,
    pub auth: Auth,
    pub encrypt: Encrypt,
    pub trust_server_certificate: bool,
    pub connect_timeout_secs: u64,
    pub statement_timeout_secs: u64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("auth", &self.auth)
            .field("encrypt", &self.encrypt)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The tiberius configuration for `database`. Errors say what to fix
    /// without quoting a secret.
    pub(crate) fn config(&self, database: Option<&Ident>) -> Result<Config, String> {
        let mut config = match &self.ado {
            Some(ado) => Config::from_ado_string(ado.expose_secret()).map_err(|_| {
                "`url` is not an ADO.NET connection string (`server=tcp:host,1433;user=…;password=…`)"
                    .to_owned()
            })?,
            None => {
                let mut c = Config::new();
                c.host(&self.host);
                c.port(self.port);
                match self.auth {
                    Auth::Sql => {
                        let (Some(user), Some(password)) = (&self.user, &self.password) else {
                            return Err(
                                "SQL authentication needs `user` and `password_env` (or an ADO `url`)"
                                    .to_owned(),
                            );
                        };
                        c.authentication(AuthMethod::sql_server(user, password.expose_secret()));
                    }
                    Auth::Windows => return Err(WINDOWS_AUTH.to_owned()),
                }
                c
            }
        };
        if let Some(db) = database {
            config.database(db.as_str());
        }
        match self.encrypt {
            Encrypt::Off => config.encryption(EncryptionLevel::NotSupported),
            Encrypt::On => {
                if !cfg!(feature = "mssql-tls") {
                    return Err(
                        "`encrypt = \"on\"` (the default) needs a lethe built with the `mssql-tls` feature; \
                         this build speaks plaintext TDS only: set `encrypt = \"off\"` only for a test server"
                            .to_owned(),
                    );
                }
                config.encryption(EncryptionLevel::Required);
                if self.trust_server_certificate {
                    config.trust_cert();
                }
            }
        }
        config.application_name("lethe");
        Ok(config)
    }

    /// Whether two targets can share idle connections (same server, login
    /// and settings; the database is set per connection).
    pub(crate) fn same_as(&self, other: &Connection) -> bool {
        let secret = |s: &Option<SecretString>| s.as_ref().map(|s| s.expose_secret().to_owned());
        secret(&self.ado) == secret(&other.ado)
            && secret(&self.password) == secret(&other.password)
            && self.host == other.host
            && self.port == other.port
            && self.user == other.user
            && self.auth == other.auth
            && self.encrypt == other.encrypt
            && self.trust_server_certificate == other.trust_server_certificate
            && self.connect_timeout_secs == other.connect_timeout_secs
            && self.statement_timeout_secs == other.statement_timeout_secs
    }
}

/// Why `auth = "windows"` is refused: tiberius 0.12 offers NTLM only in
/// Windows builds (`winauth`), and Kerberos only through system GSSAPI.
const WINDOWS_AUTH: &str =
    "`auth = \"windows\"` (NTLM) is not available in this build (tiberius supports it on \
     Windows only); use SQL authentication or an ADO `url`";

/// One `[[mssql]]` target, resolved and validated.
#[derive(Debug, Clone)]
pub struct MssqlTarget {
    pub table: SqlTarget,
    /// The database holding the table (`CCMData`, `CCMStatisticalData`);
    /// `None`: the login's default database.
    pub database: Option<Ident>,
    pub connection: Connection,
    /// Files the rows point at (call recordings), deleted with the rows.
    pub recordings: Option<Recordings>,
}

/// A column of the table that names files (`RecordingLocation`), and where
/// this machine may delete them. Erasure deletes each erased row's file
/// when it is under a root, before the row changes; a file anywhere else
/// becomes a follow-up for a person, found at discovery (so it is on
/// record before the row that named it is anonymised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recordings {
    pub column: String,
    pub roots: Vec<crate::files::recordings::RecordingRoot>,
}

impl MssqlTarget {
    /// Checks the table declaration and the connection setting without
    /// connecting.
    pub fn validate(&self) -> Result<(), String> {
        self.table.validate()?;
        let name = &self.table.name;
        if let Some(r) = &self.recordings {
            let t = &self.table;
            if !t.free_text.contains(&r.column) && !t.columns.contains_key(&r.column) {
                return Err(format!(
                    "mssql target `{name}`: recording_column `{}` must be one of the table's columns or free_text",
                    r.column
                ));
            }
            for root in &r.roots {
                if !root.dir.is_absolute() {
                    return Err(format!(
                        "mssql target `{name}`: recording root dir {} must be an absolute path",
                        root.dir.display()
                    ));
                }
            }
        }
        self.connection
            .config(self.database.as_ref())
            .map_err(|e| format!("mssql target `{name}`: {e}"))?;
        Ok(())
    }

    /// `db.schema.table` as reports and errors write it.
    pub fn place(&self) -> String {
        match &self.database {
            Some(db) => format!("{db}.{}", self.table.table),
            None => self.table.table.to_string(),
        }
    }
}

/// Parses `[db].[schema].[table]`, `db.schema.table`, `schema.table` or
/// `table` (brackets optional, each part a plain name).
pub fn parse_table(s: &str) -> Result<(Option<Ident>, TableName), String> {
    let parts: Vec<String> = s
        .split('.')
        .map(|p| {
            p.strip_prefix('[')
                .and_then(|p| p.strip_suffix(']'))
                .unwrap_or(p)
                .to_owned()
        })
        .collect();
    let bad = |e: String| {
        format!("table `{s}`: {e}; write `[db].[schema].[table]`, `schema.table` or `table`")
    };
    match parts.as_slice() {
        [db, schema, table] => Ok((
            Some(Ident::parse(db).map_err(bad)?),
            TableName::parse(&format!("{schema}.{table}")).map_err(bad)?,
        )),
        _ => Ok((None, TableName::parse(&parts.join(".")).map_err(bad)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_take_an_optional_database() {
        let (db, t) = parse_table("[CCMData].[dbo].[tblData_CA_Trace]").unwrap();
        assert_eq!(db.unwrap().as_str(), "CCMData");
        assert_eq!(t.to_string(), "dbo.tblData_CA_Trace");
        let (db, t) = parse_table("dbo.ConversationSummary").unwrap();
        assert!(db.is_none());
        assert_eq!(t.table.as_str(), "ConversationSummary");
        for bad in ["a.b.c.d", "[a]].b", "a;drop.b", "[x y].dbo.t"] {
            assert!(parse_table(bad).is_err(), "{bad}");
        }
    }
}
