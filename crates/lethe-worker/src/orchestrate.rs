//! Orchestration: the planner's pure `advance` applied to the store.

use chrono::Utc;
use lethe_domain::RequestStatus;
use lethe_planner::{advance, RequestState, StepState};
use lethe_store::{
    IdentifierOrigin, NewStep, RequestFilter, RequestRecord, StatusChange, StepRecord, StoreError,
};
use uuid::Uuid;

use crate::Engine;

/// Statuses in which the planner has something to do.
const ACTIVE: [RequestStatus; 3] = [
    RequestStatus::Received,
    RequestStatus::Planning,
    RequestStatus::Executing,
];

/// The planner's view of a stored request.
pub fn request_state(r: &RequestRecord) -> RequestState {
    RequestState {
        kind: r.kind,
        status: r.status,
        include_weak: r.include_weak,
        approved: r.decided_by.is_some() && r.status != RequestStatus::Rejected,
        generation: r
            .identifiers
            .iter()
            .filter(|i| i.origin == IdentifierOrigin::Accepted)
            .count() as u32,
    }
}

/// The planner's view of stored steps.
pub fn step_states(steps: &[StepRecord]) -> Vec<StepState> {
    steps
        .iter()
        .map(|s| StepState {
            key: s.step_key.clone(),
            status: s.status,
            matched: s.items_matched,
            remaining: s.items_remaining,
            detail: s.detail.clone(),
        })
        .collect()
}

impl Engine {
    /// Advances every request in an active status.
    pub(crate) async fn orchestrate_all(&self) -> Result<(), StoreError> {
        for status in ACTIVE {
            let mut after = None;
            loop {
                let page = self
                    .store
                    .list_requests(&RequestFilter {
                        status: Some(status),
                        after,
                        limit: 200,
                        ..RequestFilter::default()
                    })
                    .await?;
                for r in &page.items {
                    self.advance(r.id).await?;
                }
                match page.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
        }
        Ok(())
    }

    /// Applies the planner to one request until it has nothing more to say
    /// (a transition can make further steps due at once).
    pub(crate) async fn advance(&self, id: Uuid) -> Result<(), StoreError> {
        for _ in 0..4 {
            let Some(record) = self.store.get_request(id).await? else {
                return Ok(());
            };
            let steps = self.store.list_steps(id).await?;
            let next = advance(
                &request_state(&record),
                &step_states(&steps),
                self.catalog.targets(),
                &self.policy,
            );
            if !next.steps.is_empty() {
                let now = Utc::now();
                let new = next
                    .steps
                    .into_iter()
                    .map(|p| NewStep {
                        step_key: p.key,
                        connector: p.connector,
                        target: p.target,
                        action: p.action,
                        max_attempts: self.cfg.max_attempts,
                        run_at: now,
                    })
                    .collect();
                self.store.insert_steps(id, new).await?;
            }
            let Some(event) = next.event else {
                return Ok(());
            };
            let change = StatusChange {
                event,
                actor: self.cfg.name.clone(),
                reason: None,
                four_eyes: false,
                include_weak: None,
                audit_data: serde_json::json!({ "by": "planner" }),
            };
            match self.store.transition(id, change).await {
                Ok(r) => {
                    tracing::info!(request.id = %id, request.status = r.status.as_str(), event = event.as_str(), "request advanced");
                }
                // Another worker (or an officer) moved it first: look again.
                Err(StoreError::Illegal(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
