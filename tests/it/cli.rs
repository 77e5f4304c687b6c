//! `lethe serve`, `token`, `openapi` and `audit verify` as a user runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_lethe");
const HASH_KEY: &str = "cli-test-hash-key-cli-test-hash-key-0001";
const JWT_SECRET: &str = "cli-test-jwt-secret-cli-test-jwt-secret-1";

fn lethe(db: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("LETHE_CONFIG", db.with_file_name("absent.toml"))
        .env("LETHE__STORE__URL", format!("sqlite://{}", db.display()))
        .env("LETHE__IDENTIFIERS__HASH_KEY", HASH_KEY)
        .env("LETHE__AUTH__HS256_SECRET", JWT_SECRET)
        .env_remove("RUST_LOG");
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn token(db: &Path, sub: &str, role: &str) -> String {
    let out = lethe(db)
        .args(["token", "--sub", sub, "--role", role, "--ttl", "10m"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs `lethe audit verify` against `db`: (exit code, stdout).
fn verify(db: &Path) -> (i32, String) {
    let out = lethe(db).args(["audit", "verify"]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Copies a SQLite database with its WAL so a tamper leaves the original alone.
fn copy_db(db: &Path, name: &str) -> PathBuf {
    let dir = db.parent().unwrap().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("lethe.db");
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            std::fs::copy(&from, format!("{}{suffix}", target.display())).unwrap();
        }
    }
    target
}

async fn tamper(db: &Path, sql: &str) {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .connect()
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn serve_then_verify_and_detect_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lethe.db");
    let port = free_port();
    let log_path = dir.path().join("serve.log");
    let mut server = lethe(&db)
        .env("LETHE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "trace")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        ready,
        "lethe serve did not become ready: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );

    let alice = token(&db, "alice", "requester");
    let bob = token(&db, "bob", "approver");
    let mut ids = Vec::new();
    for email in [
        "cli.one@example.net",
        "cli.two@example.net",
        "cli.three@example.net",
    ] {
        let res = client
            .post(format!("{base}/v1/requests"))
            .bearer_auth(&alice)
            .json(&serde_json::json!({"kind": "erasure", "subject": {"emails": [email], "phones": ["07700 900555"]}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
        ids.push(
            res.json::<serde_json::Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let res = client
        .post(format!("{base}/v1/requests/{}/reject", ids[0]))
        .bearer_auth(&bob)
        .json(&serde_json::json!({"reason": "identity not verified"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    server.kill().unwrap();
    server.wait().unwrap();

    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.contains("lethe serving"));
    for needle in [
        "cli.one@example.net",
        "cli.two",
        "7700900555",
        "07700 900555",
    ] {
        assert!(!logs.contains(needle), "the server log holds an identifier");
    }

    let (code, out) = verify(&db);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 4 events"), "{out}");

    let altered = copy_db(&db, "altered");
    tamper(
        &altered,
        "update audit_event set data = replace(data, 'erasure', 'access') where seq = 2",
    )
    .await;
    let (code, out) = verify(&altered);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("event 2"), "{out}");

    let removed = copy_db(&db, "removed");
    tamper(&removed, "delete from audit_event where seq = 3").await;
    let (code, out) = verify(&removed);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("event 3"), "{out}");

    let last = copy_db(&db, "last");
    tamper(&last, "delete from audit_event where seq = 4").await;
    let (code, out) = verify(&last);
    assert_eq!(code, 2, "{out}");

    let inserted = copy_db(&db, "inserted");
    tamper(
        &inserted,
        "insert into audit_event (seq, at, actor, request_id, kind, data, prev_hash, hash) \
         select 5, at, 'mallory', request_id, 'request.approve', '{}', hash, 'forged' from audit_event where seq = 4",
    )
    .await;
    let (code, out) = verify(&inserted);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("event 5"), "{out}");
}

#[test]
fn openapi_command_matches_the_committed_file() {
    let out = Command::new(BIN)
        .args(["openapi", "--out", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap();
    assert!(
        out.stdout == committed.as_bytes(),
        "openapi/openapi.json is stale: run `cargo run -- openapi`"
    );
}

#[test]
fn bad_configuration_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lethe.db");
    let out = lethe(&db)
        .env("LETHE__IDENTIFIERS__HASH_KEY", "short")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("identifiers.hash_key must be at least 32 bytes"));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("short"),
        "a secret was echoed"
    );
}

#[test]
fn manual_tables_are_planned_as_steps_for_a_person_and_bad_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lethe.db");
    let config = dir.path().join("lethe.toml");
    std::fs::write(
        &config,
        "[[manual]]\npreset = \"wfm\"\nrecipient = \"Teleopti support desk\"\n\n\
         [[manual]]\nname = \"crm-archive\"\ninstructions = \"Delete the subject's archived tickets.\"\n\
         recipient = \"CRM administrator\"\n",
    )
    .unwrap();
    let out = lethe(&db)
        .env("LETHE_CONFIG", &config)
        .args(["plan", "--email", "someone@example.com"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("manual:wfm"), "{stdout}");
    assert!(
        stdout.contains("manual step for Teleopti support desk"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Delete the subject's archived tickets."),
        "{stdout}"
    );

    std::fs::write(&config, "[[manual]]\nname = \"crm-archive\"\n").unwrap();
    let out = lethe(&db)
        .env("LETHE_CONFIG", &config)
        .args(["plan", "--email", "someone@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[[manual]] targets"), "{stderr}");
    assert!(
        stderr.contains("missing: instructions, recipient"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudlink_tables_load_and_plan_against_the_test_server() {
    use lethe_testkit::cloudlink::{self, CloudLinkConfig, CloudLinkServer};
    let fixture = cloudlink::generate(5);
    let server = CloudLinkServer::start(CloudLinkConfig::default(), &fixture).await;
    let c = server.config();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lethe.db");
    let config = dir.path().join("lethe.toml");
    let table = |extra: &str| {
        format!(
            "[[cloudlink]]\nbase_url = \"{}\"\nchat_url = \"{}\"\naccount_id = \"{}\"\nusername = \"{}\"\npassword_env = \"CL_TEST_PASSWORD\"\n{extra}",
            server.url(),
            server.url(),
            c.account_id,
            c.username
        )
    };
    std::fs::write(&config, table("allow_http = true\n")).unwrap();
    let out = lethe(&db)
        .env("LETHE_CONFIG", &config)
        .env("CL_TEST_PASSWORD", &c.password)
        .args(["plan", "--email", "john.smith@example.com"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("cloudlink:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let john = fixture.planted_by_email("john.smith@example.com");
    let want = format!("delete {} item(s)", 1 + john.open.len());
    assert!(line.contains(&want), "{line}");
    assert!(!stdout.contains("error"), "{stdout}");

    // Plain http without saying so is refused at startup.
    std::fs::write(&config, table("")).unwrap();
    let out = lethe(&db)
        .env("LETHE_CONFIG", &config)
        .env("CL_TEST_PASSWORD", &c.password)
        .args(["plan", "--email", "john.smith@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[[cloudlink]] targets"), "{stderr}");
    assert!(!stderr.contains(&c.password), "{stderr}");
}
