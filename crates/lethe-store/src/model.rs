//! What goes into and comes out of the store. Plain data, no SQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use lethe_domain::{
    IdentifierKind, RequestEvent, RequestKind, RequestStatus, StepAction, StepStatus,
};
use uuid::Uuid;

/// A request to be created. `id` is a UUIDv7, so ids sort by creation time
/// and serve as the pagination cursor.
#[derive(Clone)]
pub struct NewRequest {
    pub id: Uuid,
    pub kind: RequestKind,
    pub external_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Officer's free text; stored with the request, only its hash goes to audit.
    pub note: Option<String>,
    /// The JWT subject of the creator (four-eyes compares against it).
    pub created_by: String,
    pub identifiers: Vec<NewIdentifier>,
    /// The webhook source that raised it (`/v1/webhooks/{source}`), if any.
    pub source: Option<String>,
    /// Where status changes are posted (validated by the caller); `None`:
    /// no callbacks. Every status change then writes an outbox event in
    /// its own transaction.
    pub callback_url: Option<String>,
}

/// One identifier of the subject, as stored.
#[derive(Clone)]
pub struct NewIdentifier {
    pub kind: IdentifierKind,
    /// Normalised clear value, kept for discovery until destroyed.
    pub value: String,
    /// Keyed hash of `value`: the only form logs and audit see.
    pub hash: String,
    /// Masked form shown to officers.
    pub hint: String,
}

impl std::fmt::Debug for NewIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewIdentifier")
            .field("kind", &self.kind)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// An identifier as read back. The clear value is not read by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierRecord {
    pub kind: IdentifierKind,
    pub hash: String,
    pub hint: String,
    /// When the clear value was destroyed (retention), if it was.
    pub destroyed_at: Option<DateTime<Utc>>,
    /// Given with the request, proposed by discovery, or accepted.
    pub origin: IdentifierOrigin,
    /// For a proposal: the target (`connector:name`) that found it.
    pub source: Option<String>,
}

/// Where an identifier came from. Given and accepted ones are searched;
/// proposed ones wait for an approver.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierOrigin {
    /// Submitted with the request.
    Given,
    /// Found beside the subject's data by discovery; not searched yet.
    Proposed,
    /// A proposal an approver accepted; searched like a given one.
    Accepted,
}

impl IdentifierOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Proposed => "proposed",
            Self::Accepted => "accepted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Given, Self::Proposed, Self::Accepted]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// A clear identifier value for discovery. `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SearchedValue {
    pub kind: IdentifierKind,
    pub value: String,
}

impl std::fmt::Debug for SearchedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchedValue")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// An identifier discovery proposes. `Debug` hides the value.
#[derive(Clone)]
pub struct NewProposal {
    pub kind: IdentifierKind,
    /// Normalised clear value.
    pub value: String,
    pub hash: String,
    pub hint: String,
    /// Target key that found it.
    pub source: String,
}

impl std::fmt::Debug for NewProposal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewProposal")
            .field("kind", &self.kind)
            .field("hash", &self.hash)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A stored request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    pub id: Uuid,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub external_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The due date before any extension; extensions are bounded from it.
    pub original_due_at: DateTime<Utc>,
    pub note: Option<String>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    /// Reason given for the latest cancel, reject or extension.
    pub status_reason: Option<String>,
    pub extension_reason: Option<String>,
    /// Who approved or rejected, and when.
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Whether name-only (weak) matches are erased too: set by an approver.
    pub include_weak: bool,
    /// The webhook source that raised it, if any.
    pub source: Option<String>,
    /// Where status changes are posted, if anywhere.
    pub callback_url: Option<String>,
    pub identifiers: Vec<IdentifierRecord>,
    /// Count of steps per status; every status present (0 when none).
    pub step_counts: BTreeMap<StepStatus, i64>,
}

/// Idempotency-Key handling for `create_request`.
#[derive(Debug, Clone)]
pub struct IdempotencyClaim {
    /// Keys are scoped per caller.
    pub actor: String,
    pub key: String,
    /// SHA-256 of the canonical request body.
    pub fingerprint: String,
}

