//! Lifecycle actions: approve, reject, cancel, extend, retry. Each goes
//! through the domain state machine inside the store's transaction, so a
//! concurrent change can never slip between the check and the write.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lethe_domain::{RequestEvent, RequestStatus};
use lethe_store::{Extension, StatusChange};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::extract::{AppJson, AppPath, OptionalJson};
use crate::problem::ApiError;
use crate::requests::view::RequestView;
use crate::responses::{
    AuthProblems, BodyProblems, RequestIdProblems, ServerProblems, TransitionProblems,
};
use crate::AppState;

/// Longest accepted reason or note.
pub(crate) const MAX_REASON: usize = 2000;

/// Optional note with an approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Free text (1–2000 characters, not blank); audit keeps only its keyed hash.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "[^\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub note: Option<String>,
    /// Erase name-only (weak) matches too. Off by default: a name alone may
    /// belong to someone else, so the plan lists such matches as `weak`
    /// and erasure leaves them unless an approver says so here.
    #[serde(default)]
    pub erase_weak_matches: Option<bool>,
}

/// A reason, required to reject or cancel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why (1–2000 characters, not blank). Stored with the request; audit keeps only its keyed hash.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "[^\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub reason: String,
}

/// A later due date and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// The new due date: later than the current one and at most two months
    /// after the original due date (Art. 12(3)).
    pub due_at: DateTime<Utc>,
    /// Why the extension is needed (1–2000 characters, not blank); the subject must be told.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "[^\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub reason: String,
}

/// A reason or note: not blank, at most [`MAX_REASON`] characters; the
/// 422 points at `pointer`.
pub(crate) fn reason_text(pointer: &str, text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::validation(
            pointer,
            "is required and must not be blank",
        ));
    }
    if text.chars().count() > MAX_REASON {
        return Err(ApiError::validation(
            pointer,
            format!("must be at most {MAX_REASON} characters"),
        ));
    }
    Ok(())
}

async fn apply(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    event: RequestEvent,
    text: Option<(&str, String)>,
    include_weak: Option<bool>,
) -> Result<Json<RequestView>, ApiError> {
    let four_eyes = matches!(event, RequestEvent::Approve | RequestEvent::Reject);
    let mut audit_data = match &text {
        Some((label, t)) => {
            serde_json::json!({ format!("{label}_hash"): state.hasher.hash_text(label, t).0 })
        }
        None => serde_json::json!({}),
    };
    if let Some(weak) = include_weak {
        audit_data["erase_weak_matches"] = weak.into();
    }
    let reason = text.and_then(|(label, t)| (label == "reason").then_some(t));
    let change = StatusChange {
        event,
        actor: caller.sub.clone(),
        reason,
        four_eyes,
        include_weak,
        audit_data,
    };
    let record = state.store.transition(id, change).await?;
    tracing::info!(request.id = %id, request.status = record.status.as_str(), event = event.as_str(), "request transitioned");
    Ok(Json(RequestView::from(&record)))
}

