//! The authorization matrix (issue 10): every operation of the committed
//! `openapi/openapi.json` × every credential variant, each answer checked
//! against the table below (the roles README §API documents), every error
//! problem+json, and no body or log line holding a token, a key or the
//! subject's identifiers. Then four-eyes through each path that creates a
//! request: the API (whichever key signed the creator's token) and webhooks.
//!
//! The CLI has no approve path: `lethe token` mints with
//! [`lethe_api::auth::mint_hs256`], the function the role variants here use,
//! so its tokens meet the same checks.
//!
//! Keys: `tests/fixtures/authz-{rs256,es256}.{key,pub}.pem`, made once with
//! `openssl genrsa -traditional 2048` and `openssl ecparam -name prime256v1`
//! (PKCS#8); test-only, they protect nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use lethe_api::auth::PublicKey;
use lethe_api::webhooks::{Mapping, MappingOverrides, Preset, WebhookSource};
use lethe_api::{Authenticator, Role};
use serde_json::{json, Value};

use crate::harness::{assert_problem, captured_logs, Reply, TestApp, SECRET};

const RS_KEY: &[u8] = include_bytes!("../fixtures/authz-rs256.key.pem");
const RS_PUB: &[u8] = include_bytes!("../fixtures/authz-rs256.pub.pem");
const ES_KEY: &[u8] = include_bytes!("../fixtures/authz-es256.key.pem");
const ES_PUB: &[u8] = include_bytes!("../fixtures/authz-es256.pub.pem");
const RS_KID: &str = "idp-rsa-2026";
const ES_KID: &str = "idp-ec-2026";
/// Signs the "wrong signature" variant.
const OTHER_SECRET: &[u8] = b"not-the-configured-secret-0123456789";
/// The webhook source's key (Standard Webhooks).
const WEBHOOK_KEY: &[u8] = b"authz-matrix-webhook-key-0123456789";
/// The request created by this webhook source names it as its creator.
const WEBHOOK_CREATOR: &str = "webhook:tickets";

/// The setup subject's identifiers: no reply body and no log line may hold them.
const EMAIL: &str = "matrix.subject@authz.example";
const PHONE: &str = "+44 7700 900417";
const PHONE_E164: &str = "+447700900417";
const NAME: &str = "Marguerite Matrixperson";

/// Who may call an operation.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// No credentials read: every variant gets the row's status.
    Public,
    /// Authenticated by an HMAC signature over the body, never by a bearer
    /// token: every variant (no signature) gets 401 `invalid-signature`.
    Signature,
    /// A bearer token holding any role (README: every role may read requests).
    AnyRole,
    /// A bearer token holding this role or `admin`.
    Role(Role),
}

/// The state the request named in the path is put in before an allowed call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Setup {
    /// The shared request (received, never changed).
    Shared,
    /// A fresh request in `received`.
    Fresh,
    /// A fresh request in `awaiting_approval`.
    AwaitingApproval,
    /// A fresh request in `failed`.
    Failed,
}

/// One operation: who may call it and what an allowed caller gets here.
struct Row {
    op: &'static str,
    access: Access,
    /// The status an allowed caller gets with the row's setup and body (a
    /// success wherever the setup is cheap; otherwise the documented 4xx
    /// the setup leads to, which shows the role check let the call through).
    ok: u16,
    setup: Setup,
    body: fn() -> Option<Value>,
}

fn no_body() -> Option<Value> {
    None
}
fn create_body() -> Option<Value> {
    Some(
        json!({"kind": "erasure", "subject": {"emails": [EMAIL], "phones": [PHONE], "names": [NAME]}}),
    )
}
fn note_body() -> Option<Value> {
    Some(json!({"note": "checked by the matrix"}))
}
fn reason_body() -> Option<Value> {
    Some(json!({"reason": "matrix reason"}))
}
fn extend_body() -> Option<Value> {
    let due = chrono::Utc::now() + chrono::Duration::days(45);
    Some(json!({"due_at": due.to_rfc3339(), "reason": "complex request"}))
}
fn hashes_body() -> Option<Value> {
    Some(json!({"hashes": ["0".repeat(64)]}))
}
fn webhook_body() -> Option<Value> {
    Some(json!({"kind": "erasure", "external_id": "T-1", "subject": {"emails": [EMAIL]}}))
}

