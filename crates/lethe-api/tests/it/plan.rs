//! `GET /v1/requests/{id}/plan` and `POST /v1/requests/{id}/identifiers`:
//! what discovery found per target, the forms searched, and accepting the
//! identifiers discovery proposed.

use axum::http::Method;
use lethe_api::Role;
use lethe_domain::{IdentifierKind, RequestEvent};
use lethe_store::NewProposal;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::estate::{self, viewer, PROPOSED_PHONE};
use crate::harness::{assert_problem, TestApp};

fn target<'a>(plan: &'a Value, key: &str) -> &'a Value {
    plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("{key} in the plan"))
}

async fn plan(app: &TestApp, id: Uuid) -> Value {
    let reply = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}/plan"),
            Some(&viewer()),
            None,
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    reply.body
}

/// Proposes [`PROPOSED_PHONE`] as the console logs' discovery would; returns its hash.
async fn propose(app: &TestApp, id: Uuid) -> String {
    let hash = app.hasher.hash(IdentifierKind::Phone, PROPOSED_PHONE).0;
    let proposal = NewProposal {
        kind: IdentifierKind::Phone,
        value: PROPOSED_PHONE.into(),
        hash: hash.clone(),
        hint: "+44*******55".into(),
        source: "files:console-logs".into(),
    };
    assert_eq!(
        app.store
            .propose_identifiers(id, vec![proposal])
            .await
            .unwrap(),
        1
    );
    hash
}

