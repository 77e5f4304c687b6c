//! `lethe demo`: lethe on a throwaway SQLite store with generated secrets,
//! and the curl commands for a first request. Nothing to configure.

use std::sync::Arc;

use clap::Args;
use lethe_api::{ApiSettings, Authenticator, Role};
use lethe_domain::{IdentifierHasher, PhoneRegion};
use lethe_store::SqliteStore;
use rand::RngCore;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where to keep the demo store (default: a new temporary directory).
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
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
    let hash_key = random_secret();
    let jwt_secret = random_secret();
    let store =
        SqliteStore::open(&dir.join("lethe.db"), super::serve::audit_key(&hash_key)).await?;
    let app = lethe_api::app(
        Arc::new(store),
        Arc::new(Authenticator::new(Some(&jwt_secret), Vec::new(), 30)),
        Arc::new(IdentifierHasher::new(&hash_key)),
        ApiSettings {
            default_region: PhoneRegion::parse("GB").expect("GB is a region"),
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
    println!(
        r#"lethe demo: API on {base}, store {store}
Tokens (8 h): alice is a requester, bob an approver, root an admin.

  export ALICE={alice}
  export BOB={bob}
  export ROOT={admin}

Submit an erasure request:
  curl -s -X POST {base}/v1/requests -H "Authorization: Bearer $ALICE" \
       -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' \
       -d '{{"kind":"erasure","subject":{{"emails":["jane.doe@example.com"],"phones":["01632 960855"]}}}}'
List requests:     curl -s {base}/v1/requests -H "Authorization: Bearer $BOB"
Reject one:        curl -s -X POST {base}/v1/requests/ID/reject -H "Authorization: Bearer $BOB" \
                        -H 'Content-Type: application/json' -d '{{"reason":"identity not verified"}}'
Audit log:         curl -s {base}/v1/audit -H "Authorization: Bearer $ROOT"
OpenAPI:           curl -s {base}/openapi.json
Press Ctrl-C to stop."#,
        store = dir.join("lethe.db").display()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
