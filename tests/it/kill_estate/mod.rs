//! The kill test across every connector at once: `lethe work` is SIGKILLed
//! again and again while it erases and exports a batch of subjects from an
//! estate of files (kill.rs's), the console's PostgreSQL call history, the
//! suite's SQL Server (TDS test server, with call recordings on disk), its
//! Elasticsearch (osmem-server) and CloudLink (test server), then one worker
//! finishes. A kill lands wherever it lands — in a scan, between pages of an
//! Elasticsearch `_bulk`, inside a SQL transaction, between CloudLink's
//! deletes — and the end must be exactly what an uninterrupted run leaves
//! on a second, identical set of servers: every store dumped and compared
//! (nothing lost, nothing applied twice). Independently of lethe, each
//! store is searched for the erased people (gone) and for a person nobody
//! erased (untouched).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use lethe_connectors::elasticsearch::presets::PRESET_NAMES as ES_PRESETS;
use lethe_connectors::mssql::presets::PRESET_NAMES as MSSQL_PRESETS;
use lethe_domain::{RequestKind, SubjectInput};
use lethe_store::{SqliteStore, Store};
use lethe_testkit::cloudlink::{self, CloudLinkConfig, CloudLinkServer, Conversation};
use lethe_testkit::es::{self as esk, EsConfig, EsServer};
use lethe_testkit::tds::{TdsConfig, TdsServer};
use lethe_testkit::Fixture;
use serde_json::{json, Value};

use crate::kill::{
    all_steps_succeeded, audit_key, config, estate, finish, kill_repeatedly, open_requests,
    relative, submit,
};

mod people;
mod stores;

use people::*;
use stores::*;

/// Where `lethe work` finds the SQL Server and CloudLink passwords (the
/// configuration names variables, never secrets). Set in this process so
/// the workers inherit them; every run sets the same values.
const TDS_PASSWORD_ENV: &str = "LETHE_KILL_ESTATE_TDS_PASSWORD";
const CL_PASSWORD_ENV: &str = "LETHE_KILL_ESTATE_CLOUDLINK_PASSWORD";

/// Sizes: big enough that discovery and erasure of the databases take a
/// good part of a second or more, so kills land inside them and not only
/// in the files.
const PG_ROWS: usize = 100_000;
const MSSQL_ROWS: usize = 500;
const ES_BACKGROUND: usize = 300;
/// Extra documents about John in one voice index: erasing them takes
/// several `_bulk` pages, so a kill can fall between two of them.
const ES_JOHN_BULK: usize = 3_000;
const CL_BACKGROUND: usize = 40;

/// Compares two stores' contents entry by entry; a difference is named by
/// its key only (the values are fixture data, kept out of the output).
fn same<K: Ord + std::fmt::Debug, V: PartialEq>(
    what: &str,
    a: &BTreeMap<K, V>,
    e: &BTreeMap<K, V>,
) {
    let only_a: Vec<&K> = a.keys().filter(|k| !e.contains_key(k)).collect();
    let only_e: Vec<&K> = e.keys().filter(|k| !a.contains_key(k)).collect();
    assert!(
        only_a.is_empty() && only_e.is_empty(),
        "{what}: entries only after the kills: {only_a:?}; only after the uninterrupted run: {only_e:?}"
    );
    let differ: Vec<&K> = a
        .iter()
        .filter(|(k, v)| e[k] != **v)
        .map(|(k, _)| k)
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: {} entries differ from the uninterrupted run, first {:?}",
        differ.len(),
        differ.first()
    );
}

