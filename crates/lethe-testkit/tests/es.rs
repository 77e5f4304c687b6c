//! The Elasticsearch fixture against `osmem-server`: what the generator
//! claims is what the server holds (counted with independent `term` and
//! `match_phrase` queries), and the server features the connector relies
//! on (`_seq_no`/`_primary_term`, per-item 409 on a stale `_bulk` update,
//! `multi_match` phrase over wildcard fields, restart on the same port).
//! Skips with a SKIP line without osmem-server, fails under `CI`.

use lethe_testkit::es::{self, EsConfig, EsFixture, Family, PlantedEs};
use serde_json::{json, Value};

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

async fn count(base: &str, indices: &str, query: Value) -> u64 {
    let v = post(
        &format!("{base}/{indices}/_count"),
        json!({ "query": query }),
    )
    .await;
    v["count"]
        .as_u64()
        .unwrap_or_else(|| panic!("no count: {v}"))
}

/// The identifier literals a test searches for, from the person's own
/// identifiers (not from the documents).
fn literals(p: &PlantedEs) -> Vec<String> {
    let mut l = p.phone_shapes().to_vec();
    l.push(p.email.clone());
    l.push(p.account.clone());
    l
}

fn keyword_query(f: Family, p: &PlantedEs) -> Vec<Value> {
    f.identifier_fields()
        .iter()
        .map(|field| json!({"terms": {*field: literals(p)}}))
        .collect()
}

fn text_query(f: Family, phrases: &[String]) -> Vec<Value> {
    let mut q = Vec::new();
    for field in f.text_fields() {
        for s in phrases {
            q.push(json!({"match_phrase": {*field: s}}));
        }
    }
    q
}

/// Any of `should`; none matches nothing (an empty `bool` matches all).
fn any(should: Vec<Value>) -> Value {
    if should.is_empty() {
        return json!({"match_none": {}});
    }
    json!({"bool": {"should": should, "minimum_should_match": 1}})
}

fn small() -> EsFixture {
    es::generate(&EsConfig {
        background_per_index: 20,
        ..EsConfig::default()
    })
}

#[tokio::test]
async fn the_server_holds_the_claimed_planted_counts() {
    let Some(server) = es::start_or_skip("the_server_holds_the_claimed_planted_counts") else {
        return;
    };
    let fixture = es::generate(&EsConfig::default());
    let n = es::load(&server.url, &fixture).await.unwrap();
    assert_eq!(n, fixture.doc_count());
    // Loading again changes nothing (the `index` action overwrites by id).
    es::load(&server.url, &fixture).await.unwrap();
    let all = count(&server.url, "micc-*", json!({"match_all": {}})).await;
    assert_eq!(all as usize, fixture.doc_count());

    for p in fixture.planted() {
        for f in Family::ALL {
            let want = p.family(f);
            let kw = keyword_query(f, &p);
            let text = text_query(f, &literals(&p));
            let strong = any(kw.iter().cloned().chain(text.iter().cloned()).collect());
            let got = count(&server.url, f.pattern(), strong.clone()).await as usize;
            assert_eq!(got, want.strong, "{} strong in {}", p.name(), f.pattern());

            let free = json!({"bool": {"must": [any(text.clone())], "must_not": kw}});
            let got = count(&server.url, f.pattern(), free).await as usize;
            assert_eq!(
                got,
                want.free_text_only,
                "{} free text in {}",
                p.name(),
                f.pattern()
            );

            let mut named = text_query(f, &[p.name()]);
            named.extend(
                f.name_fields()
                    .iter()
                    .map(|field| json!({"term": {*field: p.name()}})),
            );
            let weak = json!({"bool": {"must": [any(named)], "must_not": [strong]}});
            let got = count(&server.url, f.pattern(), weak).await as usize;
            assert_eq!(got, want.weak, "{} weak in {}", p.name(), f.pattern());
        }
    }
    // Case-insensitive in free text: the mixed-case email is found.
    let q = json!({"match_phrase": {"Body": "JOHN.SMITH@EXAMPLE.COM"}});
    assert!(count(&server.url, Family::Message.pattern(), q).await > 0);
}

