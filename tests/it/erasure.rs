//! Verified erasure and access, end to end over the demo estate: requests go
//! in over HTTP, the engine runs the real files connector, and every count
//! lethe reports is compared with a count taken from the files here.

use std::io::Read;

use lethe_domain::RequestKind;
use lethe_planner::Policy;

use crate::estate::{count_lines, count_name_only_lines, read_tree, Estate, Options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_completes_only_when_verified_and_report_counts_match_the_files() {
    let e = Estate::start(Options::default()).await;
    let john = e
        .demo
        .subjects
        .iter()
        .find(|s| s.label == "john")
        .unwrap()
        .clone();
    let found_before = count_lines(e.root(), &john.strong_forms);
    let weak_before = count_name_only_lines(e.root(), &john.strong_forms, &john.name_forms);
    assert!(found_before >= 5, "the demo estate plants John widely");
    let lines_before: usize = read_tree(e.root())
        .iter()
        .map(|(_, t)| t.lines().count())
        .sum();

    let id = e.submit("erasure", e.subject("john")).await;
    e.run().await;
    // Four eyes: nothing is erased before an approver looked at the plan.
    assert_eq!(e.status(&id).await, "awaiting_approval");
    assert_eq!(count_lines(e.root(), &john.strong_forms), found_before);
    let plan = e.get_json(&format!("/v1/requests/{id}/plan")).await;
    let planned: i64 = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["found"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(planned as u64, found_before);

    e.approve(&id).await;
    e.run().await;
    let status = e.status(&id).await;
    assert!(status.starts_with("completed"), "status {status}");

    let report = e.get_json(&format!("/v1/requests/{id}/report")).await;
    let totals = &report["totals"];
    assert_eq!(totals["found"].as_u64().unwrap(), found_before, "{report}");
    assert_eq!(totals["erased"].as_u64().unwrap(), found_before);
    assert_eq!(totals["remaining"].as_u64().unwrap(), 0);
    assert_eq!(totals["weak"].as_u64().unwrap(), weak_before);
    for t in report["targets"].as_array().unwrap() {
        let found = t["found"].as_u64().unwrap();
        if found > 0 {
            assert_eq!(t["verify"], "passed", "{t}");
            assert_eq!(t["outcome"], "erased", "{t}");
        }
    }
    // The files agree: no strong trace left, name-only lines kept (weak),
    // and no line lost or added (redaction works inside lines).
    assert_eq!(count_lines(e.root(), &john.strong_forms), 0);
    assert_eq!(
        count_name_only_lines(e.root(), &john.strong_forms, &john.name_forms),
        weak_before
    );
    let lines_after: usize = read_tree(e.root())
        .iter()
        .map(|(_, t)| t.lines().count())
        .sum();
    // ADF rows of the subject are deleted (preset strategy), nothing else.
    let adf_rows = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["strategy"]["name"] == "delete")
        .map(|t| t["found"].as_u64().unwrap())
        .sum::<u64>() as usize;
    assert_eq!(lines_after, lines_before - adf_rows);
    // Every verify step re-ran discovery and found nothing.
    let steps = e.get_json(&format!("/v1/requests/{id}/steps")).await;
    let steps = steps
        .as_array()
        .or(steps["items"].as_array())
        .unwrap()
        .clone();
    let verifies: Vec<_> = steps.iter().filter(|s| s["action"] == "verify").collect();
    assert!(!verifies.is_empty());
    assert!(verifies.iter().all(|s| s["status"] == "succeeded"));
    let html = e
        .get(&format!("/v1/requests/{id}/report?format=html"))
        .await;
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(e.store.verify_audit().await.unwrap().first_break.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_package_lists_every_place_the_subject_was_found() {
    let e = Estate::start(Options {
        policy: Policy {
            approval_for: vec![RequestKind::Erasure],
            ..Policy::default()
        },
        ..Options::default()
    })
    .await;
    let john = e
        .demo
        .subjects
        .iter()
        .find(|s| s.label == "john")
        .unwrap()
        .clone();
    let forms: Vec<String> = john.strong_forms.iter().map(|f| f.to_lowercase()).collect();
    // Independently: every file holding John, by its name.
    let files: Vec<String> = read_tree(e.root())
        .into_iter()
        .filter(|(_, t)| forms.iter().any(|f| t.to_lowercase().contains(f.as_str())))
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(files.len() >= 5);
    let id = e.submit("access", e.subject("john")).await;
    e.run().await;
    assert!(e.status(&id).await.starts_with("completed"));
    let zip_bytes = e
        .get(&format!("/v1/requests/{id}/package"))
        .await
        .bytes()
        .await
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.to_vec())).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")).unwrap();
    let index = read("index.html");
    let places: Vec<String> = manifest["sources"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["places"].as_array().unwrap().clone())
        .map(|p| p["place"].as_str().unwrap().to_owned())
        .collect();
    for f in &files {
        assert!(
            places.iter().any(|p| p.ends_with(f.as_str())),
            "{f} missing from {places:?}"
        );
        assert!(index.contains(f.as_str()), "{f} missing from index.html");
    }
    let found: u64 = manifest["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["found"].as_u64().unwrap())
        .sum();
    assert_eq!(found, count_lines(e.root(), &john.strong_forms));
    // Access changes nothing.
    assert_eq!(count_lines(e.root(), &john.strong_forms), found);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_package_is_deleted_by_the_workers() {
    let e = Estate::start(Options {
        package_ttl: std::time::Duration::ZERO,
        ..Options::default()
    })
    .await;
    let id = e.submit("access", e.subject("mary")).await;
    e.run().await;
    assert!(e.status(&id).await.starts_with("completed"));
    // The next round's sweep deletes the exports, without anyone asking.
    e.engine.round().await.unwrap();
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    assert!(e.store.step_outputs(uuid).await.unwrap().is_empty());
    assert_eq!(
        e.get(&format!("/v1/requests/{id}/package")).await.status(),
        410
    );
    let audit = e
        .store
        .list_audit(&lethe_store::AuditFilter {
            request_id: Some(uuid),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.kind == "package.expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_identifiers_are_destroyed_after_retention_and_the_report_survives() {
    let e = Estate::start(Options {
        policy: Policy {
            approval_for: vec![],
            ..Policy::default()
        },
        identifier_retention: Some(std::time::Duration::ZERO),
        ..Options::default()
    })
    .await;
    let id = e.submit("erasure", e.subject("mary")).await;
    e.run().await;
    assert!(e.status(&id).await.starts_with("completed"));
    e.engine.round().await.unwrap();
    let request = e.get_json(&format!("/v1/requests/{id}")).await;
    let ids = request["identifiers"].as_array().unwrap();
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|i| i["destroyed"] == true), "{request}");
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    assert!(e.store.searched_values(uuid).await.unwrap().is_empty());
    let report = e.get_json(&format!("/v1/requests/{id}/report")).await;
    assert!(report["totals"]["found"].as_u64().unwrap() > 0);
    // The store's bytes on disk, database and write-ahead log, hold none
    // of Mary's identifiers in any shape: keyed hashes only.
    let mary: lethe_domain::SubjectInput = serde_json::from_value(e.subject("mary")).unwrap();
    let needles = lethe_testkit::sweep::needles(&[mary]);
    let file = e.store_file();
    for path in [file.clone(), file.with_extension("db-wal")] {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        let hits = lethe_testkit::sweep::scan(&text, &needles);
        assert!(hits.is_empty(), "{}: {hits:?}", path.display());
    }
}
