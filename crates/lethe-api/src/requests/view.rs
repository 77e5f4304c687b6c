//! The JSON shapes of a request as the API shows it. Identifiers appear only
//! as keyed hashes and masked hints, never in clear.

use chrono::{DateTime, Utc};
use lethe_domain::{IdentifierKind, RequestKind, RequestStatus, StepStatus};
use lethe_store::{IdentifierOrigin, RequestRecord};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A data-subject request.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    pub id: Uuid,
    pub kind: RequestKind,
    pub status: RequestStatus,
    /// The ticket key of the system that raised it, if any.
    pub external_id: Option<String>,
    pub received_at: DateTime<Utc>,
    /// When the answer is due (Art. 12(3)); later after an extension.
    pub due_at: DateTime<Utc>,
    /// The due date before any extension.
    pub original_due_at: DateTime<Utc>,
    pub note: Option<String>,
    /// The `sub` of the token that created it.
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    /// Reason given with the latest cancel or reject.
    pub status_reason: Option<String>,
    /// Reason given with the latest extension.
    pub extension_reason: Option<String>,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Whether name-only (weak) matches are erased too (set on approval).
    pub erase_weak_matches: bool,
    /// The webhook source (`POST /v1/webhooks/{source}`) that raised it;
    /// null for requests created over this API.
    pub source: Option<String>,
    /// The subject's identifiers, as keyed hashes with masked hints.
    pub identifiers: Vec<IdentifierView>,
    /// Number of plan steps in each status.
    pub step_counts: StepCounts,
}

/// One identifier of the subject: never the clear value.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierView {
    pub kind: IdentifierKind,
    /// HMAC-SHA256 of the normalised value under the service's key (hex).
    pub hash: String,
    /// A masked form for recognition, e.g. `j***@***.com`.
    pub hint: String,
    /// True once the clear value was destroyed after retention.
    pub destroyed: bool,
    /// `given` with the request, `proposed` by discovery (not searched
    /// until accepted with `POST /v1/requests/{id}/identifiers`), or `accepted`.
    pub origin: IdentifierOrigin,
    /// For a proposal: the target (`connector:name`) where it was found.
    pub source: Option<String>,
}

/// Step counts per status.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct StepCounts {
    pub pending: i64,
    pub running: i64,
    pub retrying: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub skipped: i64,
    pub awaiting_manual: i64,
}

impl From<&RequestRecord> for RequestView {
    fn from(r: &RequestRecord) -> Self {
        let count = |s: StepStatus| r.step_counts.get(&s).copied().unwrap_or(0);
        Self {
            id: r.id,
            kind: r.kind,
            status: r.status,
            external_id: r.external_id.clone(),
            received_at: r.received_at,
            due_at: r.due_at,
            original_due_at: r.original_due_at,
            note: r.note.clone(),
            created_by: r.created_by.clone(),
            updated_at: r.updated_at,
            status_reason: r.status_reason.clone(),
            extension_reason: r.extension_reason.clone(),
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at,
            erase_weak_matches: r.include_weak,
            source: r.source.clone(),
            identifiers: r
                .identifiers
                .iter()
                .map(|i| IdentifierView {
                    kind: i.kind,
                    hash: i.hash.clone(),
                    hint: i.hint.clone(),
                    destroyed: i.destroyed_at.is_some(),
                    origin: i.origin,
                    source: i.source.clone(),
                })
                .collect(),
            step_counts: StepCounts {
                pending: count(StepStatus::Pending),
                running: count(StepStatus::Running),
                retrying: count(StepStatus::Retrying),
                succeeded: count(StepStatus::Succeeded),
                failed: count(StepStatus::Failed),
                skipped: count(StepStatus::Skipped),
                awaiting_manual: count(StepStatus::AwaitingManual),
            },
        }
    }
}

/// A page of requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    pub items: Vec<RequestView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}
