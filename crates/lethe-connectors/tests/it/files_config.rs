//! Declaring file targets: presets and `[[files]]` specs resolve, bad
//! declarations are refused at startup with a message naming the target,
//! and the demo estate is deterministic.

use std::fs;

use lethe_connectors::files::presets::{preset, PRESET_NAMES};
use lethe_connectors::files::{
    write_demo_estate, FileFormat, FileTargetSpec, FilesConnector, StrategyName,
};
use lethe_connectors::Connector;
use lethe_domain::IdentifierHasher;

use crate::files_connector::files_under;

#[test]
fn every_preset_resolves_with_a_root_and_its_own_name() {
    for name in PRESET_NAMES {
        let t = FileTargetSpec::preset(name, "/srv/estate")
            .resolve()
            .unwrap();
        assert_eq!(t.name, name);
        assert_eq!(t.root.to_str(), Some("/srv/estate"));
        assert!(
            t.description.as_deref().is_some_and(|d| d.len() > 40),
            "{name}"
        );
        assert!(!t.purposes.is_empty() && !t.recipients.is_empty() && t.retention.is_some());
    }
    let adf = preset("adf-directory").unwrap();
    assert_eq!(
        (adf.format, adf.strategy),
        (FileFormat::Csv, StrategyName::Delete)
    );
    let logs = preset("console-logs").unwrap();
    assert_eq!(logs.include, ["**/*.log", "**/*.log.[0-9]*", "**/*.gz"]);
}

#[test]
fn a_spec_overrides_the_preset_field_by_field() {
    let spec: FileTargetSpec = serde_json::from_value(serde_json::json!({
        "preset": "console-logs",
        "name": "console-logs-site2",
        "root": "/mnt/site2/logs",
        "token": "[GDPR]",
        "exclude": ["**/debug/**"]
    }))
    .unwrap();
    let t = spec.resolve().unwrap();
    assert_eq!(t.name, "console-logs-site2");
    assert_eq!(t.token.as_deref(), Some("[GDPR]"));
    assert_eq!(t.exclude, ["**/debug/**"]);
    assert_eq!(t.include, preset("console-logs").unwrap().include);
    assert_eq!(t.description, preset("console-logs").unwrap().description);

    let misspelt = serde_json::from_value::<FileTargetSpec>(
        serde_json::json!({"preset": "console-logs", "roots": "/x"}),
    );
    assert!(misspelt.is_err(), "unknown fields are refused");
}

#[test]
fn specs_that_cannot_resolve_say_what_to_fix() {
    let err = FileTargetSpec::preset("console-log", "/x")
        .resolve()
        .unwrap_err();
    assert!(
        err.contains("console-log`") && err.contains("console-logs, console-log-collector"),
        "{err}"
    );
    let err = FileTargetSpec {
        preset: Some("scratch-pad".into()),
        ..FileTargetSpec::default()
    }
    .resolve()
    .unwrap_err();
    assert!(
        err.contains("scratch-pad") && err.contains("`root`"),
        "{err}"
    );
    let err = FileTargetSpec {
        name: Some("notes".into()),
        root: Some("/x".into()),
        ..FileTargetSpec::default()
    }
    .resolve()
    .unwrap_err();
    assert!(err.contains("missing: format, strategy"), "{err}");
    let err = FileTargetSpec {
        strategy: Some(StrategyName::Anonymise),
        ..FileTargetSpec::preset("scratch-pad", "/x")
    }
    .resolve()
    .unwrap_err();
    assert!(
        err.contains("scratch-pad") && err.contains("anonymise"),
        "{err}"
    );
}

#[test]
fn the_connector_refuses_bad_declarations_naming_the_target() {
    let logs = FileTargetSpec::preset("console-logs", "/x")
        .resolve()
        .unwrap();
    let err = FilesConnector::new(vec![logs.clone(), logs.clone()], None).unwrap_err();
    assert!(
        err.contains("console-logs") && err.contains("twice"),
        "{err}"
    );

    let mut bad_glob = logs.clone();
    bad_glob.include = vec!["**/*.log.[0-9".into()];
    let err = FilesConnector::new(vec![bad_glob], None).unwrap_err();
    assert!(
        err.contains("console-logs") && err.contains("unclosed"),
        "{err}"
    );

    let mut retain = logs.clone();
    retain.strategy = StrategyName::Retain;
    let err = FilesConnector::new(vec![retain], None).unwrap_err();
    assert!(
        err.contains("console-logs") && err.contains("retain_ground"),
        "{err}"
    );

    let pseudonyms = FileTargetSpec {
        strategy: Some(StrategyName::Anonymise),
        anonymise_with: Some(lethe_connectors::files::ReplacementName::Pseudonym),
        ..FileTargetSpec::preset("adf-directory", "/x")
    }
    .resolve()
    .unwrap();
    let err = FilesConnector::new(vec![pseudonyms.clone()], None).unwrap_err();
    assert!(
        err.contains("adf-directory") && err.contains("pseudonym"),
        "{err}"
    );
    FilesConnector::new(vec![pseudonyms], Some(IdentifierHasher::new(b"k"))).unwrap();
}

#[test]
fn targets_describe_each_store_for_the_planner() {
    let dir = tempfile::tempdir().unwrap();
    let estate = write_demo_estate(dir.path()).unwrap();
    let c = FilesConnector::new(estate.targets, None).unwrap();
    assert_eq!(c.kind(), "files");
    let infos = c.targets();
    let names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, PRESET_NAMES);
    assert!(infos
        .iter()
        .all(|i| i.connector == "files" && !i.description.is_empty()));
    assert_eq!(infos[0].key(), "files:console-logs");
    assert_eq!(infos[2].strategy.name(), "delete");
}

#[test]
fn the_demo_estate_is_the_same_on_every_run_and_a_few_thousand_lines() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_demo_estate(a.path()).unwrap();
    write_demo_estate(b.path()).unwrap();
    let (fa, fb) = (files_under(a.path()), files_under(b.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    let mut lines = 0;
    for (rel, path) in &fa {
        assert_eq!(
            fs::read(path).unwrap(),
            fs::read(&fb[rel]).unwrap(),
            "{rel}"
        );
        lines += crate::files_connector::read_text(path).lines().count();
    }
    assert!((2_000..10_000).contains(&lines), "{lines} lines");
    assert!(fa.contains_key("console/logs/MiVBConsole.2.log.gz"));
}
