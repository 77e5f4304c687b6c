//! The kill test: `lethe work` is SIGKILLed again and again while it erases
//! a batch of subjects from a log estate, then restarted until everything is
//! done. The estate must end byte for byte as an uninterrupted run leaves
//! it (nothing lost, nothing applied twice), every step must have succeeded
//! with every verify step passing, and the audit chain must verify.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lethe_connectors::files::{write_demo_estate, FilesConnector};
use lethe_domain::{IdentifierHasher, PhoneRegion, RequestKind, StepStatus, Subject, SubjectInput};
use lethe_planner::Policy;
use lethe_store::{AuditEntry, AuditKey, NewIdentifier, NewRequest, SqliteStore, Store};
use lethe_worker::{Catalog, Engine, EngineConfig};

use crate::estate::read_tree;

const BIN: &str = env!("CARGO_BIN_EXE_lethe");
const HASH_KEY: &str = "kill-test-hash-key-kill-test-hash-key-0001";

/// Where each preset lives in the demo estate.
const ROOTS: [(&str, &str); 8] = [
    ("console-logs", "console/logs"),
    ("console-log-collector", "collector"),
    ("adf-directory", "console/config/adf"),
    ("console-comments", "console/config/comments"),
    ("scratch-pad", "console/config"),
    ("suite-server-logs", "suite/logs"),
    ("suite-iis-logs", "suite/iis"),
    ("suite-search-logs", "suite/search"),
];

/// The demo estate, grown so that batches take long enough to be cut:
/// each console log is repeated into more, bigger rotated files.
pub(crate) fn estate(dir: &Path) {
    write_demo_estate(dir).unwrap();
    let logs = dir.join("console/logs");
    let live = std::fs::read_to_string(logs.join("MiVBConsole.log")).unwrap();
    let big = live.repeat(40);
    for i in 10..22 {
        std::fs::write(logs.join(format!("MiVBConsole.{i}.log")), &big).unwrap();
    }
}

