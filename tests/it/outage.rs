//! A store that goes away mid-run: the console's call-history PostgreSQL
//! behind a TCP proxy that is taken down. Its steps retry with backoff and
//! finish once it is back; the file targets' steps are not held up.

use std::sync::Arc;
use std::time::Duration;

use lethe_domain::StepStatus;
use lethe_testkit::Fixture;

use crate::estate::{Estate, Options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_of_an_unreachable_database_retry_and_finish_while_files_go_on() {
    let Some(url) = crate::pgstore::database_url_or_skip("outage") else {
        return;
    };
    let fixture = Fixture::standard(300);
    let (client, schema) = crate::pgstore::call_history_schema(&url, "o", &fixture).await;
    let planted = &fixture.plants[0];

    let (proxy, pg) = crate::pgstore::proxied_call_history(&url, &schema).await;
    let e = Estate::start(Options {
        extra: Some(Arc::new(pg)),
        ..Options::default()
    })
    .await;
    // The caller is in the call history; John Smith's email is in the files.
    let mut subject = e.subject("john");
    subject["phones"]
        .as_array_mut()
        .unwrap()
        .push(planted.e164().unwrap().into());
    let id = e.submit("access", subject).await;
    let uuid = uuid::Uuid::parse_str(&id).unwrap();

    // Down: the database's discovery waits, every file target's is done.
    e.engine.round().await.unwrap();
    let steps = e.store.list_steps(uuid).await.unwrap();
    let db = steps.iter().find(|s| s.connector == "postgres").unwrap();
    assert_eq!(db.status, StepStatus::Retrying, "{db:?}");
    assert!(db
        .error
        .as_deref()
        .unwrap()
        .contains("console-call-history"));
    let files: Vec<_> = steps.iter().filter(|s| s.connector == "files").collect();
    assert!(!files.is_empty());
    assert!(files.iter().all(|s| s.status == StepStatus::Succeeded));

    // Back: the same step succeeds on a later attempt and the request completes.
    proxy.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    e.run().await;
    assert!(e.status(&id).await.starts_with("completed"));
    let steps = e.store.list_steps(uuid).await.unwrap();
    let db = steps
        .iter()
        .find(|s| s.step_key == "discover:postgres:console-call-history")
        .unwrap();
    assert_eq!(db.status, StepStatus::Succeeded);
    assert!(db.attempts.len() >= 2);
    assert_eq!(db.items_matched, Some(planted.strong as i64));
    let export = steps
        .iter()
        .find(|s| s.step_key == "export:postgres:console-call-history")
        .unwrap();
    assert_eq!(export.status, StepStatus::Succeeded);
    // Files were never retried.
    assert!(steps
        .iter()
        .filter(|s| s.connector == "files")
        .all(|s| s.attempts.len() == 1));
    client
        .batch_execute(&format!("drop schema {schema} cascade"))
        .await
        .unwrap();
}
