//! How failures surface: a transient one (a log share that is gone for a
//! while) retries with backoff and then succeeds; a permanent one (a
//! malformed file) fails the step at once with a message that names the
//! place but holds no personal data.

use std::time::Duration;

use lethe_domain::StepStatus;

use crate::estate::{Estate, Options};

async fn step(e: &Estate, id: &str, key: &str) -> lethe_store::StepRecord {
    let id = uuid::Uuid::parse_str(id).unwrap();
    e.store
        .list_steps(id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.step_key == key)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failure_retries_with_backoff_then_succeeds() {
    let e = Estate::start(Options::default()).await;
    let logs = e.root().join("console/logs");
    let away = e.root().join("console/logs-unmounted");
    // The share is not mounted (as root, permissions would not stop us;
    // a missing directory is the same kind of failure).
    std::fs::rename(&logs, &away).unwrap();
    let id = e.submit("access", e.subject("john")).await;
    e.engine.round().await.unwrap();
    let s = step(&e, &id, "discover:files:console-logs").await;
    assert_eq!(s.status, StepStatus::Retrying, "{s:?}");
    let error = s.error.clone().unwrap();
    assert!(
        error.contains("console-logs") && error.contains("mounted"),
        "{error}"
    );
    let first_failed_at = s.attempts[0].finished_at.unwrap();
    assert!(s.run_at > first_failed_at, "the retry waits (backoff)");
    assert_eq!(e.status(&id).await, "planning");

    std::fs::rename(&away, &logs).unwrap();
    // Backoff here is at most 50 ms; wait past it, then let the worker run.
    tokio::time::sleep(Duration::from_millis(200)).await;
    e.run().await;
    let s = step(&e, &id, "discover:files:console-logs").await;
    assert_eq!(s.status, StepStatus::Succeeded);
    assert_eq!(s.attempts.len(), 2);
    assert_eq!(s.attempts[0].outcome.as_deref(), Some("transient"));
    assert_eq!(s.attempts[1].outcome.as_deref(), Some("succeeded"));
    assert!(s.items_matched.unwrap() > 0);
    assert!(e.status(&id).await.starts_with("completed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failure_fails_the_step_without_personal_data() {
    let e = Estate::start(Options::default()).await;
    let comments = e.root().join("console/config/comments/Comments.csv");
    let body = std::fs::read_to_string(&comments).unwrap();
    // A header without the key column the target declares.
    let broken = body.replacen("UniqueID", "Ident", 1);
    std::fs::write(&comments, broken).unwrap();
    let id = e.submit("access", e.subject("john")).await;
    e.run().await;
    let s = step(&e, &id, "discover:files:console-comments").await;
    assert_eq!(s.status, StepStatus::Failed);
    assert_eq!(s.attempts.len(), 1, "a permanent failure is not retried");
    assert_eq!(s.attempts[0].outcome.as_deref(), Some("permanent"));
    let error = s.error.unwrap();
    assert!(
        error.contains("console-comments") && error.contains("Comments.csv"),
        "{error}"
    );
    let john = e.demo.subjects.iter().find(|s| s.label == "john").unwrap();
    for form in john.strong_forms.iter().chain(&john.name_forms) {
        assert!(
            !error.to_lowercase().contains(&form.to_lowercase()),
            "{error}"
        );
    }
    assert_eq!(e.status(&id).await, "failed");
    // The other targets were not held up.
    let other = step(&e, &id, "discover:files:console-logs").await;
    assert_eq!(other.status, StepStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_requests_scans_each_file_once() {
    let e = Estate::start(Options {
        targets: |t| t.into_iter().filter(|t| t.name == "console-logs").collect(),
        ..Options::default()
    })
    .await;
    let files = std::fs::read_dir(e.root().join("console/logs"))
        .unwrap()
        .count() as u64;
    let labels = ["john", "mary", "priya"];
    let n = 12;
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(e.submit("access", e.subject(labels[i % 3])).await);
    }
    e.run().await;
    for id in &ids {
        assert!(e.status(id).await.starts_with("completed"));
    }
    // One discovery pass and one export pass over the tree for all twelve
    // requests, not twelve of each.
    assert_eq!(e.files.files_scanned(), 2 * files);
    // And each request got its own subject's items.
    for (i, id) in ids.iter().enumerate() {
        let s = step(&e, id, "discover:files:console-logs").await;
        let first = step(&e, &ids[i % 3], "discover:files:console-logs").await;
        assert_eq!(s.items_matched, first.items_matched);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_new_steps() {
    let e = Estate::start(Options::default()).await;
    let id = e.submit("access", e.subject("john")).await;
    // One round: discovery runs and the export steps are planned.
    e.engine.round().await.unwrap();
    assert_eq!(e.status(&id).await, "executing");
    let r = e
        .http
        .post(format!("{}/v1/requests/{id}/cancel", e.base))
        .bearer_auth(Estate::token("alice", &[lethe_api::Role::Requester]))
        .json(&serde_json::json!({"reason": "subject withdrew the request"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    e.run().await;
    assert_eq!(e.status(&id).await, "cancelled");
    let steps = e
        .store
        .list_steps(uuid::Uuid::parse_str(&id).unwrap())
        .await
        .unwrap();
    let exports: Vec<_> = steps
        .iter()
        .filter(|s| s.action == lethe_domain::StepAction::Export)
        .collect();
    assert!(!exports.is_empty());
    assert!(
        exports.iter().all(|s| s.status == StepStatus::Skipped),
        "{exports:?}"
    );
    assert!(e
        .store
        .step_outputs(uuid::Uuid::parse_str(&id).unwrap())
        .await
        .unwrap()
        .is_empty());
}
