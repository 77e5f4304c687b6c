//! The elasticsearch connector against osmem-server over HTTP: discovery,
//! export and every strategy on hand-written documents whose expected
//! outcome is obvious, plus the guarded-write path (409 → re-read →
//! retry), paging past 10,000 hits, and a server that is down.

use std::sync::Arc;

use lethe_connectors::elasticsearch::{presets, ElasticsearchConnector, EsConnection, EsTarget};
use lethe_connectors::{BatchSubject, Connector, RetryClass};
use lethe_domain::{Replacement, Strategy};
use serde_json::{json, Value};

use super::{john, subject};
use lethe_testkit::es::start_or_skip;

/// A small HTTP helper for the test's own (independent) view of the index.
struct Es {
    base: String,
    http: reqwest::Client,
}

impl Es {
    fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}/{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn create(&self, index: &str, properties: Value) {
        self.send(
            reqwest::Method::PUT,
            index,
            Some(json!({"mappings": {"properties": properties}})),
        )
        .await;
    }

    async fn load(&self, index: &str, id_field: &str, docs: &[Value]) {
        for chunk in docs.chunks(5000) {
            let mut body = String::new();
            for d in chunk {
                body.push_str(&json!({"index": {"_index": index, "_id": d[id_field]}}).to_string());
                body.push('\n');
                body.push_str(&d.to_string());
                body.push('\n');
            }
            let r = self
                .http
                .post(format!("{}/_bulk", self.base))
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await
                .unwrap();
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["errors"], json!(false), "{v}");
        }
        self.send(reqwest::Method::POST, &format!("{index}/_refresh"), None)
            .await;
    }

    async fn count(&self, index: &str, query: Value) -> u64 {
        self.send(reqwest::Method::POST, &format!("{index}/_refresh"), None)
            .await;
        let v = self
            .send(
                reqwest::Method::POST,
                &format!("{index}/_count"),
                Some(json!({ "query": query })),
            )
            .await;
        v["count"].as_u64().unwrap()
    }

    async fn doc(&self, index: &str, id: &str) -> Option<Value> {
        let r = self
            .http
            .get(format!("{}/{index}/_doc/{id}", self.base))
            .send()
            .await
            .unwrap();
        if r.status() == 404 {
            return None;
        }
        let v: Value = r.json().await.unwrap();
        Some(v["_source"].clone())
    }
}

fn at(mut t: EsTarget, base: &str) -> EsTarget {
    t.connection = EsConnection::plain(base);
    t
}

fn batch(subjects: &[lethe_domain::Subject]) -> Vec<BatchSubject> {
    subjects
        .iter()
        .map(|s| BatchSubject {
            subject: s.clone(),
            include_weak: false,
        })
        .collect()
}

/// John's email, phone and name in every shape the tests use.
const JOHN_TERMS: &[&str] = &[
    "john.smith@example.com",
    "01632 960855",
    "+441632960855",
    "+44 1632 960855",
];

/// Independent count of documents with any of John's strong identifiers,
/// in keyword fields or as phrases in text fields.
fn john_query(keyword: &[&str], text: &[&str]) -> Value {
    let mut should = Vec::new();
    for f in keyword {
        should.push(json!({"terms": {*f: JOHN_TERMS}}));
        should.push(
            json!({"term": {*f: {"value": "john.smith@example.com", "case_insensitive": true}}}),
        );
    }
    for f in text {
        for t in JOHN_TERMS {
            should.push(json!({"match_phrase": {*f: t}}));
        }
    }
    json!({"bool": {"should": should, "minimum_should_match": 1}})
}

async fn contacts(es: &Es) {
    es.create(
        "micc-contacts",
        json!({
            "Id": {"type": "keyword"}, "Type": {"type": "keyword"}, "Name": {"type": "text"},
            "FirstName": {"type": "keyword"}, "LastName": {"type": "keyword"},
            "Email": {"type": "keyword"}, "Emails": {"type": "keyword"},
            "Phone": {"type": "keyword"}, "MobilePhone": {"type": "keyword"},
            "PhoneNumbers": {"properties": {"Type": {"type": "keyword"}, "Number": {"type": "keyword"}}},
            "AccountNumber": {"type": "keyword"}, "Notes": {"type": "text"}
        }),
    )
    .await;
    es.load(
        "micc-contacts",
        "Id",
        &[
            json!({"Id": "c-001", "Name": "John Smith", "FirstName": "John", "LastName": "Smith",
                   "Email": "John.Smith@Example.com", "Phone": "+44 1632 960855",
                   "PhoneNumbers": [{"Type": "Home", "Number": "01632 960855"}],
                   "Notes": "Prefers email."}),
            json!({"Id": "c-002", "Name": "Front desk",
                   "Notes": "Call back on 01632 960855 after 5pm."}),
            json!({"Id": "c-003", "Name": "Acme Ltd reception",
                   "Notes": "Spoke to John Smith about the invoice."}),
            json!({"Id": "c-004", "Name": "Mary Jones", "Email": "mjones@example.org",
                   "Phone": "+441632960999", "Notes": "Nothing about anyone else."}),
        ],
    )
    .await;
}

