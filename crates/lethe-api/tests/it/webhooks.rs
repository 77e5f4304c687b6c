//! `POST /v1/webhooks/{source}`: each preset with a payload shaped like its
//! vendor's, signed with the vendor's scheme and with Standard Webhooks;
//! bad and stale signatures, replays, unmappable payloads, unknown
//! sources, secret rotation; no identifier in any log line.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use lethe_api::webhooks::{Mapping, MappingOverrides, Preset, WebhookSource};
use lethe_domain::IdentifierKind;
use lethe_store::{AuditFilter, RequestFilter};
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::harness::{assert_problem, captured_logs, Reply, TestApp};

const OLD_SECRET: &str = "jira-old-secret-0123456789abcdef";
const NEW_SECRET: &str = "jira-new-secret-0123456789abcdef";
const SNOW_SECRET: &str = "servicenow-secret-0123456789abcd";
const ZENDESK_SECRET: &str = "zendesk-secret-0123456789abcdefg";
/// A Standard Webhooks secret as the spec writes them.
const STANDARD_KEY: &[u8] = b"standard-webhooks-key-0123456789";

/// The subjects' values; none may reach a log line.
const EMAILS: [&str; 4] = [
    "ann.webhook@example.org",
    "bob.servicenow@example.org",
    "cara.zendesk@example.org",
    "dan.standard@example.org",
];
const PHONE: &str = "+44 7700 900731";
const NAME: &str = "Annabel Webhooksworth";

fn source(preset: Preset, secrets: &[&str]) -> WebhookSource {
    WebhookSource {
        preset,
        secrets: secrets.iter().map(|s| SecretString::from(*s)).collect(),
        tolerance: Duration::from_secs(300),
        mapping: Mapping::new(preset, &MappingOverrides::default()).unwrap(),
        created_by: format!("webhook:{preset:?}").to_lowercase(),
        callback_url: None,
    }
}

async fn app() -> TestApp {
    let standard = format!("whsec_{}", B64.encode(STANDARD_KEY));
    let mut sources = BTreeMap::new();
    sources.insert(
        "jira".into(),
        source(Preset::Jira, &[NEW_SECRET, OLD_SECRET]),
    );
    sources.insert(
        "servicenow".into(),
        source(Preset::ServiceNow, &[SNOW_SECRET]),
    );
    sources.insert("zendesk".into(), source(Preset::Zendesk, &[ZENDESK_SECRET]));
    sources.insert("lethe".into(), source(Preset::Standard, &[&standard]));
    TestApp::with_settings(|s| s.webhooks = Arc::new(sources)).await
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// Standard Webhooks headers for `body` under `key`, at `ts`.
fn standard(key: &[u8], id: &str, ts: i64, body: &str) -> Vec<(&'static str, String)> {
    let ts_s = ts.to_string();
    let sig = mac(
        key,
        &[id.as_bytes(), b".", ts_s.as_bytes(), b".", body.as_bytes()],
    );
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", ts_s),
        ("webhook-signature", format!("v1,{}", B64.encode(sig))),
    ]
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn post(app: &TestApp, source: &str, body: &str, headers: &[(&str, String)]) -> Reply {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(format!("/v1/webhooks/{source}"))
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    app.send(req.body(Body::from(body.to_owned())).unwrap())
        .await
}

fn jira_issue(key: &str, kind: &str, email: &str) -> String {
    json!({
        "timestamp": 1_764_000_000_000_i64,
        "webhookEvent": "jira:issue_created",
        "issue_event_type_name": "issue_created",
        "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Privacy Desk"},
        "issue": {
            "id": "10042",
            "self": "https://example.atlassian.net/rest/api/2/issue/10042",
            "key": key,
            "fields": {
                "summary": "Data subject request received by post",
                "issuetype": {"name": "Data subject request"},
                "project": {"key": "PRIV"},
                "customfield_10050": {"self": "https://example.atlassian.net/rest/api/2/customFieldOption/10100", "value": kind, "id": "10100"},
                "customfield_10051": email,
                "customfield_10052": PHONE,
                "customfield_10053": NAME,
                "customfield_10054": null,
                "reporter": {"displayName": "Privacy Desk"}
            }
        },
        "changelog": {"id": "10301", "items": []}
    })
    .to_string()
}

