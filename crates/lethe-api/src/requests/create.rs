//! `POST /v1/requests`: parse the subject at the edge, then store the
//! request, its identifiers and its audit event in one transaction.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use lethe_domain::request::default_due_at;
use lethe_domain::{FieldError, RequestKind, Subject, SubjectInput};
use lethe_store::{AuditEntry, CreateOutcome, IdempotencyClaim, NewIdentifier, NewRequest};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::extract::AppJson;
use crate::problem::ApiError;
use crate::requests::view::RequestView;
use crate::responses::{AuthProblems, BodyProblems, ServerProblems};
use crate::AppState;

/// Longest accepted `external_id`.
const MAX_EXTERNAL_ID: usize = 200;
/// Longest accepted `note`.
const MAX_NOTE: usize = 4000;
/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// A new data-subject request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub kind: RequestKind,
    /// The data subject, named by one or more identifiers (at most 20 per list).
    pub subject: SubjectInput,
    /// The ticket key of the system that raised it (1–200 characters, not
    /// blank; leave it out when there is none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub external_id: Option<String>,
    /// Defaults to one month after receipt (Art. 12(3)); may be earlier (a
    /// request received earlier by letter), never later: use `extend`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// Free text for officers (1–4000 characters, not blank). Stored with
    /// the request; the audit log holds only its keyed hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = "[^\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub note: Option<String>,
    /// Where lethe posts a signed callback (Standard Webhooks) on every
    /// status change. https only and never a private, loopback or
    /// link-local address, unless the server's `[callbacks]` configuration
    /// allows it; the host is resolved now and again at every delivery.
    /// Needs `[callbacks] secret_env` on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// Create a request.
///
/// Honours `Idempotency-Key` (scoped to the caller, kept 24 hours): a retry
/// with the same key and body returns the first response and creates
/// nothing (header `Idempotent-Replayed: true`); the same key with another
/// body is refused with 422.
#[utoipa::path(
    post,
    path = "/v1/requests",
    operation_id = "create_request",
    tag = "requests",
    request_body = CreateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1–255 visible ASCII characters", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    responses(
        (status = 201, description = "Created (or replayed)", body = RequestView),
        BodyProblems, AuthProblems, ServerProblems,
    ),
    security(("bearer" = []))
)]
pub async fn create_request(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<AppJson<CreateRequest>, ApiError>,
) -> Result<Response, ApiError> {
    caller.require(Role::Requester)?;
    let idempotency_key = idempotency_key(&headers)?;
    let AppJson(body) = body?;
    let callback_url = match body.callback_url.as_deref() {
        Some(url) => Some(per_request_callback(&state, url).await?),
        None => None,
    };
    let origin = Origin {
        actor: &caller.sub,
        source: None,
        callback_url,
        pointer: &|p: &str| p.to_owned(),
    };
    let (new, audit) = prepare(&state, &body, origin)?;
    let claim = idempotency_key.map(|key| IdempotencyClaim {
        actor: caller.sub.clone(),
        key,
        fingerprint: fingerprint(&body),
    });
    let respond = |record: &lethe_store::RequestRecord| {
        serde_json::to_value(RequestView::from(record)).unwrap_or(serde_json::Value::Null)
    };
    match state
        .store
        .create_request(new, claim, audit, &respond)
        .await?
    {
        CreateOutcome::Created { record, response } => {
            tracing::info!(request.id = %record.id, request.kind = record.kind.as_str(), "request created");
            Ok(created(record.id, response, false))
        }
        CreateOutcome::Replayed {
            request_id,
            response,
        } => {
            tracing::info!(request.id = %request_id, "idempotent replay");
            Ok(created(request_id, response, true))
        }
        CreateOutcome::KeyReused => Err(ApiError::IdempotencyKeyReused),
    }
}

/// Who and what a request comes from, beyond its body.
pub(crate) struct Origin<'a> {
    /// The creator: the token's `sub`, or a webhook source's `created_by`.
    pub actor: &'a str,
    /// The webhook source, if any (recorded on the request and in audit).
    pub source: Option<&'a str>,
    /// The validated callback URL, if any.
    pub callback_url: Option<String>,
    /// Maps a request-body pointer (`/subject/emails/0`, `/note`) to the
    /// pointer a 422 names: the same for REST, the payload's for webhooks.
    pub pointer: &'a dyn Fn(&str) -> String,
}

