//! Presets for the MiCC-B index families of data-map.md A3. The vendor
//! does not publish its mappings: names and fields are the fixture's and
//! meant to be overridden. Only `micc-contacts` so far.

use std::collections::BTreeMap;

use lethe_domain::{IdentifierKind, Strategy};

use super::target::{EsTarget, DEFAULT_PAGE_SIZE};

/// Names of the known presets.
pub const PRESET_NAMES: &[&str] = &["micc-contacts"];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<EsTarget> {
    match name {
        "micc-contacts" => Some(micc_contacts()),
        _ => None,
    }
}

/// `micc-contacts`: the suite's Elasticsearch contacts (`ElasticContact`).
pub fn micc_contacts() -> EsTarget {
    use IdentifierKind::{AccountNumber, Email, Name, Phone};
    let fields: BTreeMap<String, Vec<IdentifierKind>> = [
        ("Email", vec![Email]),
        ("Emails", vec![Email]),
        ("Phone", vec![Phone]),
        ("MobilePhone", vec![Phone]),
        ("PhoneNumbers.Number", vec![Phone]),
        ("AccountNumber", vec![AccountNumber]),
        ("FirstName", vec![Name]),
        ("LastName", vec![Name]),
    ]
    .into_iter()
    .map(|(f, k)| (f.to_owned(), k))
    .collect();
    EsTarget {
        name: "micc-contacts".to_owned(),
        index: "micc-contacts".to_owned(),
        id_field: "Id".to_owned(),
        fields,
        free_text: vec!["Name".to_owned(), "Notes".to_owned()],
        strategy: Strategy::Delete,
        page_size: DEFAULT_PAGE_SIZE,
        description: "Contact-center contact records (MiCC-B Elasticsearch contacts)".to_owned(),
        purposes: vec!["Customer contact handling".to_owned()],
        recipients: vec!["Contact-center agents and supervisors".to_owned()],
        retention: "Until deleted by an administrator".to_owned(),
    }
}
