//! One person in every store of data-map.md at once: the console's files
//! (demo estate), its PostgreSQL call history, the suite's SQL Server
//! (TDS test server, with the call recordings on disk), its Elasticsearch
//! (osmem-server), CloudLink (test server), and the third parties only
//! people can reach (manual steps). One access request and one erasure
//! request for John Smith, through the API and the engine; the report
//! lists every store.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;

use lethe_connectors::elasticsearch::{
    presets as es_presets, ElasticsearchConnector, EsConnection,
};
use lethe_connectors::manual::{presets as manual_presets, snapshot_purge, ManualConnector};
use lethe_connectors::postgres::{PostgresConnector, PostgresTargetSpec, SslMode};
use lethe_connectors::sql::TableName;
use lethe_connectors::Connector;
use lethe_domain::{IdentifierHasher, RequestKind};
use lethe_planner::Policy;
use lethe_testkit::cloudlink::{self, CloudLinkConfig, CloudLinkServer};
use lethe_testkit::es::{self as esk, EsConfig};
use lethe_testkit::tds::{TdsConfig, TdsServer};
use lethe_testkit::Fixture;
use serde_json::{json, Value};

use crate::estate::{Estate, Options, HASH_KEY};

fn key() -> Option<IdentifierHasher> {
    Some(IdentifierHasher::new(HASH_KEY))
}

async fn postgres(url: &str) -> (Arc<dyn Connector>, String) {
    let (_client, schema) =
        crate::pgstore::call_history_schema(url, "w", &Fixture::standard(300)).await;
    let spec = PostgresTargetSpec {
        table: Some(TableName::parse(&format!("{schema}.call_history")).unwrap()),
        sslmode: Some(SslMode::Disable),
        ..PostgresTargetSpec::preset("console-call-history", url)
    };
    let pg = PostgresConnector::new(vec![spec.resolve().unwrap()], key()).unwrap();
    (Arc::new(pg), schema)
}

async fn sql_server(recordings: &std::path::Path) -> (TdsServer, Arc<dyn Connector>) {
    let server = TdsServer::start(TdsConfig::default()).await.unwrap();
    let ado = crate::mssql_estate::ado(&server, None);
    crate::mssql_estate::load_demo(&server, 100);
    let connector = crate::mssql_estate::connector(&ado, Some(recordings));
    (server, connector)
}

fn elasticsearch(url: &str) -> Arc<dyn Connector> {
    let targets = es_presets::PRESET_NAMES
        .iter()
        .map(|p| {
            let mut t = es_presets::preset(p).unwrap();
            t.connection = EsConnection::plain(url);
            t.snapshotted = *p == "micc-cases";
            t
        })
        .collect();
    Arc::new(ElasticsearchConnector::new(targets, key()).unwrap())
}

fn manual() -> Arc<dyn Connector> {
    let mut targets: Vec<_> = manual_presets::PRESET_NAMES
        .iter()
        .map(|p| manual_presets::preset(p).unwrap())
        .collect();
    targets.push(snapshot_purge("micc-cases", "micc-cases-*"));
    Arc::new(ManualConnector::new(targets).unwrap())
}

