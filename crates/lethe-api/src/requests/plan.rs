//! `GET /v1/requests/{id}/plan`: the plan as officers see it. The plan is
//! never stored: it is the planner's pure view of the request, the steps it
//! has so far and the configured targets, so what this route shows is what
//! the workers will do next.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use lethe_domain::{IdentifierKind, ParsedIdentifier, RequestKind, RequestStatus, VariantForm};
use lethe_planner::{plan_view, PlanTarget, RequestState, StepState};
use lethe_store::{IdentifierOrigin, RequestRecord, StepRecord};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::extract::AppPath;
use crate::problem::ApiError;
use crate::responses::{AuthProblems, RequestIdProblems, ServerProblems};
use crate::AppState;

/// The plan of one request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanResponse {
    /// The request's id.
    pub request_id: Uuid,
    /// Access (found items are exported) or erasure (found items are erased).
    pub kind: RequestKind,
    /// Where the request stands; proposals can be accepted while it is
    /// `awaiting_approval`.
    pub status: RequestStatus,
    /// Discovery generation: how many proposed identifiers were accepted.
    /// Each acceptance re-runs discovery with the larger set of identifiers,
    /// under step keys ending in `:g<generation>`.
    pub generation: u32,
    /// Whether name-only (weak) matches will be erased: set by an approver
    /// or by the operator's policy.
    pub erase_weak_matches: bool,
    /// Every configured target, in plan order, with what discovery found
    /// there and what the plan does there.
    pub targets: Vec<PlanTarget>,
    /// The identifiers searched: given with the request or accepted later,
    /// each with the variant forms searched (names of forms, never values).
    pub identifiers: Vec<PlanIdentifier>,
    /// Identifiers discovery found beside the subject's data, not searched
    /// until an approver accepts them with `POST /v1/requests/{id}/identifiers`.
    pub proposed: Vec<PlanIdentifier>,
    /// True when proposals can be accepted now (the request is `awaiting_approval`).
    pub accepting_proposals: bool,
}

/// One identifier of the plan: never its clear value.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanIdentifier {
    /// What kind of identifier.
    pub kind: IdentifierKind,
    /// HMAC-SHA256 of the normalised value under the service's key (hex);
    /// what `POST /v1/requests/{id}/identifiers` takes to accept a proposal.
    pub hash: String,
    /// A masked form for recognition, e.g. `+44*******55`.
    pub hint: String,
    /// `given`, `proposed` or `accepted`.
    pub origin: IdentifierOrigin,
    /// For a proposal: the target (`connector:name`) where it was found.
    pub source: Option<String>,
    /// True once the clear value was destroyed after retention; it is then
    /// no longer searched and has no forms.
    pub destroyed: bool,
    /// The shapes searched for this identifier (a phone is searched as
    /// E.164, national, with PBX trunk prefixes, ...). Empty for proposals,
    /// which are not searched yet, and for destroyed identifiers.
    pub forms: Vec<VariantForm>,
}

/// The planner's view of a stored request (the workers derive it the same way).
pub(crate) fn request_state(r: &RequestRecord) -> RequestState {
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
pub(crate) fn step_states(steps: &[StepRecord]) -> Vec<StepState> {
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

/// The forms searched per identifier hash. The clear values are read, parsed
/// and dropped inside this function: only form names leave it.
async fn forms_by_hash(
    state: &AppState,
    id: Uuid,
) -> Result<HashMap<String, Vec<VariantForm>>, ApiError> {
    let values = state.store.searched_values(id).await?;
    Ok(values
        .iter()
        .filter_map(|v| {
            ParsedIdentifier::parse(v.kind, &v.value, state.settings.default_region).ok()
        })
        .map(|p| {
            let hash = state.hasher.hash(p.kind, &p.normalised).0;
            (hash, p.variants.iter().map(|v| v.form).collect())
        })
        .collect())
}

/// The plan: targets, identifiers and their searched forms, matches found,
/// the action per target, and proposed extra identifiers.
///
/// Every configured target is listed, found or not. `places` name files,
/// tables or indices with counts, never content. Identifiers appear as
/// keyed hashes and masked hints only.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}/plan",
    operation_id = "get_plan",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    responses((status = 200, description = "The plan", body = PlanResponse), RequestIdProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn get_plan(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
) -> Result<Json<PlanResponse>, ApiError> {
    caller.require_any()?;
    let AppPath(id) = id?;
    let record = super::request_or_404(state.store.as_ref(), id).await?;
    let steps = state.store.list_steps(id).await?;
    let req = request_state(&record);
    let view = plan_view(
        &req,
        &step_states(&steps),
        &state.settings.targets,
        &state.settings.policy,
    );
    let forms = forms_by_hash(&state, id).await?;
    let (proposed, searched): (Vec<_>, Vec<_>) = record
        .identifiers
        .iter()
        .map(|i| PlanIdentifier {
            kind: i.kind,
            hash: i.hash.clone(),
            hint: i.hint.clone(),
            origin: i.origin,
            source: i.source.clone(),
            destroyed: i.destroyed_at.is_some(),
            forms: match (i.origin, i.destroyed_at) {
                (IdentifierOrigin::Proposed, _) | (_, Some(_)) => Vec::new(),
                _ => forms.get(&i.hash).cloned().unwrap_or_default(),
            },
        })
        .partition(|i| i.origin == IdentifierOrigin::Proposed);
    Ok(Json(PlanResponse {
        request_id: record.id,
        kind: view.kind,
        status: record.status,
        generation: req.generation,
        erase_weak_matches: view.erase_weak_matches,
        targets: view.targets,
        identifiers: searched,
        proposed,
        accepting_proposals: record.status == RequestStatus::AwaitingApproval,
    }))
}
