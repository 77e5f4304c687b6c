//! Conformance cases for manual steps: a person confirms or declines the
//! work a worker parked in `awaiting_manual`.

use lethe_domain::{RequestEvent, StepAction, StepStatus};
use lethe_store::{ManualDecision, ManualFinish, NewStep, StepOutcome, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

use crate::conformance::{
    assert_chain_verifies, change, create_default, new_step, LEASE, WORKER_A,
};
use crate::harness::Harness;

const KEY: &str = "manual:manual:dialogflow";
const NOTE: &str = "Purged in the Dialogflow console; Jane Roe's ticket DF-1234";

fn finish(decision: ManualDecision, note: Option<&str>) -> ManualFinish {
    ManualFinish {
        decision,
        note: note.map(str::to_owned),
        actor: "approver-1".to_owned(),
        audit_data: json!({"note_hash": "keyed-hash-of-the-note"}),
    }
}

/// A request with a manual step parked by a worker and an erase step
/// still pending.
async fn parked(store: &dyn Store) -> Uuid {
    let r = create_default(store).await;
    let manual = NewStep {
        action: StepAction::Manual,
        target: "dialogflow".to_owned(),
        ..new_step(KEY, "manual", 3)
    };
    store.insert_steps(r.id, vec![manual]).await.unwrap();
    let c = store
        .claim_steps(WORKER_A, LEASE, 10, Some("manual"))
        .await
        .unwrap()
        .remove(0);
    assert!(store
        .complete_step(c.id, WORKER_A, c.attempt, StepOutcome::AwaitingManual)
        .await
        .unwrap());
    store
        .insert_steps(r.id, vec![new_step("erase:files:logs", "files", 3)])
        .await
        .unwrap();
    r.id
}

pub async fn manual_step_is_confirmed_once(h: &Harness) {
    let store = h.store.as_ref();
    let id = parked(store).await;
    let mut signal = store.work_signal();
    signal.borrow_and_update();
    let step = store
        .finish_manual_step(id, KEY, finish(ManualDecision::Confirmed, Some(NOTE)))
        .await
        .unwrap();
    assert_eq!(step.status, StepStatus::Succeeded);
    assert!(step.finished_at.is_some());
    assert_eq!(step.error, None);
    assert_eq!(
        step.detail,
        Some(json!({"note": NOTE, "decided_by": "approver-1", "decision": "confirmed"}))
    );
    assert!(signal.has_changed().unwrap(), "the orchestrator is woken");
    // A second decision finds it finished, and says so.
    let again = store
        .finish_manual_step(id, KEY, finish(ManualDecision::Declined, Some("no")))
        .await;
    match again {
        Err(StoreError::StepConflict(msg)) => assert!(msg.contains("is succeeded"), "{msg}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let events = store
        .list_audit(&lethe_store::AuditFilter {
            request_id: Some(id),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    let confirmed: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "step.confirmed")
        .collect();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].actor, "approver-1");
    let data: serde_json::Value = serde_json::from_str(&confirmed[0].data).unwrap();
    assert_eq!(data["note_hash"], "keyed-hash-of-the-note");
    assert_eq!(data["step_key"], KEY);
    assert_eq!(data["decision"], "confirmed");
    assert_chain_verifies(store).await;
}

pub async fn manual_step_declined_keeps_the_note_out_of_the_audit(h: &Harness) {
    let store = h.store.as_ref();
    let id = parked(store).await;
    let step = store
        .finish_manual_step(id, KEY, finish(ManualDecision::Declined, Some(NOTE)))
        .await
        .unwrap();
    assert_eq!(step.status, StepStatus::Skipped);
    assert!(step.error.as_deref().unwrap().contains("declined"));
    assert_eq!(step.detail.as_ref().unwrap()["decision"], "declined");
    assert_eq!(step.detail.as_ref().unwrap()["note"], NOTE);
    let texts = h.audit_texts().await;
    assert!(texts.iter().any(|t| t.contains("step.declined")));
    assert!(
        texts
            .iter()
            .all(|t| !t.contains("Jane Roe") && !t.contains("DF-1234")),
        "the note never enters the audit chain"
    );
    assert_chain_verifies(store).await;
}

pub async fn manual_step_errors_name_what_is_wrong(h: &Harness) {
    let store = h.store.as_ref();
    let id = parked(store).await;
    let confirm = || finish(ManualDecision::Confirmed, None);
    assert!(matches!(
        store
            .finish_manual_step(Uuid::now_v7(), KEY, confirm())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .finish_manual_step(id, "manual:manual:nope", confirm())
            .await,
        Err(StoreError::StepNotFound)
    ));
    match store
        .finish_manual_step(id, "erase:files:logs", confirm())
        .await
    {
        Err(StoreError::StepConflict(msg)) => assert!(msg.contains("not a manual one"), "{msg}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A manual step no worker parked yet is not awaiting a person.
    let other = create_default(store).await;
    let pending = NewStep {
        action: StepAction::Manual,
        ..new_step(KEY, "manual", 3)
    };
    store.insert_steps(other.id, vec![pending]).await.unwrap();
    match store.finish_manual_step(other.id, KEY, confirm()).await {
        Err(StoreError::StepConflict(msg)) => assert!(msg.contains("is pending"), "{msg}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A closed request's steps are history.
    store
        .transition(id, change(RequestEvent::Cancel, "creator"))
        .await
        .unwrap();
    assert!(matches!(
        store.finish_manual_step(id, KEY, confirm()).await,
        Err(StoreError::Closed(_))
    ));
    let steps = store.list_steps(id).await.unwrap();
    assert_eq!(
        steps[0].status,
        StepStatus::AwaitingManual,
        "nothing was written"
    );
    assert_chain_verifies(store).await;
}
