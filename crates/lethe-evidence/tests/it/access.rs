//! The access package, read back with the `zip` reader.

use std::io::{Cursor, Read as _};

use lethe_domain::{StepStatus, Strategy};
use lethe_evidence::{access_package, TargetEvidence};
use serde_json::{json, Value};

use crate::fixtures::{self, access_request, generated_at, HOSTILE};

/// The package's entries, in archive order, with their contents.
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a valid zip");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            (f.name().to_owned(), s)
        })
        .collect()
}

fn entry<'a>(entries: &'a [(String, String)], name: &str) -> &'a str {
    &entries
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .1
}

fn manifest(entries: &[(String, String)]) -> Value {
    serde_json::from_str(entry(entries, "manifest.json")).unwrap()
}

#[test]
fn package_holds_manifest_index_and_one_data_file_per_source_with_data() {
    let entries = unzip(&access_package(&access_request(), generated_at()));
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "index.html",
            "data/files-console-logs.json",
            "data/mssql-contacts.json",
            "data/postgres-billing.json",
        ]
    );
}

#[test]
fn data_files_hold_the_records_as_pretty_json() {
    let e = access_request();
    let entries = unzip(&access_package(&e, generated_at()));
    let data = entry(&entries, "data/files-console-logs.json");
    assert!(data.starts_with("[\n"), "pretty-printed");
    let records: Vec<Value> = serde_json::from_str(data).unwrap();
    assert_eq!(records, fixtures::console_logs().records);
}

#[test]
fn manifest_lists_every_source_with_art_15_facts() {
    let e = access_request();
    let m = manifest(&unzip(&access_package(&e, generated_at())));
    assert_eq!(m["format"], "lethe-access-package/1");
    assert_eq!(m["request_id"], e.request_id.to_string());
    assert_eq!(m["generated_at"], "2026-03-04T05:06:08Z");
    assert_eq!(
        m["identifiers_searched"],
        json!([{"kind": "email", "hint": "j***@***.com"}, {"kind": "phone", "hint": "+44******123"}])
    );

    let sources = m["sources"].as_array().unwrap();
    let keys: Vec<&str> = sources.iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "elasticsearch:chats",
            "files:console-logs",
            "mssql:contacts",
            "postgres:billing"
        ],
        "every target, sorted by key"
    );

    let logs = &sources[1];
    assert_eq!(logs["result"], "found");
    assert_eq!(logs["found"], 3);
    assert_eq!(logs["name_only_matches"], 1);
    assert_eq!(logs["records"], 3);
    assert_eq!(logs["file"], "data/files-console-logs.json");
    assert_eq!(logs["purposes"], json!(["console-logs purpose"]));
    assert_eq!(logs["recipients"], json!(["console-logs recipient"]));
    assert_eq!(logs["retention"], "console-logs retention");
    // Places with strong items only; the weak-only place is left out.
    assert_eq!(
        logs["places"],
        json!([
            {"place": "2026/01/console.log", "items": 2},
            {"place": "2026/02/console.log", "items": 1},
        ])
    );

    let chats = &sources[0];
    assert_eq!(chats["result"], "nothing_found");
    assert_eq!(chats["found"], 0);
    assert_eq!(chats["file"], Value::Null);
    assert_eq!(chats["places"], json!([]));

    for s in sources.iter().filter(|s| s["found"].as_u64().unwrap() > 0) {
        assert_eq!(s["result"], "found", "{}", s["key"]);
        assert!(s["file"].is_string());
        assert!(!s["places"].as_array().unwrap().is_empty());
    }

    let manual = &m["manual_sources"][0];
    assert_eq!(manual["recipient"], "Acme Recording Ltd");
    assert_eq!(manual["status"], "succeeded");
    assert!(manual.get("note").is_none(), "officers' notes stay out");
}

#[test]
fn manifest_states_the_subjects_rights() {
    let m = manifest(&unzip(&access_package(&access_request(), generated_at())));
    let rights = &m["rights"];
    let text = rights.to_string();
    for needle in [
        "Article 15",
        "contact-center and console systems listed",
        "rectification",
        "erasure",
        "restriction",
        "object",
        "complaint with a supervisory authority",
        "machine-readable",
    ] {
        assert!(text.contains(needle), "rights lack {needle:?}");
    }
    assert_eq!(rights["your_rights"].as_array().unwrap().len(), 4);
}

