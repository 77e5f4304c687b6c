//! `GET /v1/requests/{id}/steps`: every step of a request with its attempt
//! history. Step history is evidence: nothing here is ever summarised away.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lethe_domain::{StepAction, StepStatus};
use lethe_store::{AttemptRecord, StepRecord};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::extract::AppPath;
use crate::problem::ApiError;
use crate::responses::{AuthProblems, RequestIdProblems, ServerProblems};
use crate::AppState;

/// The steps of one request, in plan order.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepList {
    /// Discovery first, then export or erase and verify, per target; the
    /// discovery of a later generation (after accepted identifiers) follows
    /// the earlier one.
    pub items: Vec<StepView>,
}

/// One step: one action on one target.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: Uuid,
    /// Stable within the plan: `<action>:<connector>:<target>`, with
    /// `:g<n>` on discovery steps of generation n.
    pub key: String,
    /// Connector kind (`files`, `mssql`, ...).
    pub connector: String,
    /// Target name within its connector.
    pub target: String,
    pub action: StepAction,
    pub status: StepStatus,
    /// Attempts started so far (one that was released or lost its lease counts).
    pub attempt: i32,
    /// Attempts allowed before a transient failure becomes `failed`; a
    /// `retry` raises it.
    pub max_attempts: i32,
    /// Not run before this instant (backoff after a transient failure).
    pub run_at: DateTime<Utc>,
    /// Items that matched (discover, verify) or were exported.
    pub matched: Option<i64>,
    /// Items the step changed (erase).
    pub affected: Option<i64>,
    /// Items still there after erasure (verify).
    pub remaining: Option<i64>,
    /// The last error, or why the step was skipped. Never holds personal
    /// data: connectors name places, not content.
    pub error: Option<String>,
    /// The connector's detail, without personal data: for discovery
    /// `{"weak": n, "places": [{"place", "items", "weak"}, ...]}`.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    /// The worker holding the step while it runs.
    pub worker: Option<String>,
    /// When that worker's lease runs out (it is then re-run elsewhere).
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When the first attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the step reached its present outcome.
    pub finished_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
    /// For a manual step on an automated target: what its discovery found
    /// for a person to do (a recording stored beyond every configured
    /// root, by its location). Personal data, like an export: shown to
    /// the request's officers, kept until the identifiers are destroyed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub follow_ups: Vec<String>,
}

/// One attempt at a step.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// 1 for the first attempt.
    pub attempt: i32,
    /// The worker that made it.
    pub worker: String,
    pub started_at: DateTime<Utc>,
    /// Absent while the attempt runs.
    pub finished_at: Option<DateTime<Utc>>,
    /// `succeeded`, `skipped`, `awaiting_manual`, `transient`, `permanent`,
    /// `lease_expired` (the worker vanished) or `released` (the worker shut
    /// down); absent while the attempt runs.
    pub outcome: Option<String>,
    /// What went wrong, without personal data.
    pub error: Option<String>,
}

impl From<&AttemptRecord> for AttemptView {
    fn from(a: &AttemptRecord) -> Self {
        Self {
            attempt: a.attempt,
            worker: a.worker.clone(),
            started_at: a.started_at,
            finished_at: a.finished_at,
            outcome: a.outcome.clone(),
            error: a.error.clone(),
        }
    }
}

impl From<&StepRecord> for StepView {
    fn from(s: &StepRecord) -> Self {
        Self {
            id: s.id,
            key: s.step_key.clone(),
            connector: s.connector.clone(),
            target: s.target.clone(),
            action: s.action,
            status: s.status,
            attempt: s.attempt,
            max_attempts: s.max_attempts,
            run_at: s.run_at,
            matched: s.items_matched,
            affected: s.items_affected,
            remaining: s.items_remaining,
            error: s.error.clone(),
            detail: s.detail.clone(),
            worker: s.lease_owner.clone(),
            lease_expires_at: s.lease_expires_at,
            created_at: s.created_at,
            started_at: s.started_at,
            finished_at: s.finished_at,
            attempts: s.attempts.iter().map(AttemptView::from).collect(),
            follow_ups: Vec::new(),
        }
    }
}

/// The steps of a request with their attempts, counts and errors.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}/steps",
    operation_id = "list_steps",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    responses((status = 200, description = "The steps, in plan order", body = StepList), RequestIdProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn list_steps(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
) -> Result<Json<StepList>, ApiError> {
    caller.require_any()?;
    let AppPath(id) = id?;
    // An unknown request is a 404, not an empty list.
    super::request_or_404(state.store.as_ref(), id).await?;
    let steps = state.store.list_steps(id).await?;
    let mut items: Vec<StepView> = steps.iter().map(StepView::from).collect();
    if items.iter().any(|s| s.action == StepAction::Manual) {
        let follow_ups = follow_ups(&state.store.step_outputs(id).await?);
        for s in items.iter_mut().filter(|s| s.action == StepAction::Manual) {
            if let Some(f) = follow_ups.get(&(s.connector.clone(), s.target.clone())) {
                s.follow_ups = f.clone();
            }
        }
    }
    Ok(Json(StepList { items }))
}

/// Follow-ups of discovery outputs by (connector, target), from every
/// generation of discovery, each once.
fn follow_ups(
    outputs: &[(String, serde_json::Value)],
) -> std::collections::HashMap<(String, String), Vec<String>> {
    let mut out: std::collections::HashMap<(String, String), Vec<String>> = Default::default();
    for (key, payload) in outputs {
        let mut parts = key.splitn(4, ':');
        let (Some("discover"), Some(connector), Some(target)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let list = out
            .entry((connector.to_owned(), target.to_owned()))
            .or_default();
        for f in payload["follow_ups"].as_array().into_iter().flatten() {
            if let Some(text) = f.as_str().filter(|t| !list.iter().any(|l| l == t)) {
                list.push(text.to_owned());
            }
        }
    }
    out
}
