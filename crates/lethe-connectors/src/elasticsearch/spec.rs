//! [`EsTargetSpec`]: an `[[elasticsearch]]` table of `lethe.toml` as
//! written, a preset name plus overrides, resolved into an [`EsTarget`].
//!
//! ```toml
//! [[elasticsearch]]
//! preset = "micc-cases"            # or name/index/fields/... by hand
//! url = "https://es1:9200"         # or urls = [...]
//! username = "lethe"
//! password_env = "LETHE_ES_PASSWORD"   # or api_key_env / bearer_env
//! ca_file = "/etc/lethe/es-ca.pem"
//! index = "micc-cases-*"           # override the preset's pattern
//! snapshotted = true               # adds a manual "purge from snapshots" step
//! ```
//!
//! Secrets are read from environment variables named in the file, never
//! from the file itself.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lethe_domain::{IdentifierKind, Replacement, Strategy};
use secrecy::SecretString;
use serde::Deserialize;

use super::presets::{preset, PRESET_NAMES};
use super::target::{
    EsAuth, EsConnection, EsTarget, DEFAULT_MAX_CLAUSES, DEFAULT_PAGE_SIZE, DEFAULT_TIMEOUT_SECS,
    REDACT_TOKEN,
};
use crate::files::target::{ReplacementName, StrategyName};
use crate::spec::{required_without_preset, set};
use crate::sql::ANONYMISE_TOKEN;

/// An `[[elasticsearch]]` table: every field optional. With `preset`, the
/// preset's declaration is the starting point and each given field
/// replaces the preset's value (maps and lists as a whole); `name`
/// defaults to the preset's. Without `preset`, `name`, `index` and
/// `strategy` are required. `url` or `urls` is always
/// required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsTargetSpec {
    pub preset: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub urls: Option<Vec<String>>,
    pub username: Option<String>,
    /// Environment variable holding the basic-auth password.
    pub password_env: Option<String>,
    /// Environment variable holding an API key (`encoded` form).
    pub api_key_env: Option<String>,
    /// Environment variable holding a bearer token.
    pub bearer_env: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub timeout_secs: Option<u64>,
    pub index: Option<String>,
    pub fields: Option<BTreeMap<String, Vec<IdentifierKind>>>,
    pub free_text: Option<Vec<String>>,
    pub parties: Option<Vec<Vec<String>>>,
    pub strategy: Option<StrategyName>,
    pub anonymise_with: Option<ReplacementName>,
    pub token: Option<String>,
    pub retain_ground: Option<String>,
    pub snapshotted: Option<bool>,
    pub page_size: Option<usize>,
    pub max_clauses: Option<usize>,
    pub description: Option<String>,
    pub purposes: Option<Vec<String>>,
    pub recipients: Option<Vec<String>>,
    pub retention: Option<String>,
}

fn secret_from(label: &str, key: &str, var: &str) -> Result<SecretString, String> {
    std::env::var(var).map(SecretString::from).map_err(|_| {
        format!("elasticsearch target `{label}`: environment variable `{var}` (`{key}`) is not set")
    })
}

impl EsTargetSpec {
    /// A spec for `preset` at `url`, nothing overridden.
    pub fn preset(preset: &str, url: &str) -> Self {
        Self {
            preset: Some(preset.to_owned()),
            url: Some(url.to_owned()),
            ..Self::default()
        }
    }

    /// The target this table means, validated. Errors name the table and
    /// say what to fix.
    pub fn resolve(self) -> Result<EsTarget, String> {
        let mut t = match &self.preset {
            Some(p) => preset(p).ok_or_else(|| {
                format!(
                    "unknown elasticsearch preset `{p}`; known presets: {}",
                    PRESET_NAMES.join(", ")
                )
            })?,
            None => {
                required_without_preset(
                    "elasticsearch",
                    &[
                        ("name", self.name.is_none()),
                        ("index", self.index.is_none()),
                        ("strategy", self.strategy.is_none()),
                    ],
                )?;
                blank()
            }
        };
        let label = self.name.clone().unwrap_or_else(|| t.name.clone());
        t.connection = self.connection(&label)?;
        set(&mut t.name, self.name);
        set(&mut t.index, self.index);
        set(&mut t.fields, self.fields);
        set(&mut t.free_text, self.free_text);
        set(&mut t.parties, self.parties);
        set(&mut t.snapshotted, self.snapshotted);
        set(&mut t.page_size, self.page_size);
        set(&mut t.max_clauses, self.max_clauses);
        set(&mut t.description, self.description);
        set(&mut t.purposes, self.purposes);
        set(&mut t.recipients, self.recipients);
        set(&mut t.retention, self.retention);
        if let Some(token) = &self.token {
            t.token = token.clone();
        }
        if let Some(name) = self.strategy {
            t.strategy = match name {
                StrategyName::Delete => Strategy::Delete,
                StrategyName::Redact => Strategy::Redact,
                StrategyName::Anonymise => Strategy::Anonymise {
                    with: Replacement::Null,
                },
                StrategyName::Retain => Strategy::Retain {
                    ground: String::new(),
                },
            };
        }
        if let (Some(with), Strategy::Anonymise { .. }) = (self.anonymise_with, &t.strategy) {
            let with = match with {
                ReplacementName::Null => Replacement::Null,
                ReplacementName::Token => Replacement::Token(
                    self.token
                        .clone()
                        .unwrap_or_else(|| ANONYMISE_TOKEN.to_owned()),
                ),
                ReplacementName::Pseudonym => Replacement::Pseudonym,
            };
            t.strategy = Strategy::Anonymise { with };
        }
        if let Strategy::Retain { ground } = &mut t.strategy {
            match self.retain_ground.filter(|g| !g.trim().is_empty()) {
                Some(g) => *ground = g,
                None if ground.is_empty() => {
                    return Err(format!(
                        "elasticsearch target `{label}`: strategy `retain` needs `retain_ground` (the legal ground)"
                    ))
                }
                None => {}
            }
        }
        t.validate()?;
        Ok(t)
    }