/// Every operation of the spec, by operationId. A test fails when the spec
/// has an operation this table lacks, or the table names one it no longer has.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    Row { op: "get_health", access: Access::Public, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "get_readiness", access: Access::Public, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "get_metrics", access: Access::Public, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "get_openapi", access: Access::Public, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "receive_webhook", access: Access::Signature, ok: 201, setup: Setup::Shared, body: webhook_body },
    Row { op: "list_audit_events", access: Access::Role(Role::Admin), ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "list_requests", access: Access::AnyRole, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "get_request", access: Access::AnyRole, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "get_plan", access: Access::AnyRole, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "list_steps", access: Access::AnyRole, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "list_callbacks", access: Access::AnyRole, ok: 200, setup: Setup::Shared, body: no_body },
    // An erasure has no access package; its report shows progress.
    Row { op: "get_package", access: Access::AnyRole, ok: 409, setup: Setup::Shared, body: no_body },
    Row { op: "get_report", access: Access::AnyRole, ok: 200, setup: Setup::Shared, body: no_body },
    Row { op: "create_request", access: Access::Role(Role::Requester), ok: 201, setup: Setup::Shared, body: create_body },
    Row { op: "cancel_request", access: Access::Role(Role::Requester), ok: 200, setup: Setup::Fresh, body: reason_body },
    Row { op: "extend_request", access: Access::Role(Role::Requester), ok: 200, setup: Setup::Fresh, body: extend_body },
    Row { op: "retry_request", access: Access::Role(Role::Requester), ok: 200, setup: Setup::Failed, body: no_body },
    Row { op: "approve_request", access: Access::Role(Role::Approver), ok: 200, setup: Setup::AwaitingApproval, body: note_body },
    Row { op: "reject_request", access: Access::Role(Role::Approver), ok: 200, setup: Setup::AwaitingApproval, body: reason_body },
    // No proposals: the hash is not one of them.
    Row { op: "accept_identifiers", access: Access::Role(Role::Approver), ok: 422, setup: Setup::AwaitingApproval, body: hashes_body },
    // No manual step: the step id in the path is unknown.
    Row { op: "confirm_step", access: Access::Role(Role::Approver), ok: 404, setup: Setup::Shared, body: note_body },
    Row { op: "decline_step", access: Access::Role(Role::Approver), ok: 404, setup: Setup::Shared, body: note_body },
];

/// One operation of the spec.
struct Operation {
    method: Method,
    path: String,
    /// Status codes the spec documents for it.
    documented: BTreeSet<u16>,
}

fn spec_operations() -> BTreeMap<String, Operation> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/openapi.json"
    ))
    .unwrap();
    let spec: Value = serde_json::from_str(&text).unwrap();
    let mut ops = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            if !matches!(
                method,
                Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) {
                continue;
            }
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"))
                .to_owned();
            let documented = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|k| k.parse().ok())
                .collect();
            let previous = ops.insert(
                id.clone(),
                Operation {
                    method,
                    path: path.clone(),
                    documented,
                },
            );
            assert!(previous.is_none(), "operationId {id} is used twice");
        }
    }
    ops
}

/// The spec's operation a row names (the coverage test says which are gone).
fn operation<'a>(spec: &'a BTreeMap<String, Operation>, id: &str) -> &'a Operation {
    spec.get(id)
        .unwrap_or_else(|| panic!("{id} is not in openapi/openapi.json; update TABLE"))
}

