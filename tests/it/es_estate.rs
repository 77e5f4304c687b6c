//! The suite's Elasticsearch in a whole lethe: the five index families of
//! data-map.md A3 (testkit fixture: planted people in keyword fields and
//! inside free text) on osmem-server over HTTP, the elasticsearch connector
//! with its five presets, the engine and the API. Access exports every
//! family's documents; erasure leaves nothing an independent `_count`
//! finds, keeps unrelated text, and says what snapshots keep. A server
//! that is stopped makes the steps retry until it is back.

use std::io::Read;
use std::sync::Arc;

use lethe_connectors::elasticsearch::{presets, ElasticsearchConnector, EsConnection};
use lethe_domain::{IdentifierHasher, RequestKind, StepStatus};
use lethe_planner::Policy;
use lethe_testkit::es::{self, EsConfig, EsFixture, Family, PlantedEs};
use serde_json::{json, Value};

use crate::estate::{Estate, Options, HASH_KEY};

pub(crate) fn connector(url: &str) -> Arc<ElasticsearchConnector> {
    let targets = presets::PRESET_NAMES
        .iter()
        .map(|p| {
            let mut t = presets::preset(p).unwrap();
            t.connection = EsConnection::plain(url);
            t.connection.timeout_secs = 3;
            t
        })
        .collect();
    Arc::new(ElasticsearchConnector::new(targets, Some(IdentifierHasher::new(HASH_KEY))).unwrap())
}

/// The subject as the data subject gives it: email, phone, name, account.
pub(crate) fn subject(p: &PlantedEs) -> Value {
    json!({
        "emails": [p.email],
        "phones": [p.national],
        "names": [p.name()],
        "account_numbers": [p.account],
    })
}

async fn post(url: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{url}: {status}: {v}");
    v
}

/// Independently of the connector: documents of `family` holding any of
/// the person's strong identifiers, by `terms` on the keyword fields and
/// `match_phrase` on the text fields.
pub(crate) async fn strong_count(base: &str, f: Family, p: &PlantedEs) -> u64 {
    let mut literals: Vec<String> = p.phone_shapes().to_vec();
    literals.push(p.email.clone());
    literals.push(p.account.clone());
    let mut should: Vec<Value> = f
        .identifier_fields()
        .iter()
        .map(|field| json!({"terms": {*field: literals}}))
        .collect();
    for field in f.text_fields() {
        for l in &literals {
            should.push(json!({"match_phrase": {*field: l}}));
        }
    }
    post(&format!("{base}/{}/_refresh", f.pattern()), json!({})).await;
    let v = post(
        &format!("{base}/{}/_count", f.pattern()),
        json!({"query": {"bool": {"should": should, "minimum_should_match": 1}}}),
    )
    .await;
    v["count"].as_u64().unwrap()
}

fn target_of(f: Family) -> &'static str {
    match f {
        Family::Contacts => "micc-contacts",
        Family::Message => "micc-interactions-message",
        Family::Voice => "micc-interactions-voice",
        Family::Cases => "micc-cases",
        Family::Directory => "micc-directory-ad",
    }
}

pub(crate) async fn steps(e: &Estate, id: &str) -> Vec<lethe_store::StepRecord> {
    e.store
        .list_steps(uuid::Uuid::parse_str(id).unwrap())
        .await
        .unwrap()
}

