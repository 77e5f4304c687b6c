//! Signed status callbacks end to end: a receiver on a real port verifies
//! the Standard Webhooks signature of every delivery and records it, while
//! a request runs through the real engine over the demo estate. One
//! delivery per status change, in order; a receiver that fails its first
//! deliveries gets every missed event afterwards, in order, under the
//! same event ids.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use lethe_api::callbacks::CallbackSettings;
use lethe_domain::callback::UrlPolicy;
use lethe_worker::{CallbackConfig, CallbackSigner};
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::estate::{Estate, Options};

/// The receiver's shared secret, as Standard Webhooks writes them.
const KEY: &[u8] = b"callback-receiver-key-0123456789";

/// What the receiver saw: accepted deliveries, and every try.
#[derive(Default, Clone)]
struct Seen {
    accepted: Vec<(String, Value)>,
    tries: Vec<String>,
    bad_signatures: usize,
    /// Tries still to answer with 500.
    fail_next: usize,
}

type Shared = Arc<Mutex<Seen>>;

/// Checks the signature like a receiver must: over "{id}.{ts}.{body}",
/// with the timestamp close to now.
fn verified(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let get = |n: &str| headers.get(n)?.to_str().ok().map(str::to_owned);
    let (id, ts, sigs) = (
        get("webhook-id")?,
        get("webhook-timestamp")?,
        get("webhook-signature")?,
    );
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().ok()?;
    if age.abs() > 300 {
        return None;
    }
    let ok = sigs
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|s| {
            let mut mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
            mac.update(format!("{id}.{ts}.").as_bytes());
            mac.update(body);
            B64.decode(s)
                .is_ok_and(|sig| mac.verify_slice(&sig).is_ok())
        });
    ok.then_some(id)
}

