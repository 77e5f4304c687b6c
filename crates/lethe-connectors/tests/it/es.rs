//! The elasticsearch connector against osmem-server: discovery on
//! `micc-contacts`.

use lethe_connectors::elasticsearch::{presets, ElasticsearchConnector};
use lethe_connectors::{BatchSubject, Connector};
use serde_json::{json, Value};

use super::es_server::start_or_skip;
use super::{john, subject};

async fn put(http: &reqwest::Client, url: &str, body: Value) {
    let r = http.put(url).json(&body).send().await.unwrap();
    let status = r.status();
    assert!(
        status.is_success(),
        "PUT {url}: {status} {}",
        r.text().await.unwrap()
    );
}

#[tokio::test]
async fn discover_finds_strong_and_weak_contacts() {
    let Some(server) = start_or_skip("es::discover_finds_strong_and_weak_contacts") else {
        return;
    };
    let http = reqwest::Client::new();
    let base = &server.url;
    put(
        &http,
        &format!("{base}/micc-contacts"),
        json!({"mappings": {"properties": {
            "Id": {"type": "keyword"},
            "Type": {"type": "keyword"},
            "Name": {"type": "text"},
            "FirstName": {"type": "keyword"},
            "LastName": {"type": "keyword"},
            "Email": {"type": "keyword"},
            "Emails": {"type": "keyword"},
            "Phone": {"type": "keyword"},
            "MobilePhone": {"type": "keyword"},
            "PhoneNumbers": {"properties": {
                "Type": {"type": "keyword"},
                "Number": {"type": "keyword"}
            }},
            "AccountNumber": {"type": "keyword"},
            "Notes": {"type": "text"}
        }}}),
    )
    .await;
    let docs = [
        // The planted person: email, phone as E.164 and national with a space.
        json!({"Id": "c-001", "Type": "ElasticContact", "Name": "John Smith",
               "FirstName": "John", "LastName": "Smith",
               "Email": "john.smith@example.com",
               "Phone": "+441632960855",
               "PhoneNumbers": [{"Type": "Home", "Number": "01632 960855"}],
               "Notes": "Prefers email."}),
        // Phone only, in free text with a space.
        json!({"Id": "c-002", "Type": "ElasticContact", "Name": "Front desk",
               "Notes": "Call back on 01632 960855 after 5pm."}),
        // A name-only mention.
        json!({"Id": "c-003", "Type": "ElasticContact", "Name": "Acme Ltd reception",
               "Notes": "Spoke to John Smith about the invoice."}),
        // Unrelated.
        json!({"Id": "c-004", "Type": "ElasticContact", "Name": "Mary Jones",
               "Email": "mjones@example.org", "Phone": "+441632960999",
               "Notes": "Nothing about anyone else."}),
    ];
    for d in &docs {
        let id = d["Id"].as_str().unwrap();
        put(
            &http,
            &format!("{base}/micc-contacts/_doc/{id}?refresh=true"),
            d.clone(),
        )
        .await;
    }

    let connector = ElasticsearchConnector::new(base, vec![presets::micc_contacts()]).unwrap();
    let nobody = subject(&["nobody@example.net"], &[], &[]);
    let batch = [
        BatchSubject {
            subject: john(),
            include_weak: false,
        },
        BatchSubject {
            subject: nobody,
            include_weak: false,
        },
    ];
    let found = connector.discover("micc-contacts", &batch).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].matched, found[0].weak), (2, 1), "{:?}", found[0]);
    assert_eq!(found[0].places.len(), 1);
    assert_eq!(found[0].places[0].place, "micc-contacts");
    assert_eq!((found[1].matched, found[1].weak), (0, 0));
    assert!(server.pid > 0);
    drop(server);
}

#[tokio::test]
async fn discover_pages_past_one_page() {
    let Some(server) = start_or_skip("es::discover_pages_past_one_page") else {
        return;
    };
    let http = reqwest::Client::new();
    let base = &server.url;
    put(
        &http,
        &format!("{base}/micc-contacts"),
        json!({"mappings": {"properties": {
            "Id": {"type": "keyword"},
            "Email": {"type": "keyword"},
            "Name": {"type": "text"},
            "Notes": {"type": "text"}
        }}}),
    )
    .await;
    let mut bulk = String::new();
    for i in 0..25 {
        bulk.push_str(&format!("{{\"index\":{{\"_id\":\"c-{i:03}\"}}}}\n"));
        bulk.push_str(
            &json!({"Id": format!("c-{i:03}"), "Email": "john.smith@example.com"}).to_string(),
        );
        bulk.push('\n');
    }
    let r = http
        .post(format!("{base}/micc-contacts/_bulk?refresh=true"))
        .header("content-type", "application/x-ndjson")
        .body(bulk)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let mut target = presets::micc_contacts();
    target.page_size = 10;
    let connector = ElasticsearchConnector::new(base, vec![target]).unwrap();
    let batch = [BatchSubject {
        subject: john(),
        include_weak: false,
    }];
    let found = connector.discover("micc-contacts", &batch).await.unwrap();
    assert_eq!(found[0].matched, 25);
}