pub(crate) fn fixture() -> EsFixture {
    es::generate(&EsConfig::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_and_erasure_across_the_five_index_families() {
    let Some(server) =
        es::start_or_skip("es_estate::access_and_erasure_across_the_five_index_families")
    else {
        return;
    };
    let fixture = fixture();
    es::load(&server.url, &fixture).await.unwrap();
    let e = Estate::start(Options {
        policy: Policy {
            approval_for: vec![RequestKind::Erasure],
            ..Policy::default()
        },
        extra: Some(connector(&server.url)),
        ..Options::default()
    })
    .await;
    let planted = fixture.planted();
    let p = &planted[0];
    for f in Family::ALL {
        assert!(
            p.family(f).strong > 0,
            "fixture has no {f:?} document of the subject"
        );
    }
    assert!(
        Family::ALL.iter().any(|f| p.family(*f).free_text_only > 0),
        "the fixture must hold free-text-only hits"
    );

    // Access: one export per family, every strong and weak document in it.
    let id = e.submit("access", subject(p)).await;
    e.run().await;
    assert!(
        e.status(&id).await.starts_with("completed"),
        "{}",
        e.status(&id).await
    );
    let all = steps(&e, &id).await;
    for f in Family::ALL {
        let want = p.family(f);
        let key = format!("discover:elasticsearch:{}", target_of(f));
        let d = all.iter().find(|s| s.step_key == key).unwrap();
        assert_eq!(d.items_matched, Some(want.strong as i64), "{key}");
        let weak = d.detail.as_ref().unwrap()["weak"].as_u64().unwrap_or(0);
        assert_eq!(weak, want.weak as u64, "{key} weak");
        assert_eq!(
            strong_count(&server.url, f, p).await,
            want.strong as u64,
            "independent count of {f:?}"
        );
    }
    let zip_bytes = e
        .get(&format!("/v1/requests/{id}/package"))
        .await
        .bytes()
        .await
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.to_vec())).unwrap();
    let mut manifest = String::new();
    zip.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    for f in Family::ALL {
        let key = format!("elasticsearch:{}", target_of(f));
        let source = manifest["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key.as_str() || s["target"] == key.as_str())
            .unwrap_or_else(|| panic!("{key} missing from the manifest: {manifest}"));
        assert_eq!(
            source["found"].as_u64().unwrap(),
            p.family(f).strong as u64,
            "{key}"
        );
    }

    // Erasure of the same person: approve, run, verify.
    let id = e.submit("erasure", subject(p)).await;
    e.run().await;
    assert_eq!(e.status(&id).await, "awaiting_approval");
    e.approve(&id).await;
    e.run().await;
    let status = e.status(&id).await;
    assert!(status.starts_with("completed"), "{status}");
    let report = e.get_json(&format!("/v1/requests/{id}/report")).await;
    for f in Family::ALL {
        let key = format!("elasticsearch:{}", target_of(f));
        let t = report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == key.as_str())
            .unwrap();
        assert_eq!(
            t["found"].as_u64().unwrap(),
            p.family(f).strong as u64,
            "{key}"
        );
        assert_eq!(t["remaining"], json!(0), "{key}");
        assert_eq!(t["verify"], "passed", "{key}");
        assert_eq!(
            t["erased"].as_u64().unwrap(),
            p.family(f).strong as u64,
            "{key}"
        );
        assert!(
            t["caveats"][0].as_str().unwrap().contains("snapshots"),
            "{key} does not say what snapshots keep"
        );
        assert_eq!(
            strong_count(&server.url, f, p).await,
            0,
            "{f:?} still holds the subject"
        );
    }
    // The other planted person is untouched everywhere.
    let other = &planted[1];
    for f in Family::ALL {
        assert_eq!(
            strong_count(&server.url, f, other).await,
            other.family(f).strong as u64,
            "{f:?}: someone else's documents changed"
        );
    }
    // Unrelated transcript lines of a redacted chat are unchanged.
    let chats = post(
        &format!("{}/{}/_search", server.url, Family::Message.pattern()),
        json!({"size": 1000, "query": {"match_phrase": {"Transcript.Text": "[REDACTED]"}}}),
    )
    .await;
    let hits = chats["hits"]["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "no chat transcript was redacted");
    let mut kept = 0;
    for h in hits {
        for line in h["_source"]["Transcript"].as_array().unwrap() {
            let text = line["Text"].as_str().unwrap();
            if text == es::CHAT_OPENING || text == es::CHAT_CLOSING {
                kept += 1;
            }
        }
    }
    assert!(kept > 0, "the unrelated lines of redacted chats are gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_makes_steps_retry_until_it_is_back() {
    let Some(mut server) =
        es::start_or_skip("es_estate::a_stopped_server_makes_steps_retry_until_it_is_back")
    else {
        return;
    };
    let fixture = fixture();
    let e = Estate::start(Options {
        policy: Policy {
            approval_for: Vec::new(),
            ..Policy::default()
        },
        extra: Some(connector(&server.url)),
        ..Options::default()
    })
    .await;
    let p = &fixture.planted()[0];
    server.stop();
    let id = e.submit("erasure", subject(p)).await;
    e.engine.round().await.unwrap();
    let down = steps(&e, &id).await;
    let es_steps: Vec<_> = down
        .iter()
        .filter(|s| s.connector == "elasticsearch")
        .collect();
    assert_eq!(es_steps.len(), 5);
    for s in &es_steps {
        assert_eq!(s.status, StepStatus::Retrying, "{}", s.step_key);
        assert!(
            s.error.as_deref().unwrap().contains("cannot connect"),
            "{:?}",
            s.error
        );
    }

    server.restart();
    es::load(&server.url, &fixture).await.unwrap();
    e.run().await;
    let status = e.status(&id).await;
    assert!(status.starts_with("completed"), "{status}");
    let after = steps(&e, &id).await;
    for f in Family::ALL {
        let d = after
            .iter()
            .find(|s| s.step_key == format!("discover:elasticsearch:{}", target_of(f)))
            .unwrap();
        assert_eq!(d.status, StepStatus::Succeeded);
        assert!(d.attempts.len() >= 2, "{} was not retried", d.step_key);
        assert_eq!(strong_count(&server.url, f, p).await, 0);
    }
}