/// A webhook delivery that may create a request: replays of the same
/// `(source, delivery_id)` get the first answer and create nothing.
#[derive(Debug, Clone)]
pub struct DeliveryClaim {
    pub source: String,
    /// `webhook-id`, a vendor's delivery id, or a hash of the signature.
    pub delivery_id: String,
}

/// What `create_request` did.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per create call; boxing would only complicate matching"
)]
pub enum CreateOutcome {
    Created {
        record: RequestRecord,
        response: serde_json::Value,
    },
    /// Same key, same body: the stored response of the first call.
    Replayed {
        request_id: Uuid,
        response: serde_json::Value,
    },
    /// Same key, other body.
    KeyReused,
}

/// Filters for listing requests. `after` is the cursor: the id of the last
/// item of the previous page (ids are UUIDv7, newest first).
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    pub kind: Option<RequestKind>,
    pub due_before: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
    /// Only requests with at least one step waiting for a person (manual
    /// steps): with `due_before`, the reminder list.
    pub awaiting_manual: bool,
    pub after: Option<Uuid>,
    pub limit: u32,
}

/// A page of results; `next` is the cursor for the following page, if any.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Uuid>,
}

/// A lifecycle event to apply.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub event: RequestEvent,
    pub actor: String,
    /// Required by the API for cancel and reject; stored on the request.
    pub reason: Option<String>,
    /// When set (approve/reject), the store refuses the change with
    /// `StoreError::FourEyes` if this actor created the request. Checked in
    /// the same transaction as the change.
    pub four_eyes: bool,
    /// With approve: whether name-only matches are erased too (`None`
    /// keeps the current setting).
    pub include_weak: Option<bool>,
    /// Audit payload (no clear PII: hashes only).
    pub audit_data: serde_json::Value,
}

/// A due-date extension.
#[derive(Debug, Clone)]
pub struct Extension {
    pub actor: String,
    pub new_due_at: DateTime<Utc>,
    pub reason: String,
    pub audit_data: serde_json::Value,
}

/// What a person decided about a manual step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualDecision {
    /// The work was done: the step `succeeded`.
    Confirmed,
    /// The work will not be done (the step is `skipped`); the request
    /// completes with exceptions and the note says why.
    Declined,
}

impl ManualDecision {
    /// The name in the step detail and the audit kind (`step.<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Declined => "declined",
        }
    }

    /// The step status the decision leads to.
    pub fn status(self) -> lethe_domain::StepStatus {
        match self {
            Self::Confirmed => lethe_domain::StepStatus::Succeeded,
            Self::Declined => lethe_domain::StepStatus::Skipped,
        }
    }
}

/// A person's decision on a manual step, with the note that goes on the
/// step (and into the erasure report) but never into the audit trail.
#[derive(Clone)]
pub struct ManualFinish {
    pub decision: ManualDecision,
    /// What was done, or why not; stored in the step's detail.
    pub note: Option<String>,
    pub actor: String,
    /// Audit payload (no clear text: the note only as a keyed hash).
    pub audit_data: serde_json::Value,
}

impl std::fmt::Debug for ManualFinish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualFinish")
            .field("decision", &self.decision)
            .field("note", &self.note.is_some())
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// An audit event to append.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: String,
    pub kind: String,
    pub data: serde_json::Value,
}

/// A stored audit event. `data` is kept as the exact JSON text that was hashed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub request_id: Option<Uuid>,
    pub kind: String,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters for listing audit events; `after_seq` is the cursor.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub request_id: Option<Uuid>,
    pub after_seq: Option<i64>,
    pub limit: u32,
}

/// A step of a plan to be inserted. `step_key` is stable within the plan, so
/// inserting the same plan twice (a re-run planner) creates nothing new.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub step_key: String,
    pub connector: String,
    pub target: String,
    pub action: StepAction,
    /// Attempts before a transient failure becomes `failed` (at least 1).
    pub max_attempts: i32,
    /// Not claimed before this time.
    pub run_at: DateTime<Utc>,
}

