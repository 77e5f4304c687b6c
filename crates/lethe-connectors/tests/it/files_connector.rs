//! `FilesConnector` on the demo estate and on small hand-made trees: counts
//! checked against a plain string search, erase then verify, idempotence,
//! gzip, weak matches, one read per file per batch, shared identifiers.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use lethe_connectors::files::{
    write_demo_estate, DemoEstate, FileTarget, FileTargetSpec, FilesConnector, StrategyName,
};
use lethe_connectors::{BatchSubject, Connector};
use lethe_domain::{PhoneRegion, Subject};

/// A batch of `subjects`, all with the same weak-match rule.
pub fn batch(subjects: &[Subject], include_weak: bool) -> Vec<BatchSubject> {
    subjects
        .iter()
        .map(|s| BatchSubject {
            subject: s.clone(),
            include_weak,
        })
        .collect()
}

/// The demo estate in a fresh temp dir, its connector and parsed subjects.
pub fn demo() -> (tempfile::TempDir, DemoEstate, FilesConnector, Vec<Subject>) {
    let dir = tempfile::tempdir().unwrap();
    let estate = write_demo_estate(dir.path()).unwrap();
    let connector = FilesConnector::new(estate.targets.clone(), None).unwrap();
    let subjects = estate
        .subjects
        .iter()
        .map(|d| Subject::parse(&d.input, PhoneRegion::GB).unwrap())
        .collect();
    (dir, estate, connector, subjects)
}

/// A file's text, gunzipped when it is `.gz`.
pub fn read_text(path: &Path) -> String {
    let bytes = fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// Every file under `root`, relative path -> absolute path.
pub fn files_under(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, p);
            }
        }
    }
    out
}

fn target<'a>(estate: &'a DemoEstate, name: &str) -> &'a FileTarget {
    estate.targets.iter().find(|t| t.name == name).unwrap()
}

/// Which files of a demo target's root hold its items (the globs, said
/// plainly for the fixture).
fn is_item_file(target: &str, rel: &str) -> bool {
    match target {
        "adf-directory" => rel == "Directory.csv",
        "scratch-pad" => rel == "ScratchPad.txt",
        _ => true,
    }
}

/// Per subject: place -> (strong lines, weak lines), by plain search for
/// the planted strings.
fn independent_count(estate: &DemoEstate, name: &str) -> Vec<BTreeMap<String, (u64, u64)>> {
    let root = &target(estate, name).root;
    estate
        .subjects
        .iter()
        .map(|d| {
            let mut places = BTreeMap::new();
            for (rel, path) in files_under(root)
                .into_iter()
                .filter(|(r, _)| is_item_file(name, r))
            {
                let has = |line: &str, forms: &[&str]| {
                    forms
                        .iter()
                        .any(|f| line.to_lowercase().contains(&f.to_lowercase()))
                };
                let (mut strong, mut weak) = (0, 0);
                for line in read_text(&path).lines() {
                    if has(line, &d.strong_forms) {
                        strong += 1;
                    } else if has(line, &d.name_forms) {
                        weak += 1;
                    }
                }
                if strong + weak > 0 {
                    places.insert(rel, (strong, weak));
                }
            }
            places
        })
        .collect()
}

#[tokio::test]
async fn demo_discovery_equals_a_plain_string_count_in_every_store() {
    let (_dir, estate, connector, subjects) = demo();
    let mut totals = vec![(0, 0); subjects.len()];
    for t in &estate.targets {
        let found = connector
            .discover(&t.name, &batch(&subjects, false))
            .await
            .unwrap();
        let expected = independent_count(&estate, &t.name);
        for (s, (finding, places)) in found.iter().zip(&expected).enumerate() {
            let got: BTreeMap<String, (u64, u64)> = finding
                .places
                .iter()
                .map(|p| (p.place.clone(), (p.items, p.weak)))
                .collect();
            assert_eq!(
                &got, places,
                "target {} subject {}",
                t.name, estate.subjects[s].label
            );
            assert_eq!(finding.matched, places.values().map(|p| p.0).sum::<u64>());
            assert_eq!(finding.weak, places.values().map(|p| p.1).sum::<u64>());
            totals[s].0 += finding.matched;
            totals[s].1 += finding.weak;
        }
    }
    for (d, (strong, weak)) in estate.subjects.iter().zip(&totals) {
        assert!(*strong > 0, "{} not found", d.label);
        assert!(*weak > 0, "{} has no weak match to show", d.label);
    }
}

