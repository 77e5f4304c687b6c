//! The engine: configuration, the run loop and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lethe_domain::{IdentifierHasher, PhoneRegion};
use lethe_planner::Policy;
use lethe_store::{Store, StoreError};

use crate::Catalog;

/// How a worker behaves. Defaults suit one `lethe serve` on SQLite.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// This worker's name: lease owner and audit actor. Unique per process.
    pub name: String,
    /// How long a claimed step is ours without a heartbeat. A worker that
    /// dies holds its steps this long at most.
    pub lease: Duration,
    /// Sleep between rounds when there was nothing to do.
    pub idle_poll: Duration,
    /// Steps claimed per round at most (across all targets).
    pub claim_limit: u32,
    /// Attempts per step before a transient failure fails it.
    pub max_attempts: i32,
    /// Backoff after a transient failure: `base · 2^(attempt-1)`, capped,
    /// with jitter.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Batches of one connector that run at once.
    pub per_connector: usize,
    /// Default region for national phone numbers in proposals.
    pub region: PhoneRegion,
    /// Access packages older than this (after completion) lose their
    /// exported data; `None` keeps them.
    pub package_ttl: Option<Duration>,
    /// Clear identifiers of closed requests are destroyed this long after
    /// closing; `None` keeps them.
    pub identifier_retention: Option<Duration>,
    /// Status callbacks; `None` delivers none (events wait in the outbox).
    pub callbacks: Option<crate::CallbackConfig>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            name: format!("worker-{}", uuid::Uuid::now_v7()),
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_millis(500),
            claim_limit: 200,
            max_attempts: 5,
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(300),
            per_connector: 2,
            region: PhoneRegion::GB,
            package_ttl: None,
            identifier_retention: None,
            callbacks: None,
        }
    }
}

/// A worker: orchestrates requests and executes their steps.
pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) catalog: Catalog,
    pub(crate) policy: Policy,
    pub(crate) hasher: Arc<IdentifierHasher>,
    pub(crate) cfg: EngineConfig,
    pub(crate) limits: std::collections::HashMap<String, Arc<tokio::sync::Semaphore>>,
    pub(crate) last_sweep: std::sync::Mutex<Option<std::time::Instant>>,
    /// Steps claimed and not yet completed: their leases are heartbeated.
    pub(crate) held: Arc<crate::leases::HeldLeases>,
    /// Built on the first callback round.
    pub(crate) clients: std::sync::OnceLock<crate::callbacks::Clients>,
}

impl Engine {
    pub fn new(
        store: Arc<dyn Store>,
        catalog: Catalog,
        policy: Policy,
        hasher: Arc<IdentifierHasher>,
        cfg: EngineConfig,
    ) -> Self {
        let limits = catalog
            .targets()
            .iter()
            .map(|t| {
                let permits = tokio::sync::Semaphore::new(cfg.per_connector.max(1));
                (t.connector.clone(), Arc::new(permits))
            })
            .collect();
        Self {
            store,
            catalog,
            policy,
            hasher,
            cfg,
            limits,
            last_sweep: std::sync::Mutex::new(None),
            held: Arc::default(),
            clients: std::sync::OnceLock::new(),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// One round: advance every active request, run one claim's batches
    /// (while due callbacks are posted), advance the requests they
    /// belonged to. Returns the steps run plus the callbacks delivered.
    pub async fn round(&self) -> Result<usize, StoreError> {
        self.orchestrate_all().await?;
        self.sweep_retention().await?;
        let (touched, delivered) = tokio::join!(self.execute_claimed(), self.dispatch_callbacks());
        let touched = touched?;
        let n = touched.len() + delivered?;
        for id in touched {
            self.advance(id).await?;
        }
        Ok(n)
    }

    /// Runs rounds until `shutdown` resolves, then gives back every lease
    /// this worker holds so another worker can take over at once. A round
    /// cut short by shutdown is dropped: connectors write atomically per
    /// item, and the released steps run again.
    ///
    /// When idle, waits for the store's work signal (a new request, planned
    /// or released steps, here or in another process on PostgreSQL), or
    /// the idle poll, whichever comes first: retries that fall due and
    /// lost signals are picked up by the poll.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), StoreError> {
        tokio::pin!(shutdown);
        let mut signal = self.store.work_signal();
        tracing::info!(worker = %self.cfg.name, targets = self.catalog.targets().len(), "worker started");
        loop {
            let round = tokio::select! {
                r = self.round() => r,
                () = &mut shutdown => break,
            };
            let idle = match round {
                Ok(0) => true,
                Ok(_) => false,
                Err(e) => {
                    tracing::error!(error = %e, "worker round failed; retrying");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::timeout(self.cfg.idle_poll, signal.changed()) => {}
                    () = &mut shutdown => break,
                }
            }
        }
        let released = self.store.release_steps(&self.cfg.name).await?;
        tracing::info!(worker = %self.cfg.name, released, "worker stopped");
        Ok(())
    }

    /// Runs rounds until no request can advance any further without a
    /// person or a retry timer: for tests and `lethe demo`'s first pass.
    pub async fn run_until_idle(&self) -> Result<(), StoreError> {
        while self.round().await? > 0 {}
        self.orchestrate_all().await?;
        Ok(())
    }
}
