//! Each test server stopped in the middle of a run and restarted on the
//! same port (issue 10): SQL Server (the TDS test server), CloudLink (its
//! test server), Elasticsearch (osmem-server) and the console's PostgreSQL
//! (behind a proxy). One erasure request is driven round by round:
//! discovery succeeds against the live server, then the server goes down
//! just before the erase steps run (and again before the verify steps,
//! where the data outlives a restart). Those steps go `retrying` with a
//! transient error that names none of the subject's identifiers, the data
//! is exactly as it was (nothing half-written), and once the server is
//! back the same steps succeed on a later attempt: every item found is
//! erased once, verify finds nothing, and a look at the server without
//! lethe finds nothing of the subject and everyone else's data unchanged.
//!
//! Rounds, not sleeps, decide what runs while the server is down; the only
//! waits are for retry timers, read from the steps' own `run_at`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use lethe_domain::{StepAction, StepStatus};
use lethe_planner::Policy;
use lethe_store::StepRecord;
use lethe_testkit::cloudlink::{self, CloudLinkConfig, CloudLinkServer, PlantedEmployee};
use lethe_testkit::es::{self, EsFixture, Family, PlantedEs};
use lethe_testkit::tds::{TdsConfig, TdsServer};
use serde_json::{json, Value};

use crate::es_estate::{self, steps};
use crate::estate::{Estate, Options};

mod cloudlink_server;
mod elasticsearch;
mod postgres;
mod sql_server;

/// A server a test takes down and brings back, and a view of its data
/// that does not go through lethe.
trait Server {
    /// Port closed, connections cut; returns once that is so.
    async fn down(&mut self);
    /// Listening again on the same port.
    async fn up(&mut self);
    /// Items holding the subject's strong identifiers.
    async fn subject_items(&mut self) -> u64;
    /// Everyone else's data, in a form that changes if any of it does.
    async fn others(&mut self) -> String;
}

/// What [`erase_across_restarts`] needs to know besides the server.
struct Run<'a> {
    connector: &'a str,
    /// The steps the server goes down before: erase, and verify where the
    /// server keeps its data over a restart.
    outages: &'a [StepAction],
    /// What the connector says while the server is down: every error
    /// holds one of these.
    down_errors: &'a [&'a str],
    /// The subject's identifiers: no error may contain one.
    identifiers: Vec<String>,
}

fn estate_options(connector: Arc<dyn lethe_connectors::Connector>) -> Options {
    Options {
        policy: Policy {
            approval_for: Vec::new(),
            ..Policy::default()
        },
        extras: vec![connector],
        ..Options::default()
    }
}

async fn steps_of(e: &Estate, id: &str, connector: &str, action: StepAction) -> Vec<StepRecord> {
    steps(e, id)
        .await
        .into_iter()
        .filter(|s| s.connector == connector && s.action == action)
        .collect()
}

/// Sleeps until the latest retry timer among `steps` is due.
async fn wait_for_retry_timers(steps: &[StepRecord]) {
    let due = steps
        .iter()
        .filter(|s| s.status == StepStatus::Retrying)
        .map(|s| s.run_at)
        .max();
    if let Some(due) = due {
        let wait = (due - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait + Duration::from_millis(5)).await;
    }
}

/// Runs rounds until no `action` step of `connector` is retrying.
async fn retry(e: &Estate, id: &str, connector: &str, action: StepAction) {
    // A guard against hanging if a step never comes due, not a time limit.
    for _ in 0..200 {
        let s = steps_of(e, id, connector, action).await;
        if s.iter().all(|s| s.status != StepStatus::Retrying) {
            return;
        }
        wait_for_retry_timers(&s).await;
        e.engine.round().await.unwrap();
    }
    panic!("{action:?} steps of {connector} still retrying");
}

/// Runs the request to its end, waiting out retry timers of any connector.
async fn finish(e: &Estate, id: &str) -> String {
    // A guard against hanging, not a time limit.
    for _ in 0..200 {
        e.run().await;
        let status = e.status(id).await;
        if !["received", "planning", "executing"].contains(&status.as_str()) {
            return status;
        }
        wait_for_retry_timers(&steps(e, id).await).await;
    }
    panic!("request {id} never finished");
}

