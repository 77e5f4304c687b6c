//! Extractor wrappers whose rejections are problem+json like every other
//! error, and whose messages never echo the caller's values (a body holds
//! identifiers; serde's messages quote what they could not parse).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// The largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// `Json` whose rejection is a problem.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::JsonSyntaxError(err) => ApiError::MalformedJson(format!(
            "the body is not valid JSON: {}",
            sanitise(&err.body_text())
        )),
        JsonRejection::JsonDataError(err) => ApiError::InvalidBody(format!(
            "the body does not match the schema: {}",
            sanitise(&err.body_text())
        )),
        JsonRejection::BytesRejection(err)
            if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::PayloadTooLarge(BODY_LIMIT)
        }
        other => {
            ApiError::MalformedJson(format!("the body could not be read ({})", other.status()))
        }
    }
}

/// Keeps serde's structure (field names, expected types, line and column)
/// and drops any value it quotes, so a mistyped phone number is not echoed.
pub fn sanitise(message: &str) -> String {
    // axum prefixes "Failed to deserialize the JSON body into the target type: ".
    let message = message
        .rsplit_once("target type: ")
        .map_or(message, |(_, m)| m);
    let keep_whole = [
        "missing field",
        "unknown field",
        "duplicate field",
        "EOF",
        "expected value",
        "trailing",
    ];
    if keep_whole.iter().any(|k| message.contains(k)) {
        return message.to_owned();
    }
    let location = message
        .rfind(" at line ")
        .map(|i| &message[i..])
        .unwrap_or("");
    let path = message
        .split_once(": ")
        .map(|(p, _)| p)
        .filter(|p| !p.contains(' '));
    let expected = message
        .split_once(", expected ")
        .map(|(_, e)| e.split(" at line ").next().unwrap_or(e))
        .unwrap_or("another value");
    match path {
        Some(path) => format!("{path}: wrong value, expected {expected}{location}"),
        None => format!("wrong value, expected {expected}{location}"),
    }
}

/// `Query` whose rejection is a problem.
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(err)) => Err(
                ApiError::InvalidQuery(format!("query: {}", sanitise(&err.body_text()))),
            ),
            Err(other) => Err(ApiError::InvalidQuery(other.body_text())),
        }
    }
}

/// `Path` whose rejection is a problem.
pub struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::InvalidPath(
                "a path parameter is not valid: request ids are UUIDs".into(),
            )),
            Err(other) => Err(ApiError::InvalidPath(other.body_text())),
        }
    }
}

/// A JSON body that may be left out entirely (empty body); when present it
/// must be valid JSON with the right content type.
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let has_body = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .map_or(
                req.headers().contains_key(axum::http::header::CONTENT_TYPE),
                |len| len != "0",
            );
        if !has_body {
            return Ok(Self(None));
        }
        AppJson::<T>::from_request(req, state)
            .await
            .map(|AppJson(v)| Self(Some(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::sanitise;

    #[test]
    fn sanitise_drops_values() {
        let msg = "subject.phones[0]: invalid type: integer `447700900123`, expected a string at line 1 column 40";
        let out = sanitise(msg);
        assert!(!out.contains("447700900123"), "{out}");
        assert!(out.contains("expected a string"), "{out}");
        assert!(out.contains("line 1 column 40"), "{out}");
        let msg = "kind: unknown variant `alice@example.com`, expected `access` or `erasure` at line 1 column 9";
        assert!(!sanitise(msg).contains("alice"));
        assert_eq!(
            sanitise("missing field `kind` at line 1 column 2"),
            "missing field `kind` at line 1 column 2"
        );
    }
}
