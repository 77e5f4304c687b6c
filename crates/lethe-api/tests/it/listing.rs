//! Listing: filters and cursor pagination.

use axum::http::Method;
use lethe_api::Role;
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn filters_and_cursor_pages() {
    let app = TestApp::new().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.create("alice", json!({"emails": [format!("list{i}@example.com")]}))
                .await,
        );
    }
    let viewer = TestApp::token("v", &[Role::Viewer]);
    let bob = TestApp::token("bob", &[Role::Approver]);
    app.call(
        Method::POST,
        &format!("/v1/requests/{}/reject", ids[1]),
        Some(&bob),
        Some(json!({"reason": "dup"})),
    )
    .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/requests?limit=2&cursor={c}"),
            None => "/v1/requests?limit=2".to_owned(),
        };
        let page = app.call(Method::GET, &path, Some(&viewer), None).await;
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let rejected = app
        .call(
            Method::GET,
            "/v1/requests?status=rejected",
            Some(&viewer),
            None,
        )
        .await;
    let items = rejected.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], ids[1]);
    let access = app
        .call(Method::GET, "/v1/requests?kind=access", Some(&viewer), None)
        .await;
    assert_eq!(access.body["items"].as_array().unwrap().len(), 0);
    let soon = (chrono::Utc::now() + chrono::Duration::days(60))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let due = app
        .call(
            Method::GET,
            &format!("/v1/requests?due_before={soon}"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(
        due.body["items"].as_array().unwrap().len(),
        5,
        "{}",
        due.text
    );
    let none = app
        .call(
            Method::GET,
            "/v1/requests?due_before=2000-01-01T00:00:00Z",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);
    let by_ticket = app
        .call(
            Method::GET,
            "/v1/requests?external_id=NOPE-1",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(by_ticket.body["items"].as_array().unwrap().len(), 0);
}
