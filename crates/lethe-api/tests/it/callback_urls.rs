//! Per-request `callback_url` (SSRF protection) and `GET
//! /v1/requests/{id}/callbacks`: internal addresses, names resolving to
//! them and plain http are refused with 422 at `/callback_url` unless the
//! configuration allows them; every status change queues one event.

use axum::http::Method;
use lethe_api::callbacks::CallbackSettings;
use lethe_api::Role;
use lethe_domain::callback::UrlPolicy;
use serde_json::json;

use crate::harness::{assert_problem, TestApp};

async fn app(enabled: bool, allow_http: bool, allow_private: bool) -> TestApp {
    TestApp::with_settings(|s| {
        s.callbacks = CallbackSettings {
            enabled,
            policy: UrlPolicy {
                allow_http,
                allow_private,
            },
        }
    })
    .await
}

async fn create(app: &TestApp, url: &str) -> crate::harness::Reply {
    let token = TestApp::token("alice", &[Role::Requester]);
    let body = json!({"kind": "erasure", "subject": {"emails": ["cb.subject@example.org"]}, "callback_url": url});
    app.call(Method::POST, "/v1/requests", Some(&token), Some(body))
        .await
}

fn assert_refused(reply: &crate::harness::Reply) {
    assert_problem(reply, 422, "validation-failed");
    assert_eq!(
        reply.body["errors"][0]["pointer"], "/callback_url",
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn private_loopback_and_link_local_callback_urls_are_refused() {
    let app = app(true, false, false).await;
    for url in [
        "http://127.0.0.1/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/hook",
        "https://192.168.0.10:8443/hook",
        "https://[fd12:3456::1]/hook",
    ] {
        let reply = create(&app, url).await;
        assert_refused(&reply);
        let detail = reply.body["errors"][0]["detail"].as_str().unwrap();
        assert!(
            detail.contains("private") || detail.contains("https"),
            "{url}: {detail}"
        );
    }
    // Plain http is refused for a public host too, before any lookup.
    assert_refused(&create(&app, "http://tickets.example.com/hook").await);
    assert_refused(&create(&app, "https://user:pw@tickets.example.com/hook").await);
    // A public address literal is fine.
    assert_eq!(
        create(&app, "https://93.184.215.14/hook")
            .await
            .status
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn callback_urls_need_callbacks_enabled() {
    let app = app(false, true, true).await;
    let reply = create(&app, "https://93.184.215.14/hook").await;
    assert_refused(&reply);
    assert!(reply.text.contains("secret_env"), "{}", reply.text);
}

#[tokio::test]
async fn allowed_by_configuration_and_listed_per_status_change() {
    let app = app(true, true, true).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://localhost/hook?token=abc",
    ] {
        let reply = create(&app, url).await;
        assert_eq!(reply.status.as_u16(), 201, "{url}: {}", reply.text);
    }
    let reply = create(&app, "https://[::1]:8443/hook?token=abc").await;
    let id = reply.body["id"].as_str().unwrap().to_owned();
    app.plan_for_approval(&id).await;
    let viewer = TestApp::token("vera", &[Role::Viewer]);
    let list = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}/callbacks"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(list.status.as_u16(), 200, "{}", list.text);
    let items = list.body["items"].as_array().unwrap();
    let statuses: Vec<_> = items
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["planning", "awaiting_approval"]);
    assert_eq!(items[0]["state"], "pending");
    assert_eq!(items[0]["seq"], 1);
    assert_eq!(
        items[0]["url"], "https://[::1]:8443/hook",
        "the query may hold a token"
    );
    assert!(items[0]["tries"].as_array().unwrap().is_empty());
    let missing = app
        .call(
            Method::GET,
            &format!("/v1/requests/{}/callbacks", uuid::Uuid::now_v7()),
            Some(&viewer),
            None,
        )
        .await;
    assert_problem(&missing, 404, "request-not-found");
}
