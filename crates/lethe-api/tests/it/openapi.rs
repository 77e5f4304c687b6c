//! The committed OpenAPI document equals what the code generates and what
//! the server serves; every operation documents auth and problems.

use axum::http::Method;

use crate::harness::TestApp;

const COMMITTED: &str = include_str!("../../../../openapi/openapi.json");

#[tokio::test]
async fn committed_document_matches_code_and_server() {
    let generated = lethe_api::openapi_json();
    assert!(
        generated == COMMITTED,
        "openapi/openapi.json is stale: run `cargo run -- openapi` and commit the result"
    );
    let app = TestApp::new().await;
    let served = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(served.status.as_u16(), 200);
    assert_eq!(served.text, generated);
}

#[test]
fn operations_are_documented() {
    let doc: serde_json::Value = serde_json::from_str(&lethe_api::openapi_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ops = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops += 1;
            let id = op["operationId"].as_str().unwrap();
            let verb = id.split('_').next().unwrap();
            assert!(
                [
                    "create", "list", "get", "approve", "reject", "cancel", "extend", "retry",
                    "accept", "confirm", "decline", "receive"
                ]
                .contains(&verb),
                "{id}"
            );
            let responses = op["responses"].as_object().unwrap();
            if path.starts_with("/v1/webhooks/") {
                // Signed by the ticketing system, not a bearer token.
                assert_eq!(op["security"], serde_json::json!([{}]), "{method} {path}");
                for code in ["401", "404", "422", "500"] {
                    assert!(
                        responses[code]["content"]
                            .get("application/problem+json")
                            .is_some(),
                        "{method} {path} documents {code}"
                    );
                }
            } else if path.starts_with("/v1/") {
                assert!(
                    op["security"][0].get("bearer").is_some(),
                    "{method} {path} documents bearer security"
                );
                for code in ["401", "403", "500"] {
                    let r = &responses[code];
                    assert!(
                        r["content"].get("application/problem+json").is_some(),
                        "{method} {path} documents {code}"
                    );
                }
            }
        }
    }
    assert_eq!(ops, 22);
}
