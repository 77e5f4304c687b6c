//! Clock skew on leases: two `lethe work` processes share a PostgreSQL
//! store, one with its clock an hour fast and one an hour slow (libfaketime,
//! so the real binary's wall clock is off, not a test seam). Leases, run
//! times and audit times come from the database server's clock
//! (`lethe_store`'s `TxClock`), so:
//! - the fast worker does not see the slow one's live leases as expired and
//!   take its steps (every step runs exactly once);
//! - a killed fast worker's lease expires after the lease time on the
//!   store's clock, not an hour later, and the slow worker finishes its work;
//! - the times on record are the store's, not either worker's.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use lethe_domain::{StepAction, StepStatus};
use lethe_store::{StepRecord, Store};

use crate::kill::{all_steps, audit_key, open_requests, workload};

const BIN: &str = env!("CARGO_BIN_EXE_lethe");
const LEASE: TimeDelta = TimeDelta::seconds(3);

/// Debian's libfaketime (package faketime), under the multiarch directory.
fn libfaketime() -> Option<std::path::PathBuf> {
    std::fs::read_dir("/usr/lib")
        .ok()?
        .flatten()
        .map(|d| d.path().join("faketime/libfaketimeMT.so.1"))
        .chain([std::path::PathBuf::from(
            "/usr/lib/faketime/libfaketimeMT.so.1",
        )])
        .find(|p| p.exists())
}