fn same_tree(what: &str, a: &[(PathBuf, String)], e: &[(PathBuf, String)]) {
    let a: BTreeMap<_, _> = a.iter().cloned().collect();
    let e: BTreeMap<_, _> = e.iter().cloned().collect();
    same(what, &a, &e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_workers_across_every_connector() {
    let Some(pg_url) = crate::pgstore::database_url_or_skip("kill_estate") else {
        return;
    };
    let Some(es_killed) = esk::start_or_skip("kill_estate") else {
        return;
    };
    let es_golden = esk::start(&esk::find_binary().expect("found by start_or_skip"));
    std::env::set_var(TDS_PASSWORD_ENV, TdsConfig::default().password);
    std::env::set_var(CL_PASSWORD_ENV, CloudLinkConfig::default().password);

    let t0 = Instant::now();
    let killed_dir = tempfile::tempdir().unwrap();
    let golden_dir = tempfile::tempdir().unwrap();
    let (killed, golden) = tokio::join!(
        Stores::start(killed_dir.path(), &pg_url, es_killed),
        Stores::start(golden_dir.path(), &pg_url, es_golden)
    );
    let before = killed.dump().await;
    let john_ids: Vec<String> = cl_ids(&before, &JOHN);
    let mary_ids: Vec<String> = cl_ids(&before, &MARY);
    let max_ids: Vec<String> = cl_ids(&before, &MAX);
    // The fixtures hold the people where this test says they are.
    for (store, rows) in [
        ("postgres", &before.pg),
        ("mssql", &before.mssql),
        ("elasticsearch", &before.es),
        ("cloudlink", &before.cl_users),
    ] {
        assert!(
            count(rows, &JOHN) > 0,
            "{store}: John is not in the fixture"
        );
        if store != "postgres" {
            assert!(
                count(rows, &MARY) > 0,
                "{store}: Mary is not in the fixture"
            );
            assert!(
                count(rows, &MAX) > 0,
                "{store}: Maximilian is not in the fixture"
            );
        }
    }
    assert!(count(&before.pg, &PG_OTHERS) > 0);
    assert!(recordings_of(&before.recordings, &JOHN) > 0);
    assert!(open_chats_of(&before, &john_ids) > 0 && open_chats_of(&before, &mary_ids) > 0);
    eprintln!(
        "kill_estate: servers loaded in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    // The uninterrupted run: one worker, start to end.
    let t1 = Instant::now();
    let golden_store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&golden_dir.path().join("lethe.db"), audit_key())
            .await
            .unwrap(),
    );
    for (kind, input) in requests() {
        submit(golden_store.as_ref(), kind, &input).await;
    }
    let golden_log = golden_dir.path().join("work.log");
    finish(&golden.cfg, &golden_log, golden_store.as_ref()).await;
    let golden_ms = t1.elapsed().as_millis() as u64;
    all_steps_succeeded(golden_store.as_ref()).await;
    eprintln!(
        "kill_estate: uninterrupted run took {:.1} s",
        t1.elapsed().as_secs_f64()
    );

    // The same work, killed again and again, then finished by one worker.
    let t2 = Instant::now();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&killed_dir.path().join("lethe.db"), audit_key())
            .await
            .unwrap(),
    );
    for (kind, input) in requests() {
        submit(store.as_ref(), kind, &input).await;
    }
    let log = killed_dir.path().join("work.log");
    // The schedule is seeded, in proportion to the uninterrupted run's
    // length (5% to 40% of it per worker), so that kills fall in every
    // phase — discovery, exports, erasure, verify — however busy the
    // machine is.
    kill_repeatedly(&killed.cfg, &log, 12, golden_ms / 20..golden_ms * 2 / 5).await;
    let open_after_kills = open_requests(store.as_ref()).await;
    finish(&killed.cfg, &log, store.as_ref()).await;
    let cut = all_steps_succeeded(store.as_ref()).await;
    let mut per_connector: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, n) in &cut {
        *per_connector
            .entry(k.split(' ').next().unwrap())
            .or_default() += n;
    }
    eprintln!(
        "kill_estate: 12 kills and the last worker took {:.1} s; {open_after_kills} requests \
         were open after the kills; attempts cut by SIGKILL and re-run, per connector: \
         {per_connector:?}; per connector and action: {cut:?}",
        t2.elapsed().as_secs_f64()
    );

    let after = killed.dump().await;
    let expected = golden.dump().await;

    // Independently of lethe: the erased people are gone from every store
    // and the people nobody erased are as they were.
    for (store, a, b) in [
        ("postgres", &after.pg, &before.pg),
        ("mssql", &after.mssql, &before.mssql),
        ("elasticsearch", &after.es, &before.es),
        ("cloudlink users", &after.cl_users, &before.cl_users),
    ] {
        assert_eq!(count(a, &JOHN), 0, "{store}: John is still there");
        assert_eq!(count(a, &MARY), 0, "{store}: Mary is still there");
        for other in [&MAX, &PG_OTHERS] {
            assert!(
                untouched(a, other) == untouched(b, other),
                "{store}: data of a person nobody erased changed"
            );
        }
    }
    assert_eq!(recordings_of(&after.recordings, &JOHN), 0);
    assert_eq!(recordings_of(&after.recordings, &MARY), 0);
    assert_eq!(
        recordings_of(&after.recordings, &MAX),
        recordings_of(&before.recordings, &MAX)
    );
    assert_eq!(open_chats_of(&after, &john_ids), 0);
    assert_eq!(open_chats_of(&after, &mary_ids), 0);
    for id in john_ids.iter().chain(&mary_ids) {
        assert!(
            !after.cl_users.contains_key(id),
            "a CloudLink user was kept"
        );
    }
    for id in &max_ids {
        assert_eq!(after.cl_users.get(id), before.cl_users.get(id));
    }
    let closed = |d: &Dump| d.cl_conversations.iter().filter(|c| !c.is_open()).count();
    assert_eq!(
        closed(&after),
        closed(&before),
        "closed chats are the suite's, not CloudLink's"
    );

    // Nothing lost, nothing applied twice: every store is exactly what the
    // uninterrupted run left on its twin.
    let debris: Vec<String> = after
        .files
        .iter()
        .chain(&after.recordings)
        .filter(|(p, _)| p.to_string_lossy().contains(".lethe-rewrite-"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        debris.is_empty(),
        "temp files of killed rewrites were left: {debris:?}"
    );
    same_tree("files", &after.files, &expected.files);
    same_tree("recordings", &after.recordings, &expected.recordings);
    same("postgres", &after.pg, &expected.pg);
    same("mssql", &after.mssql, &expected.mssql);
    same("elasticsearch", &after.es, &expected.es);
    same("cloudlink users", &after.cl_users, &expected.cl_users);
    assert!(
        after.cl_conversations == expected.cl_conversations,
        "cloudlink conversations differ from the uninterrupted run"
    );

    let v = store.verify_audit().await.unwrap();
    assert!(v.first_break.is_none(), "{v:?}");
    // The workers' logs (at debug) name no subject, in any shape.
    let forms: Vec<String> = log_forms().iter().map(|f| f.to_lowercase()).collect();
    for log in [&log, &golden_log] {
        let logged = std::fs::read_to_string(log).unwrap().to_lowercase();
        assert!(logged.contains("batch started"), "the log was captured");
        for line in logged.lines() {
            let Some(form) = forms.iter().position(|f| line.contains(f.as_str())) else {
                continue;
            };
            panic!("a worker logged a subject's identifier (form {form} of the list)");
        }
    }
    drop(golden);
    drop(killed);
}
