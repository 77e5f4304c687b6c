//! Execution: claimed steps grouped into batches per (connector, target,
//! action), one connector call per batch, one fenced completion per step.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use lethe_connectors::{BatchSubject, Connector, ConnectorError, Finding, RetryClass};
use lethe_domain::{ParsedIdentifier, StepAction, TargetInfo};
use lethe_store::{retry::backoff, ClaimedStep, NewProposal, StepOutcome, StoreError};
use rand::Rng;
use uuid::Uuid;

use crate::subjects::subject_of;
use crate::Engine;

/// One batch: the steps of one action on one target, of many requests.
type BatchKey = (String, String, &'static str);

impl Engine {
    /// Claims due steps and runs them. Returns the requests touched.
    pub(crate) async fn execute_claimed(&self) -> Result<Vec<Uuid>, StoreError> {
        let claimed = self
            .store
            .claim_steps(&self.cfg.name, self.cfg.lease, self.cfg.claim_limit, None)
            .await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        // Every claimed step's lease is kept alive from here, including
        // those of batches still waiting for their connector's turn.
        self.held.hold(&claimed);
        let ids: Vec<Uuid> = claimed.iter().map(|s| s.id).collect();
        let heartbeat = crate::leases::spawn_heartbeat(
            Arc::clone(&self.held),
            Arc::clone(&self.store),
            self.cfg.name.clone(),
            self.cfg.lease,
        );
        let touched: Vec<Uuid> = claimed
            .iter()
            .map(|s| s.request_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut batches: BTreeMap<BatchKey, Vec<ClaimedStep>> = BTreeMap::new();
        for step in claimed {
            batches
                .entry((
                    step.connector.clone(),
                    step.target.clone(),
                    lethe_planner::action_name(step.action),
                ))
                .or_default()
                .push(step);
        }
        let runs = batches
            .into_iter()
            .map(|((connector, target, _), steps)| async move {
                let action = steps[0].action;
                let limit = self.limits.get(&connector).cloned();
                let _permit = match &limit {
                    Some(s) => Some(s.acquire().await.expect("semaphore never closed")),
                    None => None,
                };
                self.run_batch(&connector, &target, action, steps).await
            });
        let results = futures_util::future::join_all(runs).await;
        heartbeat.abort();
        // Steps a store error left uncompleted are let go: their leases
        // expire and another round retries them.
        for id in ids {
            self.held.release(id);
        }
        for result in results {
            result?;
        }
        Ok(touched)
    }

    /// Runs one batch and completes its steps.
    async fn run_batch(
        &self,
        connector: &str,
        target: &str,
        action: StepAction,
        steps: Vec<ClaimedStep>,
    ) -> Result<(), StoreError> {
        let (Some(conn), Some(info)) = (
            self.catalog.connector(connector),
            self.catalog.target(connector, target),
        ) else {
            let error = format!("target `{connector}:{target}` is not configured on this worker");
            for s in &steps {
                self.complete(
                    s,
                    StepOutcome::Permanent {
                        error: error.clone(),
                    },
                )
                .await?;
            }
            return Ok(());
        };
        // Steps whose request was cancelled meanwhile, or whose subject
        // cannot be rebuilt, end here; the rest form the batch.
        let mut live = Vec::new();
        let mut batch = Vec::new();
        for s in steps {
            let record = self.store.get_request(s.request_id).await?;
            let Some(record) = record.filter(|r| !r.status.is_terminal()) else {
                let reason = "request was cancelled or closed before this step ran".to_owned();
                self.complete(&s, StepOutcome::Skipped { reason }).await?;
                continue;
            };
            if action == StepAction::Manual {
                self.complete(&s, StepOutcome::AwaitingManual).await?;
                continue;
            }
            let values = self.store.searched_values(s.request_id).await?;
            match subject_of(&values, self.cfg.region) {
                Ok(subject) => {
                    batch.push(BatchSubject {
                        subject,
                        include_weak: record.include_weak || self.policy.erase_weak_matches,
                    });
                    live.push(s);
                }
                Err(error) => self.complete(&s, StepOutcome::Permanent { error }).await?,
            }
        }
        if live.is_empty() {
            return Ok(());
        }
        tracing::info!(
            connector,
            target,
            action = lethe_planner::action_name(action),
            steps = live.len(),
            "batch started"
        );
        let outcomes = self.call(conn.as_ref(), info, action, &batch, &live).await;
        for (s, outcome) in live.iter().zip(outcomes) {
            self.complete(s, outcome).await?;
        }
        Ok(())
    }

    /// Calls the connector and turns its answer into one outcome per step.
    async fn call(
        &self,
        conn: &dyn Connector,
        info: &TargetInfo,
        action: StepAction,
        batch: &[BatchSubject],
        steps: &[ClaimedStep],
    ) -> Vec<StepOutcome> {
        let target = info.name.as_str();
        let result: Result<Vec<StepOutcome>, ConnectorError> = match action {
            StepAction::Discover => match conn.discover(target, batch).await {
                Ok(found) => {
                    let mut out = Vec::new();
                    for (s, f) in steps.iter().zip(&found) {
                        if let Err(e) = self.propose(s.request_id, info, f).await {
                            tracing::warn!(error = %e, "recording proposals failed");
                        }
                        // Follow-ups name places a person must visit
                        // (personal data): kept like export records.
                        let follow_ups = (!f.follow_ups.is_empty()).then(|| {
                            serde_json::json!({
                                "follow_ups": f.follow_ups.iter().map(|x| x.0.as_str()).collect::<Vec<_>>()
                            })
                        });
                        out.push(succeeded(
                            Some(f.matched as i64),
                            None,
                            None,
                            Some(detail(f)),
                            follow_ups,
                        ));
                    }
                    Ok(out)
                }
                Err(e) => Err(e),
            },
            StepAction::Export => conn.export(target, batch).await.map(|exports| {
                exports
                    .into_iter()
                    .map(|e| {
                        let n = e.records.len() as i64;
                        succeeded(
                            Some(n),
                            None,
                            None,
                            None,
                            Some(serde_json::Value::Array(e.records)),
                        )
                    })
                    .collect()
            }),
            StepAction::Erase => conn.erase(target, batch).await.map(|done| {
                done.iter()
                    .map(|e| succeeded(None, Some(e.affected as i64), None, None, None))
                    .collect()
            }),
            StepAction::Verify => conn.verify(target, batch).await.map(|found| {
                found
                    .iter()
                    .zip(batch)
                    .map(|(f, b)| verified(f, b.include_weak))
                    .collect()
            }),
            StepAction::Manual => Ok(steps.iter().map(|_| StepOutcome::AwaitingManual).collect()),
        };
        match result {
            Ok(out) if out.len() == steps.len() => out,
            Ok(out) => {
                let error = format!(
                    "connector returned {} results for a batch of {}",
                    out.len(),
                    steps.len()
                );
                steps
                    .iter()
                    .map(|_| StepOutcome::Permanent {
                        error: error.clone(),
                    })
                    .collect()
            }
            Err(e) => steps.iter().map(|s| self.failure(s, &e)).collect(),
        }
    }

    fn failure(&self, step: &ClaimedStep, e: &ConnectorError) -> StepOutcome {
        match e.class {
            RetryClass::Permanent => StepOutcome::Permanent {
                error: e.message.clone(),
            },
            RetryClass::Transient => {
                let jitter = rand::thread_rng().gen_range(0.0..=1.0);
                let wait = backoff(
                    step.attempt.max(1) as u32,
                    self.cfg.retry_base,
                    self.cfg.retry_cap,
                    jitter,
                );
                let wait = chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::zero());
                StepOutcome::Transient {
                    error: e.message.clone(),
                    retry_at: Utc::now() + wait,
                }
            }
        }
    }

    /// Records identifiers discovery found beside the subject's own.
    async fn propose(
        &self,
        request_id: Uuid,
        info: &TargetInfo,
        f: &Finding,
    ) -> Result<(), StoreError> {
        let proposals: Vec<NewProposal> = f
            .proposed
            .iter()
            .filter_map(|p| ParsedIdentifier::parse(p.kind, &p.value, self.cfg.region).ok())
            .map(|id| NewProposal {
                kind: id.kind,
                hash: self.hasher.hash(id.kind, &id.normalised).0,
                value: id.normalised,
                hint: id.hint,
                source: info.key(),
            })
            .collect();
        if !proposals.is_empty() {
            self.store
                .propose_identifiers(request_id, proposals)
                .await?;
        }
        Ok(())
    }

    async fn complete(&self, s: &ClaimedStep, outcome: StepOutcome) -> Result<(), StoreError> {
        // Out of the heartbeat's set first, so a beat racing the completion
        // does not take the completed step for a lost lease.
        self.held.release(s.id);
        let ok = self
            .store
            .complete_step(s.id, &self.cfg.name, s.attempt, outcome)
            .await?;
        if !ok {
            tracing::warn!(step.id = %s.id, "lease lost before completion; result discarded");
        }
        Ok(())
    }
}

fn succeeded(
    matched: Option<i64>,
    affected: Option<i64>,
    remaining: Option<i64>,
    detail: Option<serde_json::Value>,
    output: Option<serde_json::Value>,
) -> StepOutcome {
    StepOutcome::Succeeded {
        matched,
        affected,
        remaining,
        detail,
        output,
    }
}

/// Discovery's detail: places, weak count and how many follow-ups for a
/// person (the planner plans a manual step for them); no personal data.
fn detail(f: &Finding) -> serde_json::Value {
    let mut d = serde_json::json!({ "weak": f.weak, "places": f.places });
    if !f.follow_ups.is_empty() {
        d["follow_ups"] = serde_json::json!(f.follow_ups.len());
    }
    d
}

/// A verify step passes only when nothing that should be gone was found.
fn verified(f: &Finding, include_weak: bool) -> StepOutcome {
    let remaining = f.to_erase(include_weak);
    if remaining == 0 {
        succeeded(Some(f.matched as i64), None, Some(0), Some(detail(f)), None)
    } else {
        StepOutcome::Permanent {
            error: format!("verification failed: {remaining} item(s) still match after erasure"),
        }
    }
}