#[test]
fn index_lists_found_sources_with_places_and_records_escaped() {
    let entries = unzip(&access_package(&access_request(), generated_at()));
    let index = entry(&entries, "index.html");

    assert!(index.starts_with("<!DOCTYPE html>"));
    // Self-contained: inline style, no script, no external resources.
    assert!(index.contains("<style>"));
    for banned in [
        "<script", "<link", "src=", "href=", "http://", "https://", "@import",
    ] {
        assert!(!index.contains(banned), "index contains {banned:?}");
    }
    // Hostile description and record content appear only escaped.
    assert!(
        index.contains("Console logs &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;")
    );
    assert!(!index.contains(HOSTILE));

    for needle in [
        // Found sources with their Art. 15(1) facts and places.
        "files:console-logs",
        "console-logs purpose",
        "console-logs recipient",
        "console-logs retention",
        "2026/01/console.log",
        "2026/02/console.log",
        "mssql:contacts",
        "dbo.Contacts",
        "postgres:billing",
        "invoices",
        // Records in tables, nested values as JSON (escaped).
        "call from +441632960123",
        "{&quot;a&quot;:[1,2]}",
        "INV-2",
        "data/mssql-contacts.json",
        // The masked identifiers.
        "j***@***.com",
        // Rights.
        "supervisory authority",
        "We searched 4 systems and found data about you in 3.",
        // Weak matches are mentioned, not shown.
        "1 entry matching your name only",
    ] {
        assert!(index.contains(needle), "index lacks {needle:?}");
    }
    assert!(
        !index.contains("&lt;weak&gt;.log"),
        "weak-only place left out"
    );

    // The source where nothing was found is listed as such.
    let nothing = index
        .split("<h2>Systems searched where nothing was found</h2>")
        .nth(1)
        .expect("section present");
    assert!(nothing.contains("elasticsearch:chats"));
    assert!(!nothing.contains("files:console-logs"));

    // Manual step shown without the officer's note.
    assert!(index.contains("Acme Recording Ltd"));
    assert!(!index.contains("ticket 42"));
}

#[test]
fn weak_only_and_failed_sources_are_not_called_found() {
    let mut weak_only = TargetEvidence::new(fixtures::info("files", "cdr", Strategy::Delete));
    weak_only.weak = 2;
    weak_only.places = vec![fixtures::place("cdr.csv", 0, 2)];
    let mut failed = TargetEvidence::new(fixtures::info("mssql", "ccm", Strategy::Delete));
    failed.discover_status = Some(StepStatus::Failed);
    failed.error = Some("connection refused".to_owned());
    let e = fixtures::request(lethe_domain::RequestKind::Access, vec![weak_only, failed]);

    let entries = unzip(&access_package(&e, generated_at()));
    assert_eq!(entries.len(), 2, "no data files");
    let m = manifest(&entries);
    assert_eq!(m["sources"][0]["key"], "files:cdr");
    assert_eq!(m["sources"][0]["result"], "nothing_found");
    assert_eq!(m["sources"][0]["name_only_matches"], 2);
    assert_eq!(m["sources"][1]["result"], "not_completed");

    let index = entry(&entries, "index.html");
    assert!(index.contains("found data about you in 0."));
    assert!(index.contains("2 entries matching your name only"));
    assert!(index.contains("Systems where the search is not complete"));
    assert!(
        !index.contains("connection refused"),
        "error texts stay internal"
    );
}

#[test]
fn data_file_names_cannot_escape_or_collide() {
    let a = TargetEvidence {
        found: 1,
        records: vec![json!({"x": 1})],
        ..TargetEvidence::new(fixtures::info("files", "../../etc", Strategy::Delete))
    };
    let b = TargetEvidence {
        found: 1,
        records: vec![json!({"x": 2})],
        ..TargetEvidence::new(fixtures::info("files", r"..\..\etc", Strategy::Delete))
    };
    let e = fixtures::request(lethe_domain::RequestKind::Access, vec![a, b]);
    let entries = unzip(&access_package(&e, generated_at()));
    let data: Vec<&str> = entries
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.starts_with("data/"))
        .collect();
    assert_eq!(
        data,
        ["data/files-______etc.json", "data/files-______etc-2.json"]
    );
    let m = manifest(&entries);
    assert_eq!(m["sources"][1]["file"], "data/files-______etc-2.json");
}

#[test]
fn same_input_same_bytes_whatever_the_target_order() {
    let e = access_request();
    let first = access_package(&e, generated_at());
    assert_eq!(first, access_package(&e, generated_at()));

    let mut shuffled = e.clone();
    shuffled.targets.reverse();
    assert_eq!(first, access_package(&shuffled, generated_at()));

    let later = access_package(&e, fixtures::at("2026-03-05T05:06:08Z"));
    assert_ne!(first, later, "generated_at is part of the content");
}

#[test]
fn entries_carry_generated_at_as_their_timestamp() {
    let bytes = access_package(&access_request(), generated_at());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    for i in 0..archive.len() {
        let f = archive.by_index(i).unwrap();
        let t = f.last_modified().expect("a timestamp");
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2026, 3, 4, 5, 6, 8),
            "{}",
            f.name()
        );
        assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
    }
}

#[test]
fn debug_prints_no_personal_data() {
    let e = access_request();
    let debug = format!("{e:?}");
    for secret in [
        "jane@example.com",
        "+441632960123",
        "ticket 42",
        "j***@",
        "INV-1",
    ] {
        assert!(!debug.contains(secret), "Debug leaks {secret:?}: {debug}");
    }
    assert!(debug.contains("files:console-logs"));
    assert!(debug.contains("records: 3"));
}
