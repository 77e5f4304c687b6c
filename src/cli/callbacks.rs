//! `[[webhooks]]` and `[callbacks]`: ticketing systems that raise requests
//! by signed webhook, and the signed status callbacks lethe sends back.
//! Secrets are named by environment variable and read once at start-up;
//! every error says which table and key to fix.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context};
use lethe_api::callbacks::CallbackSettings;
use lethe_api::webhooks::{Mapping, MappingOverrides, Preset, WebhookSource, WebhookSources};
use lethe_domain::callback::{check_url, UrlPolicy};
use lethe_worker::{CallbackConfig, CallbackSigner};
use secrecy::SecretString;
use serde::Deserialize;

use super::Config;

/// One `[[webhooks]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// The path segment: `POST /v1/webhooks/{source}`; `[a-z0-9-]+`.
    pub source: String,
    /// `jira`, `servicenow`, `zendesk` or `standard` (default).
    #[serde(default)]
    pub preset: Preset,
    /// Environment variables holding the secrets: any one verifies an
    /// inbound delivery (rotation), the first signs callbacks.
    pub secrets_env: Vec<String>,
    /// Seconds a signed timestamp may be off lethe's clock (default 300).
    #[serde(default = "default_tolerance")]
    pub tolerance_secs: u64,
    /// JSON Pointers overriding the preset's.
    #[serde(default)]
    pub mapping: MappingOverrides,
    /// Recorded as the requests' creator (default `webhook:<source>`).
    pub created_by: Option<String>,
    /// Where this source's requests post their status changes.
    pub callback_url: Option<String>,
    #[serde(default)]
    pub callback_allow_http: bool,
    #[serde(default)]
    pub callback_allow_private: bool,
}

/// `[callbacks]`: per-request callback URLs and delivery.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbacksConfig {
    /// Signs callbacks to URLs given with a request; without it such URLs
    /// are refused.
    pub secret_env: Option<String>,
    /// Per-request URLs may be plain http.
    #[serde(default)]
    pub allow_http: bool,
    /// Per-request URLs may point at private, loopback or link-local addresses.
    #[serde(default)]
    pub allow_private: bool,
    /// Hours an undelivered event is retried before it is given up.
    #[serde(default = "default_give_up")]
    pub give_up_after_hours: u64,
    /// First retry delay and cap, seconds.
    #[serde(default = "default_backoff_base")]
    pub backoff_base_secs: u64,
    #[serde(default = "default_backoff_cap")]
    pub backoff_cap_secs: u64,
    /// Seconds per try.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// lethe's public base URL, prefixed to `report_url` in callbacks.
    pub public_url: Option<String>,
}

fn default_tolerance() -> u64 {
    300
}
fn default_give_up() -> u64 {
    24
}
fn default_backoff_base() -> u64 {
    10
}
fn default_backoff_cap() -> u64 {
    3600
}
fn default_timeout() -> u64 {
    10
}

impl Default for CallbacksConfig {
    fn default() -> Self {
        Self {
            secret_env: None,
            allow_http: false,
            allow_private: false,
            give_up_after_hours: default_give_up(),
            backoff_base_secs: default_backoff_base(),
            backoff_cap_secs: default_backoff_cap(),
            timeout_secs: default_timeout(),
            public_url: None,
        }
    }
}

/// Reads a secret from the environment variable `var`.
fn secret(var: &str, key: &str) -> anyhow::Result<SecretString> {
    match std::env::var(var) {
        Ok(v) if v.len() >= 16 => Ok(SecretString::from(v)),
        Ok(_) => bail!(
            "{key}: environment variable {var} holds fewer than 16 bytes; use a longer secret"
        ),
        Err(_) => bail!("{key}: environment variable {var} is not set"),
    }
}

fn source_policy(spec: &WebhookSpec) -> UrlPolicy {
    UrlPolicy {
        allow_http: spec.callback_allow_http,
        allow_private: spec.callback_allow_private,
    }
}

fn source_secrets(spec: &WebhookSpec) -> anyhow::Result<Vec<SecretString>> {
    let key = format!("[[webhooks]] source = {:?}: secrets_env", spec.source);
    if spec.secrets_env.is_empty() {
        bail!("{key}: name at least one environment variable holding the signing secret");
    }
    spec.secrets_env.iter().map(|v| secret(v, &key)).collect()
}

/// The inbound sources, validated.
pub fn webhook_sources(config: &Config) -> anyhow::Result<WebhookSources> {
    let mut out = WebhookSources::new();
    for spec in &config.webhooks {
        let name = &spec.source;
        let at = format!("[[webhooks]] source = {name:?}");
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            bail!("{at}: source must be lower-case letters, digits and `-` (it is a URL path segment)");
        }
        let mapping = Mapping::new(spec.preset, &spec.mapping)
            .map_err(anyhow::Error::msg)
            .with_context(|| at.clone())?;
        if let Some(url) = &spec.callback_url {
            check_url(url, source_policy(spec)).with_context(|| {
                format!("{at}: callback_url (callback_allow_http / callback_allow_private relax the rules)")
            })?;
        }
        let source = WebhookSource {
            preset: spec.preset,
            secrets: source_secrets(spec)?,
            tolerance: Duration::from_secs(spec.tolerance_secs),
            mapping,
            created_by: spec
                .created_by
                .clone()
                .unwrap_or_else(|| format!("webhook:{name}")),
            callback_url: spec.callback_url.clone(),
        };
        if out.insert(name.clone(), source).is_some() {
            bail!("{at}: configured twice");
        }
    }
    Ok(out)
}

