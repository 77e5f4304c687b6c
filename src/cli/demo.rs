//! `lethe demo`: lethe on a throwaway SQLite store with generated secrets,
//! a demo estate of files with three planted people, one worker, and the
//! curl commands for a first access and erasure request. Nothing to
//! configure.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use lethe_api::{ApiSettings, Authenticator, Role};
use lethe_connectors::files::{write_demo_estate, FilesConnector};
use lethe_domain::{IdentifierHasher, PhoneRegion};
use lethe_planner::Policy;
use lethe_store::{SqliteStore, Store};
use lethe_worker::{Catalog, Engine, EngineConfig};
use rand::RngCore;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where to keep the demo store and estate (default: a new temporary
    /// directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn random_secret() -> Vec<u8> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes).into_bytes()
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = match args.dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("lethe-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let estate = write_demo_estate(&dir.join("estate"))?;
    let hash_key = random_secret();
    let jwt_secret = random_secret();
    let hasher = IdentifierHasher::new(&hash_key);
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.join("lethe.db"), super::serve::audit_key(&hash_key)).await?,
    );
    let files = FilesConnector::new(estate.targets.clone(), Some(hasher.clone()))
        .map_err(anyhow::Error::msg)?;
    let catalog = Catalog::default().with(Arc::new(files))?;
    let region = PhoneRegion::parse("GB").expect("GB is a region");
    let policy = Policy::default();
    let engine = Engine::new(
        Arc::clone(&store),
        catalog.clone(),
        policy.clone(),
        Arc::new(hasher.clone()),
        EngineConfig {
            name: "demo-worker".into(),
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_millis(200),
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(10),
            region,
            package_ttl: Some(Duration::from_secs(24 * 3600)),
            ..EngineConfig::default()
        },
    );
    let app = lethe_api::app(
        Arc::clone(&store),
        Arc::new(Authenticator::new(Some(&jwt_secret), Vec::new(), 30)),
        Arc::new(hasher),
        ApiSettings {
            default_region: region,
            targets: Arc::new(catalog.targets().to_vec()),
            policy,
            package_ttl: Duration::from_secs(24 * 3600),
            ..ApiSettings::new(region)
        },
    );
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let ttl = 8 * 3600;
    let alice =
        lethe_api::auth::mint_hs256(&jwt_secret, "alice", &[Role::Requester, Role::Viewer], ttl)?;
    let bob =
        lethe_api::auth::mint_hs256(&jwt_secret, "bob", &[Role::Approver, Role::Viewer], ttl)?;
    let admin = lethe_api::auth::mint_hs256(&jwt_secret, "root", &[Role::Admin], ttl)?;
    println!("{}", instructions(&base, &dir, &alice, &bob, &admin));
    super::serve::serve_with_workers(listener, app, vec![engine]).await
}

/// Matches both completed statuses in a `grep` (basic regex) pattern.
const DONE: &str = r#"completed\|"status":"completed_with_exceptions"#;

/// What the demo prints: tokens, then two walkthroughs as shell commands.
/// Every line that starts with two spaces is a command; a test runs them in
/// order, so they must keep working exactly as printed.
fn instructions(base: &str, dir: &std::path::Path, alice: &str, bob: &str, admin: &str) -> String {
    let estate = dir.join("estate");
    let db = dir.join("lethe.db");
    let id = r#"grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4"#;
    let wait = |status: &str| {
        format!(
            r#"until curl -s {base}/v1/requests/$ID -H "Authorization: Bearer $BOB" | grep -q '"status":"{status}"'; do sleep 0.3; done"#
        )
    };
    format!(
        r#"lethe demo: API on {base}
  store:  {db}
  estate: {estate} (console logs, ADF directory, comments, scratch pad, suite logs;
          John Smith, Mary Jones and Priya Patel are planted in them)

Tokens (8 h): alice is a requester, bob an approver, root an admin.

  export ALICE={alice}
  export BOB={bob}
  export ROOT={admin}

1. Right of access for John Smith: submit, wait until it completes, download the package.

  ID=$(curl -s -X POST {base}/v1/requests -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' -d '{{"kind":"access","subject":{{"emails":["john.smith@example.com"],"phones":["+44 1632 960855"]}}}}' | {id}); echo "access request $ID"
  {wait_access}
  curl -s -o john-access.zip {base}/v1/requests/$ID/package -H "Authorization: Bearer $BOB" && (unzip -l john-access.zip || ls -l john-access.zip)

2. Erasure for John Smith: submit, read the plan, approve it (four eyes: bob, not alice), read the report.

  ID=$(curl -s -X POST {base}/v1/requests -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' -d '{{"kind":"erasure","subject":{{"emails":["john.smith@example.com"],"phones":["+44 1632 960855"],"names":["John Smith"]}}}}' | {id}); echo "erasure request $ID"
  {wait_approval}
  curl -s -w '\n' {base}/v1/requests/$ID/plan -H "Authorization: Bearer $BOB"
  curl -s -w '\n' -X POST {base}/v1/requests/$ID/approve -H "Authorization: Bearer $BOB"
  {wait_done}
  curl -s -w '\n' {base}/v1/requests/$ID/report -H "Authorization: Bearer $BOB"
  curl -s "{base}/v1/requests/$ID/report?format=html" -H "Authorization: Bearer $BOB" -o john-erasure.html
  grep -rc 'john.smith@example.com' {estate} | grep -v ':0$' || echo 'no trace of john.smith@example.com left in the estate'

More: steps with attempts  curl -s {base}/v1/requests/$ID/steps -H "Authorization: Bearer $BOB"
      audit log             curl -s {base}/v1/audit -H "Authorization: Bearer $ROOT"
      OpenAPI               curl -s {base}/openapi.json
Press Ctrl-C to stop."#,
        db = db.display(),
        estate = estate.display(),
        wait_access = wait(DONE),
        wait_approval = wait("awaiting_approval"),
        wait_done = wait(DONE),
    )
}
