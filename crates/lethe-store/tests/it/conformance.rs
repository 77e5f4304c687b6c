//! The store contract, written once against `dyn Store`; `main.rs` runs
//! every case on both backends.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use lethe_domain::{
    IdentifierKind, RequestEvent, RequestKind, RequestStatus, StepAction, StepStatus,
};
use lethe_store::{
    AuditBreakKind, AuditEntry, AuditFilter, CreateOutcome, Extension, IdempotencyClaim,
    NewIdentifier, NewRequest, NewStep, RequestFilter, RequestRecord, StatusChange, StepOutcome,
    StepRecord, Store, StoreError,
};
use serde_json::json;
use uuid::Uuid;

use crate::harness::Harness;

const CREATOR: &str = "officer-a";
const APPROVER: &str = "officer-b";
/// Clear identifier values; none may ever appear in an audit row.
const CLEAR_VALUES: [&str; 2] = ["alice@example.com", "+447700900123"];

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub(crate) fn new_request(
    kind: RequestKind,
    external_id: Option<&str>,
    due_at: DateTime<Utc>,
) -> NewRequest {
    NewRequest {
        id: Uuid::now_v7(),
        kind,
        external_id: external_id.map(str::to_owned),
        received_at: at("2026-01-10T09:30:00.123456Z"),
        due_at,
        note: Some("called the front desk".to_owned()),
        created_by: CREATOR.to_owned(),
        identifiers: vec![
            NewIdentifier {
                kind: IdentifierKind::Email,
                value: CLEAR_VALUES[0].to_owned(),
                hash: "hash-email".to_owned(),
                hint: "a***@example.com".to_owned(),
            },
            NewIdentifier {
                kind: IdentifierKind::Phone,
                value: CLEAR_VALUES[1].to_owned(),
                hash: "hash-phone".to_owned(),
                hint: "+44******123".to_owned(),
            },
        ],
        source: None,
        callback_url: None,
    }
}

pub(crate) fn created_audit() -> AuditEntry {
    AuditEntry {
        actor: CREATOR.to_owned(),
        kind: "request.created".to_owned(),
        data: json!({"identifiers": ["hash-email", "hash-phone"], "kind": "erasure"}),
    }
}

pub(crate) fn respond(record: &RequestRecord) -> serde_json::Value {
    json!({"id": record.id, "status": record.status.as_str()})
}

async fn create(store: &dyn Store, new: NewRequest) -> RequestRecord {
    match store
        .create_request(new, None, created_audit(), &respond)
        .await
        .unwrap()
    {
        CreateOutcome::Created { record, .. } => record,
        other => panic!("expected Created, got {other:?}"),
    }
}

pub(crate) async fn create_default(store: &dyn Store) -> RequestRecord {
    create(
        store,
        new_request(RequestKind::Erasure, None, at("2026-02-10T09:30:00Z")),
    )
    .await
}

pub(crate) fn change(event: RequestEvent, actor: &str) -> StatusChange {
    StatusChange {
        event,
        actor: actor.to_owned(),
        reason: None,
        four_eyes: matches!(event, RequestEvent::Approve | RequestEvent::Reject),
        include_weak: None,
        audit_data: json!({"note": "test"}),
    }
}

