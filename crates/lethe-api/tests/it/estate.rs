//! A small estate for the result routes (plan, steps, package, report):
//! three targets, and helpers that play the workers' part by driving the
//! store directly (insert steps, claim them, complete them, transition).

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use chrono::{TimeDelta, Utc};
use lethe_api::{ApiSettings, Role};
use lethe_domain::{RequestEvent, StepAction, Strategy, TargetInfo};
use lethe_store::{NewStep, StatusChange, StepOutcome};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::TestApp;

pub const WORKER: &str = "worker-a";
const LEASE: Duration = Duration::from_secs(60);

/// A subject whose values the PII checks look for.
pub const EMAIL: &str = "ottoline.fairweather@example.net";
pub const PHONE: &str = "+44 7700 900461";
/// A second phone number discovery "finds" beside the subject's data.
pub const PROPOSED_PHONE: &str = "+441632960855";

fn target(connector: &str, name: &str, strategy: Strategy, description: &str) -> TargetInfo {
    TargetInfo {
        connector: connector.into(),
        name: name.into(),
        strategy,
        description: description.into(),
        purposes: vec!["handling your contacts with us".into()],
        recipients: vec!["contact-center staff".into()],
        retention: "90 days".into(),
        caveats: Vec::new(),
        manual_for: Vec::new(),
    }
}

/// Console logs (redacted), call history (deleted), billing (retained).
pub fn targets() -> Vec<TargetInfo> {
    vec![
        target(
            "files",
            "console-logs",
            Strategy::Redact,
            "Operator console logs",
        ),
        target(
            "postgres",
            "call-history",
            Strategy::Delete,
            "Console call history",
        ),
        target(
            "mssql",
            "billing",
            Strategy::Retain {
                ground: "billing records, 6 years (HMRC)".into(),
            },
            "Call billing records",
        ),
    ]
}

/// A `TestApp` whose settings hold [`targets`].
pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

/// Like [`app`], with further settings.
pub async fn app_with(configure: impl FnOnce(&mut ApiSettings)) -> TestApp {
    TestApp::with_settings(|s| {
        s.targets = Arc::new(targets());
        configure(s);
    })
    .await
}

