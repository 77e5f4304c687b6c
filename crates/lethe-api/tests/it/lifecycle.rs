//! Lifecycle through the API: the state machine, four-eyes, extension bounds,
//! and the audit events each change leaves.

use axum::http::Method;
use chrono::{DateTime, Duration, Utc};
use lethe_api::Role;
use serde_json::json;

use crate::harness::{assert_problem, TestApp};

#[tokio::test]
async fn approval_follows_the_state_machine_and_four_eyes() {
    let app = TestApp::new().await;
    let id = app
        .create("alice", json!({"emails": ["life@example.com"]}))
        .await;
    let alice = TestApp::token("alice", &[Role::Requester, Role::Approver]);
    let bob = TestApp::token("bob", &[Role::Approver]);
    let carol = TestApp::token("carol", &[Role::Requester]);
    let approve = format!("/v1/requests/{id}/approve");

    let got = app
        .call(Method::GET, &format!("/v1/requests/{id}"), Some(&bob), None)
        .await;
    assert_eq!(got.body["status"], "received");
    assert_eq!(got.body["step_counts"]["pending"], 0);

    // No plan yet: approving is an illegal transition.
    assert_problem(
        &app.call(Method::POST, &approve, Some(&bob), None).await,
        409,
        "illegal-transition",
    );

    app.plan_for_approval(&id).await;
    // A requester without the approver role.
    assert_problem(
        &app.call(Method::POST, &approve, Some(&carol), None).await,
        403,
        "forbidden",
    );
    // The creator, although an approver.
    assert_problem(
        &app.call(Method::POST, &approve, Some(&alice), None).await,
        403,
        "four-eyes",
    );
    // Somebody else.
    let ok = app
        .call(
            Method::POST,
            &approve,
            Some(&bob),
            Some(json!({"note": "checked"})),
        )
        .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
    assert_eq!(ok.body["status"], "executing");
    assert_eq!(ok.body["decided_by"], "bob");

    // Executing requests can no longer be rejected, but can be cancelled once.
    let reject = app
        .call(
            Method::POST,
            &format!("/v1/requests/{id}/reject"),
            Some(&bob),
            Some(json!({"reason": "late"})),
        )
        .await;
    assert_problem(&reject, 409, "illegal-transition");
    let cancel = format!("/v1/requests/{id}/cancel");
    let ok = app
        .call(
            Method::POST,
            &cancel,
            Some(&alice),
            Some(json!({"reason": "withdrawn by the subject"})),
        )
        .await;
    assert_eq!(ok.body["status"], "cancelled", "{}", ok.text);
    assert_eq!(ok.body["status_reason"], "withdrawn by the subject");
    assert_problem(
        &app.call(
            Method::POST,
            &cancel,
            Some(&alice),
            Some(json!({"reason": "again"})),
        )
        .await,
        409,
        "illegal-transition",
    );

    // The audit trail recorded each change, in order.
    let admin = TestApp::token("root", &[Role::Admin]);
    let audit = app
        .call(
            Method::GET,
            &format!("/v1/audit?request_id={id}"),
            Some(&admin),
            None,
        )
        .await;
    let kinds: Vec<_> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "request.create",
            "request.start_planning",
            "request.plan_needs_approval",
            "request.approve",
            "request.cancel"
        ]
    );
}

#[tokio::test]
async fn reject_needs_a_reason_and_another_person() {
    let app = TestApp::new().await;
    let id = app.create("alice", json!({"names": ["SMITH, JOHN"]})).await;
    let path = format!("/v1/requests/{id}/reject");
    let bob = TestApp::token("bob", &[Role::Approver]);
    let alice = TestApp::token("alice", &[Role::Approver]);
    assert_problem(
        &app.call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"reason": "  "})),
        )
        .await,
        422,
        "validation-failed",
    );
    assert_problem(
        &app.call(Method::POST, &path, Some(&bob), None).await,
        415,
        "unsupported-media-type",
    );
    assert_problem(
        &app.call(
            Method::POST,
            &path,
            Some(&alice),
            Some(json!({"reason": "mine"})),
        )
        .await,
        403,
        "four-eyes",
    );
    let ok = app
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"reason": "identity not verified"})),
        )
        .await;
    assert_eq!(ok.body["status"], "rejected", "{}", ok.text);
}

#[tokio::test]
async fn extension_is_bounded_and_needs_a_reason() {
    let app = TestApp::new().await;
    let id = app
        .create("alice", json!({"emails": ["ext@example.com"]}))
        .await;
    let alice = TestApp::token("alice", &[Role::Requester]);
    let path = format!("/v1/requests/{id}/extend");
    let got = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}"),
            Some(&alice),
            None,
        )
        .await;
    let received: DateTime<Utc> = got.body["received_at"].as_str().unwrap().parse().unwrap();
    let due: DateTime<Utc> = got.body["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        due,
        received.checked_add_months(chrono::Months::new(1)).unwrap(),
        "due one month after receipt"
    );

    let too_far = due.checked_add_months(chrono::Months::new(2)).unwrap() + Duration::days(1);
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&alice),
            Some(json!({"due_at": too_far, "reason": "complex"})),
        )
        .await;
    assert_problem(&reply, 422, "validation-failed");
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&alice),
            Some(json!({"due_at": due - Duration::days(1), "reason": "earlier"})),
        )
        .await;
    assert_problem(&reply, 422, "validation-failed");
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&alice),
            Some(json!({"due_at": due + Duration::days(30)})),
        )
        .await;
    assert_problem(&reply, 422, "invalid-body");

    let max = due.checked_add_months(chrono::Months::new(2)).unwrap();
    let ok = app
        .call(
            Method::POST,
            &path,
            Some(&alice),
            Some(json!({"due_at": max, "reason": "many stores"})),
        )
        .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
    assert_eq!(
        ok.body["due_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        max
    );
    assert_eq!(
        ok.body["original_due_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        due
    );

    app.call(
        Method::POST,
        &format!("/v1/requests/{id}/cancel"),
        Some(&alice),
        Some(json!({"reason": "done"})),
    )
    .await;
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&alice),
            Some(json!({"due_at": max, "reason": "x"})),
        )
        .await;
    assert_problem(&reply, 409, "conflict");
}

#[tokio::test]
async fn due_at_may_be_earlier_never_later() {
    let app = TestApp::new().await;
    let alice = TestApp::token("alice", &[Role::Requester]);
    let early = Utc::now() + Duration::days(3);
    let body = json!({"kind": "access", "subject": {"emails": ["due@example.com"]}, "due_at": early, "external_id": "JIRA-7"});
    let ok = app
        .call(Method::POST, "/v1/requests", Some(&alice), Some(body))
        .await;
    assert_eq!(ok.status.as_u16(), 201, "{}", ok.text);
    assert_eq!(ok.body["external_id"], "JIRA-7");
    assert!(ok
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .ends_with(ok.body["id"].as_str().unwrap()));
    let late = Utc::now() + Duration::days(45);
    let body =
        json!({"kind": "access", "subject": {"emails": ["due@example.com"]}, "due_at": late});
    assert_problem(
        &app.call(Method::POST, "/v1/requests", Some(&alice), Some(body))
            .await,
        422,
        "validation-failed",
    );
}
