//! CloudLink in a whole lethe: the CloudLink test server over HTTP, the
//! cloudlink connector beside the demo estate's files, the engine and the
//! API. Access puts the planted employee's profile and chats in the
//! package; erasure (after four-eyes approval) deletes the user and the
//! open chats, keeps the closed ones, verifies zero and says so in the
//! report.

use std::io::Read;
use std::sync::Arc;

use lethe_connectors::cloudlink::{CloudLinkConnection, CloudLinkConnector, CloudLinkTarget};
use lethe_domain::{IdentifierHasher, RequestKind};
use lethe_planner::Policy;
use lethe_testkit::cloudlink::{self, CloudLinkConfig, CloudLinkServer};
use serde_json::{json, Value};

use crate::estate::{Estate, Options, HASH_KEY};

const KEY: &str = "cloudlink:cloudlink-users";

/// The connector over the test server's account (its one target).
pub(crate) fn connector(server: &CloudLinkServer) -> Arc<CloudLinkConnector> {
    let c = server.config();
    let target = CloudLinkTarget::new(CloudLinkConnection::single_host(
        server.url(),
        &c.account_id,
        &c.username,
        &c.password,
    ));
    Arc::new(CloudLinkConnector::new(vec![target], Some(IdentifierHasher::new(HASH_KEY))).unwrap())
}

fn read(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Value {
    let mut s = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} missing from the package"))
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_and_erasure_of_a_planted_employee() {
    let fixture = cloudlink::generate(10);
    let server = CloudLinkServer::start(CloudLinkConfig::default(), &fixture).await;
    let e = Estate::start(Options {
        policy: Policy {
            approval_for: vec![RequestKind::Erasure],
            ..Policy::default()
        },
        extra: Some(connector(&server)),
        ..Options::default()
    })
    .await;
    let john = fixture.planted_by_email("john.smith@example.com");
    let found = 1 + john.open.len() as u64;
    let subject = json!({"emails": [john.email], "names": [john.name()]});

    // Access: the profile and the chats are in the package.
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
    let manifest = read(&mut zip, "manifest.json");
    let source = manifest["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == KEY)
        .unwrap_or_else(|| panic!("{KEY} missing from the manifest: {manifest}"))
        .clone();
    assert_eq!(source["found"].as_u64().unwrap(), found, "{source}");
    assert!(source["description"]
        .as_str()
        .unwrap()
        .contains("CloudLink"));
    let data = read(&mut zip, source["file"].as_str().unwrap());
    let text = data.to_string();
    assert!(
        text.contains(&john.user_id),
        "the profile is not in the package"
    );
    assert!(text.contains(&john.email));
    for conv in john.open.iter().chain(&john.closed) {
        assert!(text.contains(conv.as_str()), "chat {conv} not exported");
    }
    assert_eq!(
        server.users().len(),
        fixture.users.len(),
        "access changed CloudLink"
    );

    // Erasure: approved by someone else, then run and verified.
    let id = e.submit("erasure", subject).await;
    e.run().await;
    assert_eq!(e.status(&id).await, "awaiting_approval");
    e.approve(&id).await;
    e.run().await;
    let status = e.status(&id).await;
    assert!(status.starts_with("completed"), "{status}");
    let report = e.get_json(&format!("/v1/requests/{id}/report")).await;
    let t = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == KEY)
        .unwrap_or_else(|| panic!("{KEY} missing from the report: {report}"));
    assert_eq!(t["found"].as_u64().unwrap(), found, "{t}");
    assert_eq!(t["erased"].as_u64().unwrap(), found, "{t}");
    assert_eq!(t["remaining"], json!(0), "{t}");
    assert_eq!(t["verify"], "passed", "{t}");
    assert!(
        t["caveats"][0].as_str().unwrap().contains("Closed chat"),
        "{t}"
    );
    assert!(server.user(&john.user_id).is_none());
    let left = server.conversations();
    assert!(john
        .open
        .iter()
        .all(|c| left.iter().all(|l| &l.conversation_id != c)));
    assert!(john
        .closed
        .iter()
        .all(|c| left.iter().any(|l| &l.conversation_id == c)));
    assert_eq!(server.users().len(), fixture.users.len() - 1);
}
