//! The elasticsearch connector against a raw `_bulk`, in one run, on
//! osmem-server: `LETHE_BENCH_MATCHED` message-interaction documents of one
//! planted person (default 50,000) among `LETHE_BENCH_BACKGROUND` others
//! (default 50,000), loaded twice into identical indices.
//!
//! - baseline: with the matched ids known in advance, `_bulk` partial
//!   updates (1,000 per request) that clear the customer's fields of
//!   those documents: no search, no read, no version guard, no redaction;
//! - lethe: `erase` with the `micc-interactions-message` preset
//!   (anonymise): search by identifiers, page with the scroll API, read,
//!   compute each document's change (party fields, free-text redaction),
//!   write guarded by `if_seq_no`/`if_primary_term`.
//!
//! Prints both rates and their ratio (goal ≥ 0.5×), then verifies that
//! lethe erased every matched document. Peak RSS is this process's
//! `VmHWM` (reset before lethe's discovery, the loaded documents dropped),
//! the client side only.
//!
//! ```sh
//! ./scripts/bench-elasticsearch      # installs osmem-server in .venv-test first
//! ```

use std::time::Instant;

use lethe_connectors::elasticsearch::{presets, ElasticsearchConnector, EsConnection};
use lethe_connectors::{BatchSubject, Connector};
use lethe_domain::{PhoneRegion, Subject, SubjectInput};
use lethe_testkit::es::{self, EsConfig, EsDoc, Family};
use serde_json::json;

mod support;
use support::env_usize;

async fn post(http: &reqwest::Client, url: &str, ndjson: Option<String>) -> serde_json::Value {
    let req = http.post(url);
    let req = match ndjson {
        Some(body) => req
            .header("content-type", "application/x-ndjson")
            .body(body),
        None => req,
    };
    let r = req.send().await.expect("request");
    let status = r.status();
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(status.is_success(), "{url}: {status}");
    v
}

#[tokio::main]
async fn main() {
    let Some(server) = es::start_or_skip("bench elasticsearch") else {
        return;
    };
    let matched = env_usize("LETHE_BENCH_MATCHED", 50_000);
    let background = env_usize("LETHE_BENCH_BACKGROUND", 50_000);
    let base = server.url.clone();
    let http = reqwest::Client::new();

    // The fixture's first planted person, and background documents from
    // the generator, spread over one message index.
    let fixture = es::generate(&EsConfig {
        background_per_index: background / 2,
        ..EsConfig::default()
    });
    let person = fixture.planted()[0].clone();
    let lethe_index = "micc-interactions-message-2026.09";
    // Same family (the loader checks it), another month: the raw side.
    let raw_index = "micc-interactions-message-2026.10";
    let mut docs: Vec<EsDoc> = fixture
        .indices
        .iter()
        .filter(|i| i.family == Family::Message)
        .flat_map(|i| i.docs.iter().filter(|d| d.about.is_none()).cloned())
        .collect();
    docs.truncate(background);
    let hits = es::bulk_matching(lethe_index, matched, &person);
    let ids: Vec<String> = hits.iter().map(|d| d.id.clone()).collect();
    docs.extend(hits);

    let t = Instant::now();
    for index in [lethe_index, raw_index] {
        let mapping: serde_json::Value =
            serde_json::from_str(Family::Message.mapping()).expect("mapping");
        let r = http
            .put(format!("{base}/{index}"))
            .json(&mapping)
            .send()
            .await
            .expect("create");
        assert!(r.status().is_success(), "create {index}: {}", r.status());
        es::load_docs(&base, index, &docs).await.expect("load");
    }
    println!(
        "loaded 2 x {} documents ({matched} matched) in {:.1} s",
        docs.len(),
        t.elapsed().as_secs_f64()
    );
    drop((docs, fixture));

    // Baseline: raw partial updates of the known ids.
    let t = Instant::now();
    for chunk in ids.chunks(1000) {
        let mut body = String::new();
        for id in chunk {
            body.push_str(&json!({"update": {"_index": raw_index, "_id": id}}).to_string());
            body.push('\n');
            body.push_str(
                &json!({"doc": {"From": null, "ContactName": null, "ContactAddress": null}})
                    .to_string(),
            );
            body.push('\n');
        }
        let v = post(&http, &format!("{base}/_bulk"), Some(body)).await;
        assert_eq!(v["errors"], json!(false));
    }
    post(&http, &format!("{base}/{raw_index}/_refresh"), None).await;
    let raw_s = t.elapsed().as_secs_f64();

    // lethe: erase (anonymise) through the connector.
    let mut target = presets::micc_interactions_message();
    target.connection = EsConnection::plain(&base);
    target.index = lethe_index.to_owned();
    let connector = ElasticsearchConnector::new(vec![target], None).expect("connector");
    let subject = Subject::parse(
        &SubjectInput {
            emails: vec![person.email.clone()],
            phones: vec![person.national.clone()],
            names: vec![person.name()],
            account_numbers: vec![person.account.clone()],
            ..SubjectInput::default()
        },
        PhoneRegion::parse("GB").unwrap(),
    )
    .expect("subject");
    let batch = [BatchSubject {
        subject,
        include_weak: false,
    }];
    let start = support::reset_peak_rss();
    let t = Instant::now();
    let found = connector
        .discover("micc-interactions-message", &batch)
        .await
        .expect("discover");
    let discover_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let erased = connector
        .erase("micc-interactions-message", &batch)
        .await
        .expect("erase");
    let lethe_s = t.elapsed().as_secs_f64();
    let rss = support::peak_rss_kib();
    let left = connector
        .verify("micc-interactions-message", &batch)
        .await
        .expect("verify");
    let n = erased[0].affected as f64;
    let raw_rate = ids.len() as f64 / raw_s;
    let lethe_rate = n / lethe_s;
    println!(
        "{} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "lethe discover:        {:>8} documents in {discover_s:6.2} s ({:>9.0} docs/s)",
        found[0].matched,
        found[0].matched as f64 / discover_s
    );
    println!(
        "raw _bulk update:      {:>8} documents in {raw_s:6.2} s ({raw_rate:>9.0} docs/s)",
        ids.len()
    );
    println!(
        "lethe anonymise:       {:>8} documents in {lethe_s:6.2} s ({lethe_rate:>9.0} docs/s)  {:.2}x raw",
        erased[0].affected,
        lethe_rate / raw_rate
    );
    println!("peak RSS (discover + anonymise): {}", support::mib(rss));
    support::result(
        &format!("elasticsearch anonymise, {} docs", erased[0].affected),
        &format!("{lethe_rate:.0} docs/s"),
        &format!("raw _bulk {raw_rate:.0} docs/s"),
        lethe_rate / raw_rate,
        rss,
        start,
    );
    assert!(found[0].matched >= matched as u64);
    assert_eq!(erased[0].affected, found[0].matched);
    assert_eq!(left[0].matched, 0, "verification still finds documents");
}