/// A `lethe.toml` for `lethe work` on `store_url` over the estate in
/// `dir/estate`, with short leases so killed workers' steps come back fast.
pub(crate) fn config(dir: &Path, store_url: &str, extra: &str) -> PathBuf {
    let mut toml = format!(
        r#"[store]
url = "{store_url}"
[identifiers]
hash_key = "{HASH_KEY}"
[policy]
approval_for = []
[worker]
lease_secs = 3
idle_poll_ms = 100
retry_base_secs = 1
retry_cap_secs = 2
{extra}
"#
    );
    for (preset, root) in ROOTS {
        toml.push_str(&format!(
            "[[files]]\npreset = \"{preset}\"\nroot = \"{}\"\n",
            dir.join("estate").join(root).display()
        ));
    }
    let path = dir.join("lethe.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

pub(crate) fn subjects() -> Vec<(RequestKind, SubjectInput)> {
    let demo = write_demo_estate(&tempfile::tempdir().unwrap().path().join("x")).unwrap();
    let mut out = Vec::new();
    for s in &demo.subjects {
        out.push((RequestKind::Erasure, s.input.clone()));
        out.push((RequestKind::Access, s.input.clone()));
    }
    // The same person twice: the second erasure finds what the first left.
    out.push((RequestKind::Erasure, demo.subjects[0].input.clone()));
    out
}

pub(crate) async fn submit(store: &dyn Store, kind: RequestKind, input: &SubjectInput) {
    let hasher = IdentifierHasher::new(HASH_KEY.as_bytes());
    let subject = Subject::parse(input, PhoneRegion::parse("GB").unwrap()).unwrap();
    let now = Utc::now();
    let new = NewRequest {
        id: uuid::Uuid::now_v7(),
        kind,
        external_id: None,
        received_at: now,
        due_at: now + chrono::TimeDelta::days(30),
        note: None,
        created_by: "kill-test".into(),
        source: None,
        callback_url: None,
        identifiers: subject
            .identifiers()
            .into_iter()
            .map(|i| NewIdentifier {
                kind: i.kind,
                hash: hasher.hash(i.kind, &i.normalised).0,
                value: i.normalised,
                hint: i.hint,
            })
            .collect(),
    };
    let audit = AuditEntry {
        actor: "kill-test".into(),
        kind: "request.create".into(),
        data: serde_json::json!({}),
    };
    store
        .create_request(new, None, audit, &|_| serde_json::json!({}))
        .await
        .unwrap();
}

pub(crate) fn audit_key() -> AuditKey {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"lethe audit chain\0");
    h.update(HASH_KEY.as_bytes());
    AuditKey::new(&h.finalize())
}

pub(crate) fn work(cfg: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(BIN)
        .args(["--config", cfg.to_str().unwrap(), "work"])
        .env("RUST_LOG", "debug,sqlx=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Every request of the store (these tests make fewer than one page).
pub(crate) async fn requests(store: &dyn Store) -> Vec<lethe_store::RequestRecord> {
    let page = store
        .list_requests(&lethe_store::RequestFilter {
            limit: 200,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(page.next.is_none(), "more requests than one page");
    page.items
}

/// Every step of every request.
pub(crate) async fn all_steps(store: &dyn Store) -> Vec<lethe_store::StepRecord> {
    let mut steps = Vec::new();
    for r in requests(store).await {
        steps.extend(store.list_steps(r.id).await.unwrap());
    }
    steps
}

/// The kill tests' workload on `store_url`: the grown estate in
/// `dir/estate`, a `lethe.toml` (with `extra` in `[worker]`) and every
/// request of [`subjects`] submitted. Returns the configuration's path.
pub(crate) async fn workload(
    dir: &Path,
    store_url: &str,
    store: &dyn Store,
    extra: &str,
) -> PathBuf {
    estate(&dir.join("estate"));
    let cfg = config(dir, store_url, extra);
    for (kind, input) in subjects() {
        submit(store, kind, &input).await;
    }
    cfg
}

/// Requests not yet in a final state.
pub(crate) async fn open_requests(store: &dyn Store) -> usize {
    requests(store)
        .await
        .iter()
        .filter(|r| !r.status.is_terminal())
        .count()
}

/// Starts `lethe work` and SIGKILLs it `kills` times, each after a delay
/// (ms) drawn from `delays`: a fixed pseudo-random schedule, so a failure
/// can be replayed.
pub(crate) async fn kill_repeatedly(
    cfg: &Path,
    log: &Path,
    kills: usize,
    delays: std::ops::Range<u64>,
) {
    let mut seed: u64 = 0x5eed;
    for _ in 0..kills {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = delays.start + (seed >> 33) % (delays.end - delays.start);
        let mut child = work(cfg, log);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
}

/// Runs one `lethe work` until no request is open (if any is), then stops
/// it with SIGTERM and checks it shut down gracefully.
pub(crate) async fn finish(cfg: &Path, log: &Path, store: &dyn Store) {
    // Killed workers may have finished everything already; a worker
    // started now would get SIGTERM before its handler is installed.
    if open_requests(store).await == 0 {
        return;
    }
    let mut child = work(cfg, log);
    let mut waited = 0;
    while open_requests(store).await > 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "worker exited: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        // A guard against hanging forever, not a performance limit.
        if waited >= 600 {
            kill_and_describe(&mut child, store).await;
            panic!("requests still open after 10 minutes");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += 1;
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success(), "graceful shutdown");
}

/// Stops a stuck worker and prints every step not yet final (keys,
/// statuses, attempt outcomes and errors: lethe keeps personal data out of
/// all of them), so a hang can be diagnosed.
async fn kill_and_describe(child: &mut Child, store: &dyn Store) {
    child.kill().unwrap();
    child.wait().unwrap();
    for r in requests(store)
        .await
        .iter()
        .filter(|r| !r.status.is_terminal())
    {
        eprintln!("open request {} {:?}", r.id, r.status);
        for s in store.list_steps(r.id).await.unwrap() {
            if s.status != StepStatus::Succeeded {
                let outcomes: Vec<_> = s.attempts.iter().map(|a| a.outcome.clone()).collect();
                eprintln!(
                    "  {} {:?} attempt {} lease {:?} {:?} outcomes {outcomes:?} error {:?}",
                    s.step_key, s.status, s.attempt, s.lease_owner, s.lease_expires_at, s.error
                );
            }
        }
    }
}

/// Asserts every request is final, every step succeeded (its last attempt
/// too) and every verify step found nothing left; returns, per connector
/// and action (`files erase`), how many attempts were cut (closed as `lease_expired`) and re-run.
pub(crate) async fn all_steps_succeeded(
    store: &dyn Store,
) -> std::collections::BTreeMap<String, usize> {
    let mut rescued = std::collections::BTreeMap::new();
    let mut verifies = 0;
    for r in &requests(store).await {
        assert!(
            matches!(r.status.as_str(), "completed" | "completed_with_exceptions"),
            "request {} ended {:?}",
            r.id,
            r.status
        );
        for s in store.list_steps(r.id).await.unwrap() {
            assert_eq!(s.status, StepStatus::Succeeded, "{s:?}");
            assert_eq!(
                s.attempts.last().unwrap().outcome.as_deref(),
                Some("succeeded")
            );
            let key = format!("{} {:?}", s.connector, s.action).to_lowercase();
            *rescued.entry(key).or_insert(0) += s
                .attempts
                .iter()
                .filter(|a| a.outcome.as_deref() == Some("lease_expired"))
                .count();
            if s.action == lethe_domain::StepAction::Verify {
                verifies += 1;
                assert_eq!(s.items_remaining, Some(0), "{s:?}");
            }
        }
    }
    assert!(verifies > 0);
    rescued
}

/// The same work without interruptions, in-process, on a fresh estate.
pub(crate) async fn golden(dir: &Path) -> Vec<(PathBuf, String)> {
    estate(&dir.join("estate"));
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.join("golden.db"), audit_key())
            .await
            .unwrap(),
    );
    let hasher = IdentifierHasher::new(HASH_KEY.as_bytes());
    let targets = ROOTS
        .iter()
        .map(|(p, r)| {
            lethe_connectors::files::FileTargetSpec::preset(p, dir.join("estate").join(r))
                .resolve()
                .unwrap()
        })
        .collect();
    let files = FilesConnector::new(targets, Some(hasher.clone())).unwrap();
    let engine = Engine::new(
        store.clone(),
        Catalog::default().with(Arc::new(files)).unwrap(),
        Policy {
            approval_for: vec![],
            ..Policy::default()
        },
        Arc::new(hasher),
        EngineConfig::default(),
    );
    for (kind, input) in subjects() {
        submit(store.as_ref(), kind, &input).await;
    }
    engine.run_until_idle().await.unwrap();
    assert_eq!(open_requests(store.as_ref()).await, 0);
    relative(&dir.join("estate"))
}

pub(crate) fn relative(root: &Path) -> Vec<(PathBuf, String)> {
    read_tree(root)
        .into_iter()
        .map(|(p, t)| (p.strip_prefix(root).unwrap().to_path_buf(), t))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_workers_lose_no_step_and_apply_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lethe.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db, audit_key()).await.unwrap());
    kill_run(dir.path(), &format!("sqlite://{}", db.display()), store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_workers_on_a_postgresql_store() {
    let Some(pg) = crate::pgstore::pg_schema(audit_key()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    kill_run(dir.path(), &pg.url, pg.store).await;
}

/// Submits the workload, kills `lethe work` a dozen times, lets one worker
/// finish, and checks everything against an uninterrupted run.
async fn kill_run(dir: &Path, store_url: &str, store: Arc<dyn Store>) {
    let cfg = workload(dir, store_url, store.as_ref(), "").await;
    let log = dir.join("work.log");
    kill_repeatedly(&cfg, &log, 12, 150..1350).await;
    // Then let one worker finish the job (leases of the dead expire in 3 s).
    finish(&cfg, &log, store.as_ref()).await;

    // Every request finished, every step succeeded, every verify passed.
    let rescued: usize = all_steps_succeeded(store.as_ref()).await.values().sum();
    eprintln!("kill test: {rescued} attempts cut by SIGKILL and re-run");
    // Nothing lost, nothing applied twice: the estate is exactly what an
    // uninterrupted run produces.
    let golden_dir = tempfile::tempdir().unwrap();
    let expected = golden(golden_dir.path()).await;
    let actual = relative(&dir.join("estate"));
    let debris: Vec<_> = actual
        .iter()
        .filter(|(p, _)| p.to_string_lossy().contains(".lethe-rewrite-"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        debris.is_empty(),
        "temp files of killed rewrites were left: {debris:?}"
    );
    assert_eq!(actual.len(), expected.len());
    for ((pa, ta), (pe, te)) in actual.iter().zip(&expected) {
        assert_eq!(pa, pe);
        assert!(
            ta == te,
            "{} differs from the uninterrupted run",
            pa.display()
        );
    }
    let v = store.verify_audit().await.unwrap();
    assert!(v.first_break.is_none(), "{v:?}");
    // The workers' logs (at debug) name no subject.
    let logged = std::fs::read_to_string(&log).unwrap().to_lowercase();
    assert!(logged.contains("batch started"), "the log was captured");
    let demo = write_demo_estate(&tempfile::tempdir().unwrap().path().join("x")).unwrap();
    for s in &demo.subjects {
        for form in s.strong_forms.iter().chain(&s.name_forms) {
            assert!(
                !logged.contains(&form.to_lowercase()),
                "a worker logged {form}"
            );
        }
    }
}
