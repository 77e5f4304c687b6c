//! Disk full while rewriting a file. The log estate sits on a small tmpfs
//! of its own (mounted in a private mount namespace by `unshare`, so no
//! root and no cleanup are needed) with too little room left to write a
//! redacted copy of the big console logs beside them. `lethe work` must
//! leave every such file exactly as it was (no partial file, no temp file
//! left behind), record a transient step error that says what is wrong,
//! and retry; once space is freed, the erasure completes and verifies.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use lethe_domain::StepStatus;
use lethe_store::{SqliteStore, Store};

use crate::estate::read_tree;
use crate::kill::{
    all_steps, all_steps_succeeded, audit_key, config, estate, golden, open_requests, relative,
    subjects, submit,
};

const BIN: &str = env!("CARGO_BIN_EXE_lethe");
const PAGE: u64 = 4096;

/// Mounts a tmpfs of `size` bytes on `$1`, copies the estate into it, fills
/// `$1/ballast` with `ballast` bytes, and becomes `lethe work`.
const SCRIPT: &str = r#"mount -t tmpfs -o "size=$2" lethe-disk-full "$1" \
  && cp -a "$3"/. "$1"/ \
  && head -c "$4" /dev/zero > "$1/ballast" \
  && exec "$5" --config "$6" work"#;

/// Bytes a tree takes on tmpfs: whole pages per file.
fn footprint(root: &Path) -> (u64, u64) {
    let mut total = 0;
    let mut largest = 0;
    for (path, _) in read_tree(root) {
        let len = std::fs::metadata(&path).unwrap().len();
        total += len.div_ceil(PAGE) * PAGE;
        largest = largest.max(len);
    }
    (total, largest)
}

/// `unshare` with a user and a mount namespace works here, or a loud SKIP
/// (a failure under CI).
fn namespaces_work() -> bool {
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg("mount -t tmpfs -o size=64k probe /mnt")
        .output();
    match probe {
        Ok(out) if out.status.success() => true,
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "unshare cannot mount a tmpfs in a user namespace: {other:?}"
            );
            eprintln!("SKIP disk_full: unshare cannot mount a tmpfs here: {other:?}");
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_leaves_the_file_intact_and_the_step_retries() {
    if !namespaces_work() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let src = dir.join("estate-source");
    estate(&src);
    let (total, largest) = footprint(&src);
    // Room for the estate, a ballast of twice the largest file, and half
    // of the largest file: a redacted copy of a big log cannot be written
    // until the ballast goes.
    let ballast = 2 * largest;
    let size = total + ballast.div_ceil(PAGE) * PAGE + largest / 2 + 16 * PAGE;
    let mnt = dir.join("estate");
    std::fs::create_dir(&mnt).unwrap();
    let db = dir.join("lethe.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db, audit_key()).await.unwrap());
    // Attempts enough that the step is still retrying when space is freed.
    let cfg = config(
        dir,
        &format!("sqlite://{}", db.display()),
        "max_attempts = 50",
    );
    for (kind, input) in subjects() {
        submit(store.as_ref(), kind, &input).await;
    }
    let log = std::fs::File::create(dir.join("work.log")).unwrap();
    let mut worker: Child = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            SCRIPT,
            "sh",
        ])
        .arg(&mnt)
        .arg(size.to_string())
        .arg(&src)
        .arg(ballast.to_string())
        .arg(BIN)
        .arg(&cfg)
        .env("RUST_LOG", "debug,sqlx=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    // The worker's view of the tmpfs, from outside its mount namespace.
    let pid = worker.id();
    let inside = |p: &Path| -> PathBuf {
        PathBuf::from(format!("/proc/{pid}/root")).join(p.strip_prefix("/").unwrap())
    };

    // Wait for a rewrite to hit the full disk.
    let mut waited = 0;
    let full = loop {
        assert!(
            worker.try_wait().unwrap().is_none(),
            "the worker exited: {}",
            std::fs::read_to_string(dir.join("work.log")).unwrap_or_default()
        );
        let steps = all_steps(store.as_ref()).await;
        if let Some(s) = steps.into_iter().find(|s| s.status == StepStatus::Retrying) {
            break s;
        }
        // A guard against hanging forever, not a performance limit.
        assert!(waited < 6000, "no step ran into the full disk");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    };
    let error = full.error.clone().unwrap();
    assert!(
        error.contains("no space left"),
        "{}: {error}",
        full.step_key
    );
    assert!(
        full.step_key.starts_with("erase:files:"),
        "{}",
        full.step_key
    );

    // Every big log is byte for byte what it was: none was half-written,
    // and no temp file of a failed rewrite is left behind.
    let before: std::collections::BTreeMap<PathBuf, String> = relative(&src).into_iter().collect();
    let now_inside: std::collections::BTreeMap<PathBuf, String> =
        relative(&inside(&mnt)).into_iter().collect();
    let debris: Vec<_> = now_inside
        .keys()
        .filter(|p| p.to_string_lossy().contains(".lethe-rewrite-"))
        .collect();
    assert!(debris.is_empty(), "temp files left: {debris:?}");
    let mut intact = 0;
    for (rel, text) in &before {
        if std::fs::metadata(src.join(rel)).unwrap().len() > largest / 2 {
            assert!(
                now_inside.get(rel) == Some(text),
                "{} was changed",
                rel.display()
            );
            intact += 1;
        }
    }
    assert!(intact > 0);

    // Space is freed: the step's retry rewrites the files, and the
    // erasure completes and verifies.
    std::fs::remove_file(inside(&mnt).join("ballast")).unwrap();
    let mut waited = 0;
    while open_requests(store.as_ref()).await > 0 {
        assert!(worker.try_wait().unwrap().is_none(), "the worker exited");
        // A guard against hanging forever, not a performance limit.
        assert!(waited < 600, "requests still open after 10 minutes");
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += 1;
    }
    all_steps_succeeded(store.as_ref()).await;
    let steps = all_steps(store.as_ref()).await;
    let retried = steps.iter().find(|s| s.id == full.id).unwrap();
    assert!(retried.attempts.len() >= 2);
    // The estate is exactly what a run with room to spare leaves (the
    // ballast aside): the retried rewrite applied once, nothing lost.
    let mut after = relative(&inside(&mnt));
    after.retain(|(p, _)| p != Path::new("ballast"));
    let expected = golden(&dir.join("golden")).await;
    assert_eq!(after.len(), expected.len());
    for ((pa, ta), (pe, te)) in after.iter().zip(&expected) {
        assert_eq!(pa, pe);
        assert!(
            ta == te,
            "{} differs from a run without a full disk",
            pa.display()
        );
    }
    Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(worker.wait().unwrap().success(), "graceful shutdown");
    assert!(store.verify_audit().await.unwrap().first_break.is_none());
}
