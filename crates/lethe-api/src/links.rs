//! OpenAPI links from a created request to the operations on it.
//!
//! They tell clients (and stateful API fuzzers such as schemathesis, which
//! otherwise only ever meet random ids and 404s) that the `id` of a
//! `create_request` or `get_request` answer is the `{id}` of the request's
//! own operations, so generated call sequences reach the real lifecycle:
//! create, read, approve, reject, cancel, extend, retry, plan, steps,
//! package, report.

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi, RefOr};

/// Operations whose `{id}` is a request id.
const ON_A_REQUEST: [&str; 12] = [
    "get_request",
    "approve_request",
    "reject_request",
    "cancel_request",
    "extend_request",
    "retry_request",
    "accept_identifiers",
    "get_plan",
    "list_steps",
    "list_callbacks",
    "get_package",
    "get_report",
];

/// Responses that carry a request (`RequestView`) as their body.
const GIVES_A_REQUEST: [(&str, &str); 2] = [("create_request", "201"), ("get_request", "200")];

/// Adds the links to the responses of [`GIVES_A_REQUEST`].
pub(crate) fn add(api: &mut OpenApi) {
    for item in api.paths.paths.values_mut() {
        for op in [&mut item.get, &mut item.post].into_iter().flatten() {
            let id = op.operation_id.as_deref().unwrap_or_default();
            let Some((_, status)) = GIVES_A_REQUEST.iter().find(|(o, _)| *o == id) else {
                continue;
            };
            let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) else {
                continue;
            };
            for target in ON_A_REQUEST.iter().filter(|t| **t != id) {
                let link = LinkBuilder::new()
                    .operation_id(*target)
                    .parameter("id", "$response.body#/id")
                    .description("The request this response describes.")
                    .build();
                response.links.insert(target.to_string(), RefOr::T(link));
            }
        }
    }
}

/// utoipa 5.5 writes a Link object's `operationId` as `operation_id`,
/// which OpenAPI tools reject. Nothing else in the document has that key
/// (operations write `operationId`), so it is renamed in the text.
pub(crate) fn camel_case(json: String) -> String {
    json.replace("\"operation_id\": ", "\"operationId\": ")
}
