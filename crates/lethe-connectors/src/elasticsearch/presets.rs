//! Presets for the five MiCC-B index families of data-map.md A3. The
//! vendor does not publish its index names or mappings: these are the
//! reconstructed fixture's, and every field can be overridden in
//! `[[elasticsearch]]`. A preset has no connection; the configuration
//! gives the URL.

use std::collections::BTreeMap;

use lethe_domain::{IdentifierKind, Replacement, Strategy};

use super::target::{
    EsConnection, EsTarget, DEFAULT_MAX_CLAUSES, DEFAULT_PAGE_SIZE, DEFAULT_TIMEOUT_SECS,
    REDACT_TOKEN,
};

/// Names of the known presets.
pub const PRESET_NAMES: &[&str] = &[
    "micc-contacts",
    "micc-interactions-message",
    "micc-interactions-voice",
    "micc-cases",
    "micc-directory-ad",
];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<EsTarget> {
    Some(match name {
        "micc-contacts" => micc_contacts(),
        "micc-interactions-message" => micc_interactions_message(),
        "micc-interactions-voice" => micc_interactions_voice(),
        "micc-cases" => micc_cases(),
        "micc-directory-ad" => micc_directory_ad(),
        _ => return None,
    })
}

use IdentifierKind::{AccountNumber, DirectoryAccount, Email, Name, Phone};

fn fields(list: &[(&str, &[IdentifierKind])]) -> BTreeMap<String, Vec<IdentifierKind>> {
    list.iter()
        .map(|(f, k)| ((*f).to_owned(), k.to_vec()))
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// A target with the defaults every preset shares.
#[allow(clippy::too_many_arguments)]
fn base(
    name: &str,
    index: &str,
    fields: BTreeMap<String, Vec<IdentifierKind>>,
    free_text: &[&str],
    parties: Vec<Vec<String>>,
    strategy: Strategy,
    description: &str,
    purposes: &[&str],
    retention: &str,
) -> EsTarget {
    EsTarget {
        name: name.to_owned(),
        connection: EsConnection {
            urls: Vec::new(),
            auth: Default::default(),
            ca_file: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        },
        index: index.to_owned(),
        fields,
        free_text: strings(free_text),
        parties,
        strategy,
        token: REDACT_TOKEN.to_owned(),
        snapshotted: false,
        page_size: DEFAULT_PAGE_SIZE,
        max_clauses: DEFAULT_MAX_CLAUSES,
        description: description.to_owned(),
        purposes: strings(purposes),
        recipients: strings(&["Contact-center agents and supervisors"]),
        retention: retention.to_owned(),
    }
}

fn anonymise_null() -> Strategy {
    Strategy::Anonymise {
        with: Replacement::Null,
    }
}

/// `micc-contacts`: the suite's external contacts (`ElasticContact`). One
/// document is one person, so erasure deletes it.
pub fn micc_contacts() -> EsTarget {
    let mut t = base(
        "micc-contacts",
        "micc-contacts",
        fields(&[
            ("Email", &[Email]),
            ("Emails", &[Email]),
            ("Phone", &[Phone]),
            ("MobilePhone", &[Phone]),
            ("PhoneNumbers.Number", &[Phone]),
            ("AccountNumber", &[AccountNumber]),
        ]),
        &["Name", "Notes"],
        vec![strings(&[
            "Name",
            "FirstName",
            "LastName",
            "Email",
            "Emails",
            "Phone",
            "MobilePhone",
            "PhoneNumbers.Number",
            "AccountNumber",
        ])],
        Strategy::Delete,
        "Contact-center contact records (MiCC-B Elasticsearch contacts)",
        &["Customer contact handling"],
        "Until deleted by an administrator",
    );
    t.recipients = strings(&["Contact-center agents and supervisors", "SDK API clients"]);
    t
}

/// `micc-interactions-message`: archived chat, SMS and email interactions
/// in monthly indices (`micc-interactions-message-YYYY.MM`). Anonymised:
/// the interaction stays for queue statistics, the customer's side goes.
pub fn micc_interactions_message() -> EsTarget {
    base(
        "micc-interactions-message",
        "micc-interactions-message-*",
        fields(&[
            ("From", &[Email, Phone]),
            ("To", &[Email, Phone]),
            ("Cc", &[Email]),
            ("ContactAddress", &[Email, Phone]),
            ("ContactName", &[Name]),
        ]),
        &[
            "Subject",
            "Body",
            "BodyHtml",
            "Transcript.Text",
            "Variables.*",
        ],
        vec![
            strings(&["From", "ContactName", "ContactAddress"]),
            strings(&["Transcript.SenderName", "Transcript.SenderType"]),
        ],
        anonymise_null(),
        "Archived chat, SMS and email interactions with their transcripts (MiCC-B)",
        &["Customer contact handling", "Quality assurance"],
        "Archive kept until purged by an administrator",
    )
}

/// `micc-interactions-voice`: archived voice interactions (caller line,
/// caller name, digits dialled) in monthly indices.
pub fn micc_interactions_voice() -> EsTarget {
    base(
        "micc-interactions-voice",
        "micc-interactions-voice-*",
        fields(&[
            ("ANI", &[Phone]),
            ("DNIS", &[Phone]),
            ("CallerName", &[Name]),
            ("DigitsDialed", &[Phone, AccountNumber]),
            ("AccountCode", &[AccountNumber]),
        ]),
        &["Variables.*"],
        vec![strings(&["ANI", "CallerName"])],
        anonymise_null(),
        "Archived voice interactions: caller line identity and name (MiCC-B)",
        &["Customer contact handling", "Call statistics"],
        "Archive kept until purged by an administrator",
    )
}

/// `micc-cases`: cases grouping a customer's interactions, partitioned by
/// creation month (`micc-cases-MMYYYY`). Anonymised per contact: a case
/// with two contacts keeps the other one.
pub fn micc_cases() -> EsTarget {
    base(
        "micc-cases",
        "micc-cases-*",
        fields(&[
            ("Contacts.Address", &[Email, Phone]),
            ("Contacts.Name", &[Name]),
        ]),
        &["Subject", "Notes.Text"],
        vec![strings(&["Contacts.Name", "Contacts.Address"])],
        anonymise_null(),
        "Cases grouping a customer's interactions, with notes (MiCC-B)",
        &["Customer contact handling"],
        "Closed cases kept until purged by an administrator",
    )
}

/// `micc-directory-ad`: Active Directory users and contacts the suite
/// copied into Elasticsearch. The copy is deleted; the next directory
/// sync brings an entry back unless it is changed in AD too.
pub fn micc_directory_ad() -> EsTarget {
    base(
        "micc-directory-ad",
        "micc-directory-ad",
        fields(&[
            ("Mail", &[Email]),
            ("TelephoneNumber", &[Phone]),
            ("Mobile", &[Phone]),
            ("DisplayName", &[Name]),
            ("SamAccountName", &[DirectoryAccount]),
        ]),
        &[],
        vec![strings(&[
            "DisplayName",
            "GivenName",
            "Surname",
            "Mail",
            "TelephoneNumber",
            "Mobile",
            "DistinguishedName",
            "SamAccountName",
        ])],
        Strategy::Delete,
        "Active Directory users and contacts copied into the suite's directory (MiCC-B)",
        &["Directory search for agents"],
        "Mirrors Active Directory; refreshed by the directory sync",
    )
}
