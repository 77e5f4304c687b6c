//! `GET /v1/requests/{id}/package` and `GET /v1/requests/{id}/report`: the
//! access package (zip) while it has not expired, and the erasure report
//! as JSON and HTML at every status.

use std::io::{Cursor, Read};
use std::time::Duration;

use axum::http::Method;
use lethe_domain::RequestEvent;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::estate::{self, viewer};
use crate::harness::{assert_problem, Reply, TestApp};

async fn get(app: &TestApp, path: &str) -> Reply {
    app.call(Method::GET, path, Some(&viewer()), None).await
}

fn unzip(bytes: &[u8]) -> zip::ZipArchive<Cursor<Vec<u8>>> {
    zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a zip")
}

fn entry(archive: &mut zip::ZipArchive<Cursor<Vec<u8>>>, name: &str) -> String {
    let mut out = String::new();
    archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the package"))
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn access_package_downloads_once_completed() {
    let app = estate::app().await;
    let id = estate::create(&app, "access").await;
    let path = format!("/v1/requests/{id}/package");

    // Not completed yet: 409 saying so.
    let reply = get(&app, &path).await;
    assert_problem(&reply, 409, "not-ready");
    assert!(reply.body["detail"].as_str().unwrap().contains("received"));

    estate::transition(&app, id, RequestEvent::StartPlanning).await;
    estate::discover_all(&app, id).await;
    estate::transition(&app, id, RequestEvent::PlanReady).await;
    assert_problem(&get(&app, &path).await, 409, "not-ready");

    let id = estate::completed_access(&app).await;
    let path = format!("/v1/requests/{id}/package");
    let reply = get(&app, &path).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    let header = |name: &str| {
        reply
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/zip");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"lethe-access-{id}.zip\"")
    );
    assert_eq!(header("cache-control"), "no-store");

    let mut archive = unzip(&reply.bytes);
    let manifest: Value = serde_json::from_str(&entry(&mut archive, "manifest.json")).unwrap();
    assert_eq!(manifest["request_id"], id.to_string());
    let sources = manifest["sources"].as_array().unwrap();
    let keys: Vec<&str> = sources.iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "files:console-logs",
            "mssql:billing",
            "postgres:call-history"
        ]
    );
    let logs = sources
        .iter()
        .find(|s| s["key"] == "files:console-logs")
        .unwrap();
    assert_eq!(logs["found"], 2);
    assert_eq!(logs["name_only_matches"], 1);
    assert_eq!(logs["records"], 2);
    let file = logs["file"].as_str().unwrap().to_owned();
    let records: Value = serde_json::from_str(&entry(&mut archive, &file)).unwrap();
    assert_eq!(records[0]["line"], 12);
    assert_eq!(
        manifest["identifiers_searched"].as_array().unwrap().len(),
        2
    );
    let index = entry(&mut archive, "index.html");
    assert!(
        index.contains("Operator console logs"),
        "the page names the source"
    );
}

#[tokio::test]
async fn package_and_report_belong_to_their_kind() {
    let app = estate::app().await;
    let erasure = estate::completed_erasure(&app).await;
    let reply = get(&app, &format!("/v1/requests/{erasure}/package")).await;
    assert_problem(&reply, 409, "wrong-request-kind");
    assert!(reply.body["detail"].as_str().unwrap().contains("/report"));

    let access = estate::create(&app, "access").await;
    let reply = get(&app, &format!("/v1/requests/{access}/report")).await;
    assert_problem(&reply, 409, "wrong-request-kind");
    assert!(reply.body["detail"].as_str().unwrap().contains("/package"));

    for path in ["package", "report"] {
        let reply = get(&app, &format!("/v1/requests/{}/{path}", Uuid::now_v7())).await;
        assert_problem(&reply, 404, "request-not-found");
    }
}

#[tokio::test]
async fn an_expired_package_is_gone_and_its_data_deleted() {
    let app = estate::app_with(|s| s.package_ttl = Duration::ZERO).await;
    let id = estate::completed_access(&app).await;
    assert_eq!(app.store.step_outputs(id).await.unwrap().len(), 3);

    let reply = get(&app, &format!("/v1/requests/{id}/package")).await;
    assert_problem(&reply, 410, "package-expired");
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(detail.contains("expired on"), "{detail}");
    assert!(detail.contains("submit a new access request"), "{detail}");
    assert!(app.store.step_outputs(id).await.unwrap().is_empty());
    // Still gone on the next call.
    let reply = get(&app, &format!("/v1/requests/{id}/package")).await;
    assert_problem(&reply, 410, "package-expired");
}

#[tokio::test]
async fn erasure_report_counts_per_target() {
    let app = estate::app().await;
    let id = estate::completed_erasure(&app).await;
    let reply = get(&app, &format!("/v1/requests/{id}/report")).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert!(reply.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let report = &reply.body;
    assert_eq!(report["request_id"], id.to_string());
    assert_eq!(report["status"], "completed_with_exceptions");
    assert!(report["completed_at"].is_string());
    assert_eq!(report["identifiers"].as_array().unwrap().len(), 2);
    let totals = &report["totals"];
    assert_eq!(totals["targets"], 3);
    assert_eq!(totals["found"], 6);
    assert_eq!(totals["weak"], 1);
    assert_eq!(totals["erased"], 3);
    assert_eq!(totals["remaining"], 0);
    assert_eq!(
        totals["retained"], 4,
        "3 billing records + 1 name-only match"
    );
    assert_eq!(
        totals["outcomes"],
        json!({"erased": 2, "nothing_found": 0, "retained": 1, "failed": 0, "pending": 0})
    );
    let logs = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "files:console-logs")
        .unwrap();
    assert_eq!(logs["outcome"], "erased");
    assert_eq!(logs["verify"], "passed");
    assert_eq!(logs["places"].as_array().unwrap().len(), 2);

    let reply = get(&app, &format!("/v1/requests/{id}/report?format=html")).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert_eq!(reply.headers["content-type"], "text/html; charset=utf-8");
    assert!(reply.headers.contains_key("content-security-policy"));
    assert!(reply.text.contains("Operator console logs"));
    assert!(reply.text.contains("billing records, 6 years (HMRC)"));

    let reply = get(&app, &format!("/v1/requests/{id}/report?format=xml")).await;
    assert_problem(&reply, 400, "invalid-query");
    assert!(reply.body["detail"].as_str().unwrap().contains("format"));
    let reply = get(&app, &format!("/v1/requests/{id}/report?fmt=html")).await;
    assert_problem(&reply, 400, "invalid-query");
}

#[tokio::test]
async fn erasure_report_is_honest_before_completion() {
    let app = estate::app().await;
    let id = estate::erasure_awaiting_approval(&app).await;
    estate::approve(&app, id).await;
    estate::run(
        &app,
        id,
        vec![
            ("erase:files:console-logs", estate::erased(2)),
            (
                "erase:postgres:call-history",
                estate::failed("permission denied for table call_history"),
            ),
        ],
    )
    .await;
    let reply = get(&app, &format!("/v1/requests/{id}/report")).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    let targets = reply.body["targets"].as_array().unwrap();
    let outcome = |key: &str| {
        targets.iter().find(|t| t["key"] == key).unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(outcome("files:console-logs"), "pending", "not verified yet");
    assert_eq!(outcome("postgres:call-history"), "failed");
    let calls = targets
        .iter()
        .find(|t| t["key"] == "postgres:call-history")
        .unwrap();
    assert_eq!(calls["error"], "permission denied for table call_history");
    assert_eq!(reply.body["totals"]["erased"], 0);
    assert!(reply.body["completed_at"].is_null());
}
