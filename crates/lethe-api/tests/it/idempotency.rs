//! Idempotency-Key: replays create nothing, other bodies are refused, and
//! concurrent duplicates create exactly one request.

use axum::body::Body;
use axum::http::{Method, Request};
use lethe_api::Role;
use serde_json::json;

use crate::harness::{assert_problem, TestApp};

fn post(key: &str, token: &str, body: &serde_json::Value) -> Request<Body> {
    Request::post("/v1/requests")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn count(app: &TestApp) -> usize {
    let viewer = TestApp::token("v", &[Role::Viewer]);
    app.call(Method::GET, "/v1/requests?limit=200", Some(&viewer), None)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn same_key_same_body_replays_other_body_is_422() {
    let app = TestApp::new().await;
    let token = TestApp::token("alice", &[Role::Requester]);
    let body = json!({"kind": "erasure", "subject": {"emails": ["idem@example.com"]}});
    let first = app.send(post("k-1", &token, &body)).await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.text);
    // Same body with fields in another order is the same body.
    let reordered = json!({"subject": {"emails": ["idem@example.com"]}, "kind": "erasure"});
    let second = app.send(post("k-1", &token, &reordered)).await;
    assert_eq!(second.status.as_u16(), 201);
    assert_eq!(second.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(second.body, first.body);
    assert_eq!(count(&app).await, 1);

    let other = json!({"kind": "access", "subject": {"emails": ["idem@example.com"]}});
    assert_problem(
        &app.send(post("k-1", &token, &other)).await,
        422,
        "idempotency-key-reused",
    );
    assert_eq!(count(&app).await, 1);

    // Keys are scoped to the caller.
    let bob = TestApp::token("bob", &[Role::Requester]);
    assert_eq!(
        app.send(post("k-1", &bob, &body)).await.status.as_u16(),
        201
    );
    assert_eq!(count(&app).await, 2);

    assert_problem(
        &app.send(post("bad key with spaces", &token, &body)).await,
        400,
        "invalid-idempotency-key",
    );
}

#[tokio::test]
async fn concurrent_duplicates_create_one_request() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let token = TestApp::token("alice", &[Role::Requester]);
    let body = json!({"kind": "access", "subject": {"phones": ["01632 960855"]}});
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(12));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (app, token, body, barrier) =
            (app.clone(), token.clone(), body.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            app.send(post("race", &token, &body)).await
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let reply = t.await.unwrap();
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        ids.insert(reply.body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "every duplicate got the same request");
    assert_eq!(count(&app).await, 1);
}
