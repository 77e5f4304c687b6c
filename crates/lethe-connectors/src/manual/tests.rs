use lethe_domain::{RequestKind, Strategy};

use super::presets::{preset, PRESET_NAMES};
use super::*;

fn spec(toml_text: &str) -> ManualTargetSpec {
    toml::from_str(toml_text).unwrap()
}

#[test]
fn every_preset_is_valid_and_named_after_itself() {
    for name in PRESET_NAMES {
        let t = preset(name).unwrap();
        assert_eq!(t.name, name);
        t.validate().unwrap();
        let info = t.info();
        assert_eq!(info.connector, "manual");
        assert_eq!(info.manual_for, [RequestKind::Erasure]);
        assert!(info.is_manual());
        assert_eq!(info.recipients, std::slice::from_ref(&t.recipient));
    }
    assert!(preset("nope").is_none());
}

#[test]
fn preset_fields_are_overridden() {
    let t = spec(
        r#"
        preset = "dialogflow"
        name = "bot-eu"
        recipient = "Cloud team"
        on = ["access", "erasure"]
        "#,
    )
    .resolve()
    .unwrap();
    assert_eq!(t.name, "bot-eu");
    assert_eq!(t.recipient, "Cloud team");
    assert_eq!(t.on, [RequestKind::Access, RequestKind::Erasure]);
    assert!(t.instructions.contains("Dialogflow"));
}

#[test]
fn a_table_without_preset_needs_what_a_person_must_know() {
    let err = spec(r#"name = "crm""#).resolve().unwrap_err();
    assert!(err.contains("missing: instructions, recipient"), "{err}");
    let t = spec(
        r#"
        name = "crm"
        instructions = "Delete the tickets."
        recipient = "CRM administrator"
        categories = ["tickets"]
        "#,
    )
    .resolve()
    .unwrap();
    assert_eq!(t.on, [RequestKind::Erasure]);
    let info = t.info();
    assert_eq!(info.strategy, Strategy::Delete);
    assert_eq!(
        info.description,
        "Delete the tickets. Data concerned: tickets."
    );
}

#[test]
fn bad_tables_are_refused_with_what_to_fix() {
    let err = ManualTargetSpec::preset("tape").resolve().unwrap_err();
    assert!(err.contains("unknown manual preset `tape`"), "{err}");
    assert!(err.contains("dialogflow"), "{err}");
    let err = spec("preset = \"wfm\"\non = []").resolve().unwrap_err();
    assert!(err.contains("`on`"), "{err}");
    let err = spec("preset = \"wfm\"\nname = \"a/b\"")
        .resolve()
        .unwrap_err();
    assert!(err.contains("URL path"), "{err}");
    let err = spec("preset = \"wfm\"\nrecipient = \" \"")
        .resolve()
        .unwrap_err();
    assert!(err.contains("`recipient`"), "{err}");
    assert!(toml::from_str::<ManualTargetSpec>("colour = \"red\"").is_err());
}

#[test]
fn two_targets_with_one_name_are_refused() {
    let t = preset("backups").unwrap();
    let err = ManualConnector::new(vec![t.clone(), t]).unwrap_err();
    assert!(err.contains("declared twice"), "{err}");
}

#[test]
fn snapshot_purge_names_the_index_and_the_administrator() {
    let t = snapshot_purge("contacts", "micc-contacts");
    t.validate().unwrap();
    assert_eq!(t.name, "purge-snapshots-contacts");
    assert!(t.instructions.contains("`micc-contacts`"));
    assert_eq!(t.recipient, "Elasticsearch administrator");
    assert_eq!(t.on, [RequestKind::Erasure]);
}

#[tokio::test]
async fn a_worker_calling_a_manual_target_fails_for_good() {
    let c = ManualConnector::new(vec![preset("voicemail").unwrap()]).unwrap();
    assert_eq!(c.kind(), "manual");
    assert_eq!(c.targets()[0].key(), "manual:voicemail");
    let err = c.discover("voicemail", &[]).await.unwrap_err();
    assert_eq!(err.class, crate::RetryClass::Permanent);
    assert!(c.erase("voicemail", &[]).await.is_err());
    assert!(c.export("voicemail", &[]).await.is_err());
}