    fn connection(&self, label: &str) -> Result<EsConnection, String> {
        let urls = match (&self.url, &self.urls) {
            (Some(u), None) => vec![u.clone()],
            (None, Some(list)) if !list.is_empty() => list.clone(),
            (Some(_), Some(_)) => {
                return Err(format!(
                    "elasticsearch target `{label}`: give `url` or `urls`, not both"
                ))
            }
            _ => {
                return Err(format!(
                    "elasticsearch target `{label}`: `url` (or `urls`) is required: where is the cluster?"
                ))
            }
        };
        let auth = match (
            &self.username,
            &self.password_env,
            &self.api_key_env,
            &self.bearer_env,
        ) {
            (None, None, None, None) => EsAuth::None,
            (Some(u), Some(p), None, None) => EsAuth::Basic {
                username: u.clone(),
                password: secret_from(label, "password_env", p)?,
            },
            (None, None, Some(k), None) => EsAuth::ApiKey(secret_from(label, "api_key_env", k)?),
            (None, None, None, Some(b)) => EsAuth::Bearer(secret_from(label, "bearer_env", b)?),
            _ => {
                return Err(format!(
                    "elasticsearch target `{label}`: give one of `username` with `password_env`, `api_key_env` or `bearer_env`"
                ))
            }
        };
        Ok(EsConnection {
            urls: urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect(),
            auth,
            ca_file: self.ca_file.clone(),
            timeout_secs: self.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS),
        })
    }
}

/// A target with nothing declared, for tables without a preset.
fn blank() -> EsTarget {
    EsTarget {
        name: String::new(),
        connection: EsConnection::plain("http://unset"),
        index: String::new(),
        fields: BTreeMap::new(),
        free_text: Vec::new(),
        parties: Vec::new(),
        strategy: Strategy::Delete,
        token: REDACT_TOKEN.to_owned(),
        snapshotted: false,
        page_size: DEFAULT_PAGE_SIZE,
        max_clauses: DEFAULT_MAX_CLAUSES,
        description: "Elasticsearch documents".to_owned(),
        purposes: Vec::new(),
        recipients: Vec::new(),
        retention: "Not stated".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml: &str) -> EsTargetSpec {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn presets_resolve_with_a_url_and_overrides() {
        for p in PRESET_NAMES {
            let t = EsTargetSpec::preset(p, "http://localhost:9200")
                .resolve()
                .unwrap();
            assert_eq!(&t.name, p);
        }
        let t = spec(
            "preset = \"micc-cases\"\nurl = \"http://es:9200/\"\nindex = \"cases-*\"\nsnapshotted = true\nstrategy = \"anonymise\"\nanonymise_with = \"token\"",
        )
        .resolve()
        .unwrap();
        assert_eq!(t.index, "cases-*");
        assert!(t.snapshotted);
        assert_eq!(t.connection.urls, vec!["http://es:9200".to_owned()]);
        assert_eq!(
            t.strategy,
            Strategy::Anonymise {
                with: Replacement::Token("[ERASED]".into())
            }
        );
    }

    #[test]
    fn mistakes_say_what_to_fix() {
        let err = |s: &str| spec(s).resolve().unwrap_err();
        assert!(err("preset = \"micc-cases\"").contains("`url`"));
        assert!(err("preset = \"nope\"\nurl = \"http://x\"").contains("known presets"));
        assert!(err("name = \"x\"\nurl = \"http://x\"").contains("missing: index, strategy"));
        assert!(
            err("preset = \"micc-cases\"\nurl = \"http://x\"\nindex = \"a/_delete_by_query\"")
                .contains("no `/`")
        );
        assert!(
            err("preset = \"micc-cases\"\nurl = \"http://x\"\nstrategy = \"retain\"")
                .contains("retain_ground")
        );
        assert!(
            err("preset = \"micc-cases\"\nurl = \"http://x\"\npassword_env = \"P\"")
                .contains("one of")
        );
        assert!(err("preset = \"micc-cases\"\nurl = \"http://x\"\napi_key_env = \"LETHE_TEST_UNSET_VAR_91\"").contains("is not set"));
        assert!(err("preset = \"micc-cases\"\nurl = \"ftp://x\"").contains("http://"));
    }
}