/// Every connector kind with something found, from a report or manifest.
fn kinds(items: &Value, found: &str) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t[found].as_u64().unwrap_or(0) > 0)
        .map(|t| {
            t["key"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_in_every_store_is_exported_and_erased() {
    let Some(pg_url) = crate::pgstore::database_url_or_skip("whole_estate") else {
        return;
    };
    let Some(es_server) = esk::start_or_skip("whole_estate") else {
        return;
    };
    let es_fixture = esk::generate(&EsConfig {
        background_per_index: 30,
        ..EsConfig::default()
    });
    esk::load(&es_server.url, &es_fixture).await.unwrap();
    let cl_fixture = cloudlink::generate(10);
    let cl_server = CloudLinkServer::start(CloudLinkConfig::default(), &cl_fixture).await;
    let rec_dir = tempfile::tempdir().unwrap();
    let (tds, mssql) = sql_server(rec_dir.path()).await;
    let (pg, _schema) = postgres(&pg_url).await;

    // John's recordings, as the suite's recorder left them.
    let digits = "01632960855";
    let mut c = crate::mssql_estate::client(&tds, "CCMStatisticalData").await;
    let rows = c
        .simple_query(format!(
            "select RecordingLocation from dbo.tblData_LC_CallRecording where RecordingLocation like '%{digits}%'"
        ))
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap();
    drop(c);
    let recordings = crate::mssql_estate::place_recordings(
        rows.iter().map(|r| r.get::<&str, _>(0).unwrap()),
        rec_dir.path(),
    );
    assert!(
        !recordings.is_empty(),
        "the fixture names no recording of John's"
    );

    let e = Estate::start(Options {
        policy: Policy {
            approval_for: vec![RequestKind::Erasure],
            ..Policy::default()
        },
        extras: vec![
            pg,
            mssql,
            elasticsearch(&es_server.url),
            crate::cloudlink_estate::connector(&cl_server),
            manual(),
        ],
        ..Options::default()
    })
    .await;
    let subject = json!({
        "emails": ["john.smith@example.com"],
        "phones": ["01632 960855"],
        "names": ["John Smith"],
        "account_numbers": ["AC5500855"],
    });
    let every_store: BTreeSet<String> =
        ["files", "postgres", "mssql", "elasticsearch", "cloudlink"]
            .into_iter()
            .map(str::to_owned)
            .collect();

    // Access: an export from every store, in one package.
    let id = e.submit("access", subject.clone()).await;
    e.run().await;
    let status = e.status(&id).await;
    assert!(status.starts_with("completed"), "{status}");
    let bytes = e
        .get(&format!("/v1/requests/{id}/package"))
        .await
        .bytes()
        .await
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut manifest = String::new();
    zip.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        kinds(&manifest["sources"], "found"),
        every_store,
        "{manifest}"
    );

    // Erasure: approved, executed, verified; people confirm their part.
    let id = e.submit("erasure", subject).await;
    e.run().await;
    assert_eq!(e.status(&id).await, "awaiting_approval");
    e.approve(&id).await;
    e.run().await;
    assert_eq!(
        e.status(&id).await,
        "executing",
        "the manual steps must hold it"
    );
    let steps = e.get_json(&format!("/v1/requests/{id}/steps")).await;
    let waiting: Vec<String> = steps["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "awaiting_manual")
        .map(|s| s["key"].as_str().unwrap().to_owned())
        .collect();
    for name in manual_presets::PRESET_NAMES {
        assert!(
            waiting.contains(&format!("manual:manual:{name}")),
            "{name}: {waiting:?}"
        );
    }
    assert!(waiting.contains(&"manual:manual:purge-snapshots-micc-cases".to_owned()));
    let approver = Estate::token("bob", &[lethe_api::Role::Approver]);
    for key in &waiting {
        let r = e
            .http
            .post(format!("{}/v1/requests/{id}/steps/{key}/confirm", e.base))
            .bearer_auth(&approver)
            .json(&json!({"note": "done by the team that owns it"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{key}: {}", r.text().await.unwrap());
    }
    e.run().await;
    let status = e.status(&id).await;
    assert!(status.starts_with("completed"), "{status}");

    let report = e.get_json(&format!("/v1/requests/{id}/report")).await;
    assert_eq!(kinds(&report["targets"], "found"), every_store, "{report}");
    for t in report["targets"].as_array().unwrap() {
        if t["found"].as_u64().unwrap_or(0) > 0 && t["strategy"]["kind"] != "retain" {
            assert_eq!(t["remaining"], json!(0), "{}", t["key"]);
            assert_eq!(t["verify"], "passed", "{}", t["key"]);
        }
    }
    let manual_names: BTreeSet<&str> = report["manual"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for name in manual_presets::PRESET_NAMES {
        assert!(
            manual_names.contains(name),
            "{name} missing: {manual_names:?}"
        );
    }
    assert!(report.get("reminder").is_none());
    for path in &recordings {
        assert!(
            !path.exists(),
            "recording {} is still there",
            path.display()
        );
    }
    drop(tds);
}