/// Validates a request body and builds what the store writes: the one
/// creation path of `POST /v1/requests` and the inbound webhooks.
pub(crate) fn prepare(
    state: &AppState,
    body: &CreateRequest,
    origin: Origin<'_>,
) -> Result<(NewRequest, AuditEntry), ApiError> {
    let pointer = origin.pointer;
    let subject =
        Subject::parse(&body.subject, state.settings.default_region).map_err(|errors| {
            ApiError::InvalidIdentifier(
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        pointer: pointer(&format!("/subject{}", e.pointer)),
                        detail: e.detail,
                    })
                    .collect(),
            )
        })?;
    validate_text(
        &pointer("/external_id"),
        body.external_id.as_deref(),
        MAX_EXTERNAL_ID,
    )?;
    validate_text(&pointer("/note"), body.note.as_deref(), MAX_NOTE)?;

    // Microseconds: what both stores keep, so audit and row agree exactly.
    let received_at = Utc::now().trunc_subsecs(6);
    let default_due = default_due_at(received_at);
    let due_at = match body.due_at {
        Some(due) if due > default_due => {
            return Err(ApiError::validation(
                "/due_at",
                "may not be later than one month after receipt; use POST /v1/requests/{id}/extend with a reason",
            ))
        }
        Some(due) => due,
        None => default_due,
    };

    let identifiers: Vec<NewIdentifier> = subject
        .identifiers()
        .into_iter()
        .map(|p| NewIdentifier {
            kind: p.kind,
            hash: state.hasher.hash(p.kind, &p.normalised).0,
            hint: p.hint,
            value: p.normalised,
        })
        .collect();
    let mut data = serde_json::json!({
        "kind": body.kind,
        "external_id": body.external_id,
        "due_at": due_at,
        "identifiers": identifiers.iter().map(|i| serde_json::json!({"kind": i.kind, "hash": i.hash})).collect::<Vec<_>>(),
        "note_hash": body.note.as_deref().map(|n| state.hasher.hash_text("note", n).0),
    });
    if let Some(source) = origin.source {
        data["source"] = source.into();
    }
    if origin.callback_url.is_some() {
        data["callbacks"] = true.into();
    }
    let audit = AuditEntry {
        actor: origin.actor.to_owned(),
        kind: "request.create".into(),
        data,
    };
    let new = NewRequest {
        id: uuid::Uuid::now_v7(),
        kind: body.kind,
        external_id: body.external_id.clone(),
        received_at,
        due_at,
        note: body.note.clone(),
        created_by: origin.actor.to_owned(),
        identifiers,
        source: origin.source.map(str::to_owned),
        callback_url: origin.callback_url,
    };
    Ok((new, audit))
}

/// A per-request callback URL, checked against `[callbacks]`: refused
/// with 422 at `/callback_url` when callbacks are off, the scheme is not
/// allowed, or the host is (or resolves to) a non-public address.
async fn per_request_callback(state: &AppState, url: &str) -> Result<String, ApiError> {
    let cfg = &state.settings.callbacks;
    if !cfg.enabled {
        return Err(ApiError::validation(
            "/callback_url",
            "per-request callbacks are not enabled on this server (set [callbacks] secret_env)",
        ));
    }
    crate::callbacks::check_callback_url(url, cfg.policy)
        .await
        .map_err(|e| ApiError::validation("/callback_url", e.to_string()))
}

pub(crate) fn created(id: uuid::Uuid, body: serde_json::Value, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/requests/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::InvalidIdempotencyKey("Idempotency-Key must be visible ASCII"))?;
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ApiError::InvalidIdempotencyKey(
            "Idempotency-Key must be 1–255 visible ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

fn validate_text(pointer: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(ApiError::validation(
            pointer,
            "must not be blank; leave it out instead",
        )),
        Some(v) if v.chars().count() > max => Err(ApiError::validation(
            pointer,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

/// SHA-256 of the body as parsed (field order and whitespace do not matter).
fn fingerprint(body: &CreateRequest) -> String {
    let canonical = serde_json::to_value(body)
        .and_then(|v| serde_json::to_vec(&v))
        .unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
}