/// What `POST /v1/requests` accepts as `callback_url`.
pub fn callback_settings(config: &Config) -> CallbackSettings {
    CallbackSettings {
        enabled: config.callbacks.secret_env.is_some(),
        policy: UrlPolicy {
            allow_http: config.callbacks.allow_http,
            allow_private: config.callbacks.allow_private,
        },
    }
}

/// The dispatcher's configuration: each source's first secret, the
/// per-request secret, retry and timeout settings. `None` when no
/// callback can exist (no source has a `callback_url` and per-request URLs
/// are off), so workers do not poll an empty outbox.
pub fn dispatcher(config: &Config) -> anyhow::Result<Option<CallbackConfig>> {
    let c = &config.callbacks;
    if c.secret_env.is_none() && config.webhooks.iter().all(|w| w.callback_url.is_none()) {
        return Ok(None);
    }
    let mut sources = BTreeMap::new();
    for spec in &config.webhooks {
        let first = source_secrets(spec)?.remove(0);
        let signer = CallbackSigner {
            secret: first,
            policy: source_policy(spec),
        };
        sources.insert(spec.source.clone(), signer);
    }
    let default = match &c.secret_env {
        Some(var) => Some(CallbackSigner {
            secret: secret(var, "[callbacks] secret_env")?,
            policy: callback_settings(config).policy,
        }),
        None => None,
    };
    if c.give_up_after_hours == 0 || c.backoff_base_secs == 0 || c.timeout_secs == 0 {
        bail!("[callbacks]: give_up_after_hours, backoff_base_secs and timeout_secs must be at least 1");
    }
    if let Some(url) = &c.public_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!(
                "[callbacks] public_url must be an http(s) URL such as https://lethe.example.com"
            );
        }
    }
    Ok(Some(CallbackConfig {
        sources,
        default,
        give_up_after: Duration::from_secs(c.give_up_after_hours * 3600),
        backoff_base: Duration::from_secs(c.backoff_base_secs),
        backoff_cap: Duration::from_secs(c.backoff_cap_secs.max(c.backoff_base_secs)),
        timeout: Duration::from_secs(c.timeout_secs),
        public_url: c.public_url.clone(),
        ..CallbackConfig::default()
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn missing_secrets_name_the_variable() {
        let err =
            super::secret("LETHE_TEST_NO_SUCH_VARIABLE", "[callbacks] secret_env").unwrap_err();
        assert!(err.to_string().contains("LETHE_TEST_NO_SUCH_VARIABLE"));
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;

    fn load(toml: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("lethe.toml");
        std::fs::write(&path, toml)?;
        Config::load(&path)
    }

    #[test]
    fn webhook_tables_load_and_errors_say_what_to_fix() {
        std::env::set_var("LETHE_TEST_WH_SECRET_A", "jira-secret-0123456789abcdef");
        std::env::set_var("LETHE_TEST_WH_SECRET_B", "jira-secret-fedcba9876543210");
        let ok = load(
            r#"
            [[webhooks]]
            source = "jira-prod"
            preset = "jira"
            secrets_env = ["LETHE_TEST_WH_SECRET_A", "LETHE_TEST_WH_SECRET_B"]
            callback_url = "https://example.atlassian.net/hook"
            [webhooks.mapping]
            emails = "/issue/fields/customfield_20000"
            kind_values = { "Forget me" = "erasure" }
            [callbacks]
            secret_env = "LETHE_TEST_WH_SECRET_A"
            "#,
        )
        .unwrap();
        let sources = webhook_sources(&ok).unwrap();
        let jira = &sources["jira-prod"];
        assert_eq!(jira.secrets.len(), 2);
        assert_eq!(jira.created_by, "webhook:jira-prod");
        assert_eq!(jira.tolerance, Duration::from_secs(300));
        let dispatch = dispatcher(&ok).unwrap().unwrap();
        assert!(dispatch.sources.contains_key("jira-prod") && dispatch.default.is_some());
        assert!(callback_settings(&ok).enabled);

        let base = |extra: &str| {
            format!("[[webhooks]]\nsource = \"zd\"\npreset = \"zendesk\"\nsecrets_env = [\"LETHE_TEST_WH_SECRET_A\"]\n{extra}")
        };
        let cases = [
            (
                base("").replace("\"zd\"", "\"Zen Desk\""),
                "lower-case letters",
            ),
            (
                base("").replace("LETHE_TEST_WH_SECRET_A", "LETHE_TEST_WH_UNSET"),
                "LETHE_TEST_WH_UNSET is not set",
            ),
            (
                base("[webhooks.mapping]\nemails = \"ticket.email\""),
                "mapping.emails",
            ),
            (
                base("callback_url = \"http://tickets.example.com/\""),
                "callback_url",
            ),
            (base("callback_url = \"https://10.1.2.3/\""), "callback_url"),
        ];
        for (toml, expected) in cases {
            let config = load(&toml).unwrap();
            let err = format!("{:#}", webhook_sources(&config).unwrap_err());
            assert!(err.contains(expected), "{err}");
            assert!(!err.contains("jira-secret-0123456789abcdef"));
        }
        let loopback = base("callback_url = \"http://127.0.0.1:9/\"\ncallback_allow_http = true\ncallback_allow_private = true");
        assert!(webhook_sources(&load(&loopback).unwrap()).is_ok());
    }
}
