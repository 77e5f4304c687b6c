//! Several `lethe work` processes on one PostgreSQL store share the steps:
//! `FOR UPDATE SKIP LOCKED` claims, so no step is claimed twice (one
//! attempt row per step proves it) and none is lost.

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use lethe_domain::{RequestKind, StepStatus};

use crate::kill::{audit_key, config, open_requests, subjects, submit, work};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_500_steps_without_double_claims() {
    let Some(pg) = crate::pgstore::pg_schema(audit_key()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    lethe_connectors::files::write_demo_estate(&dir.join("estate")).unwrap();
    // Small claims, so both workers get a share of every phase.
    let cfg = config(dir, &pg.url, "claim_limit = 8");
    let people: Vec<_> = subjects()
        .into_iter()
        .filter(|(k, _)| *k == RequestKind::Access)
        .map(|(_, s)| s)
        .collect();
    for i in 0..64 {
        submit(
            pg.store.as_ref(),
            RequestKind::Access,
            &people[i % people.len()],
        )
        .await;
    }
    let logs = [dir.join("w1.log"), dir.join("w2.log")];
    let mut workers: Vec<_> = logs.iter().map(|l| work(&cfg, l)).collect();
    let mut waited = 0;
    while open_requests(pg.store.as_ref()).await > 0 {
        for w in &mut workers {
            assert!(w.try_wait().unwrap().is_none(), "a worker exited");
        }
        assert!(waited < 600, "requests still open after 10 minutes");
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += 1;
    }
    for w in &mut workers {
        Command::new("kill")
            .args(["-TERM", &w.id().to_string()])
            .status()
            .unwrap();
        assert!(w.wait().unwrap().success(), "graceful shutdown");
    }
    let (mut steps, mut names) = (0, HashSet::new());
    for r in &crate::kill::requests(pg.store.as_ref()).await {
        assert!(r.status.as_str().starts_with("completed"), "{:?}", r.status);
        for s in pg.store.list_steps(r.id).await.unwrap() {
            steps += 1;
            assert_eq!(s.status, StepStatus::Succeeded);
            assert_eq!(s.attempts.len(), 1, "claimed more than once: {s:?}");
            names.insert(s.attempts[0].worker.clone());
        }
    }
    assert!(steps >= 500, "{steps} steps");
    assert_eq!(names.len(), 2, "both workers took steps: {names:?}");
    assert!(pg.store.verify_audit().await.unwrap().first_break.is_none());
}