/// How a variant authenticates.
#[derive(Clone)]
enum Grant {
    /// Bad credentials: 401 wherever a token is needed.
    Refused,
    /// A valid token with these roles.
    Roles(Vec<Role>),
}

struct Variant {
    name: &'static str,
    /// The `Authorization` header sent, if any.
    authorization: Option<String>,
    grant: Grant,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn hs(claims: &Value, secret: &[u8], kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn rs(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(RS_KEY).unwrap()).unwrap()
}

fn es(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_pem(ES_KEY).unwrap()).unwrap()
}

fn claims(sub: &str, roles: &[&str]) -> Value {
    json!({"sub": sub, "roles": roles, "exp": now() + 600, "iat": now()})
}

fn bearer(token: &str) -> Option<String> {
    Some(format!("Bearer {token}"))
}

fn variants() -> Vec<Variant> {
    let admin = claims("mallory", &["admin"]);
    let refused = |name, token: String| Variant {
        name,
        authorization: bearer(&token),
        grant: Grant::Refused,
    };
    // An RS256 viewer token whose payload is swapped for an admin's.
    let tampered = {
        let signed = rs(&claims("mallory", &["viewer"]), Some(RS_KID));
        let parts: Vec<&str> = signed.split('.').collect();
        format!(
            "{}.{}.{}",
            parts[0],
            B64URL.encode(admin.to_string()),
            parts[2]
        )
    };
    let unsigned = format!(
        "{}.{}.",
        B64URL.encode(json!({"alg": "none", "typ": "JWT"}).to_string()),
        B64URL.encode(admin.to_string())
    );
    let role = |name, sub: &str, roles: &[Role]| Variant {
        name,
        // What `lethe token --sub <sub> --role <role>` prints.
        authorization: bearer(&lethe_api::auth::mint_hs256(SECRET, sub, roles, 600).unwrap()),
        grant: Grant::Roles(roles.to_vec()),
    };
    vec![
        Variant {
            name: "no token",
            authorization: None,
            grant: Grant::Refused,
        },
        Variant {
            name: "malformed: Basic scheme",
            authorization: Some(format!("Basic {}", B64.encode("mallory:secret"))),
            grant: Grant::Refused,
        },
        Variant {
            name: "malformed: bearer without a token",
            authorization: Some("Bearer".into()),
            grant: Grant::Refused,
        },
        refused("malformed: not a JWT", "not-a-jwt".into()),
        refused(
            "expired",
            hs(
                &json!({"sub": "mallory", "roles": ["admin"], "exp": now() - 120}),
                SECRET,
                None,
            ),
        ),
        refused(
            "not yet valid (nbf)",
            hs(
                &json!({"sub": "mallory", "roles": ["admin"], "exp": now() + 600, "nbf": now() + 300}),
                SECRET,
                None,
            ),
        ),
        refused(
            "no exp",
            hs(&json!({"sub": "mallory", "roles": ["admin"]}), SECRET, None),
        ),
        refused(
            "no sub",
            hs(
                &json!({"roles": ["admin"], "exp": now() + 600}),
                SECRET,
                None,
            ),
        ),
        refused("wrong signature (HS256)", hs(&admin, OTHER_SECRET, None)),
        refused("tampered payload (RS256)", tampered),
        refused("alg none", unsigned),
        refused(
            "HS/RS confusion: HS256 keyed with the RS256 public PEM",
            hs(&admin, RS_PUB, Some(RS_KID)),
        ),
        refused(
            "HS/ES confusion: HS256 keyed with the ES256 public PEM",
            hs(&admin, ES_PUB, Some(ES_KID)),
        ),
        refused("unknown kid (RS256)", rs(&admin, Some("retired-2019"))),
        refused("no kid (RS256)", rs(&admin, None)),
        refused("ES256 token naming the RS256 kid", es(&admin, RS_KID)),
        role("role: requester", "matrix-requester", &[Role::Requester]),
        role("role: approver", "matrix-approver", &[Role::Approver]),
        role("role: viewer", "matrix-viewer", &[Role::Viewer]),
        role("role: admin", "matrix-admin", &[Role::Admin]),
        role("no roles", "matrix-nobody", &[]),
        Variant {
            name: "unknown roles only",
            authorization: bearer(&hs(
                &claims("matrix-root", &["root", "superuser"]),
                SECRET,
                None,
            )),
            grant: Grant::Roles(Vec::new()),
        },
        Variant {
            name: "scheme in capitals: BEARER, viewer",
            authorization: Some(format!(
                "BEARER {}",
                lethe_api::auth::mint_hs256(SECRET, "matrix-caps", &[Role::Viewer], 600).unwrap()
            )),
            grant: Grant::Roles(vec![Role::Viewer]),
        },
        Variant {
            name: "RS256: approver",
            authorization: bearer(&rs(&claims("matrix-rs", &["approver"]), Some(RS_KID))),
            grant: Grant::Roles(vec![Role::Approver]),
        },
        Variant {
            name: "ES256: requester + viewer",
            authorization: bearer(&es(&claims("matrix-es", &["requester", "viewer"]), ES_KID)),
            grant: Grant::Roles(vec![Role::Requester, Role::Viewer]),
        },
    ]
}