async fn receive(
    State(seen): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let mut seen = seen.lock().unwrap();
    let Some(id) = verified(&headers, &body) else {
        seen.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    };
    seen.tries.push(id.clone());
    if seen.fail_next > 0 {
        seen.fail_next -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    // Dedup by event id, as the receiver is told to.
    if !seen.accepted.iter().any(|(i, _)| *i == id) {
        seen.accepted
            .push((id, serde_json::from_slice(&body).unwrap()));
    }
    StatusCode::NO_CONTENT
}

/// A receiver on 127.0.0.1:0 that fails its first `fail_first` tries.
async fn receiver(fail_first: usize) -> (String, Shared) {
    let seen: Shared = Arc::new(Mutex::new(Seen {
        fail_next: fail_first,
        ..Seen::default()
    }));
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook?token=t0", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn estate() -> Estate {
    let loopback = UrlPolicy {
        allow_http: true,
        allow_private: true,
    };
    Estate::start(Options {
        callbacks: Some(CallbackConfig {
            default: Some(CallbackSigner {
                secret: SecretString::from(format!("whsec_{}", B64.encode(KEY))),
                policy: loopback,
            }),
            backoff_base: Duration::from_millis(20),
            backoff_cap: Duration::from_millis(100),
            public_url: Some("https://lethe.example.com".into()),
            ..CallbackConfig::default()
        }),
        callback_urls: CallbackSettings {
            enabled: true,
            policy: loopback,
        },
        ..Options::default()
    })
    .await
}

async fn submit(e: &Estate, callback_url: &str) -> String {
    e.submit_body(json!({"kind": "erasure", "subject": e.subject("john"),
        "external_id": "SR-1001", "callback_url": callback_url}))
        .await
}

/// Runs engine rounds until the receiver accepted `n` deliveries (no
/// upper bound asserted on time: a generous cap only stops a hung test).
async fn until_accepted(e: &Estate, seen: &Shared, n: usize) {
    let start = Instant::now();
    while seen.lock().unwrap().accepted.len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "receiver got {} of {n}",
            seen.lock().unwrap().accepted.len()
        );
        e.engine.round().await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The erasure lifecycle: planning, awaiting_approval, executing, and a
/// completed status; returns the final status.
async fn run_lifecycle(e: &Estate, id: &str) -> String {
    e.run().await;
    assert_eq!(e.status(id).await, "awaiting_approval");
    e.approve(id).await;
    e.run().await;
    let status = e.status(id).await;
    assert!(status.starts_with("completed"), "{status}");
    status
}

fn statuses(seen: &Shared) -> Vec<String> {
    let seen = seen.lock().unwrap();
    seen.accepted
        .iter()
        .map(|(_, p)| p["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_signed_callback_per_status_change_in_order() {
    let e = estate().await;
    let (url, seen) = receiver(0).await;
    let id = submit(&e, &url).await;
    let last = run_lifecycle(&e, &id).await;
    until_accepted(&e, &seen, 4).await;
    // Nothing more arrives: one delivery per change.
    for _ in 0..5 {
        e.engine.round().await.unwrap();
    }
    assert_eq!(
        statuses(&seen),
        ["planning", "awaiting_approval", "executing", last.as_str()]
    );
    let seen_now = seen.lock().unwrap().clone();
    assert_eq!(seen_now.bad_signatures, 0);
    assert_eq!(seen_now.tries.len(), 4);
    for (event_id, payload) in &seen_now.accepted {
        assert_eq!(payload["event_id"], *event_id, "webhook-id is the event id");
        assert_eq!(payload["type"], "request.status_changed");
        assert_eq!(payload["request_id"], id);
        assert_eq!(payload["external_id"], "SR-1001");
        assert!(payload["due_at"].is_string() && payload["occurred_at"].is_string());
    }
    let final_event = &seen_now.accepted[3].1;
    assert_eq!(
        final_event["report_url"],
        format!("https://lethe.example.com/v1/requests/{id}/report")
    );
    assert!(seen_now.accepted[0].1["report_url"].is_null());

    let listed = e.get_json(&format!("/v1/requests/{id}/callbacks")).await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items
        .iter()
        .all(|i| i["state"] == "delivered" && i["attempts"] == 1));
    assert_eq!(items[0]["tries"][0]["status_code"], 204);
    assert!(
        !listed.to_string().contains("token=t0"),
        "the query is not shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_was_down_gets_every_missed_event_in_order() {
    let e = estate().await;
    let (url, seen) = receiver(5).await;
    let id = submit(&e, &url).await;
    let last = run_lifecycle(&e, &id).await;
    until_accepted(&e, &seen, 4).await;
    assert_eq!(
        statuses(&seen),
        ["planning", "awaiting_approval", "executing", last.as_str()]
    );
    let seen_now = seen.lock().unwrap().clone();
    assert_eq!(seen_now.bad_signatures, 0);
    // Every retry carried the id of an event that was then delivered, and
    // no later event was tried before the earlier one got through.
    let order: Vec<&String> = seen_now.accepted.iter().map(|(i, _)| i).collect();
    let mut position = 0;
    for tried in &seen_now.tries {
        let at = order
            .iter()
            .position(|i| *i == tried)
            .expect("a tried id was delivered");
        assert!(at >= position, "event {at} tried after event {position}");
        position = at;
    }
    assert!(seen_now.tries.len() >= 9, "{} tries", seen_now.tries.len());

    let listed = e.get_json(&format!("/v1/requests/{id}/callbacks")).await;
    let items = listed["items"].as_array().unwrap();
    let total: i64 = items.iter().map(|i| i["attempts"].as_i64().unwrap()).sum();
    assert_eq!(total, 9);
    let first = &items[0];
    assert_eq!(first["state"], "delivered");
    let codes: Vec<_> = first["tries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status_code"].clone())
        .collect();
    assert!(codes.len() >= 2, "{first}");
    assert_eq!(codes[0], 500);
    assert_eq!(codes[codes.len() - 1], 204);
    assert_eq!(first["tries"][0]["error"], "status 500");
}

/// A webhook source's requests report back to the source's callback URL,
/// signed with the source's first secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_sources_requests_call_the_source_back_with_its_secret() {
    use lethe_api::webhooks::{Mapping, MappingOverrides, Preset, WebhookSource};
    let (url, seen) = receiver(0).await;
    let loopback = UrlPolicy {
        allow_http: true,
        allow_private: true,
    };
    let secret = format!("whsec_{}", B64.encode(KEY));
    let mut sources = lethe_api::webhooks::WebhookSources::new();
    sources.insert(
        "lethe-desk".into(),
        WebhookSource {
            preset: Preset::Standard,
            secrets: vec![SecretString::from(secret.clone())],
            tolerance: Duration::from_secs(300),
            mapping: Mapping::new(Preset::Standard, &MappingOverrides::default()).unwrap(),
            created_by: "webhook:lethe-desk".into(),
            callback_url: Some(url),
        },
    );
    let signer = CallbackSigner {
        secret: SecretString::from(secret),
        policy: loopback,
    };
    let e = Estate::start(Options {
        callbacks: Some(CallbackConfig {
            sources: [("lethe-desk".to_owned(), signer)].into_iter().collect(),
            ..CallbackConfig::default()
        }),
        webhooks: sources,
        ..Options::default()
    })
    .await;
    let body = json!({"kind": "access", "external_id": "DESK-7", "subject": e.subject("john")})
        .to_string();
    let ts = chrono::Utc::now().timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
    mac.update(format!("msg_desk_7.{ts}.{body}").as_bytes());
    let sig = B64.encode(mac.finalize().into_bytes());
    let r = e
        .http
        .post(format!("{}/v1/webhooks/lethe-desk", e.base))
        .header("content-type", "application/json")
        .header("webhook-id", "msg_desk_7")
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", format!("v1,{sig}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    e.run().await;
    let last = e.status(&id).await;
    assert!(last.starts_with("completed"), "{last}");
    until_accepted(&e, &seen, 3).await;
    assert_eq!(statuses(&seen), ["planning", "executing", last.as_str()]);
    let seen_now = seen.lock().unwrap().clone();
    assert_eq!(seen_now.bad_signatures, 0);
    assert_eq!(seen_now.accepted[2].1["external_id"], "DESK-7");
    assert_eq!(
        seen_now.accepted[2].1["report_url"],
        format!("/v1/requests/{id}/package")
    );
}

/// The dispatcher checks addresses again at delivery: a URL that got into
/// the outbox but resolves to loopback (DNS rebinding) is refused at
/// connect time when private addresses are not allowed, and nothing
/// reaches the receiver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_refuses_a_name_that_resolves_to_loopback() {
    let (url, seen) = receiver(0).await;
    let e = Estate::start(Options {
        callbacks: Some(CallbackConfig {
            default: Some(CallbackSigner {
                secret: SecretString::from(format!("whsec_{}", B64.encode(KEY))),
                policy: UrlPolicy {
                    allow_http: true,
                    allow_private: false,
                },
            }),
            backoff_base: Duration::from_millis(10),
            backoff_cap: Duration::from_millis(20),
            give_up_after: Duration::from_millis(300),
            ..CallbackConfig::default()
        }),
        // The API accepted it (say, the name was public then).
        callback_urls: CallbackSettings {
            enabled: true,
            policy: UrlPolicy {
                allow_http: true,
                allow_private: true,
            },
        },
        ..Options::default()
    })
    .await;
    let rebound = url.replace("127.0.0.1", "localhost");
    let id = submit(&e, &rebound).await;
    e.run().await;
    let start = Instant::now();
    loop {
        e.engine.round().await.unwrap();
        let listed = e.get_json(&format!("/v1/requests/{id}/callbacks")).await;
        let items = listed["items"].as_array().unwrap().clone();
        if items.iter().all(|i| i["state"] == "given_up") {
            let error = items[0]["last_error"].as_str().unwrap();
            assert!(error.starts_with("refused address"), "{error}");
            assert!(items[0]["tries"][0]["status_code"].is_null());
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{listed}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen_now = seen.lock().unwrap().clone();
    assert!(seen_now.tries.is_empty() && seen_now.bad_signatures == 0);
}
