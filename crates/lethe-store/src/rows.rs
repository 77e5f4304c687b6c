//! Rows as the database returns them, and their conversion into model types.
//!
//! Both backends decode the same structs (`FromRow` is generic over the
//! database); a stored name the domain does not know is `StoreError::Corrupt`
//! rather than a panic, since it means corruption or a newer schema.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use lethe_domain::{IdentifierKind, RequestKind, RequestStatus, StepAction, StepStatus};
use uuid::Uuid;

use crate::error::StoreError;
use crate::model::{
    AttemptRecord, AuditEvent, ClaimedStep, IdentifierOrigin, IdentifierRecord, RequestRecord,
    StepRecord,
};

/// One `request` row, in the column order of `sql::REQUEST_COLUMNS`.
#[derive(sqlx::FromRow)]
pub(crate) struct RequestRow {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub external_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub original_due_at: DateTime<Utc>,
    pub note: Option<String>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub status_reason: Option<String>,
    pub extension_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub include_weak: bool,
    pub source: Option<String>,
    pub callback_url: Option<String>,
}

impl RequestRow {
    /// The stored status, checked against the domain's names.
    pub fn status(&self) -> Result<RequestStatus, StoreError> {
        RequestStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown request status {:?}", self.status)))
    }
}

/// One identifier, without its clear value (which is never read back here).
#[derive(sqlx::FromRow)]
pub(crate) struct IdentifierRow {
    pub request_id: Uuid,
    pub kind: String,
    pub hash: String,
    pub hint: String,
    pub destroyed_at: Option<DateTime<Utc>>,
    pub origin: String,
    pub source: Option<String>,
}

/// Steps of one request in one status.
#[derive(sqlx::FromRow)]
pub(crate) struct StepCountRow {
    pub request_id: Uuid,
    pub status: String,
    pub n: i64,
}

/// An idempotency claim as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct IdempotencyRow {
    pub fingerprint: String,
    pub request_id: Option<Uuid>,
    pub response: Option<String>,
}

/// The single `audit_head` row.
#[derive(sqlx::FromRow)]
pub(crate) struct HeadRow {
    pub seq: i64,
    pub hash: String,
}

/// One `audit_event` row.
#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub request_id: Option<Uuid>,
    pub kind: String,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> Self {
        AuditEvent {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            request_id: r.request_id,
            kind: r.kind,
            data: r.data,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Joins a page of requests with their identifiers (already in ordinal
/// order) and step counts, keeping the order of `requests`.
pub(crate) fn assemble(
    requests: Vec<RequestRow>,
    identifiers: Vec<IdentifierRow>,
    counts: Vec<StepCountRow>,
) -> Result<Vec<RequestRecord>, StoreError> {
    let mut idents: HashMap<Uuid, Vec<IdentifierRecord>> = HashMap::new();
    for row in identifiers {
        let kind = IdentifierKind::parse(&row.kind).ok_or_else(|| {
            StoreError::Corrupt(format!("unknown identifier kind {:?}", row.kind))
        })?;
        idents
            .entry(row.request_id)
            .or_default()
            .push(IdentifierRecord {
                kind,
                hash: row.hash,
                hint: row.hint,
                destroyed_at: row.destroyed_at,
                origin: IdentifierOrigin::parse(&row.origin).ok_or_else(|| {
                    StoreError::Corrupt(format!("unknown identifier origin {:?}", row.origin))
                })?,
                source: row.source,
            });
    }
    let mut steps: HashMap<Uuid, BTreeMap<StepStatus, i64>> = HashMap::new();
    for row in counts {
        let status = StepStatus::parse(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown step status {:?}", row.status)))?;
        steps
            .entry(row.request_id)
            .or_default()
            .insert(status, row.n);
    }
    requests
        .into_iter()
        .map(|row| {
            let status = row.status()?;
            let kind = RequestKind::parse(&row.kind).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown request kind {:?}", row.kind))
            })?;
            let found = steps.remove(&row.id).unwrap_or_default();
            let step_counts = StepStatus::ALL
                .into_iter()
                .map(|s| (s, found.get(&s).copied().unwrap_or(0)))
                .collect();
            Ok(RequestRecord {
                id: row.id,
                kind,
                status,
                external_id: row.external_id,
                received_at: row.received_at,
                due_at: row.due_at,
                original_due_at: row.original_due_at,
                note: row.note,
                created_by: row.created_by,
                updated_at: row.updated_at,
                status_reason: row.status_reason,
                extension_reason: row.extension_reason,
                decided_by: row.decided_by,
                decided_at: row.decided_at,
                include_weak: row.include_weak,
                source: row.source,
                callback_url: row.callback_url,
                identifiers: idents.remove(&row.id).unwrap_or_default(),
                step_counts,
            })
        })
        .collect()
}

/// The database name of a step action. `lethe_domain::StepAction` has no
/// `as_str`, and the store must not depend on serde's spelling.
pub(crate) fn action_str(action: StepAction) -> &'static str {
    match action {
        StepAction::Discover => "discover",
        StepAction::Export => "export",
        StepAction::Erase => "erase",
        StepAction::Verify => "verify",
        StepAction::Manual => "manual",
    }
}

fn parse_action(s: &str) -> Result<StepAction, StoreError> {
    Ok(match s {
        "discover" => StepAction::Discover,
        "export" => StepAction::Export,
        "erase" => StepAction::Erase,
        "verify" => StepAction::Verify,
        "manual" => StepAction::Manual,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown step action {other:?}"
            )))
        }
    })
}

