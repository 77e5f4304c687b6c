//! Every error the API returns is RFC 9457 problem+json with a stable `type`
//! from one table ([`ApiError::code`]), so clients can branch on `type`
//! without parsing prose. A 5xx body is opaque: the cause is logged once,
//! here, and never sent to the caller.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lethe_domain::{FieldError, IllegalTransition};
use serde::Serialize;
use utoipa::ToSchema;

/// The prefix of every problem `type`. A URN, so it never points at a host
/// lethe does not control.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:lethe:problem:";

/// An RFC 9457 problem details body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:lethe:problem:invalid-identifier",
    "title": "An identifier is not valid",
    "status": 422,
    "detail": "1 identifier could not be parsed; see errors",
    "errors": [{"pointer": "/subject/phones/0", "detail": "not a valid phone number: too few digits"}]
}))]
pub struct Problem {
    /// Stable identifier of the problem kind: `urn:lethe:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem kind; the same for every occurrence.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence and what to fix. Never holds a
    /// subject's identifiers.
    pub detail: String,
    /// Per-field problems, each with a JSON Pointer into the request body.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One field that needs fixing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON Pointer (RFC 6901) into the request body, e.g. `/subject/phones/1`.
    pub pointer: String,
    /// What is wrong with it.
    pub detail: String,
}