#[tokio::test]
async fn contacts_discover_export_delete_and_verify() {
    let Some(server) = start_or_skip("es::contacts_discover_export_delete_and_verify") else {
        return;
    };
    let es = Es::new(&server.url);
    contacts(&es).await;
    // One document per scroll page: paging is exercised too.
    let mut target = at(presets::micc_contacts(), &server.url);
    target.page_size = 1;
    let connector = ElasticsearchConnector::new(vec![target], None).unwrap();
    let nobody = subject(&["nobody@example.net"], &[], &[]);
    let b = batch(&[john(), nobody]);

    let found = connector.discover("micc-contacts", &b).await.unwrap();
    assert_eq!((found[0].matched, found[0].weak), (2, 1), "{:?}", found[0]);
    assert_eq!(found[0].places.len(), 1);
    assert_eq!(found[0].places[0].place, "micc-contacts");
    assert_eq!((found[1].matched, found[1].weak), (0, 0));
    let independent = es
        .count(
            "micc-contacts",
            john_query(&["Email", "Phone", "PhoneNumbers.Number"], &["Notes"]),
        )
        .await;
    assert_eq!(independent, 2);

    let export = connector.export("micc-contacts", &b).await.unwrap();
    let ids: Vec<&str> = export[0]
        .records
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c-001", "c-002", "c-003"]);
    assert!(export[0]
        .records
        .iter()
        .all(|r| r["place"] == "micc-contacts"));
    assert_eq!(export[0].records[0]["document"]["Notes"], "Prefers email.");
    assert_eq!(export[0].records[2]["match"], "weak");
    assert!(export[1].records.is_empty());

    let erased = connector.erase("micc-contacts", &b).await.unwrap();
    assert_eq!(erased[0].affected, 2);
    assert_eq!(erased[1].affected, 0);
    let after = connector.verify("micc-contacts", &b).await.unwrap();
    assert_eq!((after[0].matched, after[0].weak), (0, 1));
    assert_eq!(
        es.count(
            "micc-contacts",
            john_query(&["Email", "Phone", "PhoneNumbers.Number"], &["Notes"])
        )
        .await,
        0
    );
    // The weak (name-only) document and the unrelated one are untouched.
    assert!(es.doc("micc-contacts", "c-003").await.is_some());
    assert_eq!(
        es.doc("micc-contacts", "c-004").await.unwrap()["Notes"],
        "Nothing about anyone else."
    );
    // A second erase finds nothing to do.
    let again = connector.erase("micc-contacts", &b).await.unwrap();
    assert_eq!(again[0].affected, 0);
}

async fn cases(es: &Es) -> Vec<Value> {
    es.create(
        "micc-cases-102026",
        json!({
            "Id": {"type": "keyword"}, "State": {"type": "keyword"}, "Subject": {"type": "text"},
            "Contacts": {"properties": {"Id": {"type": "keyword"}, "Name": {"type": "keyword"}, "Address": {"type": "keyword"}}},
            "Notes": {"properties": {"Text": {"type": "text"}, "CreatedBy": {"type": "keyword"}}}
        }),
    )
    .await;
    let docs = vec![
        json!({"Id": "case-1", "State": "Open", "Subject": "Refund for order 7781",
               "Contacts": [{"Id": "k1", "Name": "John Smith", "Address": "john.smith@example.com"},
                            {"Id": "k2", "Name": "Mary Jones", "Address": "mjones@example.org"}],
               "Notes": [{"Text": "Customer rang from +44 1632 960855 twice", "CreatedBy": "agent7"},
                         {"Text": "Parcel left at the depot on Friday", "CreatedBy": "agent7"}]}),
        // Free text only.
        json!({"Id": "case-2", "State": "Closed", "Subject": "Re: delivery for JOHN.SMITH@EXAMPLE.COM",
               "Contacts": [{"Id": "k3", "Name": "Warehouse", "Address": "depot@example.org"}],
               "Notes": [{"Text": "Forwarded to the depot team", "CreatedBy": "agent2"}]}),
        json!({"Id": "case-3", "State": "Open", "Subject": "Damaged parcel",
               "Contacts": [{"Id": "k4", "Name": "Mary Jones", "Address": "mjones@example.org"}],
               "Notes": [{"Text": "Photo received", "CreatedBy": "agent2"}]}),
    ];
    es.load("micc-cases-102026", "Id", &docs).await;
    docs
}