async fn audit_count(store: &dyn Store) -> usize {
    store
        .list_audit(&AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

/// Five requests move along so the chain has several links to tamper with.
async fn chain_of_events(store: &dyn Store) -> i64 {
    for _ in 0..3 {
        let r = create_default(store).await;
        store
            .transition(r.id, change(RequestEvent::StartPlanning, "planner"))
            .await
            .unwrap();
    }
    let v = store.verify_audit().await.unwrap();
    assert_eq!(v.first_break, None);
    assert_eq!(v.head_seq, 6);
    v.head_seq
}

pub async fn create_and_get_round_trip(h: &Harness) {
    let store = h.store.as_ref();
    let new = new_request(
        RequestKind::Access,
        Some("TICKET-1"),
        at("2026-02-10T09:30:00Z"),
    );
    let id = new.id;
    let created = create(store, new).await;
    let fetched = store.get_request(id).await.unwrap().expect("stored");
    assert_eq!(created, fetched);
    assert_eq!(fetched.kind, RequestKind::Access);
    assert_eq!(fetched.status, RequestStatus::Received);
    assert_eq!(fetched.external_id.as_deref(), Some("TICKET-1"));
    assert_eq!(fetched.received_at, at("2026-01-10T09:30:00.123456Z"));
    assert_eq!(fetched.due_at, at("2026-02-10T09:30:00Z"));
    assert_eq!(fetched.original_due_at, fetched.due_at);
    assert_eq!(fetched.note.as_deref(), Some("called the front desk"));
    assert_eq!(fetched.created_by, CREATOR);
    assert_eq!(fetched.decided_by, None);
    let idents: Vec<_> = fetched
        .identifiers
        .iter()
        .map(|i| (i.kind, i.hash.as_str(), i.hint.as_str()))
        .collect();
    assert_eq!(
        idents,
        [
            (IdentifierKind::Email, "hash-email", "a***@example.com"),
            (IdentifierKind::Phone, "hash-phone", "+44******123"),
        ]
    );
    assert!(fetched.identifiers.iter().all(|i| i.destroyed_at.is_none()));
    // The record type has no clear value, and its Debug shows none either.
    let debug = format!("{fetched:?}");
    assert!(CLEAR_VALUES.iter().all(|v| !debug.contains(v)), "{debug}");
    assert_eq!(fetched.step_counts.len(), 7);
    assert!(StepStatus::ALL.iter().all(|s| fetched.step_counts[s] == 0));
    assert_eq!(store.get_request(Uuid::now_v7()).await.unwrap(), None);
    store.ping().await.unwrap();
}

pub async fn list_filters_and_cursor_pagination(h: &Harness) {
    let store = h.store.as_ref();
    let mut ids = Vec::new();
    for i in 0..5 {
        let kind = if i % 2 == 0 {
            RequestKind::Erasure
        } else {
            RequestKind::Access
        };
        let due = at("2026-02-01T00:00:00Z") + TimeDelta::days(i);
        let ext = format!("EXT-{i}");
        ids.push(create(store, new_request(kind, Some(&ext), due)).await.id);
    }
    store
        .transition(ids[1], change(RequestEvent::StartPlanning, "planner"))
        .await
        .unwrap();
    let newest_first: Vec<Uuid> = ids.iter().rev().copied().collect();

    // Pages of two: newest first, no duplicates, no gaps.
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_requests(&RequestFilter {
                after,
                limit: 2,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|r| r.id));
        pages += 1;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, newest_first);

    let list = |filter: RequestFilter| async move {
        let page = store
            .list_requests(&RequestFilter {
                limit: 50,
                ..filter
            })
            .await
            .unwrap();
        assert!(page.next.is_none());
        page.items.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    assert_eq!(
        list(RequestFilter {
            status: Some(RequestStatus::Planning),
            ..Default::default()
        })
        .await,
        [ids[1]]
    );
    assert_eq!(
        list(RequestFilter {
            kind: Some(RequestKind::Access),
            ..Default::default()
        })
        .await,
        [ids[3], ids[1]]
    );
    assert_eq!(
        list(RequestFilter {
            due_before: Some(at("2026-02-03T00:00:00Z")),
            ..Default::default()
        })
        .await,
        [ids[1], ids[0]]
    );
    assert_eq!(
        list(RequestFilter {
            external_id: Some("EXT-4".into()),
            ..Default::default()
        })
        .await,
        [ids[4]]
    );
    assert_eq!(
        list(RequestFilter {
            kind: Some(RequestKind::Erasure),
            status: Some(RequestStatus::Received),
            after: Some(ids[4]),
            ..Default::default()
        })
        .await,
        [ids[2], ids[0]]
    );
    // Identifiers come with every item of a page.
    let page = store
        .list_requests(&RequestFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    assert!(page
        .items
        .iter()
        .all(|r| r.identifiers.len() == 2 && r.step_counts.len() == 7));
}

pub async fn transition_along_the_legal_path(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    let planning = store
        .transition(r.id, change(RequestEvent::StartPlanning, "planner"))
        .await
        .unwrap();
    assert_eq!(planning.status, RequestStatus::Planning);
    let waiting = store
        .transition(r.id, change(RequestEvent::PlanNeedsApproval, "planner"))
        .await
        .unwrap();
    assert_eq!(waiting.status, RequestStatus::AwaitingApproval);
    let approved = store
        .transition(r.id, change(RequestEvent::Approve, APPROVER))
        .await
        .unwrap();
    assert_eq!(approved.status, RequestStatus::Executing);
    assert_eq!(approved.decided_by.as_deref(), Some(APPROVER));
    assert!(approved.decided_at.is_some());
    assert_eq!(store.get_request(r.id).await.unwrap().unwrap(), approved);

    let events = store
        .list_audit(&AuditFilter {
            request_id: Some(r.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "request.created",
            "request.start_planning",
            "request.plan_needs_approval",
            "request.approve"
        ]
    );
    let last: serde_json::Value = serde_json::from_str(&events[3].data).unwrap();
    assert_eq!(
        last,
        json!({"from": "awaiting_approval", "to": "executing", "note": "test"})
    );
    assert_eq!(events[3].actor, APPROVER);

    // A reason is stored with the change.
    let r2 = create_default(store).await;
    let mut cancel = change(RequestEvent::Cancel, CREATOR);
    cancel.reason = Some("withdrawn by the subject".into());
    let cancelled = store.transition(r2.id, cancel).await.unwrap();
    assert_eq!(cancelled.status, RequestStatus::Cancelled);
    assert_eq!(
        cancelled.status_reason.as_deref(),
        Some("withdrawn by the subject")
    );
    assert_eq!(store.verify_audit().await.unwrap().first_break, None);
}

pub async fn illegal_transition_writes_nothing(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    let before = audit_count(store).await;
    let err = store
        .transition(r.id, change(RequestEvent::Approve, APPROVER))
        .await
        .unwrap_err();
    match err {
        StoreError::Illegal(t) => {
            assert_eq!(t.from, RequestStatus::Received);
            assert_eq!(t.event, RequestEvent::Approve);
        }
        other => panic!("expected Illegal, got {other:?}"),
    }
    assert_eq!(audit_count(store).await, before);
    assert_eq!(store.get_request(r.id).await.unwrap().unwrap(), r);
    let missing = store
        .transition(Uuid::now_v7(), change(RequestEvent::Cancel, CREATOR))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert_eq!(audit_count(store).await, before);
}

pub async fn four_eyes_refuses_the_creator(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    store
        .transition(r.id, change(RequestEvent::StartPlanning, "planner"))
        .await
        .unwrap();
    store
        .transition(r.id, change(RequestEvent::PlanNeedsApproval, "planner"))
        .await
        .unwrap();
    let before = audit_count(store).await;
    for event in [RequestEvent::Approve, RequestEvent::Reject] {
        let err = store
            .transition(r.id, change(event, CREATOR))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::FourEyes), "{err:?}");
    }
    assert_eq!(audit_count(store).await, before);
    assert_eq!(
        store.get_request(r.id).await.unwrap().unwrap().status,
        RequestStatus::AwaitingApproval
    );
    // Without the four-eyes flag the same actor may act (e.g. cancel).
    let cancelled = store
        .transition(r.id, change(RequestEvent::Cancel, CREATOR))
        .await
        .unwrap();
    assert_eq!(cancelled.status, RequestStatus::Cancelled);
}

pub async fn extend_is_bounded(h: &Harness) {
    let store = h.store.as_ref();
    let due = at("2026-02-10T09:30:00Z");
    let r = create(store, new_request(RequestKind::Erasure, None, due)).await;
    let ext = |new_due_at| Extension {
        actor: CREATOR.to_owned(),
        new_due_at,
        reason: "complex request".to_owned(),
        audit_data: json!({"reason_hash": "h"}),
    };
    let before = audit_count(store).await;
    for not_later in [due, due - TimeDelta::days(1)] {
        let err = store.extend(r.id, ext(not_later)).await.unwrap_err();
        match err {
            StoreError::InvalidExtension(msg) => {
                assert!(msg.contains("later than the current"), "{msg}")
            }
            other => panic!("expected InvalidExtension, got {other:?}"),
        }
    }
    let too_far = at("2026-04-10T09:30:01Z");
    match store.extend(r.id, ext(too_far)).await.unwrap_err() {
        StoreError::InvalidExtension(msg) => assert!(msg.contains("at most two months"), "{msg}"),
        other => panic!("expected InvalidExtension, got {other:?}"),
    }
    assert_eq!(audit_count(store).await, before);

    let first = store
        .extend(r.id, ext(at("2026-03-10T09:30:00Z")))
        .await
        .unwrap();
    assert_eq!(first.due_at, at("2026-03-10T09:30:00Z"));
    assert_eq!(first.original_due_at, due);
    assert_eq!(first.extension_reason.as_deref(), Some("complex request"));
    // Two smaller extensions may reach, but not pass, original + 2 months.
    let second = store
        .extend(r.id, ext(at("2026-04-10T09:30:00Z")))
        .await
        .unwrap();
    assert_eq!(second.due_at, at("2026-04-10T09:30:00Z"));
    assert!(matches!(
        store.extend(r.id, ext(at("2026-04-11T00:00:00Z"))).await,
        Err(StoreError::InvalidExtension(_))
    ));
    let events = store
        .list_audit(&AuditFilter {
            request_id: Some(r.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.kind, "request.extend");
    let data: serde_json::Value = serde_json::from_str(&last.data).unwrap();
    assert_eq!(
        data,
        json!({"from": "2026-03-10T09:30:00.000000Z", "to": "2026-04-10T09:30:00.000000Z", "reason_hash": "h"})
    );

    store
        .transition(r.id, change(RequestEvent::Cancel, CREATOR))
        .await
        .unwrap();
    let err = store
        .extend(r.id, ext(at("2026-04-01T00:00:00Z")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Closed(RequestStatus::Cancelled)),
        "{err:?}"
    );
    assert!(matches!(
        store.extend(Uuid::now_v7(), ext(too_far)).await,
        Err(StoreError::NotFound)
    ));
}

fn claim(fingerprint: &str) -> IdempotencyClaim {
    IdempotencyClaim {
        actor: CREATOR.to_owned(),
        key: "key-1".to_owned(),
        fingerprint: fingerprint.to_owned(),
    }
}

async fn request_rows(h: &Harness) -> i64 {
    h.count("select count(*) from request").await
}

pub async fn idempotent_replay_and_key_reuse(h: &Harness) {
    let store = h.store.as_ref();
    let due = at("2026-02-10T09:30:00Z");
    let first = store
        .create_request(
            new_request(RequestKind::Erasure, None, due),
            Some(claim("fp-1")),
            created_audit(),
            &respond,
        )
        .await
        .unwrap();
    let CreateOutcome::Created { record, response } = first else {
        panic!("expected Created: {first:?}")
    };
    let again = store
        .create_request(
            new_request(RequestKind::Erasure, None, due),
            Some(claim("fp-1")),
            created_audit(),
            &respond,
        )
        .await
        .unwrap();
    match again {
        CreateOutcome::Replayed {
            request_id,
            response: replayed,
        } => {
            assert_eq!(request_id, record.id);
            assert_eq!(replayed, response);
        }
        other => panic!("expected Replayed, got {other:?}"),
    }
    let other = store
        .create_request(
            new_request(RequestKind::Access, None, due),
            Some(claim("fp-2")),
            created_audit(),
            &respond,
        )
        .await
        .unwrap();
    assert!(matches!(other, CreateOutcome::KeyReused), "{other:?}");
    assert_eq!(request_rows(h).await, 1);
    assert_eq!(audit_count(store).await, 1);
    // Keys are per actor: another caller's same key is a new request.
    let mut theirs = claim("fp-1");
    theirs.actor = APPROVER.to_owned();
    let created = store
        .create_request(
            new_request(RequestKind::Erasure, None, due),
            Some(theirs),
            created_audit(),
            &respond,
        )
        .await
        .unwrap();
    assert!(
        matches!(created, CreateOutcome::Created { .. }),
        "{created:?}"
    );
    assert_eq!(request_rows(h).await, 2);
}

pub async fn expired_key_does_not_replay(h: &Harness) {
    let store = h.store.as_ref();
    let due = at("2026-02-10T09:30:00Z");
    let first = store
        .create_request(
            new_request(RequestKind::Erasure, None, due),
            Some(claim("fp-1")),
            created_audit(),
            &respond,
        )
        .await
        .unwrap();
    assert!(matches!(first, CreateOutcome::Created { .. }));
    h.set_keys_created_at(Utc::now() - TimeDelta::hours(25))
        .await;
    let again = store
        .create_request(
            new_request(RequestKind::Erasure, None, due),
            Some(claim("fp-2")),
            created_audit(),
            &respond,
        )
        .await
        .unwrap();
    assert!(matches!(again, CreateOutcome::Created { .. }), "{again:?}");
    assert_eq!(request_rows(h).await, 2);
    assert_eq!(h.count("select count(*) from idempotency_key").await, 1);
}

pub async fn concurrent_duplicates_create_one_request(h: &Harness) {
    let store: Arc<dyn Store> = Arc::clone(&h.store);
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                let new = new_request(RequestKind::Erasure, None, at("2026-02-10T09:30:00Z"));
                barrier.wait().await;
                match store
                    .create_request(new, Some(claim("fp-1")), created_audit(), &respond)
                    .await
                    .unwrap()
                {
                    CreateOutcome::Created { record, response } => (record.id, response, true),
                    CreateOutcome::Replayed {
                        request_id,
                        response,
                    } => (request_id, response, false),
                    CreateOutcome::KeyReused => panic!("same fingerprint reported as reused"),
                }
            })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut responses = HashSet::new();
    let mut created = 0;
    for task in tasks {
        let (id, response, was_created) = task.await.unwrap();
        ids.insert(id);
        responses.insert(response.to_string());
        created += usize::from(was_created);
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(responses.len(), 1);
    assert_eq!(created, 1);
    assert_eq!(request_rows(h).await, 1);
    assert_eq!(audit_count(store.as_ref()).await, 1);
}

pub async fn list_audit_filters_and_pages(h: &Harness) {
    let store = h.store.as_ref();
    let a = create_default(store).await;
    let b = create_default(store).await;
    store
        .transition(a.id, change(RequestEvent::StartPlanning, "planner"))
        .await
        .unwrap();
    let all = store
        .list_audit(&AuditFilter {
            limit: 0,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "limit is clamped to at least one");
    let page = store
        .list_audit(&AuditFilter {
            after_seq: Some(1),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    let of_a = store
        .list_audit(&AuditFilter {
            request_id: Some(a.id),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(of_a.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 3]);
    let of_b = store
        .list_audit(&AuditFilter {
            request_id: Some(b.id),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(of_b.len(), 1);
    assert_eq!(of_b[0].prev_hash, all[0].hash);
}

pub async fn audit_verifies_an_untouched_chain(h: &Harness) {
    let store = h.store.as_ref();
    let empty = store.verify_audit().await.unwrap();
    assert_eq!(
        (empty.events, empty.head_seq, empty.first_break.clone()),
        (0, 0, None)
    );
    assert_eq!(empty.head_hash, "0".repeat(64));
    chain_of_events(store).await;
    let v = store.verify_audit().await.unwrap();
    assert_eq!(v.events, 6);
    let events = store
        .list_audit(&AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events[0].prev_hash, "0".repeat(64));
    assert_eq!(v.head_hash, events[5].hash);
    for pair in events.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_eq!(pair[1].seq, pair[0].seq + 1);
    }
}

pub async fn audit_detects_altered_data(h: &Harness) {
    let store = h.store.as_ref();
    chain_of_events(store).await;
    let n = h
        .exec(
            r#"update audit_event set data = '{"from":"received","to":"completed"}' where seq = 4"#,
        )
        .await;
    assert_eq!(n, 1);
    let brk = store
        .verify_audit()
        .await
        .unwrap()
        .first_break
        .expect("a break");
    assert_eq!((brk.seq, brk.kind), (4, AuditBreakKind::Altered));
    assert_eq!(
        brk.to_string(),
        "event 4: hash does not match its contents (altered)"
    );
}

pub async fn audit_detects_a_deleted_middle_event(h: &Harness) {
    let store = h.store.as_ref();
    chain_of_events(store).await;
    assert_eq!(h.exec("delete from audit_event where seq = 3").await, 1);
    let brk = store
        .verify_audit()
        .await
        .unwrap()
        .first_break
        .expect("a break");
    assert_eq!((brk.seq, brk.kind), (3, AuditBreakKind::Missing));
    assert_eq!(
        brk.to_string(),
        "event 3: missing (sequence jumps from 2 to 4)"
    );
}

pub async fn audit_detects_a_deleted_last_event(h: &Harness) {
    let store = h.store.as_ref();
    let head = chain_of_events(store).await;
    assert_eq!(
        h.exec(&format!("delete from audit_event where seq = {head}"))
            .await,
        1
    );
    let v = store.verify_audit().await.unwrap();
    assert_eq!(v.events, 5);
    let brk = v.first_break.expect("a break");
    assert_eq!((brk.seq, brk.kind), (head, AuditBreakKind::Head));
    assert_eq!(
        brk.to_string(),
        "head says 6 events but the chain ends at 5"
    );
}

pub async fn audit_detects_a_forged_appended_event(h: &Harness) {
    let store = h.store.as_ref();
    let head = chain_of_events(store).await;
    let last = store
        .list_audit(&AuditFilter {
            after_seq: Some(head - 1),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let forged = head + 1;
    let sql = format!(
        "insert into audit_event (seq, at, actor, request_id, kind, data, prev_hash, hash)
         values ({forged}, '2026-01-01T00:00:00Z', 'intruder', null, 'request.approve', '{{}}', '{}', '{}')",
        last[0].hash,
        "f".repeat(64)
    );
    assert_eq!(h.exec(&sql).await, 1);
    let brk = store
        .verify_audit()
        .await
        .unwrap()
        .first_break
        .expect("a break");
    assert_eq!(brk.seq, forged, "{brk}");

    // Even with a correctly recomputed hash (a leaked key), the head catches it.
    let key = crate::harness::audit_key();
    let hash = lethe_store::chain_hash(
        &key,
        forged,
        at("2026-01-01T00:00:00Z"),
        "intruder",
        None,
        "request.approve",
        "{}",
        &last[0].hash,
    );
    h.exec(&format!(
        "update audit_event set hash = '{hash}' where seq = {forged}"
    ))
    .await;
    let brk = store
        .verify_audit()
        .await
        .unwrap()
        .first_break
        .expect("a break");
    assert_eq!((brk.seq, brk.kind), (forged, AuditBreakKind::Head));
    assert_eq!(
        brk.to_string(),
        "head says 6 events but the chain ends at 7"
    );
}

pub async fn audit_holds_no_identifier_values(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    store
        .transition(r.id, change(RequestEvent::StartPlanning, "planner"))
        .await
        .unwrap();
    store
        .extend(
            r.id,
            Extension {
                actor: CREATOR.into(),
                new_due_at: r.due_at + TimeDelta::days(7),
                reason: "complex".into(),
                audit_data: json!({}),
            },
        )
        .await
        .unwrap();
    let texts = h.audit_texts().await;
    assert_eq!(texts.len(), 3);
    for text in &texts {
        for value in CLEAR_VALUES {
            assert!(
                !text.contains(value),
                "audit row contains an identifier value: {text}"
            );
        }
    }
    // The clear values are stored (for discovery), just not in audit.
    assert_eq!(
        h.count("select count(*) from subject_identifier where value is not null")
            .await,
        2
    );
}

// ---- the step queue ----

pub(crate) const WORKER_A: &str = "worker-a";
const WORKER_B: &str = "worker-b";
pub(crate) const LEASE: std::time::Duration = std::time::Duration::from_secs(60);

pub(crate) fn new_step(key: &str, connector: &str, max_attempts: i32) -> NewStep {
    NewStep {
        step_key: key.to_owned(),
        connector: connector.to_owned(),
        target: format!("{connector}-prod"),
        action: StepAction::Erase,
        max_attempts,
        run_at: Utc::now() - TimeDelta::seconds(1),
    }
}

async fn steps_of(store: &dyn Store, request_id: Uuid) -> HashMap<String, StepRecord> {
    store
        .list_steps(request_id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.step_key.clone(), s))
        .collect()
}

pub(crate) async fn assert_chain_verifies(store: &dyn Store) {
    let v = store.verify_audit().await.unwrap();
    assert_eq!(v.first_break, None);
}

pub async fn steps_insert_is_idempotent(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    let first = store
        .insert_steps(
            r.id,
            vec![
                new_step("a", "crm", 3),
                new_step("b", "crm", 3),
                new_step("c", "mail", 3),
            ],
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|s| s.status == StepStatus::Pending
        && s.attempt == 0
        && s.lease_owner.is_none()
        && s.attempts.is_empty()));
    // The same plan again, plus one new step: nothing is duplicated or
    // overwritten (the changed connector of "a" is ignored).
    let again = store
        .insert_steps(
            r.id,
            vec![
                new_step("a", "other", 9),
                new_step("b", "crm", 3),
                new_step("d", "crm", 3),
            ],
        )
        .await
        .unwrap();
    let keys: Vec<_> = again.iter().map(|s| s.step_key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "d"]);
    assert_eq!(again[0], first[0]);
    assert_eq!(again[0].connector, "crm");
    assert_eq!(again[1], first[1]);
    assert_eq!(h.count("select count(*) from step").await, 4);
    let record = store.get_request(r.id).await.unwrap().unwrap();
    assert_eq!(record.step_counts[&StepStatus::Pending], 4);
    assert_eq!(record.step_counts[&StepStatus::Running], 0);
    let missing = store
        .insert_steps(Uuid::now_v7(), vec![new_step("a", "crm", 3)])
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

pub async fn steps_claim_each_due_step_once(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    let mut later = new_step("later", "crm", 3);
    later.run_at = Utc::now() + TimeDelta::hours(1);
    store
        .insert_steps(
            r.id,
            vec![
                new_step("a", "crm", 3),
                new_step("b", "crm", 3),
                new_step("c", "mail", 3),
                later,
            ],
        )
        .await
        .unwrap();
    let mail = store
        .claim_steps(WORKER_A, LEASE, 10, Some("mail"))
        .await
        .unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].step_key, "c");
    let rest = store.claim_steps(WORKER_A, LEASE, 10, None).await.unwrap();
    let mut keys: Vec<_> = rest.iter().map(|s| s.step_key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["a", "b"]);
    assert!(mail
        .iter()
        .chain(&rest)
        .all(|s| s.attempt == 1 && s.lease_expires_at > Utc::now()));
    assert!(store
        .claim_steps(WORKER_A, LEASE, 10, None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(h.count("select count(*) from step_attempt").await, 3);
    let steps = steps_of(store, r.id).await;
    for key in ["a", "b", "c"] {
        let s = &steps[key];
        assert_eq!(s.status, StepStatus::Running);
        assert_eq!(s.attempt, 1);
        assert_eq!(s.lease_owner.as_deref(), Some(WORKER_A));
        assert!(s.started_at.is_some());
        assert_eq!(s.attempts.len(), 1);
        assert_eq!(s.attempts[0].attempt, 1);
        assert_eq!(s.attempts[0].worker, WORKER_A);
        assert_eq!(s.attempts[0].outcome, None);
    }
    assert_eq!(steps["later"].status, StepStatus::Pending);
    let record = store.get_request(r.id).await.unwrap().unwrap();
    assert_eq!(record.step_counts[&StepStatus::Running], 3);
    assert_eq!(record.step_counts[&StepStatus::Pending], 1);
}

pub async fn steps_concurrent_claimers_never_share_a_step(h: &Harness) {
    let r = create_default(h.store.as_ref()).await;
    let steps = (0..20)
        .map(|i| new_step(&format!("s{i:02}"), "crm", 3))
        .collect();
    h.store.insert_steps(r.id, steps).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let tasks: Vec<_> = [WORKER_A, WORKER_B]
        .into_iter()
        .map(|worker| {
            let store = Arc::clone(&h.store);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                loop {
                    let got = store.claim_steps(worker, LEASE, 3, None).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|s| s.id));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 20, "every step claimed exactly once");
    assert_eq!(unique.len(), 20);
    assert_eq!(h.count("select count(*) from step_attempt").await, 20);
}

pub async fn steps_completion_is_fenced(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    store
        .insert_steps(r.id, vec![new_step("a", "crm", 3)])
        .await
        .unwrap();
    let claimed = store
        .claim_steps(WORKER_A, LEASE, 1, None)
        .await
        .unwrap()
        .remove(0);
    let before = store.list_steps(r.id).await.unwrap();
    let audit_before = audit_count(store).await;
    let done = StepOutcome::Succeeded {
        matched: Some(3),
        affected: Some(3),
        remaining: Some(0),
        detail: None,
        output: None,
    };
    assert!(!store
        .complete_step(claimed.id, WORKER_B, 1, done.clone())
        .await
        .unwrap());
    assert!(!store
        .complete_step(claimed.id, WORKER_A, 2, done.clone())
        .await
        .unwrap());
    assert!(!store
        .complete_step(Uuid::now_v7(), WORKER_A, 1, done.clone())
        .await
        .unwrap());
    assert!(!store
        .heartbeat(claimed.id, WORKER_B, 1, LEASE)
        .await
        .unwrap());
    assert!(!store
        .heartbeat(claimed.id, WORKER_A, 2, LEASE)
        .await
        .unwrap());
    assert_eq!(store.list_steps(r.id).await.unwrap(), before);
    assert_eq!(audit_count(store).await, audit_before);

    let long = std::time::Duration::from_secs(3600);
    assert!(store
        .heartbeat(claimed.id, WORKER_A, 1, long)
        .await
        .unwrap());
    let s = &store.list_steps(r.id).await.unwrap()[0];
    assert!(s.lease_expires_at.unwrap() > claimed.lease_expires_at);
    // The batch heartbeat: fenced on the owner, unknown ids are not held.
    let stranger = Uuid::now_v7();
    assert!(store
        .heartbeat_steps(WORKER_B, &[claimed.id], long)
        .await
        .unwrap()
        .is_empty());
    let renewed = store
        .heartbeat_steps(WORKER_A, &[claimed.id, stranger], long * 2)
        .await
        .unwrap();
    assert_eq!(renewed, vec![claimed.id]);
    let s2 = &store.list_steps(r.id).await.unwrap()[0];
    assert!(s2.lease_expires_at.unwrap() > s.lease_expires_at.unwrap());

    assert!(store
        .complete_step(claimed.id, WORKER_A, 1, done.clone())
        .await
        .unwrap());
    let s = &store.list_steps(r.id).await.unwrap()[0];
    assert_eq!(s.status, StepStatus::Succeeded);
    assert_eq!(
        (s.items_matched, s.items_affected, s.items_remaining),
        (Some(3), Some(3), Some(0))
    );
    assert!(s.lease_owner.is_none() && s.lease_expires_at.is_none());
    assert!(s.finished_at.is_some());
    assert_eq!(s.attempts[0].outcome.as_deref(), Some("succeeded"));
    assert!(s.attempts[0].finished_at.is_some());
    // A second report of the same attempt is refused.
    assert!(!store
        .complete_step(claimed.id, WORKER_A, 1, done)
        .await
        .unwrap());

    let events = store
        .list_audit(&AuditFilter {
            request_id: Some(r.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.kind, "step.succeeded");
    assert_eq!(last.actor, WORKER_A);
    let data: serde_json::Value = serde_json::from_str(&last.data).unwrap();
    assert_eq!(data["step_key"], "a");
    assert_eq!(data["action"], "erase");
    assert_eq!(data["attempt"], 1);
    assert_eq!(data["counts"]["affected"], 3);
    assert_chain_verifies(store).await;
}

pub async fn steps_transient_retries_until_max_attempts(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    store
        .insert_steps(
            r.id,
            vec![new_step("flaky", "crm", 2), new_step("broken", "mail", 5)],
        )
        .await
        .unwrap();
    let claimed = store.claim_steps(WORKER_A, LEASE, 10, None).await.unwrap();
    let id = |key: &str| claimed.iter().find(|s| s.step_key == key).unwrap().id;
    let retry_at = at("2099-01-01T00:00:00.123456Z");
    let transient = |error: &str| StepOutcome::Transient {
        error: error.to_owned(),
        retry_at,
    };
    assert!(store
        .complete_step(id("flaky"), WORKER_A, 1, transient("timeout"))
        .await
        .unwrap());
    let permanent = StepOutcome::Permanent {
        error: "no such table".to_owned(),
    };
    assert!(store
        .complete_step(id("broken"), WORKER_A, 1, permanent)
        .await
        .unwrap());
    let steps = steps_of(store, r.id).await;
    let flaky = &steps["flaky"];
    assert_eq!(flaky.status, StepStatus::Retrying);
    assert_eq!(flaky.run_at, retry_at);
    assert_eq!(flaky.error.as_deref(), Some("timeout"));
    assert!(flaky.finished_at.is_none() && flaky.lease_owner.is_none());
    assert_eq!(flaky.attempts[0].outcome.as_deref(), Some("transient"));
    assert_eq!(flaky.attempts[0].error.as_deref(), Some("timeout"));
    let broken = &steps["broken"];
    assert_eq!(broken.status, StepStatus::Failed, "permanent fails at once");
    assert!(broken.finished_at.is_some());
    assert_eq!(broken.attempts[0].outcome.as_deref(), Some("permanent"));

    // Not due before retry_at.
    assert!(store
        .claim_steps(WORKER_A, LEASE, 10, None)
        .await
        .unwrap()
        .is_empty());
    h.exec("update step set run_at = created_at where status = 'retrying'")
        .await;
    let again = store.claim_steps(WORKER_B, LEASE, 10, None).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    assert!(store
        .complete_step(again[0].id, WORKER_B, 2, transient("timeout again"))
        .await
        .unwrap());
    let flaky = &steps_of(store, r.id).await["flaky"];
    assert_eq!(flaky.status, StepStatus::Failed, "out of attempts");
    assert!(flaky.finished_at.is_some());
    assert_eq!(flaky.attempts.len(), 2);
    assert_eq!(flaky.attempts[1].worker, WORKER_B);

    // No error text reaches the audit log.
    for text in h.audit_texts().await {
        assert!(
            !text.contains("timeout") && !text.contains("no such table"),
            "{text}"
        );
    }

    // An operator's retry: both back to pending with fresh attempts.
    assert_eq!(store.retry_failed_steps(r.id).await.unwrap(), 2);
    let steps = steps_of(store, r.id).await;
    assert_eq!(steps["flaky"].status, StepStatus::Pending);
    assert_eq!(
        (steps["flaky"].attempt, steps["flaky"].max_attempts),
        (2, 4)
    );
    assert_eq!(
        (steps["broken"].attempt, steps["broken"].max_attempts),
        (1, 6)
    );
    assert!(steps.values().all(|s| s.finished_at.is_none()));
    let third = store.claim_steps(WORKER_A, LEASE, 10, None).await.unwrap();
    assert_eq!(third.len(), 2);
    assert!(third
        .iter()
        .any(|s| s.step_key == "flaky" && s.attempt == 3));
    assert_chain_verifies(store).await;
}

pub async fn steps_expired_lease_is_rescued(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    store
        .insert_steps(
            r.id,
            vec![new_step("a", "crm", 3), new_step("last", "crm", 1)],
        )
        .await
        .unwrap();
    let lost = store
        .claim_steps(WORKER_A, std::time::Duration::ZERO, 10, None)
        .await
        .unwrap();
    assert_eq!(lost.len(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let taken = store.claim_steps(WORKER_B, LEASE, 10, None).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].step_key, "a");
    assert_eq!(taken[0].attempt, 2);

    let steps = steps_of(store, r.id).await;
    let a = &steps["a"];
    assert_eq!(a.status, StepStatus::Running);
    assert_eq!(a.lease_owner.as_deref(), Some(WORKER_B));
    assert_eq!(a.attempts.len(), 2);
    assert_eq!(a.attempts[0].worker, WORKER_A);
    assert_eq!(a.attempts[0].outcome.as_deref(), Some("lease_expired"));
    assert_eq!(
        a.attempts[0].error.as_deref(),
        Some("lease expired (worker stopped or lost)")
    );
    assert!(a.attempts[0].finished_at.is_some());
    assert_eq!(a.attempts[1].outcome, None);
    let last = &steps["last"];
    assert_eq!(last.status, StepStatus::Failed, "its only attempt expired");
    assert!(last.finished_at.is_some() && last.lease_owner.is_none());
    assert_eq!(last.attempts[0].outcome.as_deref(), Some("lease_expired"));

    // The worker that lost the lease can neither extend it nor report.
    let a_id = a.id;
    assert!(!store.heartbeat(a_id, WORKER_A, 1, LEASE).await.unwrap());
    let done = StepOutcome::Succeeded {
        matched: None,
        affected: None,
        remaining: None,
        detail: None,
        output: None,
    };
    assert!(!store
        .complete_step(a_id, WORKER_A, 1, done.clone())
        .await
        .unwrap());
    assert!(store.complete_step(a_id, WORKER_B, 2, done).await.unwrap());
    let kinds: Vec<_> = store
        .list_audit(&AuditFilter {
            request_id: Some(r.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"step.failed".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"step.retrying".to_owned()), "{kinds:?}");
    assert_chain_verifies(store).await;
}

pub async fn steps_release_puts_steps_back(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    store
        .insert_steps(r.id, vec![new_step("a", "crm", 3), new_step("b", "crm", 3)])
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_steps(WORKER_A, LEASE, 10, None)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.release_steps(WORKER_B).await.unwrap(), 0);
    assert_eq!(store.release_steps(WORKER_A).await.unwrap(), 2);
    for s in steps_of(store, r.id).await.values() {
        assert_eq!(s.status, StepStatus::Pending);
        assert_eq!(s.attempt, 1, "the released attempt stays counted");
        assert!(s.lease_owner.is_none() && s.lease_expires_at.is_none());
        assert_eq!(s.attempts[0].outcome.as_deref(), Some("released"));
        assert!(s.attempts[0].finished_at.is_some());
    }
    let again = store.claim_steps(WORKER_B, LEASE, 10, None).await.unwrap();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|s| s.attempt == 2));
    assert_eq!(h.count("select count(*) from step_attempt").await, 4);
    assert_chain_verifies(store).await;
}