/// `lethe work` on host `name` with its wall clock moved by `offset`
/// (e.g. `+1h`), logging JSON to `dir/work-<name>.log`; or `None` after a
/// loud SKIP where libfaketime is missing (fails under CI). The library is
/// preloaded into lethe itself (the `faketime` wrapper would fork, and a
/// SIGKILL meant for the worker would hit the wrapper).
fn skewed_worker(cfg: &Path, dir: &Path, name: &str, offset: &str) -> Option<Child> {
    let Some(lib) = libfaketime() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "libfaketime is not installed; run the README test command, which installs it"
        );
        eprintln!("SKIP clock_skew: libfaketime (Debian faketime) is not installed");
        return None;
    };
    let log = std::fs::File::create(dir.join(format!("work-{name}.log"))).unwrap();
    Some(
        Command::new(BIN)
            .args(["--config", cfg.to_str().unwrap(), "work"])
            .env("LD_PRELOAD", lib)
            .env("FAKETIME", offset)
            // Only the wall clock is moved: timers and leases' heartbeats
            // run on the monotonic clock, as on a real skewed host.
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("RUST_LOG", "debug,sqlx=warn")
            .env("LETHE_LOG", "json")
            // Workers are named after their host.
            .env("HOSTNAME", name)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

/// Waits until no request is open; the workers must still be alive.
async fn until_done(store: &dyn Store, workers: &mut [&mut Child], dir: &Path) {
    let mut waited = 0;
    while open_requests(store).await > 0 {
        for w in workers.iter_mut() {
            assert!(
                w.try_wait().unwrap().is_none(),
                "a worker exited; see the logs in {}",
                dir.display()
            );
        }
        // A guard against hanging forever, not a performance limit. (A
        // lease judged on the fast worker's clock would hold for an hour.)
        assert!(waited < 600, "requests still open after 10 minutes");
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += 1;
    }
}

fn stop(child: &mut Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
}

/// How far the clock of worker `name` was off, from the timestamp of its
/// first log line and the real time it was started at: proof that
/// libfaketime took hold of the binary (else the test proves nothing).
fn worker_skew(dir: &Path, name: &str, started: DateTime<Utc>) -> TimeDelta {
    let log = std::fs::read_to_string(dir.join(format!("work-{name}.log"))).unwrap();
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    let at: DateTime<Utc> = first["timestamp"].as_str().unwrap().parse().unwrap();
    at - started
}

/// Within a few minutes of the real time: far from an hour off.
fn near(t: DateTime<Utc>, real: DateTime<Utc>) -> bool {
    (t - real).abs() < TimeDelta::minutes(5)
}

/// Every step succeeded and every verify found nothing left.
fn all_succeeded(steps: &[StepRecord]) {
    assert!(steps.iter().any(|s| s.action == StepAction::Verify));
    for s in steps {
        assert_eq!(s.status, StepStatus::Succeeded, "{}", s.step_key);
        if s.action == StepAction::Verify {
            assert_eq!(s.items_remaining, Some(0), "{}", s.step_key);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_two_hours_apart_never_take_each_others_leases() {
    let Some(pg) = crate::pgstore::pg_schema(audit_key()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let store: Arc<dyn Store> = pg.store;
    let cfg = workload(dir, &pg.url, store.as_ref(), "").await;
    let started = Utc::now();
    let Some(mut fast) = skewed_worker(&cfg, dir, "fast", "+1h") else {
        return;
    };
    let mut slow = skewed_worker(&cfg, dir, "slow", "-1h").unwrap();
    until_done(store.as_ref(), &mut [&mut fast, &mut slow], dir).await;
    stop(&mut fast);
    stop(&mut slow);
    let real = Utc::now();
    assert!(worker_skew(dir, "fast", started) > TimeDelta::minutes(50));
    assert!(worker_skew(dir, "slow", started) < TimeDelta::minutes(-50));

    let steps = all_steps(store.as_ref()).await;
    all_succeeded(&steps);
    let mut by = std::collections::BTreeMap::<&str, usize>::new();
    for s in &steps {
        // No lease was taken over while its holder was alive: every attempt
        // but the last ended by itself, never as `lease_expired`. (Earlier
        // attempts may be transient: two workers' batches on one files
        // target can meet in a file, and the rewrite that finds the file
        // changed under it leaves it alone and retries.)
        let (last, earlier) = s.attempts.split_last().unwrap();
        assert_eq!(last.outcome.as_deref(), Some("succeeded"));
        for a in earlier {
            assert_eq!(
                a.outcome.as_deref(),
                Some("transient"),
                "{}: {:?}",
                s.step_key,
                s.attempts
            );
        }
        for a in &s.attempts {
            // The times on record are the store's, not the workers'.
            assert!(
                near(a.started_at, real),
                "{} started {}",
                s.step_key,
                a.started_at
            );
        }
        assert!(near(s.finished_at.unwrap(), real), "{}", s.step_key);
        *by.entry(last.worker.split('-').next().unwrap())
            .or_default() += 1;
    }
    // Both did some of the work, or the test proved nothing.
    eprintln!("clock skew: steps run per worker {by:?}");
    assert!(by.get("fast").is_some_and(|n| *n > 0), "{by:?}");
    assert!(by.get("slow").is_some_and(|n| *n > 0), "{by:?}");
    let audit = store
        .list_audit(&lethe_store::AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit.iter().all(|e| near(e.at, real)), "audit times off");
    // The chain's times rise with its sequence: one clock.
    assert!(audit.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(store.verify_audit().await.unwrap().first_break.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_fast_workers_lease_expires_on_the_store_clock() {
    let Some(pg) = crate::pgstore::pg_schema(audit_key()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let store: Arc<dyn Store> = pg.store;
    let cfg = workload(dir, &pg.url, store.as_ref(), "").await;
    // The fast worker alone, SIGKILLed while it holds a lease (a step that
    // finished between the look and the kill does not count: try again).
    let mut tries = 0;
    let (held, started) = loop {
        tries += 1;
        assert!(tries <= 20, "never caught the fast worker holding a lease");
        let started = Utc::now();
        let Some(mut fast) = skewed_worker(&cfg, dir, "fast", "+1h") else {
            return;
        };
        while !all_steps(store.as_ref())
            .await
            .iter()
            .any(|s| s.status == StepStatus::Running)
        {
            assert!(fast.try_wait().unwrap().is_none(), "the fast worker exited");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        fast.kill().unwrap();
        fast.wait().unwrap();
        let running = all_steps(store.as_ref())
            .await
            .into_iter()
            .find(|s| s.status == StepStatus::Running);
        if let Some(s) = running {
            break (s, started);
        }
    };
    let real = Utc::now();
    assert!(worker_skew(dir, "fast", started) > TimeDelta::minutes(50));
    let expires = held.lease_expires_at.unwrap();
    // The lease runs out a lease's length (plus a heartbeat) after now on
    // the store's clock, not an hour later on the fast worker's.
    assert!(
        expires <= real + LEASE + TimeDelta::seconds(5),
        "lease until {expires}, now {real}"
    );

    // The slow worker takes over once the lease is out, and finishes.
    let mut slow = skewed_worker(&cfg, dir, "slow", "-1h").unwrap();
    until_done(store.as_ref(), &mut [&mut slow], dir).await;
    stop(&mut slow);
    let steps = all_steps(store.as_ref()).await;
    all_succeeded(&steps);
    let rescued = steps.iter().find(|s| s.id == held.id).unwrap();
    assert_eq!(
        rescued.attempts.first().and_then(|a| a.outcome.as_deref()),
        Some("lease_expired"),
        "{:?}",
        rescued.attempts
    );
    assert!(store.verify_audit().await.unwrap().first_break.is_none());
}