fn public_keys() -> Vec<PublicKey> {
    vec![
        PublicKey {
            kid: RS_KID.into(),
            algorithm: Algorithm::RS256,
            key: DecodingKey::from_rsa_pem(RS_PUB).unwrap(),
        },
        PublicKey {
            kid: ES_KID.into(),
            algorithm: Algorithm::ES256,
            key: DecodingKey::from_ec_pem(ES_PUB).unwrap(),
        },
    ]
}

fn webhook_sources() -> Arc<lethe_api::webhooks::WebhookSources> {
    let source = WebhookSource {
        preset: Preset::Standard,
        secrets: vec![format!("whsec_{}", B64.encode(WEBHOOK_KEY)).into()],
        tolerance: Duration::from_secs(300),
        mapping: Mapping::new(Preset::Standard, &MappingOverrides::default()).unwrap(),
        created_by: WEBHOOK_CREATOR.into(),
        callback_url: None,
    };
    Arc::new([("tickets".to_owned(), source)].into_iter().collect())
}

/// An app verifying HS256 with the harness secret (unless `hs256` is None)
/// and RS256/ES256 with the fixture keys, with one webhook source.
async fn app(hs256: Option<&'static [u8]>) -> TestApp {
    let mut app = TestApp::new().await;
    // The harness app verifies HS256 only: the same store and hasher behind
    // a router with this authenticator.
    let mut settings = lethe_api::ApiSettings::new(lethe_domain::PhoneRegion::parse("GB").unwrap());
    settings.webhooks = webhook_sources();
    app.router = lethe_api::app(
        app.store.clone(),
        Arc::new(Authenticator::new(hs256, public_keys(), 0)),
        app.hasher.clone(),
        settings,
    );
    app
}

/// Sends `method uri` with a raw `Authorization` header and a JSON body.
async fn send(
    app: &TestApp,
    method: Method,
    uri: &str,
    authorization: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    };
    app.send(req.unwrap()).await
}

/// A request created by `alice`, moved to the state `setup` names.
async fn prepare(app: &TestApp, setup: Setup, shared: &str) -> String {
    use lethe_domain::RequestEvent as E;
    if setup == Setup::Shared {
        return shared.to_owned();
    }
    let id = app
        .create("alice", json!({"emails": [EMAIL], "phones": [PHONE]}))
        .await;
    let events: &[E] = match setup {
        Setup::Shared | Setup::Fresh => &[],
        Setup::AwaitingApproval => &[E::StartPlanning, E::PlanNeedsApproval],
        Setup::Failed => &[E::StartPlanning, E::PlanReady, E::Fail],
    };
    for event in events {
        let change = lethe_store::StatusChange {
            event: *event,
            actor: "lethe".into(),
            reason: None,
            four_eyes: false,
            include_weak: None,
            audit_data: json!({}),
        };
        app.store
            .transition(uuid::Uuid::parse_str(&id).unwrap(), change)
            .await
            .unwrap();
    }
    id
}

