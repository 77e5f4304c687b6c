//! `GET /v1/audit`: the hash-chained audit log, for admins.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lethe_store::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::extract::AppQuery;
use crate::problem::ApiError;
use crate::responses::{AuthProblems, QueryProblems, ServerProblems};
use crate::AppState;

/// Filters and paging for audit events.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events about this request.
    pub request_id: Option<Uuid>,
    /// `next_after_seq` of the previous page.
    pub after_seq: Option<i64>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One audit event. `data` never holds a subject's identifiers in clear:
/// only keyed hashes.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The `sub` of the caller, or `lethe` for the service itself.
    pub actor: String,
    pub request_id: Option<Uuid>,
    /// What happened, e.g. `request.create`, `request.approve`.
    pub kind: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// `hash` of the previous event (64 zeros for the first).
    pub prev_hash: String,
    /// HMAC-SHA256 over this event's fields and `prev_hash`.
    pub hash: String,
}

/// A page of audit events.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventView>,
    /// Pass as `after_seq` for the next page; absent on the last page.
    pub next_after_seq: Option<i64>,
}

/// List audit events in chain order.
#[utoipa::path(
    get,
    path = "/v1/audit",
    operation_id = "list_audit_events",
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "A page of audit events", body = AuditPage), QueryProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn list_audit_events(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<AppQuery<AuditQuery>, ApiError>,
) -> Result<Json<AuditPage>, ApiError> {
    caller.require(Role::Admin)?;
    let AppQuery(q) = query?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::InvalidQuery(
            "limit must be between 1 and 1000".into(),
        ));
    }
    let events = state
        .store
        .list_audit(&AuditFilter {
            request_id: q.request_id,
            after_seq: q.after_seq,
            limit,
        })
        .await?;
    let next_after_seq = (events.len() == limit as usize)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    let items = events
        .into_iter()
        .map(|e| AuditEventView {
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            request_id: e.request_id,
            kind: e.kind,
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
        .collect();
    Ok(Json(AuditPage {
        items,
        next_after_seq,
    }))
}