fn stamps(root: &Path) -> BTreeMap<String, (u64, i64, i64)> {
    files_under(root)
        .into_iter()
        .map(|(rel, p)| {
            let m = fs::metadata(p).unwrap();
            (rel, (m.ino(), m.mtime(), m.mtime_nsec()))
        })
        .collect()
}

#[tokio::test]
async fn erase_then_verify_finds_nothing_and_a_second_erase_changes_nothing() {
    let (_dir, estate, connector, subjects) = demo();
    let root = &target(&estate, "console-logs").root;
    let before = connector
        .discover("console-logs", &batch(&subjects, false))
        .await
        .unwrap();
    let erased = connector
        .erase("console-logs", &batch(&subjects, false))
        .await
        .unwrap();
    for (f, e) in before.iter().zip(&erased) {
        assert_eq!(e.affected, f.matched);
    }
    let after = connector
        .verify("console-logs", &batch(&subjects, false))
        .await
        .unwrap();
    for (f, a) in before.iter().zip(&after) {
        assert_eq!(a.matched, 0);
        // Weak-only lines were left alone.
        assert_eq!(a.weak, f.weak);
    }
    let gz = root.join("MiVBConsole.2.log.gz");
    assert_eq!(&fs::read(&gz).unwrap()[..2], &[0x1f, 0x8b], "still gzip");
    assert!(read_text(&gz).contains("ANI=[REDACTED] Name=\"[REDACTED]\""));
    assert!(
        read_text(&gz).contains("(\"Smith,John\")"),
        "weak line kept"
    );

    let stamped = stamps(root);
    let again = connector
        .erase("console-logs", &batch(&subjects, false))
        .await
        .unwrap();
    assert!(again.iter().all(|e| e.affected == 0));
    assert_eq!(
        stamps(root),
        stamped,
        "no file rewritten by the second erase"
    );

    let weak = connector
        .erase("console-logs", &batch(&subjects, true))
        .await
        .unwrap();
    for (f, e) in before.iter().zip(&weak) {
        assert_eq!(e.affected, f.weak);
    }
    let after = connector
        .verify("console-logs", &batch(&subjects, true))
        .await
        .unwrap();
    assert!(after.iter().all(|a| a.matched == 0 && a.weak == 0));
    assert!(!read_text(&gz).contains("Smith,John"));
    assert!(files_under(root)
        .keys()
        .all(|r| !r.contains(".lethe-rewrite-")));
}

#[tokio::test]
async fn every_demo_store_is_clean_after_erasure_with_weak_matches() {
    let (_dir, estate, connector, subjects) = demo();
    for t in &estate.targets {
        connector
            .erase(&t.name, &batch(&subjects, true))
            .await
            .unwrap();
        let after = connector
            .verify(&t.name, &batch(&subjects, true))
            .await
            .unwrap();
        for (a, d) in after.iter().zip(&estate.subjects) {
            assert_eq!((a.matched, a.weak), (0, 0), "{} in {}", d.label, t.name);
        }
    }
    let adf = read_text(&target(&estate, "adf-directory").root.join("Directory.csv"));
    assert!(
        adf.starts_with("Last Name,First Name,Number"),
        "header kept"
    );
    assert!(
        !adf.contains("U-000123") && adf.contains("U-000200"),
        "row deleted, others kept"
    );
    let comments = read_text(
        &target(&estate, "console-comments")
            .root
            .join("Comments.csv"),
    );
    assert!(comments.contains(
        "\"Deliveries to loading bay B\r\nafter 2pm only, \"\"signed for\"\" by reception\""
    ));
    assert!(comments.contains(
        "U-000123,2024-03-15T11:02:00Z,op2,\"[REDACTED] asked us to use [REDACTED] for callbacks\""
    ));
}

