//! Reusable OpenAPI response sets, so every operation documents the problems
//! it can answer with, in one place.

use utoipa::IntoResponses;

use crate::problem::Problem;

/// 401 and 403 for every authenticated operation.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AuthProblems {
    /// Missing, malformed, expired or wrongly signed bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The token lacks the role this operation needs, or four-eyes refused it.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
}

/// Problems a JSON request body can cause.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BodyProblems {
    /// The body is not valid JSON.
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// The body is over the size limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The content type is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    MediaType(Problem),
    /// A field is missing or not valid; `errors` names each one.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// An unknown or malformed request id.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum RequestIdProblems {
    /// The path parameter is not a UUID.
    #[response(status = 400, content_type = "application/problem+json")]
    InvalidPath(Problem),
    /// No request has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// An unknown or malformed request id or step key, or a step whose status
/// does not allow the operation.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum StepProblems {
    /// The request id is not a UUID.
    #[response(status = 400, content_type = "application/problem+json")]
    InvalidPath(Problem),
    /// No request has this id (`request-not-found`), or the request has no
    /// step with this key (`step-not-found`).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The step is not a manual step awaiting a person (already confirmed
    /// or declined, not yet reached, or not manual), or the request is
    /// closed; `detail` names the current status.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
}

/// The request's status does not allow the operation.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum TransitionProblems {
    /// Illegal transition for the current status.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
}

/// Query parameter problems.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum QueryProblems {
    /// A query parameter is not valid.
    #[response(status = 400, content_type = "application/problem+json")]
    InvalidQuery(Problem),
}

/// Server-side failure; the body holds no internals.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ServerProblems {
    /// Something failed inside lethe; retry later.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
}

/// Why an erasure report cannot be produced.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ReportProblems {
    /// The path parameter is not a UUID, or `format` is neither `json` nor `html`.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No request has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The request is an access request (`type` `wrong-request-kind`):
    /// download its access package instead.
    #[response(status = 409, content_type = "application/problem+json")]
    WrongKind(Problem),
}

/// Why an access package cannot be downloaded.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum PackageProblems {
    /// The request is an erasure request (`type` `wrong-request-kind`: get
    /// its report instead), or it has not completed yet (`not-ready`).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The package expired and its exported data was deleted; submit a new
    /// access request.
    #[response(status = 410, content_type = "application/problem+json")]
    Expired(Problem),
}
