//! [`PostgresTargetSpec`]: a `[[postgres]]` table of `lethe.toml` as
//! written, a preset name plus overrides, resolved into a
//! [`PostgresTarget`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use lethe_domain::IdentifierKind;
use secrecy::SecretString;
use serde::Deserialize;

use super::presets::{preset, PRESET_NAMES};
use super::target::{Connection, PostgresTarget, DEFAULT_CONNECT_TIMEOUT_SECS, DEFAULT_POOL_SIZE};
use super::tls::SslMode;
use crate::spec::{required_without_preset, set};
use crate::sql::{ReplacementName, SqlTarget, StrategyName, TableName};

/// A `[[postgres]]` table: every field optional. With `preset`, the
/// preset's declaration is the starting point and each given field
/// replaces the preset's value (maps and lists as a whole); `name`
/// defaults to the preset's name. Without `preset`, `name`, `table`, `key`
/// and `strategy` are required. The connection (`url` or `url_env`) is
/// always required: no preset knows where the database is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresTargetSpec {
    pub preset: Option<String>,
    pub name: Option<String>,
    /// The connection URL (a secret).
    pub url: Option<SecretString>,
    /// The name of an environment variable holding the URL, to keep the
    /// password out of `lethe.toml`.
    pub url_env: Option<String>,
    pub sslmode: Option<SslMode>,
    pub ca_file: Option<PathBuf>,
    pub pool_size: Option<usize>,
    pub connect_timeout_secs: Option<u64>,
    pub table: Option<TableName>,
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
}

impl PostgresTargetSpec {
    /// A spec for `preset` at `url`, nothing overridden.
    pub fn preset(preset: &str, url: &str) -> Self {
        Self {
            preset: Some(preset.to_owned()),
            url: Some(SecretString::from(url.to_owned())),
            ..Self::default()
        }
    }

    /// The target this table means, validated. Errors name the table and
    /// say what to fix.
    pub fn resolve(self) -> Result<PostgresTarget, String> {
        let mut t = match &self.preset {
            Some(p) => preset(p).ok_or_else(|| {
                format!(
                    "unknown postgres preset `{p}`; known presets: {}",
                    PRESET_NAMES.join(", ")
                )
            })?,
            None => {
                required_without_preset(
                    "postgres",
                    &[
                        ("name", self.name.is_none()),
                        ("table", self.table.is_none()),
                        ("key", self.key.is_none()),
                        ("strategy", self.strategy.is_none()),
                    ],
                )?;
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
        };
        let label = self.name.clone().unwrap_or_else(|| t.name.clone());
        let url = match (self.url, self.url_env) {
            (Some(url), None) => url,
            (None, Some(var)) => std::env::var(&var).map(SecretString::from).map_err(|_| {
                format!("postgres target `{label}`: environment variable `{var}` (`url_env`) is not set")
            })?,
            (Some(_), Some(_)) => {
                return Err(format!("postgres target `{label}`: give `url` or `url_env`, not both"))
            }
            (None, None) => {
                return Err(format!(
                    "postgres target `{label}`: `url` (or `url_env`) is required: where is the database?"
                ))
            }
        };
        set(&mut t.name, self.name);
        set(&mut t.table, self.table);
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
        let target = PostgresTarget {
            table: t,
            connection: Connection {
                url,
                sslmode: self.sslmode.unwrap_or_default(),
                ca_file: self.ca_file,
                pool_size: self.pool_size.unwrap_or(DEFAULT_POOL_SIZE),
                connect_timeout_secs: self
                    .connect_timeout_secs
                    .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECS),
            },
        };
        target.validate()?;
        Ok(target)
    }
}