#[tokio::test]
async fn cases_anonymise_only_the_subjects_contact_and_text() {
    let Some(server) = start_or_skip("es::cases_anonymise_only_the_subjects_contact_and_text")
    else {
        return;
    };
    let es = Es::new(&server.url);
    let before = cases(&es).await;
    let mut target = at(presets::micc_cases(), &server.url);
    target.strategy = Strategy::Anonymise {
        with: Replacement::Token("[ERASED]".into()),
    };
    let connector = ElasticsearchConnector::new(vec![target], None).unwrap();
    let b = batch(&[john()]);
    let found = connector.discover("micc-cases", &b).await.unwrap();
    assert_eq!(found[0].matched, 2);
    assert_eq!(found[0].places[0].place, "micc-cases-102026");
    let erased = connector.erase("micc-cases", &b).await.unwrap();
    assert_eq!(erased[0].affected, 2);
    assert_eq!(
        connector.verify("micc-cases", &b).await.unwrap()[0].matched,
        0
    );

    let one = es.doc("micc-cases-102026", "case-1").await.unwrap();
    assert_eq!(one["Contacts"][0]["Name"], "[ERASED]");
    assert_eq!(one["Contacts"][0]["Address"], "[ERASED]");
    assert_eq!(one["Contacts"][0]["Id"], "k1");
    assert_eq!(one["Contacts"][1], before[0]["Contacts"][1]);
    assert_eq!(
        one["Notes"][0]["Text"],
        "Customer rang from [REDACTED] twice"
    );
    assert_eq!(one["Notes"][1], before[0]["Notes"][1]);
    assert_eq!(one["Subject"], before[0]["Subject"]);
    assert_eq!(one["State"], "Open");
    let two = es.doc("micc-cases-102026", "case-2").await.unwrap();
    assert_eq!(two["Subject"], "Re: delivery for [REDACTED]");
    assert_eq!(two["Contacts"], before[1]["Contacts"]);
    assert_eq!(
        es.doc("micc-cases-102026", "case-3").await.unwrap(),
        before[2]
    );
    assert_eq!(
        es.count(
            "micc-cases-*",
            john_query(&["Contacts.Address"], &["Subject", "Notes.Text"])
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_concurrent_write_is_kept_and_the_redaction_applied() {
    let Some(server) = start_or_skip("es::a_concurrent_write_is_kept_and_the_redaction_applied")
    else {
        return;
    };
    let es = Arc::new(Es::new(&server.url));
    cases(&es).await;
    let connector =
        ElasticsearchConnector::new(vec![at(presets::micc_cases(), &server.url)], None).unwrap();
    // Between erasure's read and its first write, an agent closes case-1
    // and adds a note.
    let writer = Arc::clone(&es);
    connector.set_write_hook(Arc::new(move |round| {
        let es = Arc::clone(&writer);
        Box::pin(async move {
            if round == 0 {
                let mut doc = es.doc("micc-cases-102026", "case-1").await.unwrap();
                doc["State"] = json!("Closed");
                doc["Notes"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"Text": "Closed after the call", "CreatedBy": "agent9"}));
                es.send(
                    reqwest::Method::PUT,
                    "micc-cases-102026/_doc/case-1",
                    Some(doc),
                )
                .await;
            }
        })
    }));
    let b = batch(&[john()]);
    let erased = connector.erase("micc-cases", &b).await.unwrap();
    assert_eq!(erased[0].affected, 2);
    assert!(connector.conflicts_retried() >= 1, "no 409 was provoked");
    let one = es.doc("micc-cases-102026", "case-1").await.unwrap();
    assert_eq!(one["State"], "Closed", "the writer's change was lost");
    assert_eq!(one["Notes"][2]["Text"], "Closed after the call");
    assert_eq!(
        one["Notes"][0]["Text"],
        "Customer rang from [REDACTED] twice"
    );
    assert_eq!(one["Contacts"][0]["Address"], Value::Null);
    assert_eq!(
        connector.verify("micc-cases", &b).await.unwrap()[0].matched,
        0
    );
}

#[tokio::test]
async fn more_than_ten_thousand_hits_are_all_found_and_erased() {
    let Some(server) = start_or_skip("es::more_than_ten_thousand_hits_are_all_found_and_erased")
    else {
        return;
    };
    let es = Es::new(&server.url);
    es.create(
        "micc-interactions-voice-2026.10",
        json!({"InteractionId": {"type": "keyword"}, "ANI": {"type": "keyword"},
               "CallerName": {"type": "keyword"}, "QueueReporting": {"type": "keyword"}}),
    )
    .await;
    let n = 12_345;
    let docs: Vec<Value> = (0..n)
        .map(|i| {
            let ani = if i % 3 == 0 {
                "+441632960855"
            } else {
                "01632960855"
            };
            json!({"InteractionId": format!("v-{i:06}"), "ANI": ani,
                   "CallerName": "SMITH, JOHN", "QueueReporting": "Sales"})
        })
        .chain((0..50).map(|i| {
            json!({"InteractionId": format!("w-{i:03}"), "ANI": "+441632960999",
                   "CallerName": "JONES, MARY", "QueueReporting": "Sales"})
        }))
        .collect();
    es.load("micc-interactions-voice-2026.10", "InteractionId", &docs)
        .await;
    let connector = ElasticsearchConnector::new(
        vec![at(presets::micc_interactions_voice(), &server.url)],
        None,
    )
    .unwrap();
    let b = batch(&[john()]);
    let found = connector
        .discover("micc-interactions-voice", &b)
        .await
        .unwrap();
    assert_eq!(found[0].matched, n);
    let erased = connector
        .erase("micc-interactions-voice", &b)
        .await
        .unwrap();
    assert_eq!(erased[0].affected, n);
    let after = connector
        .verify("micc-interactions-voice", &b)
        .await
        .unwrap();
    assert_eq!((after[0].matched, after[0].weak), (0, 0));
    assert_eq!(
        es.count(
            "micc-interactions-voice-*",
            json!({"terms": {"ANI": ["+441632960855", "01632960855"]}})
        )
        .await,
        0
    );
    // Anonymised, not deleted: the queue statistics still add up.
    assert_eq!(
        es.count(
            "micc-interactions-voice-*",
            json!({"term": {"QueueReporting": "Sales"}})
        )
        .await,
        n + 50
    );
    assert_eq!(
        es.count(
            "micc-interactions-voice-*",
            json!({"term": {"ANI": "+441632960999"}})
        )
        .await,
        50
    );
}

#[tokio::test]
async fn a_stopped_server_is_a_transient_failure() {
    let Some(mut server) = start_or_skip("es::a_stopped_server_is_a_transient_failure") else {
        return;
    };
    let url = server.url.clone();
    server.stop();
    let mut target = at(presets::micc_contacts(), &url);
    target.connection.timeout_secs = 2;
    let connector = ElasticsearchConnector::new(vec![target], None).unwrap();
    let err = connector
        .discover("micc-contacts", &batch(&[john()]))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Transient, "{err:?}");
    assert!(err.message.contains("cannot connect"), "{}", err.message);
    for t in JOHN_TERMS {
        assert!(!err.message.contains(t));
    }
}

#[tokio::test]
async fn a_refused_search_fails_permanently_and_names_the_target() {
    let Some(server) = start_or_skip("es::a_refused_search") else {
        return;
    };
    let es = Es::new(&server.url);
    contacts(&es).await;
    // An email cannot be a date: the cluster refuses the search (400).
    es.send(
        reqwest::Method::PUT,
        "micc-contacts/_mapping",
        Some(json!({"properties": {"Since": {"type": "date"}}})),
    )
    .await;
    let mut target = at(presets::micc_contacts(), &server.url);
    target
        .fields
        .insert("Since".into(), vec![lethe_domain::IdentifierKind::Email]);
    let connector = ElasticsearchConnector::new(vec![target], None).unwrap();
    let e = connector
        .discover("micc-contacts", &batch(&[john()]))
        .await
        .unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e:?}");
    assert!(e.message.contains("HTTP 400"), "{}", e.message);
    assert!(e.message.contains("micc-contacts"), "{}", e.message);
    for t in JOHN_TERMS {
        assert!(!e.message.contains(t), "{}", e.message);
    }
}