#[tokio::test]
async fn a_batch_of_ten_reads_each_file_once_per_call() {
    let (_dir, estate, connector, mut subjects) = demo();
    for i in 0..7 {
        subjects.push(crate::subject(
            &[&format!("filler{i}@example.net")],
            &[&format!("01632 9609{i}0")],
            &[&format!("Quentin Number{i}")],
        ));
    }
    assert_eq!(subjects.len(), 10);
    for name in ["console-logs", "console-log-collector", "adf-directory"] {
        let files = files_under(&target(&estate, name).root)
            .keys()
            .filter(|r| is_item_file(name, r))
            .count() as u64;
        let start = connector.files_scanned();
        connector
            .discover(name, &batch(&subjects, false))
            .await
            .unwrap();
        assert_eq!(connector.files_scanned() - start, files, "discover {name}");
        let start = connector.files_scanned();
        connector
            .export(name, &batch(&subjects, false))
            .await
            .unwrap();
        assert_eq!(connector.files_scanned() - start, files, "export {name}");
        let start = connector.files_scanned();
        connector
            .erase(name, &batch(&subjects, true))
            .await
            .unwrap();
        assert_eq!(connector.files_scanned() - start, files, "erase {name}");
    }
}

#[tokio::test]
async fn export_gives_lines_and_rows_with_their_match_strength() {
    let (_dir, _estate, connector, subjects) = demo();
    let john = &subjects[..1];
    let found = connector
        .discover("console-logs", &batch(john, false))
        .await
        .unwrap();
    let export = connector
        .export("console-logs", &batch(john, false))
        .await
        .unwrap();
    let records = &export[0].records;
    assert_eq!(records.len() as u64, found[0].matched + found[0].weak);
    let first = &records[0];
    assert_eq!(first["place"], "MiVBConsole.1.log");
    assert_eq!(first["line"], 11);
    assert_eq!(first["match"], "strong");
    assert!(first["content"]
        .as_str()
        .unwrap()
        .ends_with("sent to john.smith@example.com User=jdoe"));
    assert!(records.iter().any(|r| r["match"] == "weak"));

    let export = connector
        .export("adf-directory", &batch(john, false))
        .await
        .unwrap();
    let row = &export[0].records[0];
    assert_eq!(
        (row["place"].as_str(), row["row"].as_u64()),
        (Some("Directory.csv"), Some(1))
    );
    assert_eq!(row["key"], "U-000123");
    assert_eq!(row["fields"]["Tel Dir Name"], "Smith,John");
    assert_eq!(row["fields"]["Home Phone"], "01632 960855");
}

#[tokio::test]
async fn delete_drops_lines_and_retain_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    fs::write(&log, "keep 1\nANI=01632960855 call\nkeep 2\n").unwrap();
    let mut t = FileTargetSpec::preset("console-logs", dir.path())
        .resolve()
        .unwrap();
    t.strategy = StrategyName::Delete;
    let c = FilesConnector::new(vec![t.clone()], None).unwrap();
    let e = c
        .erase("console-logs", &batch(&[crate::john()], false))
        .await
        .unwrap();
    assert_eq!(e[0].affected, 1);
    assert_eq!(fs::read_to_string(&log).unwrap(), "keep 1\nkeep 2\n");

    fs::write(&log, "ANI=01632960855 call\n").unwrap();
    t.strategy = StrategyName::Retain;
    t.retain_ground = Some("call records kept 6 years for billing disputes".into());
    let c = FilesConnector::new(vec![t], None).unwrap();
    let e = c
        .erase("console-logs", &batch(&[crate::john()], false))
        .await
        .unwrap();
    assert_eq!(e[0].affected, 0);
    assert_eq!(fs::read_to_string(&log).unwrap(), "ANI=01632960855 call\n");
}

#[tokio::test]
async fn subjects_sharing_identifiers_in_one_batch_each_get_their_findings() {
    let (_dir, estate, connector, subjects) = demo();
    let john = subjects[0].clone();
    let john_by_email = crate::subject(&["john.smith@example.com"], &[], &[]);
    let pair = [john.clone(), john.clone(), john_by_email];
    for t in &estate.targets {
        let alone = connector
            .discover(&t.name, &batch(std::slice::from_ref(&john), false))
            .await
            .unwrap();
        let together = connector
            .discover(&t.name, &batch(&pair, false))
            .await
            .unwrap();
        assert_eq!(together[0], alone[0], "{}", t.name);
        assert_eq!(together[1], alone[0], "{}", t.name);
    }
    let erased = connector
        .erase("console-logs", &batch(&pair, false))
        .await
        .unwrap();
    assert_eq!(erased[0], erased[1]);
    assert!(
        erased[2].affected > 0,
        "the email-only subject's lines count for it too"
    );
    let after = connector
        .verify("console-logs", &batch(&pair, false))
        .await
        .unwrap();
    assert!(after.iter().all(|a| a.matched == 0));
}
