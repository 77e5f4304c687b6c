//! [`MssqlTargetSpec`]: a `[[mssql]]` table of `lethe.toml` as written, a
//! preset name plus overrides, resolved into an [`MssqlTarget`].
//!
//! ```toml
//! [[mssql]]
//! preset = "ccm-lc-trace"
//! host = "micc-sql.example.internal"    # port = 1433
//! user = "lethe"
//! password_env = "LETHE_MICC_SQL_PASSWORD"
//! database = "CCMData"                  # one field report has tblData_LC_Trace there
//! # encrypt = "on" (default), trust_server_certificate = false (default)
//!
//! [[mssql]]
//! name = "ccm-custom"
//! url_env = "LETHE_MICC_SQL_ADO"        # ADO.NET string instead of host/user/password
//! table = "[CCMData].[dbo].[tblData_Custom]"
//! key = "Pkey"
//! columns = { ANI = ["phone"], CallerName = ["name"] }
//! strategy = "anonymise"
//! ```

use std::collections::BTreeMap;

use lethe_domain::IdentifierKind;
use secrecy::SecretString;
use serde::Deserialize;

use super::presets::{preset, PRESET_NAMES};
use super::target::{
    parse_table, Auth, Connection, Encrypt, MssqlTarget, DEFAULT_CONNECT_TIMEOUT_SECS,
    DEFAULT_PORT, DEFAULT_STATEMENT_TIMEOUT_SECS,
};
use crate::spec::{required_without_preset, set};
use crate::sql::{Ident, ReplacementName, SqlTarget, StrategyName, TableName};

/// A `[[mssql]]` table: every field optional. With `preset`, the preset's
/// declaration (and database) is the starting point and each given field
/// replaces it; `name` defaults to the preset's name. Without `preset`,
/// `name`, `table`, `key` and `strategy` are required. Where the server is
/// (`host` or `url`/`url_env`) is always required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MssqlTargetSpec {
    pub preset: Option<String>,
    pub name: Option<String>,
    /// An ADO.NET connection string (a secret).
    pub url: Option<SecretString>,
    /// The environment variable holding the ADO.NET connection string.
    pub url_env: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// The environment variable holding the password.
    pub password_env: Option<String>,
    pub auth: Option<Auth>,
    /// The database; overrides the preset's and a three-part `table`'s.
    pub database: Option<String>,
    pub encrypt: Option<Encrypt>,
    pub trust_server_certificate: Option<bool>,
    pub connect_timeout_secs: Option<u64>,
    pub statement_timeout_secs: Option<u64>,
    /// `[db].[schema].[table]`, `schema.table` or `table`.
    pub table: Option<String>,
    pub key: Option<String>,
    pub columns: Option<BTreeMap<String, Vec<IdentifierKind>>>,
    pub free_text: Option<Vec<String>>,
    pub parties: Option<Vec<Vec<String>>>,
    pub context: Option<Vec<String>>,
    pub strategy: Option<StrategyName>,
    pub anonymise_with: Option<ReplacementName>,
    pub replace: Option<BTreeMap<String, ReplacementName>>,
    pub token: Option<String>,
    pub retain_ground: Option<String>,
    pub description: Option<String>,
    pub purposes: Option<Vec<String>>,
    pub recipients: Option<Vec<String>>,
    pub retention: Option<String>,
    /// Where the files named by `recording_column` may be deleted:
    /// `[{ prefix = "\\\\rec01\\calls\\", dir = "/mnt/rec01/calls" }]`.
    /// Given (even empty), erasure deletes recordings under these roots
    /// and plans a manual step for every other one.
    pub recording_roots: Option<Vec<crate::files::recordings::RecordingRoot>>,
    /// The column naming the files (default `RecordingLocation`).
    pub recording_column: Option<String>,
}

impl MssqlTargetSpec {
    /// A spec for `preset` on `host:port` as `user`, nothing else overridden.
    pub fn preset(preset: &str, host: &str, port: u16, user: &str, password_env: &str) -> Self {
        Self {
            preset: Some(preset.to_owned()),
            host: Some(host.to_owned()),
            port: Some(port),
            user: Some(user.to_owned()),
            password_env: Some(password_env.to_owned()),
            ..Self::default()
        }
    }

