//! `GET /v1/requests` and `GET /v1/requests/{id}`.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lethe_domain::{RequestKind, RequestStatus};
use lethe_store::RequestFilter;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Caller;
use crate::extract::{AppPath, AppQuery};
use crate::problem::ApiError;
use crate::requests::view::{RequestPage, RequestView};
use crate::responses::{AuthProblems, QueryProblems, RequestIdProblems, ServerProblems};
use crate::AppState;

/// Filters and paging for listing requests.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only requests in this status.
    pub status: Option<RequestStatus>,
    /// Only requests of this kind.
    pub kind: Option<RequestKind>,
    /// Only requests due before this instant (RFC 3339): what is late or about to be.
    pub due_before: Option<DateTime<Utc>>,
    /// Only requests raised by this ticket.
    pub external_id: Option<String>,
    /// `true`: only requests with a manual step waiting for a person.
    /// With `status=executing` and `due_before`, the reminder list of
    /// requests that wait on people close to their deadline.
    pub awaiting_manual: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// List requests, newest first.
#[utoipa::path(
    get,
    path = "/v1/requests",
    operation_id = "list_requests",
    tag = "requests",
    params(ListQuery),
    responses((status = 200, description = "A page of requests", body = RequestPage), QueryProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<AppQuery<ListQuery>, ApiError>,
) -> Result<Json<RequestPage>, ApiError> {
    caller.require_any()?;
    let AppQuery(q) = query?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::InvalidQuery(
            "limit must be between 1 and 200".into(),
        ));
    }
    let filter = RequestFilter {
        status: q.status,
        kind: q.kind,
        due_before: q.due_before,
        external_id: q.external_id,
        awaiting_manual: q.awaiting_manual.unwrap_or(false),
        after: q.cursor,
        limit,
    };
    let page = state.store.list_requests(&filter).await?;
    Ok(Json(RequestPage {
        items: page.items.iter().map(RequestView::from).collect(),
        next_cursor: page.next.map(|id| id.to_string()),
    }))
}

/// One request, with counts of its steps per status.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}",
    operation_id = "get_request",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    responses((status = 200, description = "The request", body = RequestView), RequestIdProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn get_request(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
) -> Result<Json<RequestView>, ApiError> {
    caller.require_any()?;
    let AppPath(id) = id?;
    let record = super::request_or_404(state.store.as_ref(), id).await?;
    Ok(Json(RequestView::from(&record)))
}
