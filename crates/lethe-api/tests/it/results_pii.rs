//! Non-negotiable 4 for the result routes: plan, steps, retry, identifiers,
//! package and report never put a subject's identifiers into logs, error
//! bodies or JSON views (the package's data files are the one place they
//! belong, and only for the subject's own access request).

use axum::http::Method;
use lethe_api::Role;
use lethe_domain::{IdentifierKind, PhoneRegion, Subject, SubjectInput};
use lethe_store::NewProposal;
use serde_json::json;

use crate::estate::{self, viewer, EMAIL, PHONE, PROPOSED_PHONE};
use crate::harness::{captured_logs, TestApp};

/// Every searchable form of the test subject's identifiers and the proposal.
fn forbidden_strings() -> Vec<String> {
    let input = SubjectInput {
        emails: vec![EMAIL.into()],
        phones: vec![PHONE.into(), PROPOSED_PHONE.into()],
        ..SubjectInput::default()
    };
    let subject = Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap();
    let mut out: Vec<String> = subject
        .identifiers()
        .iter()
        .flat_map(|p| {
            let mut v: Vec<String> = p.variants.iter().map(|v| v.value().to_owned()).collect();
            v.push(p.normalised.clone());
            v
        })
        .collect();
    out.extend([EMAIL.to_owned(), PHONE.to_owned(), "fairweather".to_owned()]);
    out.retain(|s| s.len() >= 7);
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn result_routes_never_show_identifiers() {
    let app = estate::app().await;
    let bob = TestApp::token("bob", &[Role::Approver]);
    let alice = TestApp::token("alice", &[Role::Requester]);
    let mut bodies = Vec::new();

    let id = estate::erasure_awaiting_approval(&app).await;
    let hash = app.hasher.hash(IdentifierKind::Phone, PROPOSED_PHONE).0;
    app.store
        .propose_identifiers(
            id,
            vec![NewProposal {
                kind: IdentifierKind::Phone,
                value: PROPOSED_PHONE.into(),
                hash: hash.clone(),
                hint: "+44*******55".into(),
                source: "files:console-logs".into(),
            }],
        )
        .await
        .unwrap();
    let base = format!("/v1/requests/{id}");
    let v = viewer();
    for path in ["plan", "steps", "report", "report?format=html"] {
        let reply = app
            .call(Method::GET, &format!("{base}/{path}"), Some(&v), None)
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
        bodies.push(reply.text);
    }
    // Clear values pasted where hashes belong: the 422 must not echo them.
    let reply = app
        .call(
            Method::POST,
            &format!("{base}/identifiers"),
            Some(&bob),
            Some(json!({"hashes": [EMAIL, PROPOSED_PHONE]})),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.text);
    bodies.push(reply.text);
    let reply = app
        .call(Method::POST, &format!("{base}/retry"), Some(&alice), None)
        .await;
    assert_eq!(reply.status.as_u16(), 409);
    bodies.push(reply.text);
    let reply = app
        .call(
            Method::POST,
            &format!("{base}/identifiers"),
            Some(&bob),
            Some(json!({"hashes": [hash]})),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    bodies.push(reply.text);
    let reply = app
        .call(Method::GET, &format!("{base}/plan"), Some(&v), None)
        .await;
    bodies.push(reply.text);

    let access = estate::completed_access(&app).await;
    let reply = app
        .call(
            Method::GET,
            &format!("/v1/requests/{access}/package"),
            Some(&v),
            None,
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200);

    let logs = captured_logs().to_lowercase();
    assert!(logs.contains(&id.to_string()), "the capture saw this test");
    assert!(logs.contains("access package downloaded"));
    for needle in forbidden_strings() {
        let needle = needle.to_lowercase();
        assert!(
            !logs.contains(&needle),
            "an identifier form reached the logs"
        );
        for body in &bodies {
            assert!(
                !body.to_lowercase().contains(&needle),
                "an identifier form reached a response body: {body}"
            );
        }
    }
}