fn assert_no_identifiers(text: &str, identifiers: &[String]) {
    let lower = text.to_lowercase();
    for i in identifiers {
        assert!(
            !lower.contains(&i.to_lowercase()),
            "an error names the subject: {text}"
        );
    }
}

/// Submits an erasure of `subject` and drives it through the outages of
/// `run`, checking each phase against `server`.
async fn erase_across_restarts(e: &Estate, server: &mut impl Server, subject: Value, run: Run<'_>) {
    let connector = run.connector;
    let before = server.subject_items().await;
    assert!(before > 0, "the fixture holds nothing of the subject");
    let others = server.others().await;
    let id = e.submit("erasure", subject).await;

    // Discovery runs against the live server.
    e.engine.round().await.unwrap();
    let discovered = steps_of(e, &id, connector, StepAction::Discover).await;
    assert!(!discovered.is_empty(), "no discovery on {connector}");
    for s in &discovered {
        assert_eq!(
            s.status,
            StepStatus::Succeeded,
            "{}: {:?}",
            s.step_key,
            s.error
        );
    }
    let found: i64 = discovered.iter().filter_map(|s| s.items_matched).sum();
    assert_eq!(found as u64, before, "lethe finds what the server holds");

    for &action in run.outages {
        // The steps still to come. A step may have run already when its
        // erase finished a round before the others' (a lock timeout on the
        // SQL Server test server), but never all of them.
        let (ran, next): (Vec<_>, Vec<_>) = steps_of(e, &id, connector, action)
            .await
            .into_iter()
            .partition(|s| !s.attempts.is_empty());
        assert!(
            !next.is_empty(),
            "no {action:?} step to come on {connector}"
        );
        for s in &ran {
            assert_eq!(
                s.status,
                StepStatus::Succeeded,
                "{}: {:?}",
                s.step_key,
                s.error
            );
        }
        let next: BTreeSet<String> = next.into_iter().map(|s| s.step_key).collect();

        // Down: the steps meet a closed port and wait for a retry.
        server.down().await;
        e.engine.round().await.unwrap();
        for s in steps_of(e, &id, connector, action).await {
            if !next.contains(&s.step_key) {
                continue;
            }
            assert_eq!(
                s.status,
                StepStatus::Retrying,
                "{}: {:?}",
                s.step_key,
                s.error
            );
            assert_eq!(s.attempts.len(), 1, "{}", s.step_key);
            assert_eq!(s.attempts[0].outcome.as_deref(), Some("transient"));
            let error = s.error.as_deref().unwrap_or_default();
            assert!(
                run.down_errors.iter().any(|d| error.contains(d)),
                "{}: {error:?} is not a connection failure",
                s.step_key
            );
            assert_no_identifiers(error, &run.identifiers);
        }

        // Back: nothing was half-done while it was down...
        server.up().await;
        let left = if action == StepAction::Erase {
            before
        } else {
            0
        };
        assert_eq!(server.subject_items().await, left, "changed while down");
        assert_eq!(server.others().await, others, "others changed while down");
        // ...and the same steps succeed once it is back (the SQL Server
        // test server may add a lock timeout: two steps writing one SQLite
        // file at once).
        retry(e, &id, connector, action).await;
        for s in steps_of(e, &id, connector, action).await {
            assert_eq!(
                s.status,
                StepStatus::Succeeded,
                "{}: {:?}",
                s.step_key,
                s.error
            );
            let retried = s.attempts.len() >= 2;
            assert!(retried || !next.contains(&s.step_key), "{}", s.step_key);
        }
    }

    let status = finish(e, &id).await;
    assert!(status.starts_with("completed"), "{status}");
    let report = e.get_json(&format!("/v1/requests/{id}/report")).await;
    let (mut found, mut erased) = (0, 0);
    for t in report["targets"].as_array().unwrap() {
        if !t["key"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{connector}:"))
        {
            continue;
        }
        let n = t["found"].as_u64().unwrap_or(0);
        if n > 0 {
            assert_eq!(t["remaining"], json!(0), "{t}");
            assert_eq!(t["verify"], "passed", "{t}");
        }
        found += n;
        erased += t["erased"].as_u64().unwrap_or(0);
    }
    assert_eq!(found, before, "{report}");
    assert_eq!(erased, before, "erased once each: {report}");
    assert_eq!(
        server.subject_items().await,
        0,
        "the subject is still there"
    );
    assert_eq!(server.others().await, others, "someone else's data changed");
}
