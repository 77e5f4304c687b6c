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
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub worker: WorkerConfig,
    #[serde(default)]
    pub evidence: EvidenceConfig,
    /// File targets (`[[files]]`), each usually a preset plus a `root`.
    #[serde(default)]
    pub files: Vec<lethe_connectors::files::FileTargetSpec>,
    /// PostgreSQL table targets (`[[postgres]]`), each usually a preset
    /// plus a `url` (or `url_env`).
    #[serde(default)]
    pub postgres: Vec<lethe_connectors::postgres::PostgresTargetSpec>,
    /// SQL Server table targets (`[[mssql]]`): the suite's CCMData and
    /// CCMStatisticalData tables, each usually a preset plus the server.
    #[serde(default)]
    pub mssql: Vec<lethe_connectors::mssql::MssqlTargetSpec>,
    /// Elasticsearch / OpenSearch index targets (`[[elasticsearch]]`): the
    /// suite's contacts, interactions, cases and directory copies, each
    /// usually a preset plus the cluster's `url`.
    #[serde(default)]
    pub elasticsearch: Vec<lethe_connectors::elasticsearch::EsTargetSpec>,
    /// Mitel CloudLink users and their open chats (`[[cloudlink]]`): one
    /// table per account, with `account_id`, `username` and `password_env`.
    #[serde(default)]
    pub cloudlink: Vec<lethe_connectors::cloudlink::CloudLinkTargetSpec>,
    /// Work done by a person where no API reaches (`[[manual]]`): Google
    /// Dialogflow, third-party WFM, backups, support packages, console
    /// registries, voicemail; each usually a preset plus its `recipient`.
    #[serde(default)]
    pub manual: Vec<lethe_connectors::manual::ManualTargetSpec>,
    /// Ticketing systems that raise requests by signed webhook
    /// (`[[webhooks]]`): a source name, a preset, secrets by env var.
    #[serde(default)]
    pub webhooks: Vec<super::callbacks::WebhookSpec>,
    /// Signed status callbacks (`[callbacks]`): per-request URLs, retries.
    #[serde(default)]
    pub callbacks: super::callbacks::CallbacksConfig,
}

/// What needs a person, and what may be erased without asking.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Request kinds whose plan waits for an approver other than the
    /// creator (four eyes). Default: `["erasure"]`.
    #[serde(default = "default_approval_for")]
    pub approval_for: Vec<lethe_domain::RequestKind>,
    /// Erase name-only (weak) matches without an approver saying so.
    #[serde(default)]
    pub erase_weak_matches: bool,
}

/// How workers run (in `lethe serve` and `lethe work`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Worker tasks in this process; 0 in `serve` means API only.
    #[serde(default = "default_workers")]
    pub count: usize,
    /// Lease on a claimed step, seconds: a dead worker's steps wait this long.
    #[serde(default = "default_lease")]
    pub lease_secs: u64,
    /// Pause between polls when idle, milliseconds.
    #[serde(default = "default_poll")]
    pub idle_poll_ms: u64,
    /// Attempts per step before a transient failure fails it.
    #[serde(default = "default_attempts")]
    pub max_attempts: i32,
    /// First retry delay and cap, seconds (exponential with jitter between).
    #[serde(default = "default_retry_base")]
    pub retry_base_secs: u64,
    #[serde(default = "default_retry_cap")]
    pub retry_cap_secs: u64,
    /// Batches of one connector that run at once per worker.
    #[serde(default = "default_per_connector")]
    pub per_connector: usize,
    /// Steps one worker claims per round at most; smaller spreads work
    /// over more processes, larger makes bigger batches.
    #[serde(default = "default_claim_limit")]
    pub claim_limit: u32,
}

/// Access packages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceConfig {
    /// Hours an access package can be downloaded after the request
    /// completed; then its exported data is deleted.
    #[serde(default = "default_package_ttl")]
    pub package_ttl_hours: u64,
    /// Days after a request closes (completed, cancelled, rejected) before
    /// its clear identifiers are destroyed; hashes and hints are kept.
    #[serde(default = "default_identifier_retention")]
    pub identifier_retention_days: u64,
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
fn default_approval_for() -> Vec<lethe_domain::RequestKind> {
    vec![lethe_domain::RequestKind::Erasure]
}
fn default_workers() -> usize {
    1
}
fn default_lease() -> u64 {
    60
}
fn default_poll() -> u64 {
    500
}
fn default_attempts() -> i32 {
    5
}
fn default_retry_base() -> u64 {
    2
}
fn default_retry_cap() -> u64 {
    300
}
fn default_per_connector() -> usize {
    2
}
fn default_identifier_retention() -> u64 {
    30
}
fn default_claim_limit() -> u32 {
    200
}
fn default_package_ttl() -> u64 {
    7 * 24
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            approval_for: default_approval_for(),
            erase_weak_matches: false,
        }
    }
}
impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            count: default_workers(),
            lease_secs: default_lease(),
            idle_poll_ms: default_poll(),
            max_attempts: default_attempts(),
            retry_base_secs: default_retry_base(),
            retry_cap_secs: default_retry_cap(),
            per_connector: default_per_connector(),
            claim_limit: default_claim_limit(),
        }
    }
}
impl Default for EvidenceConfig {
    fn default() -> Self {
        Self {
            package_ttl_hours: default_package_ttl(),
            identifier_retention_days: default_identifier_retention(),
        }
    }
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
        if self.worker.lease_secs < 3 {
            bail!("worker.lease_secs must be at least 3 (workers heartbeat every third of it)");
        }
        if self.worker.max_attempts < 1 {
            bail!("worker.max_attempts must be at least 1");
        }
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