/// Standard Webhooks headers for `body`.
fn signed(id: &str, body: &str) -> Vec<(&'static str, String)> {
    let ts = now().to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(WEBHOOK_KEY).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", ts),
        (
            "webhook-signature",
            format!("v1,{}", B64.encode(mac.finalize().into_bytes())),
        ),
    ]
}

/// What no reply body and no log line may hold.
fn secrets(variants: &[Variant]) -> Vec<(String, String)> {
    let mut out = vec![
        (
            "the HS256 secret".into(),
            String::from_utf8_lossy(SECRET).into_owned(),
        ),
        (
            "the other secret".into(),
            String::from_utf8_lossy(OTHER_SECRET).into_owned(),
        ),
        (
            "the webhook key".into(),
            String::from_utf8_lossy(WEBHOOK_KEY).into_owned(),
        ),
        ("the subject's email".into(), EMAIL.into()),
        ("the subject's phone".into(), PHONE.into()),
        ("the subject's phone (E.164)".into(), PHONE_E164.into()),
        (
            "the subject's phone (digits)".into(),
            PHONE_E164[1..].into(),
        ),
        ("the subject's name".into(), NAME.into()),
    ];
    for (name, pem) in [
        ("RS256 private", RS_KEY),
        ("RS256 public", RS_PUB),
        ("ES256 private", ES_KEY),
        ("ES256 public", ES_PUB),
    ] {
        // Any line of the key's base64 body.
        for line in String::from_utf8_lossy(pem).lines() {
            if !line.starts_with("-----") && line.len() >= 16 {
                out.push((format!("the {name} key"), line.to_owned()));
            }
        }
    }
    for v in variants {
        let Some((_, token)) = v.authorization.as_deref().and_then(|a| a.split_once(' ')) else {
            continue;
        };
        out.push((format!("the {} token", v.name), token.to_owned()));
        // Each part of a JWT on its own (claims, signature).
        for part in token.split('.').filter(|p| p.len() >= 16) {
            out.push((format!("a part of the {} token", v.name), part.to_owned()));
        }
    }
    out
}

fn assert_no_leak(reply: &Reply, what: &str, secrets: &[(String, String)]) {
    for (name, value) in secrets {
        assert!(
            !reply.text.contains(value.as_str()),
            "{what}: the body holds {name}: {}",
            reply.text
        );
    }
}

/// The expected answer of `row` to `variant`: (status, problem type if an error).
fn expected(row: &Row, variant: &Variant) -> (u16, Option<&'static str>) {
    let allowed = |roles: &[Role]| match row.access {
        Access::AnyRole => !roles.is_empty(),
        Access::Role(r) => roles.contains(&r) || roles.contains(&Role::Admin),
        Access::Public | Access::Signature => unreachable!(),
    };
    match (row.access, &variant.grant) {
        (Access::Public, _) => (row.ok, None),
        (Access::Signature, _) => (401, Some("invalid-signature")),
        (_, Grant::Refused) => (401, Some("unauthenticated")),
        (_, Grant::Roles(roles)) if allowed(roles) => (row.ok, None),
        (_, Grant::Roles(_)) => (403, Some("forbidden")),
    }
}

