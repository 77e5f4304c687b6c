//! `GET /v1/requests/{id}/report`: the erasure report (SPEC §8, Art. 17),
//! per target what was found, erased, anonymised, redacted or retained and
//! why, with counts. Built on demand, so it is honest at every status: a
//! target still pending or failed is reported as such, never as erased.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use lethe_domain::RequestKind;
use lethe_evidence::ErasureReport;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::evidence::request_evidence;
use crate::extract::{AppPath, AppQuery};
use crate::problem::ApiError;
use crate::responses::{AuthProblems, ReportProblems, ServerProblems};
use crate::AppState;

/// The report's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// `application/json`: an `ErasureReport`.
    Json,
    /// `text/html`: a self-contained page (no scripts, no external resources)
    /// to print or attach to the answer to the subject.
    Html,
}

/// How to render the report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default) or `html`.
    #[param(inline, value_type = Option<ReportFormat>)]
    pub format: Option<String>,
}

impl ReportQuery {
    /// The format asked for. Parsed here rather than by serde, so that the
    /// problem names the parameter.
    fn format(&self) -> Result<ReportFormat, ApiError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(ReportFormat::Json),
            Some("html") => Ok(ReportFormat::Html),
            Some(_) => Err(ApiError::InvalidQuery(
                "format must be `json` or `html`".into(),
            )),
        }
    }
}

/// The erasure report of an erasure request, as JSON or HTML.
///
/// Available at every status: targets whose steps have not finished are
/// `pending`, failed ones `failed` with their error. Counts come from
/// verification: for a target whose verification passed,
/// `found + weak == erased + remaining + retained`.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}/report",
    operation_id = "get_report",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id"), ReportQuery),
    responses(
        (status = 200, description = "The erasure report", content(
            (ErasureReport = "application/json"),
            (String = "text/html")
        )),
        ReportProblems, AuthProblems, ServerProblems
    ),
    security(("bearer" = []))
)]
pub async fn get_report(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
    query: Result<AppQuery<ReportQuery>, ApiError>,
) -> Result<Response, ApiError> {
    caller.require_any()?;
    let AppPath(id) = id?;
    let AppQuery(query) = query?;
    let format = query.format()?;
    let record = super::request_or_404(state.store.as_ref(), id).await?;
    if record.kind != RequestKind::Erasure {
        return Err(ApiError::WrongKind(format!(
            "an access request has no erasure report; download its access package at /v1/requests/{id}/package"
        )));
    }
    let steps = state.store.list_steps(id).await?;
    // An erasure request exports nothing: no records to read.
    let evidence = request_evidence(
        &record,
        &steps,
        Vec::new(),
        &state.settings.targets,
        &state.settings.policy,
    );
    let report = lethe_evidence::erasure_report(&evidence, Utc::now());
    tracing::info!(request.id = %id, format = ?format, "erasure report generated");
    Ok(match format {
        ReportFormat::Json => Json(report).into_response(),
        ReportFormat::Html => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                // The page is self-contained: nothing may load or run.
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            lethe_evidence::render_report_html(&report),
        )
            .into_response(),
    })
}