/// Creates a request of `kind` for the test subject, as `alice`.
pub async fn create(app: &TestApp, kind: &str) -> Uuid {
    let token = TestApp::token("alice", &[Role::Requester]);
    let reply = app
        .call(
            Method::POST,
            "/v1/requests",
            Some(&token),
            Some(json!({"kind": kind, "subject": {"emails": [EMAIL], "phones": [PHONE]}})),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    reply.body["id"].as_str().unwrap().parse().unwrap()
}

/// Applies a lifecycle event as the planner would.
pub async fn transition(app: &TestApp, id: Uuid, event: RequestEvent) {
    let change = StatusChange {
        event,
        actor: "lethe".into(),
        reason: None,
        four_eyes: false,
        include_weak: None,
        audit_data: json!({}),
    };
    app.store.transition(id, change).await.unwrap();
}

fn action_of(key: &str) -> StepAction {
    match key.split(':').next().unwrap() {
        "discover" => StepAction::Discover,
        "export" => StepAction::Export,
        "erase" => StepAction::Erase,
        "verify" => StepAction::Verify,
        _ => StepAction::Manual,
    }
}

/// Inserts the steps named by key (`action:connector:target[:gN]`), claims
/// them, and completes each with its outcome, as a worker would.
pub async fn run(app: &TestApp, id: Uuid, steps: Vec<(&str, StepOutcome)>) {
    let new: Vec<NewStep> = steps
        .iter()
        .map(|(key, _)| {
            let parts: Vec<&str> = key.split(':').collect();
            NewStep {
                step_key: (*key).to_owned(),
                connector: parts[1].to_owned(),
                target: parts[2].to_owned(),
                action: action_of(key),
                max_attempts: 3,
                run_at: Utc::now() - TimeDelta::seconds(1),
            }
        })
        .collect();
    app.store.insert_steps(id, new).await.unwrap();
    let claimed = app
        .store
        .claim_steps(WORKER, LEASE, 100, None)
        .await
        .unwrap();
    assert_eq!(claimed.len(), steps.len(), "every step is due and claimed");
    for c in claimed {
        assert_eq!(c.request_id, id);
        let outcome = steps
            .iter()
            .find(|(k, _)| *k == c.step_key)
            .map(|(_, o)| o.clone())
            .unwrap();
        assert!(app
            .store
            .complete_step(c.id, WORKER, c.attempt, outcome)
            .await
            .unwrap());
    }
}

/// A discovery that found `matched` strong and `weak` name-only items.
pub fn found(matched: i64, weak: u64, places: &[(&str, u64, u64)]) -> StepOutcome {
    let places: Vec<Value> = places
        .iter()
        .map(|(p, items, weak)| json!({"place": p, "items": items, "weak": weak}))
        .collect();
    StepOutcome::Succeeded {
        matched: Some(matched),
        affected: None,
        remaining: None,
        detail: Some(json!({"weak": weak, "places": places})),
        output: None,
    }
}

/// An export of `records`.
pub fn exported(records: Value) -> StepOutcome {
    StepOutcome::Succeeded {
        matched: Some(records.as_array().map_or(0, |a| a.len() as i64)),
        affected: None,
        remaining: None,
        detail: None,
        output: Some(records),
    }
}

/// An erase that changed `n` items.
pub fn erased(n: i64) -> StepOutcome {
    StepOutcome::Succeeded {
        matched: Some(n),
        affected: Some(n),
        remaining: None,
        detail: None,
        output: None,
    }
}

/// A verification that found nothing left.
pub fn verified() -> StepOutcome {
    StepOutcome::Succeeded {
        matched: Some(0),
        affected: None,
        remaining: Some(0),
        detail: None,
        output: None,
    }
}

/// A permanent failure.
pub fn failed(error: &str) -> StepOutcome {
    StepOutcome::Permanent {
        error: error.into(),
    }
}

/// A transient failure, due again at once.
pub fn transient(error: &str) -> StepOutcome {
    StepOutcome::Transient {
        error: error.into(),
        retry_at: Utc::now() - TimeDelta::seconds(1),
    }
}

/// Discovery of every target: 2 strong + 1 weak in the console logs, 1 in
/// the call history, 3 in billing.
pub async fn discover_all(app: &TestApp, id: Uuid) {
    run(
        app,
        id,
        vec![
            (
                "discover:files:console-logs",
                found(
                    2,
                    1,
                    &[("2026/01/console.log", 2, 0), ("2026/02/console.log", 0, 1)],
                ),
            ),
            (
                "discover:postgres:call-history",
                found(1, 0, &[("public.call_history", 1, 0)]),
            ),
            (
                "discover:mssql:billing",
                found(3, 0, &[("dbo.Billing", 3, 0)]),
            ),
        ],
    )
    .await;
}

/// An erasure request whose discovery ran, waiting for approval.
pub async fn erasure_awaiting_approval(app: &TestApp) -> Uuid {
    let id = create(app, "erasure").await;
    transition(app, id, RequestEvent::StartPlanning).await;
    discover_all(app, id).await;
    transition(app, id, RequestEvent::PlanNeedsApproval).await;
    id
}

/// Approves as `bob` through the API.
pub async fn approve(app: &TestApp, id: Uuid) {
    let bob = TestApp::token("bob", &[Role::Approver]);
    let reply = app
        .call(
            Method::POST,
            &format!("/v1/requests/{id}/approve"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
}

/// An erasure request that ran to the end: console logs and call history
/// erased and verified, billing retained, the weak match left.
pub async fn completed_erasure(app: &TestApp) -> Uuid {
    let id = erasure_awaiting_approval(app).await;
    approve(app, id).await;
    run(
        app,
        id,
        vec![
            ("erase:files:console-logs", erased(2)),
            ("erase:postgres:call-history", erased(1)),
        ],
    )
    .await;
    run(
        app,
        id,
        vec![
            ("verify:files:console-logs", verified()),
            ("verify:postgres:call-history", verified()),
        ],
    )
    .await;
    transition(app, id, RequestEvent::CompleteWithExceptions).await;
    id
}

/// An access request that ran to the end, with records exported from the
/// console logs and the call history.
pub async fn completed_access(app: &TestApp) -> Uuid {
    let id = create(app, "access").await;
    transition(app, id, RequestEvent::StartPlanning).await;
    discover_all(app, id).await;
    transition(app, id, RequestEvent::PlanReady).await;
    run(
        app,
        id,
        vec![
            (
                "export:files:console-logs",
                exported(json!([
                    {"place": "2026/01/console.log", "line": 12, "content": "ANI=447700900461"},
                    {"place": "2026/01/console.log", "line": 40, "content": "callback queued"}
                ])),
            ),
            (
                "export:postgres:call-history",
                exported(json!([{"table": "public.call_history", "duration_s": 95}])),
            ),
            (
                "export:mssql:billing",
                exported(json!([{"table": "dbo.Billing", "amount": "0.12"}])),
            ),
        ],
    )
    .await;
    transition(app, id, RequestEvent::CompleteWithExceptions).await;
    id
}

/// A viewer's token.
pub fn viewer() -> String {
    TestApp::token("vera", &[Role::Viewer])
}