/// Approve the plan (four-eyes: not by the request's creator).
///
/// Legal only while the request is `awaiting_approval`; otherwise 409.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/approve",
    operation_id = "approve_request",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    // A `ref`, not `Option<ApproveBody>`: the body may be left out, but when
    // sent it is an object (`null` is refused with 422), and a generated
    // client must be able to call this without one.
    request_body(content = ref("#/components/schemas/ApproveBody"), description = "Optional note"),
    responses((status = 200, description = "Approved", body = RequestView), RequestIdProblems, TransitionProblems, BodyProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn approve_request(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
    body: Result<OptionalJson<ApproveBody>, ApiError>,
) -> Result<Json<RequestView>, ApiError> {
    caller.require(Role::Approver)?;
    let AppPath(id) = id?;
    let OptionalJson(body) = body?;
    let (note, weak) = body.map_or((None, None), |b| (b.note, b.erase_weak_matches));
    if let Some(n) = &note {
        reason_text("/note", n)?;
    }
    apply(
        &state,
        &caller,
        id,
        RequestEvent::Approve,
        note.map(|n| ("note", n)),
        weak,
    )
    .await
}

/// The shared body of reject and cancel: role, path, reason, transition.
async fn with_reason(
    state: &AppState,
    caller: &Caller,
    role: Role,
    event: RequestEvent,
    id: Result<AppPath<Uuid>, ApiError>,
    body: Result<AppJson<ReasonBody>, ApiError>,
) -> Result<Json<RequestView>, ApiError> {
    caller.require(role)?;
    let AppPath(id) = id?;
    let AppJson(body) = body?;
    reason_text("/reason", &body.reason)?;
    apply(
        state,
        caller,
        id,
        event,
        Some(("reason", body.reason)),
        None,
    )
    .await
}

/// Reject the request with a reason (four-eyes: not by its creator).
///
/// Legal while `received`, `planning` or `awaiting_approval`.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/reject",
    operation_id = "reject_request",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = ReasonBody,
    responses((status = 200, description = "Rejected", body = RequestView), RequestIdProblems, TransitionProblems, BodyProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn reject_request(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
    body: Result<AppJson<ReasonBody>, ApiError>,
) -> Result<Json<RequestView>, ApiError> {
    with_reason(
        &state,
        &caller,
        Role::Approver,
        RequestEvent::Reject,
        id,
        body,
    )
    .await
}

/// Cancel the request with a reason. Legal in every non-terminal status.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/cancel",
    operation_id = "cancel_request",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = ReasonBody,
    responses((status = 200, description = "Cancelled", body = RequestView), RequestIdProblems, TransitionProblems, BodyProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn cancel_request(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
    body: Result<AppJson<ReasonBody>, ApiError>,
) -> Result<Json<RequestView>, ApiError> {
    with_reason(
        &state,
        &caller,
        Role::Requester,
        RequestEvent::Cancel,
        id,
        body,
    )
    .await
}

/// Extend the due date (Art. 12(3)): at most two months past the original
/// due date, with a reason. Refused (409) once the request is closed.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/extend",
    operation_id = "extend_request",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = ExtendBody,
    responses((status = 200, description = "Extended", body = RequestView), RequestIdProblems, TransitionProblems, BodyProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn extend_request(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
    body: Result<AppJson<ExtendBody>, ApiError>,
) -> Result<Json<RequestView>, ApiError> {
    caller.require(Role::Requester)?;
    let AppPath(id) = id?;
    let AppJson(body) = body?;
    reason_text("/reason", &body.reason)?;
    let extension = Extension {
        actor: caller.sub.clone(),
        new_due_at: body.due_at,
        audit_data: serde_json::json!({ "reason_hash": state.hasher.hash_text("reason", &body.reason).0 }),
        reason: body.reason,
    };
    let record = state.store.extend(id, extension).await?;
    tracing::info!(request.id = %id, "request extended");
    Ok(Json(RequestView::from(&record)))
}

/// Retry a failed request: its failed steps run again.
///
/// Legal only while the request is `failed` (409 otherwise, naming its
/// status). The failed steps go back to `pending` with fresh attempts (their
/// attempt history is kept) and the request returns to `executing`.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/retry",
    operation_id = "retry_request",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    responses((status = 200, description = "Retrying: the request is executing again", body = RequestView), RequestIdProblems, TransitionProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn retry_request(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
) -> Result<Json<RequestView>, ApiError> {
    caller.require(Role::Requester)?;
    let AppPath(id) = id?;
    let record = super::request_or_404(state.store.as_ref(), id).await?;
    // Checked before any step moves: steps of a request that is not failed
    // are the workers' business, not the operator's.
    if record.status != RequestStatus::Failed {
        return Err(ApiError::WrongStatus(format!(
            "only a failed request can be retried; this one is {}",
            record.status
        )));
    }
    // Steps first, then the status: a request back in `executing` with its
    // failed steps still failed would be failed again by the planner.
    let steps = state.store.retry_failed_steps(id).await?;
    let change = StatusChange {
        event: RequestEvent::Retry,
        actor: caller.sub.clone(),
        reason: None,
        four_eyes: false,
        include_weak: None,
        audit_data: serde_json::json!({ "steps": steps }),
    };
    let record = state.store.transition(id, change).await?;
    tracing::info!(request.id = %id, steps, "failed steps retried");
    Ok(Json(RequestView::from(&record)))
}
