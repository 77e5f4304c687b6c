//! `GET /v1/requests/{id}/package`: the access package (SPEC §8, Art. 15),
//! a zip built on demand from the exports the workers stored. It can be
//! downloaded for a configured time after the request completed; after
//! that the exported records are deleted and the route answers 410.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use lethe_domain::{RequestKind, RequestStatus};
use lethe_store::RequestRecord;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::evidence::request_evidence;
use crate::extract::AppPath;
use crate::problem::ApiError;
use crate::responses::{AuthProblems, PackageProblems, RequestIdProblems, ServerProblems};
use crate::AppState;

/// A zip archive.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "documents the response body; the handler sends bytes"
)]
#[schema(value_type = String, format = Binary)]
pub struct ZipArchive(Vec<u8>);

/// When the package of a completed request stops being downloadable.
fn expires_at(record: &RequestRecord, ttl: std::time::Duration) -> DateTime<Utc> {
    let ttl = TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX);
    record
        .updated_at
        .checked_add_signed(ttl)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Download the access package of a completed access request.
///
/// A zip holding `manifest.json` (sources, purposes, recipients and
/// retention per Art. 15(1)), `index.html` (the same for a person to read)
/// and `data/<connector>-<target>.json` per source where something was found.
///
/// The package holds the subject's personal data. It can be downloaded for
/// the configured package lifetime (`evidence.package_ttl_hours`) after the
/// request completed (its `updated_at`); after that the exported data is
/// deleted and the answer is 410: submit a new access request.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}/package",
    operation_id = "get_package",
    tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    responses(
        (status = 200, description = "The access package", content_type = "application/zip", body = inline(ZipArchive),
            headers(("content-disposition" = String, description = "`attachment; filename=\"lethe-access-<id>.zip\"`"))),
        PackageProblems, RequestIdProblems, AuthProblems, ServerProblems
    ),
    security(("bearer" = []))
)]
pub async fn get_package(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<AppPath<Uuid>, ApiError>,
) -> Result<Response, ApiError> {
    caller.require_any()?;
    let AppPath(id) = id?;
    let record = super::request_or_404(state.store.as_ref(), id).await?;
    if record.kind != RequestKind::Access {
        return Err(ApiError::WrongKind(format!(
            "an erasure request has no access package; get its erasure report at /v1/requests/{id}/report"
        )));
    }
    if !matches!(
        record.status,
        RequestStatus::Completed | RequestStatus::CompletedWithExceptions
    ) {
        return Err(ApiError::NotReady(format!(
            "the access package is not ready: the request is {}; it can be downloaded once the request is completed",
            record.status
        )));
    }
    let now = Utc::now();
    let expires = expires_at(&record, state.settings.package_ttl);
    if expires <= now {
        let purged = state.store.purge_outputs(id).await?;
        tracing::info!(request.id = %id, outputs = purged, "access package expired; exported data deleted");
        return Err(ApiError::PackageExpired(format!(
            "the access package expired on {} and its data was deleted; submit a new access request",
            expires.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    let steps = state.store.list_steps(id).await?;
    let outputs = state.store.step_outputs(id).await?;
    let evidence = request_evidence(
        &record,
        &steps,
        outputs,
        &state.settings.targets,
        &state.settings.policy,
    );
    let zip = lethe_evidence::access_package(&evidence, now);
    tracing::info!(request.id = %id, bytes = zip.len(), by = %caller.sub, "access package downloaded");
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"lethe-access-{id}.zip\""))
            .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            // Personal data: no shared or browser cache keeps a copy.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        zip,
    )
        .into_response())
}