#[tokio::test]
async fn plan_shows_what_was_found_and_what_will_be_done() {
    let app = estate::app().await;
    let id = estate::create(&app, "erasure").await;

    // Before discovery: every target listed, awaiting discovery.
    let before = plan(&app, id).await;
    assert_eq!(before["status"], "received");
    assert_eq!(before["targets"].as_array().unwrap().len(), 3);
    for t in before["targets"].as_array().unwrap() {
        assert_eq!(t["action"], "awaiting_discovery", "{t}");
        assert!(t["discovery"].is_null());
    }

    estate::transition(&app, id, RequestEvent::StartPlanning).await;
    estate::discover_all(&app, id).await;
    estate::transition(&app, id, RequestEvent::PlanNeedsApproval).await;
    let p = plan(&app, id).await;
    assert_eq!(p["kind"], "erasure");
    assert_eq!(p["status"], "awaiting_approval");
    assert_eq!(p["generation"], 0);
    assert_eq!(p["erase_weak_matches"], false);
    assert_eq!(p["accepting_proposals"], true);

    let logs = target(&p, "files:console-logs");
    assert_eq!(logs["discovery"], "succeeded");
    assert_eq!(logs["found"], 2);
    assert_eq!(logs["weak"], 1);
    assert_eq!(logs["strategy"]["kind"], "redact");
    assert_eq!(logs["action"], "erase");
    assert_eq!(
        logs["places"],
        json!([
            {"place": "2026/01/console.log", "items": 2, "weak": 0},
            {"place": "2026/02/console.log", "items": 0, "weak": 1}
        ])
    );
    assert!(
        logs["action_status"].is_null(),
        "not planned before approval"
    );
    let calls = target(&p, "postgres:call-history");
    assert_eq!(
        (calls["found"].clone(), calls["action"].clone()),
        (json!(1), json!("erase"))
    );
    let billing = target(&p, "mssql:billing");
    assert_eq!(billing["found"], 3);
    assert_eq!(billing["action"], "retain");
    assert_eq!(
        billing["strategy"]["ground"],
        "billing records, 6 years (HMRC)"
    );

    // Identifiers: hashes, hints and the forms searched, never values.
    let ids = p["identifiers"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    let email = ids.iter().find(|i| i["kind"] == "email").unwrap();
    assert_eq!(email["origin"], "given");
    assert_eq!(email["forms"], json!(["normalised"]));
    let phone = ids.iter().find(|i| i["kind"] == "phone").unwrap();
    let forms: Vec<&str> = phone["forms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for form in ["e164", "national", "trunk_9_national", "last_7_digits"] {
        assert!(forms.contains(&form), "{form} in {forms:?}");
    }
    assert_eq!(p["proposed"], json!([]));

    // After approval and erasure, the plan shows the action's progress.
    estate::approve(&app, id).await;
    estate::run(
        &app,
        id,
        vec![("erase:files:console-logs", estate::erased(2))],
    )
    .await;
    estate::run(
        &app,
        id,
        vec![("verify:files:console-logs", estate::verified())],
    )
    .await;
    let p = plan(&app, id).await;
    let logs = target(&p, "files:console-logs");
    assert_eq!(logs["action_status"], "succeeded");
    assert_eq!(logs["verify_status"], "succeeded");
    assert_eq!(logs["remaining"], 0);
    assert_eq!(p["accepting_proposals"], false);
}

#[tokio::test]
async fn plan_of_an_unknown_request_is_404() {
    let app = estate::app().await;
    let reply = app
        .call(
            Method::GET,
            &format!("/v1/requests/{}/plan", Uuid::now_v7()),
            Some(&viewer()),
            None,
        )
        .await;
    assert_problem(&reply, 404, "request-not-found");
    let reply = app
        .call(
            Method::GET,
            "/v1/requests/not-a-uuid/plan",
            Some(&viewer()),
            None,
        )
        .await;
    assert_problem(&reply, 400, "invalid-path");
    let reply = app
        .call(
            Method::GET,
            &format!("/v1/requests/{}/plan", Uuid::now_v7()),
            None,
            None,
        )
        .await;
    assert_problem(&reply, 401, "unauthenticated");
}

#[tokio::test]
async fn accepting_a_proposal_replans_with_it() {
    let app = estate::app().await;
    let id = estate::erasure_awaiting_approval(&app).await;
    let hash = propose(&app, id).await;
    let path = format!("/v1/requests/{id}/identifiers");
    let bob = TestApp::token("bob", &[Role::Approver]);

    // The plan offers the proposal, unsearched.
    let p = plan(&app, id).await;
    let proposed = p["proposed"].as_array().unwrap();
    assert_eq!(proposed.len(), 1);
    assert_eq!(proposed[0]["hash"], hash.as_str());
    assert_eq!(proposed[0]["origin"], "proposed");
    assert_eq!(proposed[0]["source"], "files:console-logs");
    assert_eq!(proposed[0]["forms"], json!([]));

    // Roles: a viewer or requester may not accept.
    for token in [viewer(), TestApp::token("alice", &[Role::Requester])] {
        let reply = app
            .call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"hashes": [hash]})),
            )
            .await;
        assert_problem(&reply, 403, "forbidden");
    }

    // An unknown hash among good ones: 422 pointing at it, nothing accepted.
    let unknown = "0".repeat(64);
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"hashes": [hash, unknown]})),
        )
        .await;
    assert_problem(&reply, 422, "validation-failed");
    assert_eq!(
        reply.body["errors"][0]["pointer"], "/hashes/1",
        "{}",
        reply.text
    );
    assert_eq!(
        plan(&app, id).await["proposed"].as_array().unwrap().len(),
        1
    );

    // A given identifier's hash, a repeat, an empty list, an unknown field.
    let given = p["identifiers"][0]["hash"].as_str().unwrap().to_owned();
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"hashes": [given]})),
        )
        .await;
    assert_problem(&reply, 422, "validation-failed");
    assert_eq!(reply.body["errors"][0]["pointer"], "/hashes/0");
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"hashes": [hash, hash]})),
        )
        .await;
    assert_problem(&reply, 422, "validation-failed");
    assert_eq!(reply.body["errors"][0]["pointer"], "/hashes/1");
    let reply = app
        .call(Method::POST, &path, Some(&bob), Some(json!({"hashes": []})))
        .await;
    assert_problem(&reply, 422, "validation-failed");
    assert_eq!(reply.body["errors"][0]["pointer"], "/hashes");
    let many: Vec<String> = (0..21).map(|i| format!("{i:064}")).collect();
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"hashes": many})),
        )
        .await;
    assert_problem(&reply, 422, "validation-failed");
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"hashes": [hash], "note": "x"})),
        )
        .await;
    assert_problem(&reply, 422, "invalid-body");

    // Accepted: back to planning, searched in a new generation.
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"hashes": [hash]})),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert_eq!(reply.body["status"], "planning");
    let accepted = reply.body["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["hash"] == hash.as_str())
        .unwrap();
    assert_eq!(accepted["origin"], "accepted");

    let p = plan(&app, id).await;
    assert_eq!(p["generation"], 1);
    assert_eq!(p["proposed"], json!([]));
    let searched = p["identifiers"].as_array().unwrap();
    assert_eq!(searched.len(), 3);
    let new = searched
        .iter()
        .find(|i| i["hash"] == hash.as_str())
        .unwrap();
    assert!(new["forms"].as_array().unwrap().contains(&json!("e164")));
    // The new generation's discovery has not run yet.
    assert_eq!(
        target(&p, "files:console-logs")["action"],
        "awaiting_discovery"
    );

    // No longer awaiting approval: 409 that says the status.
    let reply = app
        .call(
            Method::POST,
            &path,
            Some(&bob),
            Some(json!({"hashes": [hash]})),
        )
        .await;
    assert_problem(&reply, 409, "illegal-transition");
    assert!(
        reply.body["detail"].as_str().unwrap().contains("planning"),
        "{}",
        reply.text
    );

    // The audit trail holds the acceptance and the replan.
    let admin = TestApp::token("root", &[Role::Admin]);
    let audit = app
        .call(
            Method::GET,
            &format!("/v1/audit?request_id={id}"),
            Some(&admin),
            None,
        )
        .await;
    let kinds: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"identifiers.accepted"), "{kinds:?}");
    assert!(kinds.contains(&"request.replan"), "{kinds:?}");
}

#[tokio::test]
async fn identifiers_of_an_unknown_request_is_404() {
    let app = estate::app().await;
    let bob = TestApp::token("bob", &[Role::Approver]);
    let reply = app
        .call(
            Method::POST,
            &format!("/v1/requests/{}/identifiers", Uuid::now_v7()),
            Some(&bob),
            Some(json!({"hashes": ["0".repeat(64)]})),
        )
        .await;
    assert_problem(&reply, 404, "request-not-found");
}