#[tokio::test]
async fn the_table_names_every_operation_of_the_spec() {
    let spec = spec_operations();
    let table: BTreeSet<&str> = TABLE.iter().map(|r| r.op).collect();
    assert_eq!(
        table.len(),
        TABLE.len(),
        "an operation is named twice in TABLE"
    );
    let missing: Vec<_> = spec
        .iter()
        .filter(|(id, _)| !table.contains(id.as_str()))
        .map(|(id, op)| format!("{id} ({} {})", op.method, op.path))
        .collect();
    let gone: Vec<_> = table.iter().filter(|id| !spec.contains_key(**id)).collect();
    assert!(
        missing.is_empty(),
        "operations in openapi/openapi.json missing from the authorization matrix: {missing:?}"
    );
    assert!(
        gone.is_empty(),
        "the authorization matrix names operations openapi/openapi.json no longer has: {gone:?}"
    );
    // What the spec says about security agrees with the table.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/openapi.json"
    ))
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    for row in TABLE {
        let op = operation(&spec, row.op);
        let security = &doc["paths"][&op.path][op.method.as_str().to_lowercase()]["security"];
        let bearer = security
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        let bearer_expected = matches!(row.access, Access::AnyRole | Access::Role(_));
        assert_eq!(bearer, bearer_expected, "{}: security {security}", row.op);
        if bearer {
            for status in [401, 403] {
                assert!(
                    op.documented.contains(&status),
                    "{} does not document {status}",
                    row.op
                );
            }
        }
    }
}

#[tokio::test]
async fn every_operation_answers_every_credential_as_documented() {
    let app = app(Some(SECRET)).await;
    let spec = spec_operations();
    let variants = variants();
    let secrets = secrets(&variants);
    let shared = app
        .create(
            "alice",
            json!({"emails": [EMAIL], "phones": [PHONE], "names": [NAME]}),
        )
        .await;
    let unknown_step = uuid::Uuid::new_v4().to_string();
    let mut checked = 0;
    for row in TABLE {
        let op = operation(&spec, row.op);
        for variant in &variants {
            let (status, problem) = expected(row, variant);
            // Only a call that gets through may change the request: give it
            // a request of its own in the state the row wants.
            let setup = if problem.is_none() {
                row.setup
            } else {
                Setup::Shared
            };
            let id = prepare(&app, setup, &shared).await;
            let uri = op
                .path
                .replace("{id}", &id)
                .replace("{step}", &unknown_step)
                .replace("{source}", "tickets");
            let body = (row.body)();
            let what = format!("{} {uri} ({}) with {}", op.method, row.op, variant.name);
            let reply = send(
                &app,
                op.method.clone(),
                &uri,
                variant.authorization.as_deref(),
                body.as_ref(),
            )
            .await;
            assert_eq!(reply.status.as_u16(), status, "{what}: {}", reply.text);
            assert!(
                op.documented.contains(&status),
                "{what}: {status} is not documented for {}",
                row.op
            );
            match problem {
                Some(code) => {
                    assert_problem(&reply, status, code);
                    let challenge = reply
                        .headers
                        .get("www-authenticate")
                        .and_then(|v| v.to_str().ok());
                    if code == "unauthenticated" {
                        assert_eq!(challenge, Some("Bearer"), "{what}");
                    } else {
                        // A bearer token cannot help with a signature or a role.
                        assert_eq!(challenge, None, "{what}");
                    }
                }
                None if reply.status.is_client_error() || reply.status.is_server_error() => {
                    assert_eq!(
                        reply
                            .headers
                            .get("content-type")
                            .and_then(|v| v.to_str().ok()),
                        Some("application/problem+json"),
                        "{what}: {}",
                        reply.text
                    );
                    assert_eq!(reply.body["status"], status, "{what}");
                }
                None => {}
            }
            assert_no_leak(&reply, &what, &secrets);
            checked += 1;
        }
    }
    assert_eq!(checked, TABLE.len() * variants.len());

    // A bearer token does not stand in for the webhook's signature, and the
    // right signature does what none of the tokens could.
    let body = webhook_body().unwrap().to_string();
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/v1/webhooks/tickets")
        .header("content-type", "application/json");
    for (k, v) in signed("msg_matrix_1", &body) {
        req = req.header(k, v);
    }
    let reply = app.send(req.body(Body::from(body)).unwrap()).await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    assert_eq!(reply.body["created_by"], WEBHOOK_CREATOR, "{}", reply.text);
    assert_no_leak(&reply, "signed webhook", &secrets);
    // An unknown source is 404, whatever token comes along.
    for variant in &variants {
        let reply = send(
            &app,
            Method::POST,
            "/v1/webhooks/nobody",
            variant.authorization.as_deref(),
            Some(&webhook_body().unwrap()),
        )
        .await;
        assert_problem(&reply, 404, "webhook-source-not-found");
        assert_no_leak(&reply, "unknown webhook source", &secrets);
    }

    // No token, key or identifier of the setup reached a log line.
    let logs = captured_logs();
    for (name, value) in &secrets {
        assert!(!logs.contains(value.as_str()), "a log line holds {name}");
    }
}