#[tokio::test]
async fn seq_no_is_returned_and_a_stale_bulk_update_gets_a_409_item() {
    let Some(server) = es::start_or_skip("seq_no_stale_bulk_update") else {
        return;
    };
    let fixture = small();
    es::load(&server.url, &fixture).await.unwrap();
    let john = &fixture.planted()[0];
    let hits = post(
        &format!("{}/micc-contacts/_search", server.url),
        json!({"seq_no_primary_term": true, "query": {"term": {"Id": john.contact_id}}}),
    )
    .await;
    let hit = &hits["hits"]["hits"][0];
    let (seq, term) = (
        hit["_seq_no"].as_u64().unwrap(),
        hit["_primary_term"].as_u64().unwrap(),
    );
    let update = |seq: u64, notes: &str| {
        let action = json!({"update": {"_index": "micc-contacts", "_id": john.contact_id,
            "if_seq_no": seq, "if_primary_term": term}});
        format!("{action}\n{}\n", json!({"doc": {"Notes": notes}}))
    };
    let url = server.url.clone();
    let bulk = |body: String| {
        let url = url.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{url}/_bulk?refresh=true"))
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let first = bulk(update(seq, "[redacted]")).await;
    assert_eq!(first["items"][0]["update"]["status"], 200, "{first}");
    let stale = bulk(update(seq, "again")).await;
    assert_eq!(stale["errors"], true);
    let item = &stale["items"][0]["update"];
    assert_eq!(item["status"], 409, "{stale}");
    assert_eq!(item["error"]["type"], "version_conflict_engine_exception");
}

#[tokio::test]
async fn multi_match_phrase_reaches_wildcard_and_keyword_fields() {
    let Some(server) = es::start_or_skip("multi_match_phrase_wildcard") else {
        return;
    };
    let fixture = small();
    es::load(&server.url, &fixture).await.unwrap();
    let pattern = Family::Message.pattern();
    let fields = [
        "Subject",
        "Body",
        "BodyHtml",
        "Transcript.Text",
        "Variables.*",
    ];
    let concrete = [
        "Subject",
        "Body",
        "BodyHtml",
        "Transcript.Text",
        "Variables.PageEmail",
        "Variables.PageName",
        "Variables.OrderRef",
        "Variables.CallbackNumber",
        "Variables.Language",
    ];
    for p in fixture.planted() {
        for value in [
            p.national.clone(),
            p.email.clone(),
            p.e164(),
            p.account.clone(),
        ] {
            let mm = json!({"multi_match": {"query": value, "type": "phrase", "fields": fields}});
            let got = count(&server.url, pattern, mm).await;
            // The same, field by field: a phrase on a keyword field is an
            // exact match of the whole value.
            let each = concrete
                .iter()
                .map(|f| json!({"match_phrase": {*f: value}}))
                .collect();
            let want = count(&server.url, pattern, any(each)).await;
            assert_eq!(got, want, "{value}");
            assert!(got > 0, "{value}: nothing found");
        }
    }
    // As on Elasticsearch, a pattern reaching a date field (Transcript.*
    // has Timestamp) fails with 400 unless the query is lenient.
    let strict = json!({"query": {"multi_match": {"query": "John Smith", "type": "phrase",
        "fields": ["Transcript.*"]}}});
    let r = reqwest::Client::new()
        .post(format!("{}/{pattern}/_count", server.url))
        .json(&strict)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let lenient = json!({"multi_match": {"query": "John Smith", "type": "phrase",
        "fields": ["Transcript.*"], "lenient": true}});
    count(&server.url, pattern, lenient).await;
}

#[tokio::test]
async fn stopped_server_refuses_and_comes_back_on_the_same_port() {
    let Some(mut server) = es::start_or_skip("restart_same_port") else {
        return;
    };
    let fixture = small();
    es::load(&server.url, &fixture).await.unwrap();
    let url = server.url.clone();
    server.stop();
    assert!(server.is_stopped());
    let down = reqwest::Client::new().get(format!("{url}/")).send().await;
    assert!(down.is_err(), "a stopped server answered");
    assert!(es::load(&url, &fixture).await.is_err());
    server.restart();
    assert_eq!(server.url, url);
    // In memory: the new server is empty until the fixture is reloaded.
    let r = reqwest::Client::new()
        .get(format!("{url}/micc-contacts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    es::load(&url, &fixture).await.unwrap();
    let all = count(&url, "micc-*", json!({"match_all": {}})).await;
    assert_eq!(all as usize, fixture.doc_count());
}

#[tokio::test]
async fn more_than_ten_thousand_matches_load_in_chunks() {
    let Some(server) = es::start_or_skip("bulk_matching_over_10k") else {
        return;
    };
    let john = &small().planted()[0];
    let index = "micc-interactions-message-2026.11";
    let docs = es::bulk_matching(index, 12_000, john);
    assert_eq!(
        es::load_docs(&server.url, index, &docs).await.unwrap(),
        12_000
    );
    let q = json!({"terms": {"ContactAddress": [john.email, john.e164()]}});
    assert_eq!(count(&server.url, index, q).await, 12_000);
    let ndjson = es::bulk_ndjson(index, &docs[..2]);
    assert_eq!(ndjson.lines().count(), 4);
}