fn servicenow_record(number: &str) -> String {
    json!({
        "sys_id": "9d385017c611228701d22104cc95c371",
        "number": number,
        "short_description": "Access request from the web form",
        "u_request_type": "dsar",
        "u_subject_email": EMAILS[1],
        "u_subject_phone": "",
        "u_subject_name": "",
        "u_account_number": "",
        "state": "1",
        "sys_created_on": "2026-11-24 10:00:00"
    })
    .to_string()
}

fn zendesk_ticket(id: u64, email: &str) -> String {
    json!({
        "ticket": {
            "id": id,
            "title": "Please delete my data",
            "request_type": "Erasure",
            "tags": ["gdpr", "dsr"],
            "requester": {"id": 366_183_012, "name": NAME, "email": email, "phone": ""}
        }
    })
    .to_string()
}

/// The request named in a 201 reply, as the API shows it.
async fn shown(app: &TestApp, reply: &Reply) -> Value {
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    let id = reply.body["id"].as_str().unwrap();
    let viewer = TestApp::token("vera", &[lethe_api::Role::Viewer]);
    let got = app
        .call(
            Method::GET,
            &format!("/v1/requests/{id}"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(got.status.as_u16(), 200);
    got.body
}

fn has_hash(app: &TestApp, view: &Value, kind: IdentifierKind, value: &str) -> bool {
    let hash = app.hasher.hash(kind, value).0;
    view["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["hash"] == hash)
}

async fn request_count(app: &TestApp) -> usize {
    let filter = RequestFilter {
        limit: 200,
        ..RequestFilter::default()
    };
    app.store.list_requests(&filter).await.unwrap().items.len()
}

#[tokio::test]
async fn jira_issue_creates_a_request_with_native_and_standard_signatures() {
    let app = app().await;
    let body = jira_issue("PRIV-42", "Right to erasure", EMAILS[0]);
    let sig = hex::encode(mac(NEW_SECRET.as_bytes(), &[body.as_bytes()]));
    let headers = [
        ("x-hub-signature", format!("sha256={sig}")),
        ("x-atlassian-webhook-identifier", "jira-delivery-1".into()),
    ];
    let reply = post(&app, "jira", &body, &headers).await;
    let view = shown(&app, &reply).await;
    assert_eq!(view["kind"], "erasure");
    assert_eq!(view["external_id"], "PRIV-42");
    assert_eq!(view["source"], "jira");
    assert_eq!(view["created_by"], "webhook:jira");
    assert_eq!(view["note"], "Data subject request received by post");
    assert!(has_hash(&app, &view, IdentifierKind::Email, EMAILS[0]));
    assert!(has_hash(
        &app,
        &view,
        IdentifierKind::Phone,
        "+447700900731"
    ));
    assert_eq!(view["identifiers"].as_array().unwrap().len(), 3);
    assert!(!reply.text.contains(EMAILS[0]) && !reply.text.contains(NAME));

    // The same issue shape signed with Standard Webhooks, old secret.
    let body = jira_issue("PRIV-43", "Access", EMAILS[0]);
    let headers = standard(OLD_SECRET.as_bytes(), "msg_jira_2", now(), &body);
    let view = shown(&app, &post(&app, "jira", &body, &headers).await).await;
    assert_eq!(view["kind"], "access");
    assert_eq!(view["external_id"], "PRIV-43");

    // The audit event names the source and holds no payload value.
    let id: uuid::Uuid = view["id"].as_str().unwrap().parse().unwrap();
    let audit = app
        .store
        .list_audit(&AuditFilter {
            request_id: Some(id),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(
        audit[0].data.contains("\"source\":\"jira\""),
        "{}",
        audit[0].data
    );
    assert!(!audit[0].data.contains(EMAILS[0]));
}

#[tokio::test]
async fn servicenow_record_creates_a_request_with_native_and_standard_signatures() {
    let app = app().await;
    let body = servicenow_record("PRV0010042");
    let sig = B64.encode(mac(SNOW_SECRET.as_bytes(), &[body.as_bytes()]));
    let reply = post(
        &app,
        "servicenow",
        &body,
        &[("x-servicenow-signature", sig)],
    )
    .await;
    let view = shown(&app, &reply).await;
    assert_eq!(view["kind"], "access");
    assert_eq!(view["external_id"], "PRV0010042");
    assert_eq!(view["source"], "servicenow");
    assert!(has_hash(&app, &view, IdentifierKind::Email, EMAILS[1]));
    assert_eq!(view["identifiers"].as_array().unwrap().len(), 1);

    let body = servicenow_record("PRV0010043");
    let headers = standard(SNOW_SECRET.as_bytes(), "msg_snow_1", now(), &body);
    let view = shown(&app, &post(&app, "servicenow", &body, &headers).await).await;
    assert_eq!(view["external_id"], "PRV0010043");
}

fn zendesk_headers(
    secret: &str,
    ts: &str,
    body: &str,
    invocation: &str,
) -> Vec<(&'static str, String)> {
    let sig = B64.encode(mac(secret.as_bytes(), &[ts.as_bytes(), body.as_bytes()]));
    vec![
        ("x-zendesk-webhook-signature", sig),
        ("x-zendesk-webhook-signature-timestamp", ts.to_owned()),
        ("x-zendesk-webhook-invocation-id", invocation.to_owned()),
    ]
}

#[tokio::test]
async fn zendesk_ticket_creates_a_request_with_native_and_standard_signatures() {
    let app = app().await;
    let body = zendesk_ticket(4711, EMAILS[2]);
    let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let reply = post(
        &app,
        "zendesk",
        &body,
        &zendesk_headers(ZENDESK_SECRET, &ts, &body, "inv-1"),
    )
    .await;
    let view = shown(&app, &reply).await;
    assert_eq!(view["kind"], "erasure");
    assert_eq!(view["external_id"], "4711");
    assert_eq!(view["source"], "zendesk");
    assert!(has_hash(&app, &view, IdentifierKind::Email, EMAILS[2]));
    assert_eq!(view["identifiers"].as_array().unwrap().len(), 2);

    let body = zendesk_ticket(4712, EMAILS[2]);
    let headers = standard(ZENDESK_SECRET.as_bytes(), "msg_zd_1", now(), &body);
    let view = shown(&app, &post(&app, "zendesk", &body, &headers).await).await;
    assert_eq!(view["external_id"], "4712");

    // A stale Zendesk timestamp is refused even with a valid signature.
    let old = (chrono::Utc::now() - chrono::TimeDelta::minutes(10))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let body = zendesk_ticket(4713, EMAILS[2]);
    let reply = post(
        &app,
        "zendesk",
        &body,
        &zendesk_headers(ZENDESK_SECRET, &old, &body, "inv-3"),
    )
    .await;
    assert_problem(&reply, 401, "stale-timestamp");
    assert_eq!(request_count(&app).await, 2);
}

#[tokio::test]
async fn standard_preset_maps_lethes_own_shape() {
    let app = app().await;
    let body = json!({"kind": "access", "external_id": "HR-7", "note": "via the HR portal",
        "subject": {"emails": [EMAILS[3]], "account_numbers": ["ACC-991-22"]}})
    .to_string();
    let headers = standard(STANDARD_KEY, "msg_std_1", now(), &body);
    let view = shown(&app, &post(&app, "lethe", &body, &headers).await).await;
    assert_eq!(view["external_id"], "HR-7");
    assert_eq!(view["source"], "lethe");
    assert!(has_hash(&app, &view, IdentifierKind::Email, EMAILS[3]));
}

#[tokio::test]
async fn bad_missing_and_stale_signatures_are_refused_with_401() {
    let app = app().await;
    let body = jira_issue("PRIV-50", "Access", EMAILS[0]);
    // Signed with a secret the source does not hold.
    let sig = hex::encode(mac(b"some-other-secret-0123456789abcd", &[body.as_bytes()]));
    let reply = post(
        &app,
        "jira",
        &body,
        &[("x-hub-signature", format!("sha256={sig}"))],
    )
    .await;
    assert_problem(&reply, 401, "invalid-signature");
    assert!(reply.body["detail"]
        .as_str()
        .unwrap()
        .contains("X-Hub-Signature"));
    assert!(reply.headers.get("www-authenticate").is_none());
    // A body changed after signing.
    let good = hex::encode(mac(NEW_SECRET.as_bytes(), &[body.as_bytes()]));
    let tampered = body.replace("PRIV-50", "PRIV-51");
    let reply = post(
        &app,
        "jira",
        &tampered,
        &[("x-hub-signature", format!("sha256={good}"))],
    )
    .await;
    assert_problem(&reply, 401, "invalid-signature");
    // No signature at all: the detail says which headers are expected.
    let reply = post(&app, "zendesk", &body, &[]).await;
    assert_problem(&reply, 401, "invalid-signature");
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("X-Zendesk-Webhook-Signature") && detail.contains("webhook-signature"),
        "{detail}"
    );
    assert!(!reply.text.contains(ZENDESK_SECRET));
    // A Standard Webhooks signature over a timestamp 10 minutes old.
    let headers = standard(NEW_SECRET.as_bytes(), "msg_old", now() - 600, &body);
    let reply = post(&app, "jira", &body, &headers).await;
    assert_problem(&reply, 401, "stale-timestamp");
    // ... or 10 minutes ahead.
    let headers = standard(NEW_SECRET.as_bytes(), "msg_future", now() + 600, &body);
    assert_problem(
        &post(&app, "jira", &body, &headers).await,
        401,
        "stale-timestamp",
    );
    // Garbage that is not JSON is refused by its signature before parsing.
    let reply = post(&app, "lethe", "not json at all", &[]).await;
    assert_problem(&reply, 401, "invalid-signature");
    assert_eq!(request_count(&app).await, 0);
}

#[tokio::test]
async fn replayed_delivery_gets_the_first_answer_and_creates_nothing() {
    let app = app().await;
    let body = jira_issue("PRIV-60", "Erasure", EMAILS[0]);
    let headers = standard(NEW_SECRET.as_bytes(), "msg_replay", now(), &body);
    let first = post(&app, "jira", &body, &headers).await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = post(&app, "jira", &body, &headers).await;
    assert_eq!(again.status, first.status);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    // A native delivery repeated with its delivery id, too.
    let body = jira_issue("PRIV-61", "Erasure", EMAILS[0]);
    let sig = hex::encode(mac(NEW_SECRET.as_bytes(), &[body.as_bytes()]));
    let native = [
        ("x-hub-signature", format!("sha256={sig}")),
        ("x-atlassian-webhook-identifier", "jira-delivery-61".into()),
    ];
    let first = post(&app, "jira", &body, &native).await;
    let again = post(&app, "jira", &body, &native).await;
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(request_count(&app).await, 2);
}

#[tokio::test]
async fn unmappable_payloads_are_422_naming_the_pointer() {
    let app = app().await;
    let cases: [(Value, &str, &str); 4] = [
        // No kind at all.
        (
            json!({"issue": {"key": "PRIV-70", "fields": {"customfield_10051": EMAILS[0]}}}),
            "unmappable-payload",
            "/issue/fields/customfield_10050/value",
        ),
        // A kind value nobody mapped.
        (
            json!({"issue": {"key": "PRIV-71", "fields": {"customfield_10050": {"value": "Rectification"}, "customfield_10051": EMAILS[0]}}}),
            "unmappable-payload",
            "/issue/fields/customfield_10050/value",
        ),
        // No identifier of the subject.
        (
            json!({"issue": {"key": "PRIV-72", "fields": {"customfield_10050": {"value": "Access"}}}}),
            "unmappable-payload",
            "/issue/fields/customfield_10051",
        ),
        // An identifier that does not parse, named by its payload pointer.
        (
            json!({"issue": {"key": "PRIV-73", "fields": {"customfield_10050": {"value": "Access"}, "customfield_10051": ["not-an-email"]}}}),
            "invalid-identifier",
            "/issue/fields/customfield_10051/0",
        ),
    ];
    for (i, (payload, code, pointer)) in cases.into_iter().enumerate() {
        let body = payload.to_string();
        let headers = standard(NEW_SECRET.as_bytes(), &format!("msg_bad_{i}"), now(), &body);
        let reply = post(&app, "jira", &body, &headers).await;
        assert_problem(&reply, 422, code);
        let pointers: Vec<&str> = reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pointer"].as_str().unwrap())
            .collect();
        assert!(
            pointers.contains(&pointer),
            "{pointers:?} in {}",
            reply.text
        );
        assert!(!reply.text.contains("not-an-email") && !reply.text.contains(EMAILS[0]));
    }
    assert_eq!(request_count(&app).await, 0);
}

#[tokio::test]
async fn unknown_source_is_404() {
    let app = app().await;
    let body = jira_issue("PRIV-80", "Access", EMAILS[0]);
    let headers = standard(NEW_SECRET.as_bytes(), "msg_404", now(), &body);
    let reply = post(&app, "github", &body, &headers).await;
    assert_problem(&reply, 404, "webhook-source-not-found");
}

#[tokio::test]
async fn rotated_secrets_both_verify() {
    let app = app().await;
    for (i, secret) in [OLD_SECRET, NEW_SECRET].into_iter().enumerate() {
        let body = jira_issue(&format!("PRIV-9{i}"), "Access", EMAILS[0]);
        let sig = hex::encode(mac(secret.as_bytes(), &[body.as_bytes()]));
        let headers = [("x-hub-signature", format!("sha256={sig}"))];
        let reply = post(&app, "jira", &body, &headers).await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    }
    assert_eq!(request_count(&app).await, 2);
}

#[tokio::test]
async fn no_identifier_of_a_webhook_reaches_the_logs() {
    let app = app().await;
    let body = zendesk_ticket(4800, EMAILS[2]);
    let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let reply = post(
        &app,
        "zendesk",
        &body,
        &zendesk_headers(ZENDESK_SECRET, &ts, &body, "inv-log"),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 201);
    let body = json!({"ticket": {"id": 4801, "request_type": "Erasure", "requester": {"email": "broken@@example"}}}).to_string();
    let reply = post(
        &app,
        "zendesk",
        &body,
        &zendesk_headers(ZENDESK_SECRET, &ts, &body, "inv-log-2"),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 422);
    let logs = captured_logs();
    for value in EMAILS
        .iter()
        .chain([&PHONE, &NAME, &"broken@@example", &ZENDESK_SECRET])
    {
        assert!(!logs.contains(value), "a log line holds {value}");
    }
}

#[tokio::test]
async fn signed_non_json_is_400_and_an_oversized_body_is_413() {
    let app = app().await;
    let body = "{\"kind\": \"access\", ";
    let headers = standard(STANDARD_KEY, "msg_truncated", now(), body);
    let reply = post(&app, "lethe", body, &headers).await;
    assert_problem(&reply, 400, "malformed-json");
    let big = format!(
        "{{\"pad\": \"{}\"}}",
        "x".repeat(lethe_api::webhooks::WEBHOOK_BODY_LIMIT)
    );
    let headers = standard(STANDARD_KEY, "msg_big", now(), &big);
    assert_problem(
        &post(&app, "lethe", &big, &headers).await,
        413,
        "payload-too-large",
    );
    // A Jira-sized payload over the API's 64 KiB limit is fine.
    let mut issue: Value =
        serde_json::from_str(&jira_issue("PRIV-99", "Access", EMAILS[0])).unwrap();
    issue["issue"]["fields"]["description"] = "y".repeat(200 * 1024).into();
    let body = issue.to_string();
    let headers = standard(NEW_SECRET.as_bytes(), "msg_large_issue", now(), &body);
    assert_eq!(
        post(&app, "jira", &body, &headers).await.status.as_u16(),
        201
    );
}
