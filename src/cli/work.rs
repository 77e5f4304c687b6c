//! Workers from configuration: the catalog of connectors and targets, the
//! policy, and the engines `lethe serve` and `lethe work` run.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lethe_connectors::files::FilesConnector;
use lethe_connectors::postgres::PostgresConnector;
use lethe_connectors::Connector;
use lethe_domain::{IdentifierHasher, PhoneRegion};
use lethe_planner::Policy;
use lethe_store::Store;
use lethe_worker::{Catalog, Engine, EngineConfig};

use super::Config;

/// Every configured connector with its targets. A connector kind with no
/// targets is left out, so plans only list what is configured.
pub fn catalog(config: &Config) -> anyhow::Result<Catalog> {
    use lethe_connectors::cloudlink::CloudLinkConnector;
    use lethe_connectors::elasticsearch::ElasticsearchConnector;
    use lethe_connectors::manual::{snapshot_purge, ManualConnector};
    use lethe_connectors::mssql::MssqlConnector;

    let hasher = IdentifierHasher::new(config.hash_key()?);
    let key = || Some(hasher.clone());
    let files = resolve(&config.files, "files", |s| s.resolve())?;
    let postgres = resolve(&config.postgres, "postgres", |s| s.resolve())?;
    let mssql = resolve(&config.mssql, "mssql", |s| s.resolve())?;
    let elasticsearch = resolve(&config.elasticsearch, "elasticsearch", |s| s.resolve())?;
    let cloudlink = resolve(&config.cloudlink, "cloudlink", |s| s.resolve())?;
    let mut manual = resolve(&config.manual, "manual", |s| s.resolve())?;
    // A snapshotted index keeps erased documents in its snapshots: a
    // person must purge them, so the plan gets a manual step for it.
    manual.extend(
        elasticsearch
            .iter()
            .filter(|t| t.snapshotted)
            .map(|t| snapshot_purge(&t.name, &t.index)),
    );
    let mut catalog = Catalog::default();
    let sections = [
        build(files, "files", |t| FilesConnector::new(t, key()))?,
        build(postgres, "postgres", |t| PostgresConnector::new(t, key()))?,
        build(mssql, "mssql", |t| MssqlConnector::new(t, key()))?,
        build(elasticsearch, "elasticsearch", |t| {
            ElasticsearchConnector::new(t, key())
        })?,
        build(cloudlink, "cloudlink", |t| {
            CloudLinkConnector::new(t, key())
        })?,
        build(manual, "manual", ManualConnector::new)?,
    ];
    for c in sections.into_iter().flatten() {
        catalog = catalog.with(c)?;
    }
    Ok(catalog)
}

/// Every table of one `[[section]]`, resolved; errors name the section.
fn resolve<S: Clone, T>(
    specs: &[S],
    section: &str,
    resolve: impl Fn(S) -> Result<T, String>,
) -> anyhow::Result<Vec<T>> {
    specs
        .iter()
        .cloned()
        .map(resolve)
        .collect::<Result<Vec<_>, String>>()
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("[[{section}]] targets"))
}

/// The connector of one section's targets; `None` when there are none, so
/// plans only list what is configured.
fn build<T, C: Connector>(
    targets: Vec<T>,
    section: &str,
    build: impl FnOnce(Vec<T>) -> Result<C, String>,
) -> anyhow::Result<Option<Arc<dyn Connector>>> {
    if targets.is_empty() {
        return Ok(None);
    }
    let connector = build(targets)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("[[{section}]] targets"))?;
    Ok(Some(Arc::new(connector)))
}

pub fn policy(config: &Config) -> Policy {
    Policy {
        approval_for: config.policy.approval_for.clone(),
        erase_weak_matches: config.policy.erase_weak_matches,
    }
}

pub fn region(config: &Config) -> anyhow::Result<PhoneRegion> {
    PhoneRegion::parse(&config.identifiers.default_region).context("identifiers.default_region")
}

/// `count` engines sharing one catalog, named after this process.
pub fn engines(
    config: &Config,
    store: &Arc<dyn Store>,
    catalog: &Catalog,
    count: usize,
) -> anyhow::Result<Vec<Engine>> {
    let hasher = Arc::new(IdentifierHasher::new(config.hash_key()?));
    let w = &config.worker;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "lethe".into());
    let callbacks = super::callbacks::dispatcher(config)?;
    (0..count)
        .map(|i| {
            let cfg = EngineConfig {
                name: format!("{host}-{}-{i}", std::process::id()),
                lease: Duration::from_secs(w.lease_secs),
                idle_poll: Duration::from_millis(w.idle_poll_ms),
                max_attempts: w.max_attempts,
                retry_base: Duration::from_secs(w.retry_base_secs),
                retry_cap: Duration::from_secs(w.retry_cap_secs),
                per_connector: w.per_connector,
                claim_limit: w.claim_limit.max(1),
                region: region(config)?,
                package_ttl: Some(Duration::from_secs(
                    config.evidence.package_ttl_hours * 3600,
                )),
                identifier_retention: Some(Duration::from_secs(
                    config.evidence.identifier_retention_days * 24 * 3600,
                )),
                callbacks: callbacks.clone(),
            };
            Ok(Engine::new(
                Arc::clone(store),
                catalog.clone(),
                policy(config),
                Arc::clone(&hasher),
                cfg,
            ))
        })
        .collect()
}

/// Runs engines until `shutdown` fires; each releases its leases on the way out.
pub async fn run_engines(
    engines: Vec<Engine>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let runs = engines.into_iter().map(|engine| {
        let mut rx = shutdown.clone();
        tokio::spawn(async move {
            engine
                .run(async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                })
                .await
        })
    });
    for handle in runs.collect::<Vec<_>>() {
        handle.await.context("worker task panicked")??;
    }
    Ok(())
}

/// `lethe work`: workers only, until Ctrl-C or SIGTERM.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let store = super::serve::open_store(config).await?;
    let catalog = catalog(config)?;
    if catalog.targets().is_empty() {
        anyhow::bail!(
            "no targets are configured: add [[files]], [[postgres]], [[mssql]], [[elasticsearch]] or [[manual]] tables to the configuration"
        );
    }
    let engines = engines(config, &store, &catalog, config.worker.count.max(1))?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(run_engines(engines, rx));
    super::serve::shutdown().await;
    let _ = tx.send(true);
    workers.await.context("workers panicked")?
}