/// A stored step with its attempt history (oldest attempt first).
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    pub id: Uuid,
    pub request_id: Uuid,
    pub step_key: String,
    pub connector: String,
    pub target: String,
    pub action: StepAction,
    pub status: StepStatus,
    /// Attempts started so far (a released or expired attempt counts).
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub items_matched: Option<i64>,
    pub items_affected: Option<i64>,
    pub items_remaining: Option<i64>,
    /// The last error, or the reason a step was skipped.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The connector's detail (places, weak counts), no personal data.
    pub detail: Option<serde_json::Value>,
    pub attempts: Vec<AttemptRecord>,
}

/// One attempt at a step. `outcome` is `None` while the attempt runs, then
/// one of `succeeded`, `skipped`, `awaiting_manual`, `transient`,
/// `permanent`, `lease_expired` or `released`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub attempt: i32,
    pub worker: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub error: Option<String>,
}

/// A step leased to a worker by `claim_steps`. The worker passes `id`, its
/// own name and `attempt` back to `heartbeat` and `complete_step`: together
/// they are the fence that refuses a worker whose lease was taken over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedStep {
    pub id: Uuid,
    pub request_id: Uuid,
    pub step_key: String,
    pub connector: String,
    pub target: String,
    pub action: StepAction,
    pub attempt: i32,
    pub max_attempts: i32,
    pub lease_expires_at: DateTime<Utc>,
}

/// How an attempt ended, as reported by the worker.
///
/// Error strings are stored on the step and its attempt only, never in the
/// audit log; the caller must keep personal data out of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// Did its work; the counts are the connector's report.
    Succeeded {
        matched: Option<i64>,
        affected: Option<i64>,
        remaining: Option<i64>,
        /// Places and weak counts, shown in the plan (no personal data).
        detail: Option<serde_json::Value>,
        /// An export's records (personal data), kept until the access
        /// package expires.
        output: Option<serde_json::Value>,
    },
    /// Not run, with a reason (stored in the step's `error` column).
    Skipped { reason: String },
    /// Waits for a person to confirm or decline it.
    AwaitingManual,
    /// Worth trying again at `retry_at`, unless attempts are exhausted.
    Transient {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// Will not succeed by retrying: `failed` at once.
    Permanent { error: String },
}

/// Requests and steps per status (every status present, 0 when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCounts {
    pub requests: BTreeMap<RequestStatus, i64>,
    pub steps: BTreeMap<StepStatus, i64>,
}

/// A status callback to deliver, leased to one dispatcher by
/// `claim_callbacks`. `payload` is the JSON text to post, as stored.
/// Read straight from the claim statement's columns.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedCallback {
    /// The event id: the `webhook-id` on every try.
    pub id: Uuid,
    pub request_id: Uuid,
    /// Position among the request's events (1, 2, ...).
    pub seq: i32,
    /// The webhook source whose secret signs it; `None`: the global one.
    pub source: Option<String>,
    pub url: String,
    pub payload: String,
    /// Tries made before this one.
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// How one try at delivering a callback ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The receiver answered 2xx: delivered, never sent again.
    Delivered { status_code: u16 },
    /// Refused or unreachable. `error` is a class (`status 500`,
    /// `timeout`, `connect`, `refused address`), never a body. Tried again
    /// at `retry_at`; `None` gives up (the event stops blocking the
    /// request's later events).
    Failed {
        status_code: Option<u16>,
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Where a callback event is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallbackState {
    /// Not delivered yet; retried with backoff.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Retried for the configured time without success.
    GivenUp,
}

impl CallbackState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::GivenUp => "given_up",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::GivenUp]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// A stored callback event with its tries.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackRecord {
    pub id: Uuid,
    pub request_id: Uuid,
    pub seq: i32,
    pub source: Option<String>,
    pub url: String,
    pub payload: serde_json::Value,
    pub state: CallbackState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub tries: Vec<CallbackAttemptRecord>,
}

/// One try at delivering a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackAttemptRecord {
    pub attempt: i32,
    pub worker: String,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}
