//! Manual steps through the API: an approver confirms or declines the work
//! a person does, and the request completes (with exceptions when
//! declined). The workers' part is played by the real planner over the
//! store: plan what `advance` says, claim it, complete it as a connector
//! would (a manual step is parked in `awaiting_manual`, as the worker does).

use std::sync::Arc;

use axum::http::Method;
use lethe_api::Role;
use lethe_domain::{RequestKind, RequestStatus, StepAction, Strategy, TargetInfo};
use lethe_planner::{advance, Policy, RequestState, StepState};
use lethe_store::{NewStep, StatusChange, StepOutcome};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::estate::{create, erased, found, verified, viewer, WORKER};
use crate::harness::{assert_problem, Reply, TestApp};

const STEP: &str = "manual:manual:dialogflow";
/// A note that names people: it may go on the step and the report, never
/// into the audit trail.
const NOTE: &str = "Dialogflow keeps no history before 2026; Ottoline Fairweather told by phone";

fn targets() -> Vec<TargetInfo> {
    vec![
        TargetInfo {
            connector: "files".into(),
            name: "console-logs".into(),
            strategy: Strategy::Redact,
            description: "Operator console logs".into(),
            purposes: vec!["running the switchboard".into()],
            recipients: vec!["switchboard staff".into()],
            retention: "90 days".into(),
            caveats: Vec::new(),
            manual_for: Vec::new(),
        },
        TargetInfo {
            connector: "manual".into(),
            name: "dialogflow".into(),
            strategy: Strategy::Delete,
            description: "Delete the subject's bot history in Dialogflow.".into(),
            purposes: vec!["answering customers with a chat bot".into()],
            recipients: vec!["Dialogflow administrator".into()],
            retention: "as set in the Google Cloud project".into(),
            caveats: Vec::new(),
            manual_for: vec![RequestKind::Erasure],
        },
    ]
}

async fn app() -> TestApp {
    TestApp::with_settings(|s| s.targets = Arc::new(targets())).await
}

fn approver() -> String {
    TestApp::token("bob", &[Role::Approver])
}

/// One round of the workers: what the planner wants inserted, every due
/// step run, the due event applied. `false` once nothing moved.
async fn round(app: &TestApp, id: Uuid) -> bool {
    let record = app.store.get_request(id).await.unwrap().unwrap();
    let steps = app.store.list_steps(id).await.unwrap();
    let req = RequestState {
        kind: record.kind,
        status: record.status,
        include_weak: record.include_weak,
        approved: record.decided_by.is_some(),
        generation: 0,
    };
    let states: Vec<StepState> = steps
        .iter()
        .map(|s| StepState {
            key: s.step_key.clone(),
            status: s.status,
            matched: s.items_matched,
            remaining: s.items_remaining,
            detail: s.detail.clone(),
        })
        .collect();
    let next = advance(&req, &states, &targets(), &Policy::default());
    let new: Vec<NewStep> = next
        .steps
        .iter()
        .map(|p| NewStep {
            step_key: p.key.clone(),
            connector: p.connector.clone(),
            target: p.target.clone(),
            action: p.action,
            max_attempts: 3,
            run_at: chrono::Utc::now() - chrono::TimeDelta::seconds(1),
        })
        .collect();
    app.store.insert_steps(id, new).await.unwrap();
    let lease = std::time::Duration::from_secs(60);
    let claimed = app
        .store
        .claim_steps(WORKER, lease, 100, None)
        .await
        .unwrap();
    let moved = !next.steps.is_empty() || !claimed.is_empty() || next.event.is_some();
    for c in claimed {
        let outcome = match c.action {
            StepAction::Discover => found(2, 0, &[("2026/01/console.log", 2, 0)]),
            StepAction::Erase => erased(2),
            StepAction::Verify => verified(),
            StepAction::Manual => StepOutcome::AwaitingManual,
            StepAction::Export => panic!("an erasure exports nothing"),
        };
        let ok = app
            .store
            .complete_step(c.id, WORKER, c.attempt, outcome)
            .await;
        assert!(ok.unwrap());
    }
    if let Some(event) = next.event {
        let change = StatusChange {
            event,
            actor: "lethe".into(),
            reason: None,
            four_eyes: false,
            include_weak: None,
            audit_data: json!({"by": "planner"}),
        };
        app.store.transition(id, change).await.unwrap();
    }
    moved
}

/// Rounds until nothing moves; returns the request's status.
async fn drive(app: &TestApp, id: Uuid) -> RequestStatus {
    for _ in 0..20 {
        if !round(app, id).await {
            break;
        }
    }
    app.store.get_request(id).await.unwrap().unwrap().status
}

