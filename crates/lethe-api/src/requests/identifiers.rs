//! `POST /v1/requests/{id}/identifiers`: an approver accepts identifiers
//! that discovery proposed (a second phone number in the subject's contact
//! record, say). Accepted identifiers are searched like given ones: the
//! request goes back to `planning` and discovery runs again, under a new
//! generation of step keys, with the larger set.

use std::collections::HashSet;

use axum::extract::State;
use axum::Json;
use lethe_domain::{FieldError, RequestEvent, RequestStatus};
use lethe_store::{IdentifierOrigin, StatusChange};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::extract::{AppJson, AppPath};
use crate::problem::ApiError;
use crate::requests::view::RequestView;
use crate::responses::{
    AuthProblems, BodyProblems, RequestIdProblems, ServerProblems, TransitionProblems,
};
use crate::AppState;

/// Most proposals accepted in one call.
const MAX_HASHES: usize = 20;

/// Which proposals to accept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptIdentifiersBody {
    /// Hashes of proposed identifiers, as listed under `proposed` in
    /// `GET /v1/requests/{id}/plan` (1–20, no repeats). All or nothing: if
    /// one is not a pending proposal of this request, none is accepted.
    #[schema(min_items = 1, max_items = 20)]
    pub hashes: Vec<String>,
}

/// Checks the body against the request's identifiers before anything is
/// written, so every problem is reported at once with its pointer. The
/// messages name positions, never the submitted strings: a confused caller
/// may paste a clear value where a hash belongs.
fn check_hashes(hashes: &[String], record: &lethe_store::RequestRecord) -> Result<(), ApiError> {
    if hashes.is_empty() || hashes.len() > MAX_HASHES {
        return Err(ApiError::validation(
            "/hashes",
            format!("list between 1 and {MAX_HASHES} hashes of proposed identifiers"),
        ));
    }
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for (i, hash) in hashes.iter().enumerate() {
        let pointer = format!("/hashes/{i}");
        let origin = record
            .identifiers
            .iter()
            .find(|id| &id.hash == hash)
            .map(|id| id.origin);
        let detail = if !seen.insert(hash.as_str()) {
            Some("is listed twice; list each hash once")
        } else {
            match origin {
                Some(IdentifierOrigin::Proposed) => None,
                Some(IdentifierOrigin::Accepted) => Some("was already accepted"),
                Some(IdentifierOrigin::Given) => {
                    Some("is an identifier given with the request; it is searched already")
                }
                None => Some(
                    "is not the hash of an identifier proposed for this request; see `proposed` in GET /v1/requests/{id}/plan",
                ),
            }
        };
        if let Some(detail) = detail {
            errors.push(FieldError {
                pointer,
                detail: detail.to_owned(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation {
            detail: format!(
                "{} of {} hash(es) cannot be accepted and none was; see errors",
                errors.len(),
                hashes.len()
            ),
            errors,
        })
    }
}

/// Accept proposed identifiers: discovery runs again with them too.
///
/// Legal only while the request is `awaiting_approval` (409 otherwise). The
/// request goes back to `planning`; once the new discovery has run it waits
/// for approval again, with the new matches in its plan. An unknown hash,
/// or one that is not a pending proposal, is a 422 pointing at it, and
/// nothing is accepted.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/identifiers",
    operation_id = "accept_identifiers",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = AcceptIdentifiersBody,
    responses((status = 200, description = "Accepted: the request is planning again", body = RequestView), RequestIdProblems, TransitionProblems, BodyProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn accept_identifiers(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
    body: Result<AppJson<AcceptIdentifiersBody>, ApiError>,
) -> Result<Json<RequestView>, ApiError> {
    caller.require(Role::Approver)?;
    let AppPath(id) = id?;
    let AppJson(body) = body?;
    let record = super::request_or_404(state.store.as_ref(), id).await?;
    if record.status != RequestStatus::AwaitingApproval {
        return Err(ApiError::WrongStatus(format!(
            "identifiers can be accepted only while the request is awaiting_approval; this one is {}",
            record.status
        )));
    }
    check_hashes(&body.hashes, &record)?;
    // The store accepts all or none; a proposal that changed since the check
    // above (a concurrent accept) still gets a 422, not a 404.
    state
        .store
        .accept_identifiers(id, &body.hashes, &caller.sub)
        .await
        .map_err(|err| match err {
            lethe_store::StoreError::NotFound => ApiError::validation(
                "/hashes",
                "a hash is no longer a pending proposal (accepted concurrently?); reload the plan and try again",
            ),
            other => other.into(),
        })?;
    let change = StatusChange {
        event: RequestEvent::Replan,
        actor: caller.sub.clone(),
        reason: None,
        four_eyes: false,
        include_weak: None,
        audit_data: serde_json::json!({ "accepted": body.hashes.len() }),
    };
    let record = state.store.transition(id, change).await?;
    tracing::info!(request.id = %id, accepted = body.hashes.len(), "proposed identifiers accepted; replanning");
    Ok(Json(RequestView::from(&record)))
}
