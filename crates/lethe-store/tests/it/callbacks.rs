//! Webhook deliveries and the callback outbox, on both backends.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use lethe_domain::{RequestEvent, RequestKind};
use lethe_store::{CallbackOutcome, CallbackState, CreateOutcome, DeliveryClaim, Store};

use crate::conformance::{at, change, created_audit, new_request, respond};
use crate::harness::Harness;

const LEASE: Duration = Duration::from_secs(30);

fn delivery(id: &str) -> DeliveryClaim {
    DeliveryClaim {
        source: "jira".into(),
        delivery_id: id.into(),
    }
}

pub async fn webhook_delivery_replays_and_creates_once(h: &Harness) {
    let store = h.store.as_ref();
    let mut new = new_request(
        RequestKind::Erasure,
        Some("PRIV-1"),
        at("2026-02-10T09:30:00Z"),
    );
    new.source = Some("jira".into());
    let first = store
        .create_webhook_request(new.clone(), delivery("d-1"), created_audit(), &respond)
        .await
        .unwrap();
    let CreateOutcome::Created { record, response } = first else {
        panic!("expected Created: {first:?}")
    };
    assert_eq!(record.source.as_deref(), Some("jira"));
    let mut again = new.clone();
    again.id = uuid::Uuid::now_v7();
    match store
        .create_webhook_request(again, delivery("d-1"), created_audit(), &respond)
        .await
        .unwrap()
    {
        CreateOutcome::Replayed {
            request_id,
            response: replayed,
        } => {
            assert_eq!(request_id, record.id);
            assert_eq!(replayed, response);
        }
        other => panic!("expected Replayed, got {other:?}"),
    }
    assert_eq!(h.count("select count(*) from request").await, 1);
    // Another source with the same delivery id is another delivery.
    let mut other = new.clone();
    other.id = uuid::Uuid::now_v7();
    let d = DeliveryClaim {
        source: "zendesk".into(),
        delivery_id: "d-1".into(),
    };
    let created = store
        .create_webhook_request(other, d, created_audit(), &respond)
        .await
        .unwrap();
    assert!(matches!(created, CreateOutcome::Created { .. }));
    assert_eq!(h.count("select count(*) from request").await, 2);
}

async fn with_callbacks(store: &dyn Store) -> uuid::Uuid {
    let mut new = new_request(
        RequestKind::Erasure,
        Some("PRIV-2"),
        at("2026-02-10T09:30:00Z"),
    );
    new.source = Some("jira".into());
    new.callback_url = Some("https://tickets.example.com/hook".into());
    match store
        .create_request(new, None, created_audit(), &respond)
        .await
        .unwrap()
    {
        CreateOutcome::Created { record, .. } => record.id,
        other => panic!("{other:?}"),
    }
}

pub async fn status_changes_write_outbox_events_in_order(h: &Harness) {
    let store = h.store.as_ref();
    let id = with_callbacks(store).await;
    // A request without a callback URL writes no events.
    let plain = crate::conformance::create_default(store).await;
    store
        .transition(plain.id, change(RequestEvent::StartPlanning, "planner"))
        .await
        .unwrap();
    for event in [RequestEvent::StartPlanning, RequestEvent::PlanNeedsApproval] {
        store
            .transition(id, change(event, "planner"))
            .await
            .unwrap();
    }
    // An illegal change writes no event either.
    assert!(store
        .transition(id, change(RequestEvent::StartPlanning, "planner"))
        .await
        .is_err());
    let events = store.list_callbacks(id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(h.count("select count(*) from callback_outbox").await, 2);
    let statuses: Vec<_> = events.iter().map(|e| e.payload["status"].clone()).collect();
    assert_eq!(statuses, ["planning", "awaiting_approval"]);
    assert_eq!(events[0].seq, 1);
    assert_eq!(events[1].seq, 2);
    assert_eq!(events[0].payload["event_id"], events[0].id.to_string());
    assert_eq!(events[0].payload["external_id"], "PRIV-2");
    assert_eq!(events[0].payload["type"], "request.status_changed");
    assert!(events.iter().all(|e| e.state == CallbackState::Pending));

    // Only the first is claimable: the second waits for it.
    let claimed = store.claim_callbacks("d-a", LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, events[0].id);
    assert_eq!(claimed[0].source.as_deref(), Some("jira"));
    assert!(store
        .claim_callbacks("d-b", LEASE, 10)
        .await
        .unwrap()
        .is_empty());
    // A failed try puts it back for later; the second still waits.
    let retry_at = Utc::now() - TimeDelta::seconds(1);
    let failed = CallbackOutcome::Failed {
        status_code: Some(500),
        error: "status 500".into(),
        retry_at: Some(retry_at),
    };
    assert!(store
        .record_callback(
            events[0].id,
            "d-a",
            failed.clone(),
            Duration::from_millis(5)
        )
        .await
        .unwrap());
    // The fence: a dispatcher that no longer holds it records nothing.
    assert!(!store
        .record_callback(events[0].id, "d-a", failed, Duration::from_millis(5))
        .await
        .unwrap());
    let claimed = store.claim_callbacks("d-b", LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, events[0].id);
    assert_eq!(claimed[0].attempts, 1);
    let ok = CallbackOutcome::Delivered { status_code: 204 };
    assert!(store
        .record_callback(events[0].id, "d-b", ok.clone(), Duration::from_millis(5))
        .await
        .unwrap());
    let claimed = store.claim_callbacks("d-b", LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, events[1].id);
    let give_up = CallbackOutcome::Failed {
        status_code: None,
        error: "connect".into(),
        retry_at: None,
    };
    assert!(store
        .record_callback(events[1].id, "d-b", give_up, Duration::from_millis(5))
        .await
        .unwrap());
    assert!(store
        .claim_callbacks("d-b", LEASE, 10)
        .await
        .unwrap()
        .is_empty());

    let events = store.list_callbacks(id).await.unwrap();
    assert_eq!(events[0].state, CallbackState::Delivered);
    assert_eq!(events[0].attempts, 2);
    assert_eq!(events[0].tries.len(), 2);
    assert_eq!(events[0].tries[0].status_code, Some(500));
    assert_eq!(events[0].tries[0].error.as_deref(), Some("status 500"));
    assert_eq!(events[0].tries[1].status_code, Some(204));
    assert_eq!(events[0].tries[1].worker, "d-b");
    assert!(events[0].finished_at.is_some());
    assert_eq!(events[1].state, CallbackState::GivenUp);
    assert_eq!(events[1].last_error.as_deref(), Some("connect"));
}

pub async fn expired_callback_lease_is_claimed_again(h: &Harness) {
    let store = h.store.as_ref();
    let id = with_callbacks(store).await;
    store
        .transition(id, change(RequestEvent::StartPlanning, "planner"))
        .await
        .unwrap();
    let claimed = store
        .claim_callbacks("dead", Duration::from_millis(1), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = store.claim_callbacks("alive", LEASE, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, claimed[0].id);
    // The dead dispatcher's late report is refused.
    let ok = CallbackOutcome::Delivered { status_code: 200 };
    assert!(!store
        .record_callback(claimed[0].id, "dead", ok.clone(), Duration::ZERO)
        .await
        .unwrap());
    assert!(store
        .record_callback(claimed[0].id, "alive", ok, Duration::ZERO)
        .await
        .unwrap());
}
