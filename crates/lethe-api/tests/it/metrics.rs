//! `/metrics`: Prometheus gauges of requests and steps per status, open to
//! scrapers, holding counts only.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn metrics_count_requests_per_status_and_name_nobody() {
    let app = TestApp::new().await;
    app.create("alice", json!({"emails": ["metrics.person@example.com"]}))
        .await;
    app.create("alice", json!({"phones": ["+44 1632 960855"]}))
        .await;
    let reply = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(
        reply.text.contains("lethe_requests{status=\"received\"} 2"),
        "{}",
        reply.text
    );
    assert!(reply
        .text
        .contains("lethe_requests{status=\"completed\"} 0"));
    assert!(reply.text.contains("lethe_steps{status=\"pending\"} 0"));
    assert!(!reply.text.contains("metrics.person") && !reply.text.contains("1632"));
}
