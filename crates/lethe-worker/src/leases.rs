//! The leases a worker holds, kept alive from the claim until each step is
//! completed.
//!
//! A round claims many steps at once and runs their batches as each
//! connector's concurrency limit allows, so a step may wait for its turn
//! longer than a lease lasts. Heartbeating only the batch that is running
//! let such waiting steps' leases lapse: another worker then rescued and
//! ran them while this one ran them too. Every held step is renewed
//! instead, all in one statement per beat (one transaction per step took
//! longer than a short lease under load), and a step leaves the set just
//! before it is completed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lethe_store::{ClaimedStep, Store};
use uuid::Uuid;

/// Steps claimed and not yet completed.
#[derive(Debug, Default)]
pub(crate) struct HeldLeases {
    steps: Mutex<HashSet<Uuid>>,
}

impl HeldLeases {
    pub(crate) fn hold(&self, steps: &[ClaimedStep]) {
        let mut held = self.steps.lock().expect("lease set poisoned");
        held.extend(steps.iter().map(|s| s.id));
    }

    /// `true` when the step was still held.
    pub(crate) fn release(&self, step_id: Uuid) -> bool {
        self.steps
            .lock()
            .expect("lease set poisoned")
            .remove(&step_id)
    }

    fn snapshot(&self) -> Vec<Uuid> {
        let held = self.steps.lock().expect("lease set poisoned");
        held.iter().copied().collect()
    }
}

/// Renews every held lease every third of the lease, until aborted. A
/// lease found lost (rescued by another worker after a stall longer than
/// the lease) is dropped from the set and logged; the step's completion is
/// then refused by the store's fence. A step completed meanwhile is not
/// "lost": it already left the set.
pub(crate) fn spawn_heartbeat(
    held: Arc<HeldLeases>,
    store: Arc<dyn Store>,
    worker: String,
    lease: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = lease / 3;
        loop {
            tokio::time::sleep(every).await;
            let ids = held.snapshot();
            if ids.is_empty() {
                continue;
            }
            match store.heartbeat_steps(&worker, &ids, lease).await {
                Ok(renewed) => {
                    let renewed: HashSet<Uuid> = renewed.into_iter().collect();
                    for id in ids.into_iter().filter(|id| !renewed.contains(id)) {
                        if held.release(id) {
                            tracing::warn!(step.id = %id, "lease lost before the step finished");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
            }
        }
    })
}
