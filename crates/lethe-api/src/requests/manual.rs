//! `POST /v1/requests/{id}/steps/{step}/confirm` and `/decline`: an
//! approver finishes a manual step, the work a person does where no API
//! reaches (a bot vendor's history, backups, a third party's copy).
//!
//! Confirming says the work was done; declining says it will not be, and
//! why, so the request closes `completed_with_exceptions` with the reason
//! in the erasure report. The note is kept on the step (it is evidence)
//! but the audit trail holds only its keyed hash: a person's free text may
//! name anyone.

use axum::extract::State;
use axum::Json;
use lethe_store::{ManualDecision, ManualFinish};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::extract::{AppPath, OptionalJson};
use crate::problem::ApiError;
use crate::requests::actions::reason_text;
use crate::requests::steps::StepView;
use crate::responses::{AuthProblems, BodyProblems, ServerProblems, StepProblems};
use crate::AppState;

/// What the approver says about a manual step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualStepBody {
    /// What was done (optional when confirming), or why it will not be
    /// done (required when declining); 1–2000 characters. Shown on the
    /// step and in the erasure report; the audit keeps only its keyed hash.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "[^\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub note: Option<String>,
}

/// Why a manual step will not be done.
// Documents the body of `decline_step`, which parses a `ManualStepBody`
// so that a missing note gets the same 422 at `/note` as a blank one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineStepBody {
    /// Why the step will not be done (1–2000 characters, not blank). Shown
    /// on the step and in the erasure report; the audit keeps only its
    /// keyed hash.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "[^\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub note: String,
}

/// Confirm a manual step: the person did the work.
///
/// Only a step that is `awaiting_manual` can be confirmed (409 otherwise,
/// naming its status); it becomes `succeeded`, and the request completes
/// once nothing else is left.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/steps/{step}/confirm",
    operation_id = "confirm_step",
    tag = "requests",
    params(
        ("id" = Uuid, Path, description = "Request id"),
        ("step" = String, Path, description = "The step's `key` as listed by `GET /v1/requests/{id}/steps`, e.g. `manual:manual:dialogflow`")
    ),
    // Optional, but an object when sent (see `approve_request`).
    request_body(content = ref("#/components/schemas/ManualStepBody"), description = "Optional note: what was done"),
    responses((status = 200, description = "Confirmed: the step succeeded", body = StepView), StepProblems, BodyProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn confirm_step(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<AppPath<(Uuid, String)>, ApiError>,
    body: Result<OptionalJson<ManualStepBody>, ApiError>,
) -> Result<Json<StepView>, ApiError> {
    caller.require(Role::Approver)?;
    let AppPath((id, step)) = path?;
    let OptionalJson(body) = body?;
    let note = body.and_then(|b| b.note);
    if let Some(n) = &note {
        reason_text("/note", n)?;
    }
    finish(&state, &caller, id, &step, ManualDecision::Confirmed, note).await
}

/// Decline a manual step: the work will not be done, and the note says why.
///
/// The note is required. Only a step that is `awaiting_manual` can be
/// declined (409 otherwise); it becomes `skipped`, and the request
/// completes with exceptions.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/steps/{step}/decline",
    operation_id = "decline_step",
    tag = "requests",
    params(
        ("id" = Uuid, Path, description = "Request id"),
        ("step" = String, Path, description = "The step's `key` as listed by `GET /v1/requests/{id}/steps`, e.g. `manual:manual:backups`")
    ),
    request_body(content = DeclineStepBody, description = "Why the step will not be done"),
    responses((status = 200, description = "Declined: the step is skipped", body = StepView), StepProblems, BodyProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn decline_step(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<AppPath<(Uuid, String)>, ApiError>,
    body: Result<OptionalJson<ManualStepBody>, ApiError>,
) -> Result<Json<StepView>, ApiError> {
    caller.require(Role::Approver)?;
    let AppPath((id, step)) = path?;
    let OptionalJson(body) = body?;
    // An empty body and a missing note get the same answer: say why.
    let note = body.and_then(|b| b.note).unwrap_or_default();
    reason_text("/note", &note)?;
    finish(
        &state,
        &caller,
        id,
        &step,
        ManualDecision::Declined,
        Some(note),
    )
    .await
}

async fn finish(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    step: &str,
    decision: ManualDecision,
    note: Option<String>,
) -> Result<Json<StepView>, ApiError> {
    let audit_data = match &note {
        Some(n) => serde_json::json!({ "note_hash": state.hasher.hash_text("note", n).0 }),
        None => serde_json::json!({}),
    };
    let finish = ManualFinish {
        decision,
        note,
        actor: caller.sub.clone(),
        audit_data,
    };
    let record = state.store.finish_manual_step(id, step, finish).await?;
    tracing::info!(request.id = %id, step.id = %record.id, decision = decision.as_str(), "manual step finished");
    Ok(Json(StepView::from(&record)))
}