/// Without an HS256 secret, no HS256 token verifies: not one keyed with a
/// public key's PEM (algorithm confusion), not one with the harness secret.
#[tokio::test]
async fn an_app_with_only_public_keys_refuses_every_hs256_token() {
    let app = app(None).await;
    let spec = spec_operations();
    let admin = claims("mallory", &["admin"]);
    let alice = rs(&claims("alice", &["requester"]), Some(RS_KID));
    let created = send(
        &app,
        Method::POST,
        "/v1/requests",
        bearer(&alice).as_deref(),
        create_body().as_ref(),
    )
    .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let shared = created.body["id"].as_str().unwrap().to_owned();
    let tokens = [
        (
            "HS256 keyed with the RS256 public PEM",
            hs(&admin, RS_PUB, Some(RS_KID)),
        ),
        (
            "HS256 keyed with the RS256 public PEM, no kid",
            hs(&admin, RS_PUB, None),
        ),
        (
            "HS256 keyed with the ES256 public PEM",
            hs(&admin, ES_PUB, Some(ES_KID)),
        ),
        ("HS256 with the harness secret", hs(&admin, SECRET, None)),
    ];
    let mut checked = 0;
    let bearer_rows: Vec<&Row> = TABLE
        .iter()
        .filter(|r| matches!(r.access, Access::AnyRole | Access::Role(_)))
        .collect();
    for row in &bearer_rows {
        let op = operation(&spec, row.op);
        let uri = op
            .path
            .replace("{id}", &shared)
            .replace("{step}", &uuid::Uuid::new_v4().to_string());
        for (name, token) in &tokens {
            let body = (row.body)();
            let reply = send(
                &app,
                op.method.clone(),
                &uri,
                Some(&format!("Bearer {token}")),
                body.as_ref(),
            )
            .await;
            assert_eq!(
                reply.status.as_u16(),
                401,
                "{} with {name}: {}",
                row.op,
                reply.text
            );
            assert_problem(&reply, 401, "unauthenticated");
            assert!(!reply.text.contains(token.as_str()));
            checked += 1;
        }
    }
    assert_eq!(checked, bearer_rows.len() * tokens.len());
    // The same claims signed with the RS256 key are let through.
    let good = rs(&admin, Some(RS_KID));
    let reply = send(
        &app,
        Method::GET,
        "/v1/audit",
        Some(&format!("Bearer {good}")),
        None,
    )
    .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
}

