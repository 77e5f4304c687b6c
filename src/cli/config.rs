//! One configuration tree: defaults, then `lethe.toml`, then environment
//! variables `LETHE__SECTION__KEY` (e.g. `LETHE__AUTH__HS256_SECRET`).
//! Secrets are `SecretString`s: they never reach a log or a `Debug` print.

use std::path::Path;

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The whole configuration.
#[derive(Debug, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub identifiers: IdentifierConfig,
}

#[derive(Debug, Deserialize)]
pub struct ServerConfig {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
}

#[derive(Debug, Deserialize)]
pub struct StoreConfig {
    /// `sqlite://PATH` (default `sqlite://lethe-data/lethe.db`) or `postgres://...`.
    #[serde(default = "default_store_url")]
    pub url: SecretString,
}

#[derive(Debug, Deserialize)]
pub struct AuthConfig {
    /// Shared secret for HS256 tokens (at least 32 bytes).
    pub hs256_secret: Option<SecretString>,
    /// Public keys for RS256/ES256 tokens.
    #[serde(default)]
    pub public_keys: Vec<PublicKeyConfig>,
    /// Clock leeway for `exp`/`nbf`, seconds.
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
}

#[derive(Debug, Deserialize)]
pub struct PublicKeyConfig {
    pub kid: String,
    /// `RS256` or `ES256`.
    pub algorithm: String,
    /// PEM file holding the public key.
    pub pem_file: std::path::PathBuf,
}

#[derive(Debug, Deserialize)]
pub struct IdentifierConfig {
    /// ISO 3166 region for phone numbers without a country code.
    #[serde(default = "default_region")]
    pub default_region: String,
    /// Key of the keyed hashes (HMAC-SHA256) that stand for identifiers in
    /// logs and audit, and of the audit chain (at least 32 bytes). Changing
    /// it breaks correlation with earlier hashes and `audit verify`.
    pub hash_key: Option<SecretString>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_store_url() -> SecretString {
    SecretString::from("sqlite://lethe-data/lethe.db")
}
fn default_leeway() -> u64 {
    30
}
fn default_region() -> String {
    "GB".into()
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
        }
    }
}
impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: default_store_url(),
        }
    }
}
impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            hs256_secret: None,
            public_keys: Vec::new(),
            leeway_secs: default_leeway(),
        }
    }
}
impl Default for IdentifierConfig {
    fn default() -> Self {
        Self {
            default_region: default_region(),
            hash_key: None,
        }
    }
}

/// Shortest accepted secret, in bytes.
const MIN_SECRET: usize = 32;

impl Config {
    /// Loads `path` (if it exists) and the environment, then validates.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let settings = ::config::Config::builder()
            .add_source(::config::File::from(path).required(false))
            .add_source(
                ::config::Environment::with_prefix("LETHE")
                    .prefix_separator("__")
                    .separator("__"),
            )
            .build()
            .with_context(|| {
                format!(
                    "reading configuration from {} and LETHE__* variables",
                    path.display()
                )
            })?;
        let config: Config = settings
            .try_deserialize()
            .context("configuration is not valid")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if lethe_domain::PhoneRegion::parse(&self.identifiers.default_region).is_none() {
            bail!("identifiers.default_region must be an ISO 3166 alpha-2 code such as GB");
        }
        for (name, secret) in [
            ("auth.hs256_secret", &self.auth.hs256_secret),
            ("identifiers.hash_key", &self.identifiers.hash_key),
        ] {
            if let Some(s) = secret {
                if s.expose_secret().len() < MIN_SECRET {
                    bail!("{name} must be at least {MIN_SECRET} bytes");
                }
            }
        }
        Ok(())
    }

    /// The identifier hash key, required by every command that touches requests.
    pub fn hash_key(&self) -> anyhow::Result<&[u8]> {
        self.identifiers
            .hash_key
            .as_ref()
            .map(|k| k.expose_secret().as_bytes())
            .context("identifiers.hash_key is not set (lethe.toml or LETHE__IDENTIFIERS__HASH_KEY)")
    }
}
