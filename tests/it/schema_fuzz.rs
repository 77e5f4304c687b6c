//! Schema-driven fuzzing: schemathesis (installed in `.venv-test` by
//! `scripts/test`, which exports `LETHE_TEST_SCHEMATHESIS`) generates
//! requests from the committed `openapi/openapi.json` and sends them to
//! `lethe demo`, once with the token of each role the demo prints (alice:
//! requester, bob: approver, root: admin; the first two are viewers too),
//! with every check on: no 5xx, every status and content type documented,
//! responses matching their schemas, schema-valid data accepted and
//! schema-invalid data refused, auth enforced, undeclared methods refused.
//! Bounded and repeatable: a fixed seed, a fixed number of examples per
//! operation, one worker. Any failure fails the test with schemathesis'
//! report; fix the code or the spec, never the checks.
//!
//! Each role's run gets a fresh real request (awaiting approval) as every
//! `{id}`, so the request operations act on a request in a real state (the
//! test checks the role did change it) instead of answering 404 to random
//! ids. The spec's OpenAPI links (create/get → the request's operations)
//! are followed by the stateful phase only after a 201, which random
//! subjects rarely earn (identifiers must parse as their kind).

use crate::demo_server::{start, tool_or_skip};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The seed of every run: the same requests each time.
const SEED: &str = "20261125";
/// Examples per operation and phase.
const MAX_EXAMPLES: &str = "25";

/// Rules the schema cannot state, each allowed a 422 for schema-valid data
/// on the one operation it belongs to (schemathesis' `ST202` tuning). Every
/// other operation must accept whatever its schema allows.
const CONFIG: &str = r#"
# create_request: an identifier must parse as its kind (a phone number must be
# one libphonenumber can place; an email needs a dotted domain; a name needs
# a letter), the subject needs at least one identifier, `due_at` may not be
# later than one month after receipt, and `callback_url` needs callbacks
# enabled on the server and a public https host.
[[operations]]
include-operation-id = "create_request"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

# extend_request: the new due date must be later than the current one and at
# most two months after the original one (Art. 12(3)).
[[operations]]
include-operation-id = "extend_request"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

# accept_identifiers: each hash must be a pending proposal of this request,
# and no hash may repeat.
[[operations]]
include-operation-id = "accept_identifiers"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"#;

/// A real request (an erasure of a demo person, by alice), whose id
/// schemathesis uses for every `{id}`: the request operations then meet a
/// request in some state instead of only ever answering 404 to random ids.
fn seed_request(url: &str, alice: &str) -> String {
    block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{url}/v1/requests"))
            .bearer_auth(alice)
            .json(&serde_json::json!({
                "kind": "erasure",
                "subject": {"emails": ["schema.fuzz@example.com"], "names": ["Schema Fuzz"]},
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: serde_json::Value = r.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    })
}

/// `N generated` from schemathesis' summary line.
fn generated(report: &str) -> u64 {
    report
        .lines()
        .filter_map(|l| l.trim().split_once(" generated"))
        .filter_map(|(n, _)| n.trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}

#[test]
fn schemathesis_finds_nothing_for_any_role() {
    let Some(st) = tool_or_skip("LETHE_TEST_SCHEMATHESIS") else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("schemathesis.toml");
    let demo = start(&work.path().join("demo"));

    let tokens = [
        ("alice", "requester, viewer", &demo.alice),
        ("bob", "approver, viewer", &demo.bob),
        ("root", "admin", &demo.root),
    ];

    let mut total = 0;
    let started = Instant::now();
    for (who, roles, token) in tokens {
        // A fresh request awaiting approval for each role's run.
        let id = seed_request(&demo.url, &demo.alice);
        std::fs::write(
            &config,
            format!("{CONFIG}\n[parameters]\n\"path.id\" = \"{id}\"\n"),
        )
        .unwrap();
        let run_started = Instant::now();
        let out = Command::new(&st)
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(root.join("openapi/openapi.json"))
            .args(["--url", &demo.url])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all"])
            .args(["--seed", SEED, "--max-examples", MAX_EXAMPLES])
            // One worker: requests in a fixed order, so the seed repeats the run.
            .args(["--workers", "1", "--generation-database", "none"])
            .args(["--no-color", "--request-timeout", "30"])
            .current_dir(work.path())
            .output()
            .unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "schemathesis as {who} found problems (fix the code or openapi/openapi.json, not the checks):\n{report}"
        );
        let n = generated(&report);
        assert!(n > 0, "schemathesis as {who} ran nothing:\n{report}");
        total += n;
        eprintln!(
            "schemathesis as {who} ({roles}): {n} test cases in {:.1}s",
            run_started.elapsed().as_secs_f64()
        );
        // The real id reached the server: this role changed the request.
        let acts = actions_by(&demo.url, &demo.root, &id, who);
        eprintln!("  {who}'s actions on the seeded request: {acts:?}");
        assert!(!acts.is_empty(), "{who} never acted on request {id}");
        // How far the stateful phase got along the OpenAPI links.
        for line in report
            .lines()
            .filter(|l| l.contains("Stateful") || l.contains("Links"))
        {
            eprintln!("  {}", line.trim());
        }
    }
    eprintln!(
        "schemathesis: {total} test cases over {} roles in {:.1}s",
        tokens.len(),
        started.elapsed().as_secs_f64()
    );
}

/// The audit event kinds `who` caused on request `id`, its creation aside.
fn actions_by(url: &str, admin: &str, id: &str, who: &str) -> Vec<String> {
    block_on(async {
        let r = reqwest::Client::new()
            .get(format!("{url}/v1/audit?request_id={id}"))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"] == who && e["kind"] != "request.create")
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    })
}

/// Runs `f` to completion: the test itself is synchronous (schemathesis is
/// a process), a few calls to the demo are not.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
