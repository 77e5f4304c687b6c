//! Operational endpoints: liveness, readiness, metrics and the OpenAPI
//! document. No auth: nothing here names a person.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::ApiError;
use crate::AppState;

/// Health or readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: String,
    /// The store backend, on readiness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "get_health", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn get_health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        store: None,
    })
}

/// The process can serve: its store answers.
#[utoipa::path(get, path = "/readyz", operation_id = "get_readiness", tag = "operations",
    responses((status = 200, description = "Ready", body = Health),
              (status = 503, description = "The store is not reachable", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn get_readiness(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.ping().await.map_err(|err| {
        tracing::warn!(error = %err, "store not ready");
        ApiError::Unavailable
    })?;
    Ok(Json(Health {
        status: "ready".into(),
        store: Some(state.store.backend().into()),
    }))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", operation_id = "get_openapi", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn get_openapi(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi_json.as_ref().clone(),
    )
}

/// Prometheus metrics: requests and steps per status (gauges). Counts only,
/// never identifiers.
#[utoipa::path(get, path = "/metrics", operation_id = "get_metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String),
              (status = 503, description = "The store is not reachable", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn get_metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    use std::fmt::Write;
    let counts = state.store.status_counts().await.map_err(|err| {
        tracing::warn!(error = %err, "metrics: store not reachable");
        ApiError::Unavailable
    })?;
    let mut out = String::new();
    out.push_str(
        "# HELP lethe_requests Data-subject requests by status.\n# TYPE lethe_requests gauge\n",
    );
    for (status, n) in &counts.requests {
        let _ = writeln!(out, "lethe_requests{{status=\"{}\"}} {n}", status.as_str());
    }
    out.push_str("# HELP lethe_steps Plan steps by status.\n# TYPE lethe_steps gauge\n");
    for (status, n) in &counts.steps {
        let _ = writeln!(out, "lethe_steps{{status=\"{}\"}} {n}", status.as_str());
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
