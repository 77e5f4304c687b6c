//! Every error kind of the problem table answers problem+json with its
//! stable type (SPEC §9).

use axum::body::Body;
use axum::http::{Method, Request};
use lethe_api::Role;
use serde_json::json;

use crate::harness::{assert_problem, TestApp};

fn requester() -> String {
    TestApp::token("rita", &[Role::Requester, Role::Viewer])
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::new().await;
    let req = Request::post("/v1/requests")
        .header("authorization", format!("Bearer {}", requester()))
        .header("content-type", "application/json")
        .body(Body::from("{\"kind\": \"erasure\", "))
        .unwrap();
    assert_problem(&app.send(req).await, 400, "malformed-json");
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = TestApp::new().await;
    let req = Request::post("/v1/requests")
        .header("authorization", format!("Bearer {}", requester()))
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    assert_problem(&app.send(req).await, 415, "unsupported-media-type");
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let app = TestApp::new().await;
    let note = "x".repeat(lethe_api::extract::BODY_LIMIT + 10);
    let body = json!({"kind": "erasure", "subject": {"emails": ["a@example.com"]}, "note": note});
    let reply = app
        .call(Method::POST, "/v1/requests", Some(&requester()), Some(body))
        .await;
    assert_problem(&reply, 413, "payload-too-large");
}

#[tokio::test]
async fn unknown_route_is_404() {
    let app = TestApp::new().await;
    let reply = app.call(Method::GET, "/v1/nothing-here", None, None).await;
    assert_problem(&reply, 404, "route-not-found");
}

#[tokio::test]
async fn wrong_method_is_405() {
    let app = TestApp::new().await;
    let reply = app
        .call(Method::DELETE, "/v1/requests", Some(&requester()), None)
        .await;
    assert_problem(&reply, 405, "method-not-allowed");
}

#[tokio::test]
async fn invalid_identifier_is_422_naming_the_field() {
    let app = TestApp::new().await;
    let body = json!({"kind": "erasure", "subject": {"emails": ["ok@example.com"], "phones": ["+44 1632 960855", "12"]}});
    let reply = app
        .call(Method::POST, "/v1/requests", Some(&requester()), Some(body))
        .await;
    assert_problem(&reply, 422, "invalid-identifier");
    assert_eq!(
        reply.body["errors"][0]["pointer"], "/subject/phones/1",
        "{}",
        reply.text
    );
    // Nothing was written.
    let list = app
        .call(Method::GET, "/v1/requests", Some(&requester()), None)
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn empty_subject_is_422() {
    let app = TestApp::new().await;
    let body = json!({"kind": "access", "subject": {}});
    let reply = app
        .call(Method::POST, "/v1/requests", Some(&requester()), Some(body))
        .await;
    assert_problem(&reply, 422, "invalid-identifier");
    assert_eq!(reply.body["errors"][0]["pointer"], "/subject");
}

#[tokio::test]
async fn schema_mismatch_is_422_and_unknown_fields_are_refused() {
    let app = TestApp::new().await;
    let reply = app
        .call(
            Method::POST,
            "/v1/requests",
            Some(&requester()),
            Some(json!({"subject": {"emails": ["a@example.com"]}})),
        )
        .await;
    assert_problem(&reply, 422, "invalid-body");
    assert!(
        reply.body["detail"].as_str().unwrap().contains("kind"),
        "{}",
        reply.text
    );
    let typo = json!({"kind": "erasure", "subject": {"phone": ["+441632960855"]}});
    let reply = app
        .call(Method::POST, "/v1/requests", Some(&requester()), Some(typo))
        .await;
    assert_problem(&reply, 422, "invalid-body");
}

#[tokio::test]
async fn unknown_request_is_404_and_bad_id_is_400() {
    let app = TestApp::new().await;
    let reply = app
        .call(
            Method::GET,
            "/v1/requests/0190b2a0-0000-7000-8000-000000000000",
            Some(&requester()),
            None,
        )
        .await;
    assert_problem(&reply, 404, "request-not-found");
    let reply = app
        .call(
            Method::GET,
            "/v1/requests/not-a-uuid",
            Some(&requester()),
            None,
        )
        .await;
    assert_problem(&reply, 400, "invalid-path");
}

#[tokio::test]
async fn invalid_query_is_400() {
    let app = TestApp::new().await;
    let reply = app
        .call(
            Method::GET,
            "/v1/requests?status=sleeping",
            Some(&requester()),
            None,
        )
        .await;
    assert_problem(&reply, 400, "invalid-query");
    let reply = app
        .call(
            Method::GET,
            "/v1/requests?limit=0",
            Some(&requester()),
            None,
        )
        .await;
    assert_problem(&reply, 400, "invalid-query");
}

#[tokio::test]
async fn missing_and_bad_tokens_are_401_missing_role_is_403() {
    let app = TestApp::new().await;
    let reply = app.call(Method::GET, "/v1/requests", None, None).await;
    assert_problem(&reply, 401, "unauthenticated");
    assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
    let reply = app
        .call(Method::GET, "/v1/requests", Some("not.a.jwt"), None)
        .await;
    assert_problem(&reply, 401, "unauthenticated");
    let viewer = TestApp::token("vera", &[Role::Viewer]);
    let body = json!({"kind": "erasure", "subject": {"emails": ["a@example.com"]}});
    let reply = app
        .call(Method::POST, "/v1/requests", Some(&viewer), Some(body))
        .await;
    assert_problem(&reply, 403, "forbidden");
    let reply = app
        .call(Method::GET, "/v1/audit", Some(&viewer), None)
        .await;
    assert_problem(&reply, 403, "forbidden");
}

#[tokio::test]
async fn server_errors_are_opaque() {
    let app = TestApp::new().await;
    app.sqlite.pool().close().await;
    let reply = app
        .call(Method::GET, "/v1/requests", Some(&requester()), None)
        .await;
    assert_problem(&reply, 500, "internal");
    assert_eq!(reply.body["detail"], "internal error");
    let reply = app.call(Method::GET, "/readyz", None, None).await;
    assert_problem(&reply, 503, "unavailable");
}

#[test]
fn problem_codes_are_unique() {
    let mut codes: Vec<_> = lethe_api::problem::kinds::ALL
        .iter()
        .map(|k| k.code)
        .collect();
    let n = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), n);
}