/// Everything that can go wrong in a handler.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    InvalidBody(String),
    #[error("send the body as JSON with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("the body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("no route matches this path; see /openapi.json")]
    RouteNotFound,
    #[error("this path does not accept this method; see /openapi.json")]
    MethodNotAllowed,
    #[error("{} identifier(s) could not be parsed; see errors", .0.len())]
    InvalidIdentifier(Vec<FieldError>),
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    InvalidQuery(String),
    #[error("{0}")]
    InvalidPath(String),
    #[error("no request with this id")]
    RequestNotFound,
    #[error("this request has no step with this key; see GET /v1/requests/{{id}}/steps")]
    StepNotFound,
    #[error("{0}")]
    IllegalTransition(#[from] IllegalTransition),
    #[error("{0}")]
    Conflict(String),
    /// The request's status does not allow this; the text says which
    /// status it is in and what would be legal.
    #[error("{0}")]
    WrongStatus(String),
    /// A package asked of an erasure request, or a report of an access one.
    #[error("{0}")]
    WrongKind(String),
    /// The access package is not ready yet (the request has not completed).
    #[error("{0}")]
    NotReady(String),
    /// The access package expired and its data was deleted.
    #[error("{0}")]
    PackageExpired(String),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "four-eyes: the creator of a request cannot approve or reject it; ask another approver"
    )]
    FourEyes,
    #[error("this Idempotency-Key was already used with a different body; use a new key for a new request")]
    IdempotencyKeyReused,
    #[error("{0}")]
    InvalidIdempotencyKey(&'static str),
    #[error("no webhook source of this name is configured ([[webhooks]] source)")]
    WebhookSourceNotFound,
    /// The delivery is not signed, or not with any of the source's secrets.
    #[error("{0}")]
    InvalidSignature(String),
    /// Signed, but the signed timestamp is outside the tolerance window.
    #[error("{0}")]
    StaleWebhook(String),
    /// Signed, but the payload has no kind, no identifier, or a field of
    /// the wrong shape; each is named by its JSON Pointer in the payload.
    #[error("the payload cannot be mapped to a request; see errors (fix the ticket or the source's mapping)")]
    UnmappablePayload(Vec<FieldError>),
    #[error("the store is not reachable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// One row of the problem table.
#[derive(Debug, Clone, Copy)]
pub struct ProblemKind {
    /// The `type` suffix.
    pub code: &'static str,
    pub status: StatusCode,
    pub title: &'static str,
}

macro_rules! problem_table {
    ($($name:ident => ($code:literal, $status:ident, $title:literal)),* $(,)?) => {
        /// The table of problem kinds: code, status and title. Stable: codes are never reused.
        pub mod kinds {
            use super::ProblemKind;
            use axum::http::StatusCode;
            $(
                #[doc = $title]
                pub const $name: ProblemKind = ProblemKind { code: $code, status: StatusCode::$status, title: $title };
            )*
            /// Every kind, for documentation and tests.
            pub const ALL: &[ProblemKind] = &[$($name),*];
        }
    };
}

problem_table! {
    MALFORMED_JSON => ("malformed-json", BAD_REQUEST, "The body is not valid JSON"),
    INVALID_BODY => ("invalid-body", UNPROCESSABLE_ENTITY, "The body does not match the schema"),
    UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", UNSUPPORTED_MEDIA_TYPE, "Wrong content type"),
    PAYLOAD_TOO_LARGE => ("payload-too-large", PAYLOAD_TOO_LARGE, "The body is too large"),
    ROUTE_NOT_FOUND => ("route-not-found", NOT_FOUND, "Unknown route"),
    METHOD_NOT_ALLOWED => ("method-not-allowed", METHOD_NOT_ALLOWED, "Wrong method"),
    INVALID_IDENTIFIER => ("invalid-identifier", UNPROCESSABLE_ENTITY, "An identifier is not valid"),
    VALIDATION_FAILED => ("validation-failed", UNPROCESSABLE_ENTITY, "A field is not valid"),
    INVALID_QUERY => ("invalid-query", BAD_REQUEST, "A query parameter is not valid"),
    INVALID_PATH => ("invalid-path", BAD_REQUEST, "A path parameter is not valid"),
    REQUEST_NOT_FOUND => ("request-not-found", NOT_FOUND, "Unknown request"),
    STEP_NOT_FOUND => ("step-not-found", NOT_FOUND, "Unknown step"),
    ILLEGAL_TRANSITION => ("illegal-transition", CONFLICT, "The request's status does not allow this"),
    CONFLICT => ("conflict", CONFLICT, "The request's state does not allow this"),
    WRONG_KIND => ("wrong-request-kind", CONFLICT, "This request's kind has no such result"),
    NOT_READY => ("not-ready", CONFLICT, "The result is not ready yet"),
    PACKAGE_EXPIRED => ("package-expired", GONE, "The access package expired"),
    UNAUTHENTICATED => ("unauthenticated", UNAUTHORIZED, "Missing or invalid bearer token"),
    FORBIDDEN => ("forbidden", FORBIDDEN, "The token lacks the role this operation needs"),
    FOUR_EYES => ("four-eyes", FORBIDDEN, "Four-eyes principle"),
    IDEMPOTENCY_KEY_REUSED => ("idempotency-key-reused", UNPROCESSABLE_ENTITY, "Idempotency-Key reused with another body"),
    INVALID_IDEMPOTENCY_KEY => ("invalid-idempotency-key", BAD_REQUEST, "The Idempotency-Key header is not valid"),
    WEBHOOK_SOURCE_NOT_FOUND => ("webhook-source-not-found", NOT_FOUND, "Unknown webhook source"),
    INVALID_SIGNATURE => ("invalid-signature", UNAUTHORIZED, "The webhook signature is missing or not valid"),
    STALE_TIMESTAMP => ("stale-timestamp", UNAUTHORIZED, "The webhook timestamp is outside the tolerance window"),
    UNMAPPABLE_PAYLOAD => ("unmappable-payload", UNPROCESSABLE_ENTITY, "The webhook payload cannot be mapped to a request"),
    UNAVAILABLE => ("unavailable", SERVICE_UNAVAILABLE, "Service unavailable"),
    INTERNAL => ("internal", INTERNAL_SERVER_ERROR, "Internal error"),
}

impl ApiError {
    /// The row of the problem table this error maps to.
    pub fn kind(&self) -> ProblemKind {
        use kinds as k;
        match self {
            Self::MalformedJson(_) => k::MALFORMED_JSON,
            Self::InvalidBody(_) => k::INVALID_BODY,
            Self::UnsupportedMediaType => k::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => k::PAYLOAD_TOO_LARGE,
            Self::RouteNotFound => k::ROUTE_NOT_FOUND,
            Self::MethodNotAllowed => k::METHOD_NOT_ALLOWED,
            Self::InvalidIdentifier(_) => k::INVALID_IDENTIFIER,
            Self::Validation { .. } => k::VALIDATION_FAILED,
            Self::InvalidQuery(_) => k::INVALID_QUERY,
            Self::InvalidPath(_) => k::INVALID_PATH,
            Self::RequestNotFound => k::REQUEST_NOT_FOUND,
            Self::StepNotFound => k::STEP_NOT_FOUND,
            Self::IllegalTransition(_) => k::ILLEGAL_TRANSITION,
            Self::Conflict(_) => k::CONFLICT,
            Self::WrongStatus(_) => k::ILLEGAL_TRANSITION,
            Self::WrongKind(_) => k::WRONG_KIND,
            Self::NotReady(_) => k::NOT_READY,
            Self::PackageExpired(_) => k::PACKAGE_EXPIRED,
            Self::Unauthenticated(_) => k::UNAUTHENTICATED,
            Self::Forbidden(_) => k::FORBIDDEN,
            Self::FourEyes => k::FOUR_EYES,
            Self::IdempotencyKeyReused => k::IDEMPOTENCY_KEY_REUSED,
            Self::InvalidIdempotencyKey(_) => k::INVALID_IDEMPOTENCY_KEY,
            Self::WebhookSourceNotFound => k::WEBHOOK_SOURCE_NOT_FOUND,
            Self::InvalidSignature(_) => k::INVALID_SIGNATURE,
            Self::StaleWebhook(_) => k::STALE_TIMESTAMP,
            Self::UnmappablePayload(_) => k::UNMAPPABLE_PAYLOAD,
            Self::Unavailable => k::UNAVAILABLE,
            Self::Internal(_) => k::INTERNAL,
        }
    }

    /// A 422 for one field that is not an identifier.
    pub fn validation(pointer: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self::Validation {
            detail: format!("{pointer}: {detail}"),
            errors: vec![FieldError {
                pointer: pointer.to_owned(),
                detail,
            }],
        }
    }

    /// The problem body for this error.
    pub fn problem(&self) -> Problem {
        let kind = self.kind();
        let errors = match self {
            Self::InvalidIdentifier(errors)
            | Self::Validation { errors, .. }
            | Self::UnmappablePayload(errors) => errors
                .iter()
                .map(|e| ProblemField {
                    pointer: e.pointer.clone(),
                    detail: e.detail.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            type_: format!("{PROBLEM_TYPE_PREFIX}{}", kind.code),
            title: kind.title.to_owned(),
            status: kind.status.as_u16(),
            detail: self.to_string(),
            errors,
        }
    }
}

impl From<lethe_store::StoreError> for ApiError {
    fn from(err: lethe_store::StoreError) -> Self {
        use lethe_store::StoreError as S;
        match err {
            S::NotFound => Self::RequestNotFound,
            S::StepNotFound => Self::StepNotFound,
            S::StepConflict(msg) => Self::Conflict(msg),
            S::Illegal(t) => Self::IllegalTransition(t),
            S::FourEyes => Self::FourEyes,
            S::InvalidExtension(msg) => Self::validation("/due_at", msg),
            S::Closed(status) => {
                Self::Conflict(format!("a request that is {status} cannot be changed"))
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status = self.kind().status;
        // A signature problem is not a bearer-token one.
        let bearer = matches!(self, Self::Unauthenticated(_));
        if status.is_server_error() {
            // Logged once, here; the body stays opaque. Store errors carry no
            // bound values, so the cause holds no identifiers.
            tracing::error!(error = %format!("{:#}", anyhow_cause(&self)), "request failed");
        }
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if bearer {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn anyhow_cause(err: &ApiError) -> String {
    match err {
        ApiError::Internal(cause) => format!("{cause:#}"),
        other => other.to_string(),
    }
}