/// An erasure discovered, approved and executed up to its manual step.
async fn waiting_for_a_person(app: &TestApp) -> Uuid {
    let id = create(app, "erasure").await;
    assert_eq!(drive(app, id).await, RequestStatus::AwaitingApproval);
    let reply = app
        .call(
            Method::POST,
            &format!("/v1/requests/{id}/approve"),
            Some(&approver()),
            None,
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert_eq!(drive(app, id).await, RequestStatus::Executing);
    id
}

async fn post(
    app: &TestApp,
    id: Uuid,
    step: &str,
    verb: &str,
    token: &str,
    body: Option<Value>,
) -> Reply {
    app.call(
        Method::POST,
        &format!("/v1/requests/{id}/steps/{step}/{verb}"),
        Some(token),
        body,
    )
    .await
}

#[tokio::test]
async fn confirmed_manual_step_completes_the_request() {
    let app = app().await;
    let id = waiting_for_a_person(&app).await;
    let steps = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}/steps"),
            Some(&viewer()),
            None,
        )
        .await;
    let keys: Vec<(&str, &str)> = steps.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert!(keys.contains(&(STEP, "awaiting_manual")), "{keys:?}");
    assert!(
        keys.contains(&("verify:files:console-logs", "succeeded")),
        "{keys:?}"
    );
    assert!(!keys.iter().any(|(k, _)| k.starts_with("discover:manual")));
    let plan = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}/plan"),
            Some(&viewer()),
            None,
        )
        .await;
    let manual = &plan.body["targets"][1];
    assert_eq!(manual["action"], "manual", "{}", plan.text);
    assert_eq!(manual["action_status"], "awaiting_manual");

    let reply = post(&app, id, STEP, "confirm", &approver(), None).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert_eq!(reply.body["key"], STEP);
    assert_eq!(reply.body["status"], "succeeded");
    assert_eq!(reply.body["detail"]["decision"], "confirmed");
    assert_eq!(reply.body["detail"]["decided_by"], "bob");
    assert_eq!(drive(&app, id).await, RequestStatus::Completed);

    // Once done, it stays done.
    let again = post(
        &app,
        id,
        STEP,
        "confirm",
        &approver(),
        Some(json!({"note": "again"})),
    )
    .await;
    assert_problem(&again, 409, "conflict");
}

#[tokio::test]
async fn declined_manual_step_is_an_exception_with_its_note_in_the_report_only() {
    let app = app().await;
    let id = waiting_for_a_person(&app).await;
    let reply = post(
        &app,
        id,
        STEP,
        "decline",
        &approver(),
        Some(json!({"note": NOTE})),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert_eq!(reply.body["status"], "skipped");
    assert_eq!(reply.body["detail"]["note"], NOTE);
    assert_eq!(
        drive(&app, id).await,
        RequestStatus::CompletedWithExceptions
    );

    let report = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}/report"),
            Some(&viewer()),
            None,
        )
        .await;
    assert_eq!(report.status.as_u16(), 200, "{}", report.text);
    let manual = &report.body["manual"][0];
    assert_eq!(manual["name"], "dialogflow", "{}", report.text);
    assert_eq!(manual["status"], "skipped");
    assert_eq!(manual["note"], NOTE);
    assert_eq!(manual["recipient"], "Dialogflow administrator");
    // The manual target is reported as a step, not as a target with counts.
    let targets = report.body["targets"].as_array().unwrap();
    assert!(
        targets.iter().all(|t| t["key"] != "manual:dialogflow"),
        "{}",
        report.text
    );

    let admin = TestApp::token("ada", &[Role::Admin]);
    let audit = app
        .call(
            Method::GET,
            &format!("/v1/audit?request_id={id}&limit=1000"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(audit.status.as_u16(), 200, "{}", audit.text);
    let declined: Vec<&Value> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "step.declined")
        .collect();
    assert_eq!(declined.len(), 1, "{}", audit.text);
    assert_eq!(declined[0]["actor"], "bob");
    assert!(declined[0]["data"]["note_hash"].is_string());
    assert!(!audit.text.contains("Fairweather") && !audit.text.contains("Dialogflow keeps"));
}

