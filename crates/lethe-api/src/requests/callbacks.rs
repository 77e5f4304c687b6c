//! `GET /v1/requests/{id}/callbacks`: the status callbacks of a request
//! and every try at delivering them, so an officer can see whether the
//! ticketing system heard about a change, and why not.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use lethe_store::{CallbackRecord, CallbackState};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::extract::AppPath;
use crate::problem::ApiError;
use crate::responses::{AuthProblems, RequestIdProblems, ServerProblems};
use crate::AppState;

/// The callback events of one request, in the order they are delivered.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackList {
    pub items: Vec<CallbackView>,
}

/// One status change announced to a callback URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackView {
    /// The event id: the receiver sees it as `webhook-id` on every try,
    /// so it can drop duplicates.
    pub event_id: Uuid,
    /// Position among the request's events; event n+1 is not sent before
    /// event n was delivered or given up.
    pub seq: i32,
    /// The request status the event announces.
    pub status: String,
    pub state: CallbackState,
    /// Scheme, host and path of the receiver (the query is left out: it
    /// may hold a token).
    pub url: String,
    /// Tries made so far.
    pub attempts: i32,
    /// When a pending event is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up.
    pub finished_at: Option<DateTime<Utc>>,
    /// The class of the last failure (`status 500`, `timeout`, `connect`).
    pub last_error: Option<String>,
    /// Every try, oldest first.
    pub tries: Vec<CallbackTryView>,
}

/// One try: what came back, never a body.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackTryView {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// Why the try failed, as a class.
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl From<&CallbackRecord> for CallbackView {
    fn from(r: &CallbackRecord) -> Self {
        let url = match url::Url::parse(&r.url) {
            Ok(mut u) => {
                u.set_query(None);
                u.set_fragment(None);
                u.to_string()
            }
            Err(_) => String::new(),
        };
        Self {
            event_id: r.id,
            seq: r.seq,
            status: r.payload["status"].as_str().unwrap_or_default().to_owned(),
            state: r.state,
            url,
            attempts: r.attempts,
            next_attempt_at: (r.state == CallbackState::Pending).then_some(r.next_attempt_at),
            created_at: r.created_at,
            finished_at: r.finished_at,
            last_error: r.last_error.clone(),
            tries: r
                .tries
                .iter()
                .map(|t| CallbackTryView {
                    attempt: t.attempt,
                    at: t.at,
                    status_code: t.status_code,
                    error: t.error.clone(),
                    duration_ms: t.duration_ms,
                })
                .collect(),
        }
    }
}

/// List a request's status callbacks with their delivery tries.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}/callbacks",
    operation_id = "list_callbacks",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    responses((status = 200, description = "The callback events, in delivery order", body = CallbackList), RequestIdProblems, AuthProblems, ServerProblems),
    security(("bearer" = []))
)]
pub async fn list_callbacks(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
) -> Result<Json<CallbackList>, ApiError> {
    caller.require_any()?;
    let AppPath(id) = id?;
    super::request_or_404(state.store.as_ref(), id).await?;
    let events = state.store.list_callbacks(id).await?;
    Ok(Json(CallbackList {
        items: events.iter().map(CallbackView::from).collect(),
    }))
}
