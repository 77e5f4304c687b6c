//! `lethe serve` and `lethe migrate`: open the store, build the API, serve
//! until Ctrl-C or SIGTERM.

use std::sync::Arc;

use anyhow::{bail, Context};
use jsonwebtoken::{Algorithm, DecodingKey};
use lethe_api::auth::PublicKey;
use lethe_api::{ApiSettings, Authenticator};
use lethe_domain::{IdentifierHasher, PhoneRegion};
use lethe_store::{AuditKey, PgStore, SqliteStore, Store};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::Config;

/// The audit chain's key, derived from the hash key with its own label so
/// the two uses never share a key.
pub fn audit_key(hash_key: &[u8]) -> AuditKey {
    let mut h = Sha256::new();
    h.update(b"lethe audit chain\0");
    h.update(hash_key);
    AuditKey::new(&h.finalize())
}

/// Opens the configured store. SQLite is created and migrated on the spot;
/// PostgreSQL must have been migrated with `lethe migrate`.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.store.url.expose_secret();
    let key = audit_key(config.hash_key()?);
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = std::path::Path::new(path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let store = SqliteStore::open(path, key)
            .await
            .context("opening the SQLite store")?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(url, key)
            .await
            .context("connecting to the PostgreSQL store")?;
        Ok(Arc::new(store))
    } else {
        bail!("store.url must start with sqlite:// or postgres://")
    }
}

/// `lethe migrate`.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let url = config.store.url.expose_secret();
    if url.starts_with("sqlite://") {
        open_store(config).await?;
    } else {
        let store = PgStore::connect(url, audit_key(config.hash_key()?)).await?;
        store.migrate().await.context("migrating PostgreSQL")?;
    }
    eprintln!("store migrated");
    Ok(())
}

/// Builds the token verifier from configuration.
pub fn authenticator(config: &Config) -> anyhow::Result<Authenticator> {
    let mut keys = Vec::new();
    for pk in &config.auth.public_keys {
        let pem = std::fs::read(&pk.pem_file)
            .with_context(|| format!("reading {}", pk.pem_file.display()))?;
        let (algorithm, key) = match pk.algorithm.as_str() {
            "RS256" => (Algorithm::RS256, DecodingKey::from_rsa_pem(&pem)?),
            "ES256" => (Algorithm::ES256, DecodingKey::from_ec_pem(&pem)?),
            other => bail!("auth.public_keys: algorithm {other} is not supported (RS256, ES256)"),
        };
        keys.push(PublicKey {
            kid: pk.kid.clone(),
            algorithm,
            key,
        });
    }
    let secret = config
        .auth
        .hs256_secret
        .as_ref()
        .map(|s| s.expose_secret().as_bytes());
    if secret.is_none() && keys.is_empty() {
        bail!("no token can be verified: set auth.hs256_secret or auth.public_keys");
    }
    Ok(Authenticator::new(secret, keys, config.auth.leeway_secs))
}

/// Builds the whole application from configuration and an opened store.
pub fn app(
    config: &Config,
    store: Arc<dyn Store>,
    catalog: &lethe_worker::Catalog,
) -> anyhow::Result<axum::Router> {
    let region = PhoneRegion::parse(&config.identifiers.default_region)
        .context("identifiers.default_region")?;
    Ok(lethe_api::app(
        store,
        Arc::new(authenticator(config)?),
        Arc::new(IdentifierHasher::new(config.hash_key()?)),
        ApiSettings {
            default_region: region,
            targets: Arc::new(catalog.targets().to_vec()),
            policy: super::work::policy(config),
            package_ttl: std::time::Duration::from_secs(config.evidence.package_ttl_hours * 3600),
            webhooks: Arc::new(super::callbacks::webhook_sources(config)?),
            callbacks: super::callbacks::callback_settings(config),
        },
    ))
}

/// `lethe serve`: the API and `worker.count` workers in one process.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let catalog = super::work::catalog(config)?;
    let app = app(config, store.clone(), &catalog)?;
    // Without targets a plan would be empty and every request would
    // "complete" having searched nothing: serve the API only, say so.
    let workers = if catalog.targets().is_empty() {
        tracing::warn!("no targets configured ([[files]], [[postgres]], [[mssql]], [[elasticsearch]]): serving the API only; requests stay `received`");
        0
    } else {
        config.worker.count
    };
    let engines = super::work::engines(config, &store, &catalog, workers)?;
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("listening on {}", config.server.listen))?;
    tracing::info!(listen = %listener.local_addr()?, store = store.backend(), workers = engines.len(), "lethe serving");
    serve_with_workers(listener, app, engines).await
}

/// Serves `app` and runs `engines` until Ctrl-C or SIGTERM; then stops
/// taking requests, lets the workers release their leases, and returns.
pub async fn serve_with_workers(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    engines: Vec<lethe_worker::Engine>,
) -> anyhow::Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(super::work::run_engines(engines, rx));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    let _ = tx.send(true);
    workers.await.context("workers panicked")??;
    tracing::info!("lethe stopped");
    Ok(())
}

pub async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
