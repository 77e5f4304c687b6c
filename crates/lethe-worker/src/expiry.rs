//! Retention sweeps, at most once a minute: access packages expire (once a
//! completed access request is older than the package TTL its exported
//! records are deleted, even if nobody asks for the package again), and the
//! clear identifiers of closed requests are destroyed after their retention
//! (hashes and hints stay for the audit trail and reports).

use std::time::{Duration, Instant};

use chrono::Utc;
use lethe_domain::{RequestKind, RequestStatus};
use lethe_store::{RequestFilter, StoreError};

use crate::Engine;

/// How often the sweep runs at most (or every TTL, when shorter).
const EVERY: Duration = Duration::from_secs(60);

impl Engine {
    /// Runs both sweeps when due.
    pub(crate) async fn sweep_retention(&self) -> Result<(), StoreError> {
        let shortest = [self.cfg.package_ttl, self.cfg.identifier_retention]
            .into_iter()
            .flatten()
            .min();
        let Some(shortest) = shortest else {
            return Ok(());
        };
        {
            let mut last = self.last_sweep.lock().expect("sweep clock poisoned");
            // A retention shorter than the period (tests) sweeps more often.
            if last.is_some_and(|t| t.elapsed() < EVERY.min(shortest)) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        if let Some(keep) = self.cfg.identifier_retention {
            let keep = chrono::TimeDelta::from_std(keep).unwrap_or(chrono::TimeDelta::MAX);
            if let Some(before) = Utc::now().checked_sub_signed(keep) {
                let n = self.store.destroy_identifiers(before).await?;
                if n > 0 {
                    tracing::info!(
                        identifiers = n,
                        "clear identifiers destroyed after retention"
                    );
                }
            }
        }
        self.sweep_expired_packages().await
    }

    /// Deletes the exports of access requests whose package expired.
    async fn sweep_expired_packages(&self) -> Result<(), StoreError> {
        let Some(ttl) = self.cfg.package_ttl else {
            return Ok(());
        };
        let ttl = chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
        let now = Utc::now();
        for status in [
            RequestStatus::Completed,
            RequestStatus::CompletedWithExceptions,
        ] {
            let mut after = None;
            loop {
                let page = self
                    .store
                    .list_requests(&RequestFilter {
                        status: Some(status),
                        kind: Some(RequestKind::Access),
                        after,
                        limit: 200,
                        ..RequestFilter::default()
                    })
                    .await?;
                for r in &page.items {
                    if r.updated_at
                        .checked_add_signed(ttl)
                        .is_some_and(|t| t < now)
                    {
                        let n = self.store.purge_outputs(r.id).await?;
                        if n > 0 {
                            tracing::info!(request.id = %r.id, "access package expired; exports deleted");
                        }
                    }
                }
                match page.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
        }
        Ok(())
    }
}