    /// The target this table means, validated. Errors name the table and
    /// say what to fix, never a secret.
    pub fn resolve(self) -> Result<MssqlTarget, String> {
        let (mut t, mut database) = match &self.preset {
            Some(p) => {
                let (t, db) = preset(p).ok_or_else(|| {
                    format!(
                        "unknown mssql preset `{p}`; known presets: {}",
                        PRESET_NAMES.join(", ")
                    )
                })?;
                (t, Some(db.to_owned()))
            }
            None => {
                required_without_preset(
                    "mssql",
                    &[
                        ("name", self.name.is_none()),
                        ("table", self.table.is_none()),
                        ("key", self.key.is_none()),
                        ("strategy", self.strategy.is_none()),
                    ],
                )?;
                (blank(), None)
            }
        };
        let label = self.name.clone().unwrap_or_else(|| t.name.clone());
        let err = |e: String| format!("mssql target `{label}`: {e}");
        if let Some(table) = &self.table {
            let (db, name) = parse_table(table).map_err(err)?;
            t.table = name;
            if let Some(db) = db {
                database = Some(db.to_string());
            }
        }
        if let Some(db) = self.database {
            database = Some(db);
        }
        let database = database
            .map(|d| Ident::parse(&d).map_err(|e| err(format!("`database` {e}"))))
            .transpose()?;
        let env = |var: &str, field: &str| {
            std::env::var(var).map(SecretString::from).map_err(|_| {
                err(format!(
                    "environment variable `{var}` (`{field}`) is not set"
                ))
            })
        };
        let ado = match (self.url, self.url_env) {
            (Some(url), None) => Some(url),
            (None, Some(var)) => Some(env(&var, "url_env")?),
            (Some(_), Some(_)) => return Err(err("give `url` or `url_env`, not both".into())),
            (None, None) => None,
        };
        if ado.is_none() && self.host.is_none() {
            return Err(err(
                "`host` (or an ADO `url`/`url_env`) is required: where is the server?".into(),
            ));
        }
        if ado.is_some()
            && (self.host.is_some() || self.user.is_some() || self.password_env.is_some())
        {
            return Err(err("with `url`/`url_env`, leave out `host`, `user` and `password_env` (the string has them)".into()));
        }
        let password = self
            .password_env
            .as_deref()
            .map(|v| env(v, "password_env"))
            .transpose()?;
        set(&mut t.name, self.name);
        set(&mut t.key, self.key);
        set(&mut t.columns, self.columns);
        set(&mut t.free_text, self.free_text);
        set(&mut t.parties, self.parties);
        set(&mut t.context, self.context);
        set(&mut t.strategy, self.strategy);
        set(&mut t.replace, self.replace);
        set(&mut t.purposes, self.purposes);
        set(&mut t.recipients, self.recipients);
        t.anonymise_with = self.anonymise_with.or(t.anonymise_with);
        t.token = self.token.or(t.token);
        t.retain_ground = self.retain_ground.or(t.retain_ground);
        t.description = self.description.or(t.description);
        t.retention = self.retention.or(t.retention);
        let recordings = self.recording_roots.map(|roots| super::target::Recordings {
            column: self
                .recording_column
                .unwrap_or_else(|| "RecordingLocation".to_owned()),
            roots,
        });
        let target = MssqlTarget {
            table: t,
            recordings,
            database,
            connection: Connection {
                ado,
                host: self.host.unwrap_or_default(),
                port: self.port.unwrap_or(DEFAULT_PORT),
                user: self.user,
                password,
                auth: self.auth.unwrap_or_default(),
                encrypt: self.encrypt.unwrap_or_default(),
                trust_server_certificate: self.trust_server_certificate.unwrap_or(false),
                connect_timeout_secs: self
                    .connect_timeout_secs
                    .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECS),
                statement_timeout_secs: self
                    .statement_timeout_secs
                    .unwrap_or(DEFAULT_STATEMENT_TIMEOUT_SECS),
            },
        };
        target.validate()?;
        Ok(target)
    }
}

fn blank() -> SqlTarget {
    SqlTarget {
        name: String::new(),
        table: TableName::parse("unset").expect("valid"),
        key: String::new(),
        columns: BTreeMap::new(),
        free_text: Vec::new(),
        parties: Vec::new(),
        context: Vec::new(),
        strategy: StrategyName::Anonymise,
        anonymise_with: None,
        replace: BTreeMap::new(),
        token: None,
        retain_ground: None,
        description: None,
        purposes: Vec::new(),
        recipients: Vec::new(),
        retention: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> MssqlTargetSpec {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn a_preset_with_overrides() {
        let t = spec(
            r#"
            preset = "ccm-lc-trace"
            url = "server=tcp:sql.example.internal,1433;user=lethe;password=secret"
            encrypt = "off"
            database = "CCMData"
            "#,
        )
        .resolve()
        .unwrap();
        assert_eq!(t.place(), "CCMData.dbo.tblData_LC_Trace");
        let t = spec(
            r#"
            preset = "ccm-lc-note"
            host = "127.0.0.1"
            encrypt = "off"
            user = "sa"
            password_env = "PATH"
            table = "[Stats2].[rpt].[Notes]"
            "#,
        )
        .resolve()
        .unwrap();
        assert_eq!(t.place(), "Stats2.rpt.Notes");
        assert_eq!(t.connection.port, DEFAULT_PORT);
    }

    #[test]
    fn errors_say_what_to_fix_without_secrets() {
        let e = spec(r#"preset = "ccm-lc-trace""#).resolve().unwrap_err();
        assert!(e.contains("`host`"), "{e}");
        let e = spec(
            r#"
            preset = "ccm-lc-trace"
            url = "server=tcp:h,1433;user=u;password=hunter2"
            "#,
        )
        .resolve()
        .unwrap_err();
        if cfg!(not(feature = "mssql-tls")) {
            assert!(e.contains("mssql-tls"), "{e}");
        }
        assert!(!e.contains("hunter2"));
        let e = spec(r#"name = "x""#).resolve().unwrap_err();
        assert!(e.contains("missing: table, key, strategy"), "{e}");
        let e = spec(
            r#"
            preset = "ccm-lc-trace"
            host = "h"
            encrypt = "off"
            auth = "windows"
            "#,
        )
        .resolve()
        .unwrap_err();
        assert!(e.contains("NTLM"), "{e}");
        assert!(toml::from_str::<MssqlTargetSpec>("bogus = 1").is_err());
    }
}