#[tokio::test]
async fn only_approvers_finish_manual_steps() {
    let app = app().await;
    let id = waiting_for_a_person(&app).await;
    let requester = TestApp::token("alice", &[Role::Requester]);
    let note = || Some(json!({"note": "done"}));
    for token in [requester.as_str(), viewer().as_str()] {
        for verb in ["confirm", "decline"] {
            let reply = post(&app, id, STEP, verb, token, note()).await;
            assert_problem(&reply, 403, "forbidden");
        }
    }
    let reply = app
        .call(
            Method::POST,
            &format!("/v1/requests/{id}/steps/{STEP}/confirm"),
            None,
            None,
        )
        .await;
    assert_problem(&reply, 401, "unauthenticated");
    let steps = app.store.list_steps(id).await.unwrap();
    let manual = steps.iter().find(|s| s.step_key == STEP).unwrap();
    assert_eq!(
        manual.status,
        lethe_domain::StepStatus::AwaitingManual,
        "nothing changed"
    );
    let admin = TestApp::token("ada", &[Role::Admin]);
    let reply = post(&app, id, STEP, "confirm", &admin, note()).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
}

#[tokio::test]
async fn decline_needs_a_note_and_bad_paths_say_what_is_wrong() {
    let app = app().await;
    let id = waiting_for_a_person(&app).await;
    let bob = approver();
    for body in [None, Some(json!({})), Some(json!({"note": "   "}))] {
        let reply = post(&app, id, STEP, "decline", &bob, body).await;
        assert_problem(&reply, 422, "validation-failed");
        assert_eq!(
            reply.body["errors"][0]["pointer"], "/note",
            "{}",
            reply.text
        );
    }
    let long = "x".repeat(2001);
    let reply = post(&app, id, STEP, "confirm", &bob, Some(json!({"note": long}))).await;
    assert_problem(&reply, 422, "validation-failed");
    let reply = post(&app, id, STEP, "confirm", &bob, Some(json!({"notes": "x"}))).await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.text);

    let reply = post(&app, id, "manual:manual:nope", "confirm", &bob, None).await;
    assert_problem(&reply, 404, "step-not-found");
    let reply = post(&app, Uuid::now_v7(), STEP, "confirm", &bob, None).await;
    assert_problem(&reply, 404, "request-not-found");
    let reply = app
        .call(
            Method::POST,
            &format!("/v1/requests/nope/steps/{STEP}/confirm"),
            Some(&bob),
            None,
        )
        .await;
    assert_problem(&reply, 400, "invalid-path");
    // An automated step is not a person's to confirm.
    let reply = post(&app, id, "erase:files:console-logs", "confirm", &bob, None).await;
    assert_problem(&reply, 409, "conflict");
    assert!(reply.body["detail"]
        .as_str()
        .unwrap()
        .contains("not a manual one"));
    // Nothing above touched the step.
    let reply = post(&app, id, STEP, "decline", &bob, Some(json!({"note": NOTE}))).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    let reply = post(&app, id, STEP, "confirm", &bob, None).await;
    assert_problem(&reply, 409, "conflict");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("is skipped"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn requests_waiting_on_people_near_their_deadline_are_listed_and_marked() {
    let app = app().await;
    let waiting = waiting_for_a_person(&app).await;
    // Another request, waiting for approval: on nobody's manual step.
    let other = create(&app, "erasure").await;
    assert_eq!(drive(&app, other).await, RequestStatus::AwaitingApproval);
    let soon = (chrono::Utc::now() + chrono::TimeDelta::days(40)).to_rfc3339();
    let list = |extra: &'static str| {
        let soon = soon.clone();
        let app = &app;
        async move {
            let q = format!(
                "/v1/requests?due_before={}{extra}",
                soon.replace('+', "%2B")
            );
            let r = app.call(Method::GET, &q, Some(&viewer()), None).await;
            assert_eq!(r.status.as_u16(), 200, "{}", r.text);
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("&awaiting_manual=true").await, [waiting.to_string()]);
    assert_eq!(
        list("&awaiting_manual=true&status=executing").await,
        [waiting.to_string()]
    );
    assert_eq!(list("").await.len(), 2);
    let report = app
        .call(
            Method::GET,
            &format!("/v1/requests/{waiting}/report"),
            Some(&viewer()),
            None,
        )
        .await;
    let reminder = report.body["reminder"].as_str().unwrap();
    assert!(
        reminder.starts_with("1 manual step(s) still wait"),
        "{reminder}"
    );
    let html = app
        .call(
            Method::GET,
            &format!("/v1/requests/{waiting}/report?format=html"),
            Some(&viewer()),
            None,
        )
        .await;
    assert!(html.text.contains("still wait for a person"));

    post(&app, waiting, STEP, "confirm", &approver(), None).await;
    assert_eq!(drive(&app, waiting).await, RequestStatus::Completed);
    assert!(list("&awaiting_manual=true").await.is_empty());
    let report = app
        .call(
            Method::GET,
            &format!("/v1/requests/{waiting}/report"),
            Some(&viewer()),
            None,
        )
        .await;
    assert!(report.body.get("reminder").is_none(), "{}", report.text);
}