/// Four-eyes by the token's `sub`, whichever key signed it and whatever
/// roles it holds: the creator cannot approve or reject, another approver can.
#[tokio::test]
async fn four_eyes_holds_for_every_key_and_for_admins() {
    let app = app(Some(SECRET)).await;
    // Created with an ES256 token by `carol`, an admin.
    let create = es(&claims("carol", &["admin"]), ES_KID);
    let reply = send(
        &app,
        Method::POST,
        "/v1/requests",
        Some(&format!("Bearer {create}")),
        create_body().as_ref(),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    app.plan_for_approval(&id).await;
    let carol_tokens = [
        (
            "HS256 admin",
            lethe_api::auth::mint_hs256(SECRET, "carol", &[Role::Admin], 600).unwrap(),
        ),
        (
            "HS256 approver",
            lethe_api::auth::mint_hs256(SECRET, "carol", &[Role::Approver], 600).unwrap(),
        ),
        (
            "RS256 approver",
            rs(&claims("carol", &["approver"]), Some(RS_KID)),
        ),
        ("ES256 admin", create.clone()),
    ];
    for (name, token) in &carol_tokens {
        for (action, body) in [("approve", note_body()), ("reject", reason_body())] {
            let reply = send(
                &app,
                Method::POST,
                &format!("/v1/requests/{id}/{action}"),
                Some(&format!("Bearer {token}")),
                body.as_ref(),
            )
            .await;
            assert_problem(&reply, 403, "four-eyes");
            assert!(!reply.text.contains(token.as_str()), "{name}");
            assert!(!reply.text.contains(EMAIL), "{name}");
        }
    }
    // Nothing changed: still waiting, and another approver decides.
    let bob = rs(&claims("bob", &["approver"]), Some(RS_KID));
    let got = send(
        &app,
        Method::GET,
        &format!("/v1/requests/{id}"),
        Some(&format!("Bearer {bob}")),
        None,
    )
    .await;
    assert_eq!(got.body["status"], "awaiting_approval", "{}", got.text);
    let ok = send(
        &app,
        Method::POST,
        &format!("/v1/requests/{id}/approve"),
        Some(&format!("Bearer {bob}")),
        note_body().as_ref(),
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
    assert_eq!(ok.body["decided_by"], "bob");
}

/// A webhook-created request names its source as creator
/// (`webhook:<source>`): a token for that name cannot approve or reject it,
/// an approver can; the webhook itself only creates.
#[tokio::test]
async fn four_eyes_holds_for_webhook_requests() {
    let app = app(Some(SECRET)).await;
    let mut ids = Vec::new();
    for (n, external) in ["T-100", "T-101"].iter().enumerate() {
        let body =
            json!({"kind": "erasure", "external_id": external, "subject": {"emails": [EMAIL]}})
                .to_string();
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/v1/webhooks/tickets")
            .header("content-type", "application/json")
            // A bearer token alongside changes nothing.
            .header(
                "authorization",
                format!("Bearer {}", TestApp::token("bob", &[Role::Approver])),
            );
        for (k, v) in signed(&format!("msg_four_eyes_{n}"), &body) {
            req = req.header(k, v);
        }
        let reply = app.send(req.body(Body::from(body)).unwrap()).await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        assert_eq!(reply.body["created_by"], WEBHOOK_CREATOR);
        assert_eq!(reply.body["source"], "tickets");
        let id = reply.body["id"].as_str().unwrap().to_owned();
        app.plan_for_approval(&id).await;
        ids.push(id);
    }
    let source_token = TestApp::token(WEBHOOK_CREATOR, &[Role::Approver, Role::Admin]);
    for (action, body) in [("approve", note_body()), ("reject", reason_body())] {
        let reply = app
            .call(
                Method::POST,
                &format!("/v1/requests/{}/{action}", ids[0]),
                Some(&source_token),
                body,
            )
            .await;
        assert_problem(&reply, 403, "four-eyes");
    }
    let bob = TestApp::token("bob", &[Role::Approver]);
    let ok = app
        .call(
            Method::POST,
            &format!("/v1/requests/{}/approve", ids[0]),
            Some(&bob),
            note_body(),
        )
        .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
    assert_eq!(ok.body["status"], "executing");
    assert_eq!(ok.body["decided_by"], "bob");
    let ok = app
        .call(
            Method::POST,
            &format!("/v1/requests/{}/reject", ids[1]),
            Some(&bob),
            reason_body(),
        )
        .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
    assert_eq!(ok.body["status"], "rejected");
}
