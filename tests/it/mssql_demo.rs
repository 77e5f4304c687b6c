//! The SQL Server path a docker-compose user takes, against the TDS test
//! server: `lethe demo-data mssql` creates and fills CCMData and
//! CCMStatisticalData, then `lethe plan` over `[[mssql]]` presets finds the
//! planted caller in every table that holds him.

use std::process::Command;

use lethe_testkit::tds::{TdsConfig, TdsServer};

const BIN: &str = env!("CARGO_BIN_EXE_lethe");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_data_loads_sql_server_and_plan_finds_the_planted_caller() {
    let server = TdsServer::start(TdsConfig::default()).await.unwrap();
    let port = server.addr().port();
    crate::mssql_estate::load_demo(&server, 200);

    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::new();
    for preset in lethe_connectors::mssql::presets::PRESET_NAMES {
        toml.push_str(&format!(
            "[[mssql]]\npreset = \"{preset}\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"sa\"\npassword_env = \"TDS_PASSWORD\"\nencrypt = \"off\"\n"
        ));
    }
    let cfg = dir.path().join("lethe.toml");
    std::fs::write(&cfg, toml).unwrap();
    let out = Command::new(BIN)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "plan",
            "--phone",
            "01632 960855",
        ])
        .env(
            "LETHE__IDENTIFIERS__HASH_KEY",
            "mssql-demo-key-mssql-demo-key-0001",
        )
        .env("TDS_PASSWORD", "Lethe-Test-1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("error"), "{stdout}");
    let found: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("mssql:"))
        .filter(|l| l.split_whitespace().nth(2).is_some_and(|n| n != "0"))
        .collect();
    assert!(found.len() >= 4, "the caller is in most tables: {stdout}");
    assert!(!stdout.contains("Lethe-Test-1"));
}
