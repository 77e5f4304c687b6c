//! Non-negotiable 4: a subject's identifiers never reach logs, audit rows or
//! error bodies. Drive every endpoint with known identifiers, then grep.

use axum::http::Method;
use lethe_api::Role;
use lethe_domain::{Subject, SubjectInput};
use serde_json::json;

use crate::harness::{captured_logs, TestApp};

fn subject_input() -> SubjectInput {
    SubjectInput {
        emails: vec!["Philippa.Quartermaine@Example.org".into()],
        phones: vec!["+44 7700 900987".into(), "01632 960321".into()],
        names: vec!["QUARTERMAINE, PHILIPPA".into()],
        account_numbers: vec!["GB29 NWBK 6016 1331 9268 19".into()],
        cloudlink_user_ids: vec!["cl-user-8d7f6e5a".into()],
        directory_accounts: vec!["CORP\\pquartermaine".into()],
    }
}

/// Every searchable form of every identifier, plus the raw inputs.
fn forbidden_strings() -> Vec<String> {
    let input = subject_input();
    let subject = Subject::parse(&input, lethe_domain::PhoneRegion::parse("GB").unwrap()).unwrap();
    let mut out: Vec<String> = subject
        .identifiers()
        .iter()
        .flat_map(|p| {
            let mut v: Vec<String> = p.variants.iter().map(|v| v.value().to_owned()).collect();
            v.push(p.normalised.clone());
            v
        })
        .collect();
    out.extend(
        input
            .emails
            .iter()
            .chain(&input.phones)
            .chain(&input.names)
            .chain(&input.account_numbers)
            .cloned(),
    );
    out.extend(
        input
            .cloudlink_user_ids
            .iter()
            .chain(&input.directory_accounts)
            .cloned(),
    );
    out.push("pquartermaine".into());
    out.push("Quartermaine".into());
    out.retain(|s| s.len() >= 7);
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn identifiers_never_reach_logs_audit_or_errors() {
    let app = TestApp::new().await;
    let input = subject_input();
    let alice = TestApp::token("alice", &[Role::Requester, Role::Viewer]);
    let bob = TestApp::token("bob", &[Role::Approver]);
    let root = TestApp::token("root", &[Role::Admin]);
    let subject = json!({
        "emails": input.emails, "phones": input.phones, "names": input.names,
        "account_numbers": input.account_numbers, "cloudlink_user_ids": input.cloudlink_user_ids,
        "directory_accounts": input.directory_accounts,
    });
    let mut error_bodies = Vec::new();

    // Invalid identifiers and wrongly typed values: the errors must not echo them.
    let bad = json!({"kind": "erasure", "subject": {"emails": ["Philippa.Quartermaine@@Example.org"], "phones": ["+44 7700 9OO987"]}});
    error_bodies.push(
        app.call(Method::POST, "/v1/requests", Some(&alice), Some(bad))
            .await
            .text,
    );
    let typed = json!({"kind": "erasure", "subject": {"phones": [447700900987_u64]}});
    error_bodies.push(
        app.call(Method::POST, "/v1/requests", Some(&alice), Some(typed))
            .await
            .text,
    );
    let typed = json!({"kind": "Philippa.Quartermaine@Example.org", "subject": subject});
    error_bodies.push(
        app.call(Method::POST, "/v1/requests", Some(&alice), Some(typed))
            .await
            .text,
    );

    let created = app
        .call(
            Method::POST,
            "/v1/requests",
            Some(&alice),
            Some(json!({"kind": "erasure", "subject": subject})),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    // The response itself shows hashes and hints only.
    let shown = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(shown.body["identifiers"].as_array().unwrap().len(), 7);
    error_bodies.push(shown.text.clone());
    error_bodies.push(created.text.clone());
    app.call(Method::GET, "/v1/requests", Some(&alice), None)
        .await;
    app.plan_for_approval(&id).await;
    error_bodies.push(
        app.call(
            Method::POST,
            &format!("/v1/requests/{id}/approve"),
            Some(&alice),
            None,
        )
        .await
        .text,
    );
    app.call(
        Method::POST,
        &format!("/v1/requests/{id}/approve"),
        Some(&bob),
        None,
    )
    .await;
    let due = (chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339();
    app.call(
        Method::POST,
        &format!("/v1/requests/{id}/extend"),
        Some(&alice),
        Some(json!({"due_at": due, "reason": "many stores"})),
    )
    .await;
    app.call(
        Method::POST,
        &format!("/v1/requests/{id}/cancel"),
        Some(&alice),
        Some(json!({"reason": "withdrawn"})),
    )
    .await;
    let audit = app.call(Method::GET, "/v1/audit", Some(&root), None).await;
    assert!(audit.body["items"].as_array().unwrap().len() >= 5);

    let logs = captured_logs();
    assert!(logs.contains(&id), "the capture saw this test's requests");
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("select actor, kind, data from audit_event")
            .fetch_all(app.sqlite.pool())
            .await
            .unwrap();
    let audit_text: String = rows
        .iter()
        .map(|(a, k, d)| format!("{a} {k} {d}\n"))
        .collect();
    assert!(audit_text.contains("hash"), "audit rows carry keyed hashes");

    for needle in forbidden_strings() {
        let lower = needle.to_lowercase();
        assert!(
            !logs.to_lowercase().contains(&lower),
            "an identifier form reached the logs"
        );
        assert!(
            !audit_text.to_lowercase().contains(&lower),
            "an identifier form reached the audit rows"
        );
        assert!(
            !audit.text.to_lowercase().contains(&lower),
            "an identifier form reached GET /v1/audit"
        );
        for body in &error_bodies {
            assert!(
                !body.to_lowercase().contains(&lower),
                "an identifier form reached a response body: {body}"
            );
        }
    }
}
