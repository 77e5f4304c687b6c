//! `docker-compose.yml` cannot run here (no Docker engine), so it is kept
//! correct on paper: this test checks that every `[[files]]` root and
//! preset in its lethe configuration is one the loader's demo estate has,
//! that the configuration loads, and that the compose file names the
//! services and commands that exist.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lethe");

#[test]
fn compose_configuration_matches_the_loader_and_the_cli() {
    let root = env!("CARGO_MANIFEST_DIR");
    let compose = std::fs::read_to_string(format!("{root}/docker-compose.yml")).unwrap();
    for service in [
        "store-db:",
        "console-db:",
        "mssql:",
        "elasticsearch:",
        "loader:",
        "lethe:",
    ] {
        assert!(compose.contains(service), "{service} missing");
    }
    for cmd in [
        "lethe demo-data files --dir /estate",
        "lethe demo-data postgres",
        "lethe demo-data mssql",
        "lethe demo-data elasticsearch --url http://elasticsearch:9200",
        "lethe migrate",
        "lethe serve",
    ] {
        assert!(compose.contains(cmd), "{cmd} missing");
    }
    // The estate the loader writes has every root the configuration names.
    let dir = tempfile::tempdir().unwrap();
    let estate = dir.path().join("estate");
    let out = Command::new(BIN)
        .args(["demo-data", "files", "--dir"])
        .arg(&estate)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toml = std::fs::read_to_string(format!("{root}/deploy/lethe.compose.toml")).unwrap();
    let local = toml.replace(
        "root = \"/estate",
        &format!("root = \"{}", estate.display()),
    );
    for line in local.lines().filter(|l| l.starts_with("root = ")) {
        let path = line.trim_start_matches("root = ").trim_matches('"');
        assert!(
            std::path::Path::new(path).is_dir(),
            "{path} is not in the demo estate"
        );
    }
    // The configuration parses and resolves (plan runs discovery over it).
    let cfg = dir.path().join("lethe.toml");
    let local = local.replace(
        "url = \"postgres://lethe:lethe-store@store-db:5432/lethe\"",
        &format!("url = \"sqlite://{}\"", dir.path().join("l.db").display()),
    );
    // The databases are not here: keep the file targets, and point the
    // Elasticsearch tables at an osmem-server the loader's command fills.
    let files_only = local.split("[[postgres]]").next().unwrap();
    let Some(es) = lethe_testkit::es::start_or_skip("compose::elasticsearch") else {
        return;
    };
    let load = Command::new(BIN)
        .args(["demo-data", "elasticsearch", "--url", &es.url])
        .output()
        .unwrap();
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    let es_tables = &local[local
        .find("[[elasticsearch]]")
        .expect("[[elasticsearch]] tables")..];
    let es_tables = es_tables.replace("http://elasticsearch:9200", &es.url);
    std::fs::write(&cfg, format!("{files_only}\n{es_tables}")).unwrap();
    let out = Command::new(BIN)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "plan",
            "--email",
            "john.smith@example.com",
        ])
        .env(
            "LETHE__IDENTIFIERS__HASH_KEY",
            "compose-test-key-compose-test-key-0001",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("files:console-logs"), "{stdout}");
    for preset in lethe_connectors::elasticsearch::presets::PRESET_NAMES {
        assert!(
            stdout.contains(&format!("elasticsearch:{preset}")),
            "{preset}: {stdout}"
        );
    }
    assert!(stdout.contains("purge-snapshots-micc-cases"), "{stdout}");
    for preset in lethe_connectors::manual::presets::PRESET_NAMES {
        assert!(
            stdout.contains(&format!("manual:{preset}")),
            "{preset}: {stdout}"
        );
    }
    assert!(!stdout.contains("error"), "{stdout}");
}
