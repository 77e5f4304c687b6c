//! `GET /v1/requests/{id}/steps` and `POST /v1/requests/{id}/retry`: the
//! step history with every attempt, and re-running what failed.

use axum::http::Method;
use lethe_api::Role;
use lethe_domain::RequestEvent;
use serde_json::Value;
use uuid::Uuid;

use crate::estate::{self, viewer};
use crate::harness::{assert_problem, TestApp};

async fn steps(app: &TestApp, id: Uuid) -> Vec<Value> {
    let reply = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}/steps"),
            Some(&viewer()),
            None,
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    reply.body["items"].as_array().unwrap().clone()
}

fn step<'a>(steps: &'a [Value], key: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("step {key}"))
}

#[tokio::test]
async fn steps_list_counts_errors_and_every_attempt() {
    let app = estate::app().await;
    let id = estate::create(&app, "erasure").await;
    assert!(steps(&app, id).await.is_empty());
    estate::transition(&app, id, RequestEvent::StartPlanning).await;
    // The call history's first attempt fails transiently, the second succeeds.
    estate::run(
        &app,
        id,
        vec![
            (
                "discover:files:console-logs",
                estate::found(2, 1, &[("2026/01/console.log", 2, 1)]),
            ),
            (
                "discover:postgres:call-history",
                estate::transient("connection refused by db.internal:5432"),
            ),
            ("discover:mssql:billing", estate::found(0, 0, &[])),
        ],
    )
    .await;
    estate::run(
        &app,
        id,
        vec![(
            "discover:postgres:call-history",
            estate::found(1, 0, &[("public.call_history", 1, 0)]),
        )],
    )
    .await;

    let items = steps(&app, id).await;
    assert_eq!(items.len(), 3);
    let logs = step(&items, "discover:files:console-logs");
    assert_eq!(logs["connector"], "files");
    assert_eq!(logs["target"], "console-logs");
    assert_eq!(logs["action"], "discover");
    assert_eq!(logs["status"], "succeeded");
    assert_eq!(logs["attempt"], 1);
    assert_eq!(logs["max_attempts"], 3);
    assert_eq!(logs["matched"], 2);
    assert_eq!(logs["detail"]["weak"], 1);
    assert_eq!(logs["detail"]["places"][0]["place"], "2026/01/console.log");
    assert!(logs["started_at"].is_string() && logs["finished_at"].is_string());
    assert!(logs["worker"].is_null(), "no lease once finished");

    let calls = step(&items, "discover:postgres:call-history");
    assert_eq!(calls["status"], "succeeded");
    assert_eq!(calls["attempt"], 2);
    let attempts = calls["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["attempt"], 1);
    assert_eq!(attempts[0]["worker"], estate::WORKER);
    assert_eq!(attempts[0]["outcome"], "transient");
    assert_eq!(
        attempts[0]["error"],
        "connection refused by db.internal:5432"
    );
    assert!(attempts[0]["finished_at"].is_string());
    assert_eq!(attempts[1]["outcome"], "succeeded");
    assert!(attempts[1]["error"].is_null());

    let reply = app
        .call(
            Method::GET,
            &format!("/v1/requests/{}/steps", Uuid::now_v7()),
            Some(&viewer()),
            None,
        )
        .await;
    assert_problem(&reply, 404, "request-not-found");
}

#[tokio::test]
async fn retry_reruns_failed_steps_of_a_failed_request_only() {
    let app = estate::app().await;
    let id = estate::erasure_awaiting_approval(&app).await;
    let retry = format!("/v1/requests/{id}/retry");
    let alice = TestApp::token("alice", &[Role::Requester]);

    // Not failed: 409 naming the status.
    let reply = app.call(Method::POST, &retry, Some(&alice), None).await;
    assert_problem(&reply, 409, "illegal-transition");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("awaiting_approval"),
        "{}",
        reply.text
    );

    estate::approve(&app, id).await;
    estate::run(
        &app,
        id,
        vec![
            ("erase:files:console-logs", estate::erased(2)),
            (
                "erase:postgres:call-history",
                estate::failed("permission denied for table call_history"),
            ),
        ],
    )
    .await;
    estate::transition(&app, id, RequestEvent::Fail).await;

    // A viewer may not retry.
    let reply = app.call(Method::POST, &retry, Some(&viewer()), None).await;
    assert_problem(&reply, 403, "forbidden");

    let reply = app.call(Method::POST, &retry, Some(&alice), None).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert_eq!(reply.body["status"], "executing");
    assert_eq!(reply.body["step_counts"]["failed"], 0);
    assert_eq!(reply.body["step_counts"]["pending"], 1);

    let items = steps(&app, id).await;
    let calls = step(&items, "erase:postgres:call-history");
    assert_eq!(calls["status"], "pending");
    assert_eq!(calls["attempt"], 1, "history is kept");
    assert!(calls["max_attempts"].as_i64().unwrap() > 1);
    assert_eq!(calls["attempts"][0]["outcome"], "permanent");
    assert_eq!(
        step(&items, "erase:files:console-logs")["status"],
        "succeeded"
    );

    // Executing again: a second retry is refused.
    let reply = app.call(Method::POST, &retry, Some(&alice), None).await;
    assert_problem(&reply, 409, "illegal-transition");
    assert!(reply.body["detail"].as_str().unwrap().contains("executing"));

    let reply = app
        .call(
            Method::POST,
            &format!("/v1/requests/{}/retry", Uuid::now_v7()),
            Some(&alice),
            None,
        )
        .await;
    assert_problem(&reply, 404, "request-not-found");
}