/// One `step` row, in the column order of `sql::step_columns!`.
#[derive(sqlx::FromRow)]
pub(crate) struct StepRow {
    pub id: Uuid,
    pub request_id: Uuid,
    pub step_key: String,
    pub connector: String,
    pub target: String,
    pub action: String,
    pub status: String,
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub items_matched: Option<i64>,
    pub items_affected: Option<i64>,
    pub items_remaining: Option<i64>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub detail: Option<String>,
}

impl StepRow {
    pub fn status(&self) -> Result<StepStatus, StoreError> {
        StepStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown step status {:?}", self.status)))
    }

    pub fn action(&self) -> Result<StepAction, StoreError> {
        parse_action(&self.action)
    }

    /// The step as leased by a claim (which always sets the lease).
    pub fn into_claimed(self) -> Result<ClaimedStep, StoreError> {
        let action = self.action()?;
        let lease_expires_at = self
            .lease_expires_at
            .ok_or_else(|| StoreError::Corrupt("claimed step without a lease".into()))?;
        Ok(ClaimedStep {
            id: self.id,
            request_id: self.request_id,
            step_key: self.step_key,
            connector: self.connector,
            target: self.target,
            action,
            attempt: self.attempt,
            max_attempts: self.max_attempts,
            lease_expires_at,
        })
    }
}

/// One `step_attempt` row.
#[derive(sqlx::FromRow)]
pub(crate) struct AttemptRow {
    pub step_id: Uuid,
    pub attempt: i32,
    pub worker: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub error: Option<String>,
}

/// Joins steps with their attempts (already in attempt order), keeping the
/// order of `steps`.
pub(crate) fn assemble_steps(
    steps: Vec<StepRow>,
    attempts: Vec<AttemptRow>,
) -> Result<Vec<StepRecord>, StoreError> {
    let mut by_step: HashMap<Uuid, Vec<AttemptRecord>> = HashMap::new();
    for a in attempts {
        by_step.entry(a.step_id).or_default().push(AttemptRecord {
            attempt: a.attempt,
            worker: a.worker,
            started_at: a.started_at,
            finished_at: a.finished_at,
            outcome: a.outcome,
            error: a.error,
        });
    }
    steps
        .into_iter()
        .map(|row| {
            let status = row.status()?;
            let action = row.action()?;
            Ok(StepRecord {
                id: row.id,
                request_id: row.request_id,
                step_key: row.step_key,
                connector: row.connector,
                target: row.target,
                action,
                status,
                attempt: row.attempt,
                max_attempts: row.max_attempts,
                run_at: row.run_at,
                lease_owner: row.lease_owner,
                lease_expires_at: row.lease_expires_at,
                items_matched: row.items_matched,
                items_affected: row.items_affected,
                items_remaining: row.items_remaining,
                error: row.error,
                created_at: row.created_at,
                started_at: row.started_at,
                finished_at: row.finished_at,
                detail: row
                    .detail
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("step detail is not JSON: {e}")))?,
                attempts: by_step.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}
