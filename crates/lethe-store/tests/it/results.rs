//! Conformance cases for what discovery and export leave in the store:
//! proposals and their acceptance, step detail and exported records.

use lethe_domain::{IdentifierKind, StepStatus};
use lethe_store::{IdentifierOrigin, NewProposal, StepOutcome, StoreError};
use serde_json::json;

use crate::conformance::{assert_chain_verifies, create_default, new_step, LEASE, WORKER_A};
use crate::harness::Harness;

fn proposal(value: &str, hash: &str) -> NewProposal {
    NewProposal {
        kind: IdentifierKind::Phone,
        value: value.to_owned(),
        hash: hash.to_owned(),
        hint: "+44 **** ***855".to_owned(),
        source: "files:adf-directory".to_owned(),
    }
}

pub async fn proposals_are_searched_once_accepted(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    let given = store.searched_values(r.id).await.unwrap();
    assert!(!given.is_empty());
    // Proposed twice (a re-run discovery): stored once, not searched yet.
    let p = || vec![proposal("+441632960855", "h-proposed")];
    assert_eq!(store.propose_identifiers(r.id, p()).await.unwrap(), 1);
    assert_eq!(store.propose_identifiers(r.id, p()).await.unwrap(), 0);
    assert_eq!(store.searched_values(r.id).await.unwrap(), given);
    let rec = store.get_request(r.id).await.unwrap().unwrap();
    let prop = rec
        .identifiers
        .iter()
        .find(|i| i.hash == "h-proposed")
        .unwrap();
    assert_eq!(prop.origin, IdentifierOrigin::Proposed);
    assert_eq!(prop.source.as_deref(), Some("files:adf-directory"));
    // All or nothing: one unknown hash accepts none.
    let bad = store
        .accept_identifiers(r.id, &["h-proposed".into(), "nope".into()], "officer-b")
        .await;
    assert!(matches!(bad, Err(StoreError::NotFound)));
    assert_eq!(store.searched_values(r.id).await.unwrap(), given);
    let rec = store
        .accept_identifiers(r.id, &["h-proposed".into()], "officer-b")
        .await
        .unwrap();
    assert!(rec
        .identifiers
        .iter()
        .any(|i| i.hash == "h-proposed" && i.origin == IdentifierOrigin::Accepted));
    let now = store.searched_values(r.id).await.unwrap();
    assert_eq!(now.len(), given.len() + 1);
    assert_eq!(now.last().unwrap().value, "+441632960855");
    assert_chain_verifies(store).await;
}

pub async fn step_detail_and_output_round_trip(h: &Harness) {
    let store = h.store.as_ref();
    let r = create_default(store).await;
    store
        .insert_steps(r.id, vec![new_step("export:files:logs", "files", 3)])
        .await
        .unwrap();
    let c = store
        .claim_steps(WORKER_A, LEASE, 10, None)
        .await
        .unwrap()
        .remove(0);
    let detail = json!({"places": [{"place": "a.log", "items": 2, "weak": 0}]});
    let output = json!([{"place": "a.log", "line": 3, "content": "x"}]);
    let done = StepOutcome::Succeeded {
        matched: Some(2),
        affected: None,
        remaining: None,
        detail: Some(detail.clone()),
        output: Some(output.clone()),
    };
    assert!(store
        .complete_step(c.id, WORKER_A, c.attempt, done)
        .await
        .unwrap());
    let steps = store.list_steps(r.id).await.unwrap();
    assert_eq!(steps[0].status, StepStatus::Succeeded);
    assert_eq!(steps[0].detail.as_ref(), Some(&detail));
    let outputs = store.step_outputs(r.id).await.unwrap();
    assert_eq!(outputs, vec![("export:files:logs".to_owned(), output)]);
    assert_eq!(store.purge_outputs(r.id).await.unwrap(), 1);
    assert!(store.step_outputs(r.id).await.unwrap().is_empty());
    assert_chain_verifies(store).await;
}

/// Waits for the signal to move, or gives up after a generous bound (a
/// guard against hanging, not a speed requirement).
async fn moved(rx: &mut tokio::sync::watch::Receiver<u64>) -> bool {
    tokio::time::timeout(std::time::Duration::from_secs(10), rx.changed())
        .await
        .is_ok()
}

pub async fn work_signal_wakes_workers_here_and_elsewhere(h: &Harness) {
    let store = h.store.as_ref();
    let mut here = store.work_signal();
    let peer = h.peer().await;
    let mut there = peer.work_signal();
    // Let the peer's listener (PostgreSQL) start before anything happens.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = create_default(store).await;
    assert!(moved(&mut here).await, "a new request wakes this process");
    if h.signals_cross_processes() {
        assert!(moved(&mut there).await, "and, through NOTIFY, another");
    }
    store
        .insert_steps(r.id, vec![new_step("discover:x", "files", 3)])
        .await
        .unwrap();
    assert!(moved(&mut here).await, "planned steps wake workers");
    if h.signals_cross_processes() {
        assert!(moved(&mut there).await);
    }
}

pub async fn retention_destroys_clear_values_of_closed_requests_only(h: &Harness) {
    use lethe_domain::RequestEvent;
    let store = h.store.as_ref();
    let open = create_default(store).await;
    let closed = create_default(store).await;
    let cancel = lethe_store::StatusChange {
        event: RequestEvent::Cancel,
        actor: "officer-a".into(),
        reason: Some("withdrawn".into()),
        four_eyes: false,
        include_weak: None,
        audit_data: json!({}),
    };
    store.transition(closed.id, cancel).await.unwrap();
    // Closed after the cut-off: kept.
    let before = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    assert_eq!(store.destroy_identifiers(before).await.unwrap(), 0);
    let later = chrono::Utc::now() + chrono::TimeDelta::seconds(1);
    let n = store.destroy_identifiers(later).await.unwrap();
    assert_eq!(n as usize, closed.identifiers.len());
    assert!(store.searched_values(closed.id).await.unwrap().is_empty());
    let rec = store.get_request(closed.id).await.unwrap().unwrap();
    assert!(rec
        .identifiers
        .iter()
        .all(|i| i.destroyed_at.is_some() && !i.hash.is_empty()));
    assert_eq!(
        h.count("select count(*) from subject_identifier where value is null")
            .await,
        n as i64
    );
    // The open request keeps its values; a second sweep finds nothing.
    assert!(!store.searched_values(open.id).await.unwrap().is_empty());
    assert_eq!(store.destroy_identifiers(later).await.unwrap(), 0);
    let audit = store
        .list_audit(&lethe_store::AuditFilter {
            request_id: Some(closed.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.kind == "identifiers.destroyed"));
    assert_chain_verifies(store).await;
}
