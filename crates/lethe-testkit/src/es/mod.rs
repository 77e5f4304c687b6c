//! The suite's Elasticsearch (data-map.md A3) for tests, the demo and the
//! benchmark: one fixture that `osmem-server` (tests) and a real
//! Elasticsearch 8 (docker-compose) both hold, so they see the same data.
//!
//! - [`server`]: starts `osmem-server`, an in-memory OpenSearch-compatible
//!   server from PyPI (see TEST-SERVICES.md), per test, and restarts it on
//!   the same port for outage tests;
//! - [`Family`]: the five index families and their mappings (JSON files
//!   under `fixtures/es/`, readable by users and the compose loader);
//! - [`fixture`]: a deterministic generator of documents with planted
//!   subjects whose counts per index are known;
//! - [`load`]: creates the indices and bulk-loads a fixture (idempotent).

mod docs;
pub mod fixture;
pub mod load;
pub mod server;

pub use docs::{CHAT_CLOSING, CHAT_OPENING};
pub use fixture::{
    bulk_matching, generate, Counts, EsConfig, EsDoc, EsFixture, EsIndex, PlantedEs,
};
pub use load::{bulk_ndjson, load, load_docs, LoadError};
pub use server::{find_binary, restart_on, start, start_on, start_or_skip, EsServer, OSMEM_ENV};

/// An index family of data-map.md A3. Interactions and cases are split by
/// month, as the suite partitions them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// `micc-contacts`: the suite's `ElasticContact` records.
    Contacts,
    /// `micc-interactions-message-YYYY.MM`: archived email, chat and SMS.
    Message,
    /// `micc-interactions-voice-YYYY.MM`: call records.
    Voice,
    /// `micc-cases-MMYYYY`: cases grouping a customer's interactions.
    Cases,
    /// `micc-directory-ad`: Active Directory users, contacts and groups.
    Directory,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::Contacts,
        Family::Message,
        Family::Voice,
        Family::Cases,
        Family::Directory,
    ];

    /// The `PUT /<index>` body: settings and mappings.
    pub fn mapping(self) -> &'static str {
        match self {
            Family::Contacts => include_str!("../../fixtures/es/micc-contacts.json"),
            Family::Message => include_str!("../../fixtures/es/micc-interactions-message.json"),
            Family::Voice => include_str!("../../fixtures/es/micc-interactions-voice.json"),
            Family::Cases => include_str!("../../fixtures/es/micc-cases.json"),
            Family::Directory => include_str!("../../fixtures/es/micc-directory-ad.json"),
        }
    }

    /// The wildcard pattern covering every index of the family.
    pub fn pattern(self) -> &'static str {
        match self {
            Family::Contacts => "micc-contacts",
            Family::Message => "micc-interactions-message-*",
            Family::Voice => "micc-interactions-voice-*",
            Family::Cases => "micc-cases-*",
            Family::Directory => "micc-directory-ad",
        }
    }

    /// The field holding each document's id (equal to its `_id`).
    pub fn id_field(self) -> &'static str {
        match self {
            Family::Contacts | Family::Cases => "Id",
            Family::Message | Family::Voice => "InteractionId",
            Family::Directory => "ObjectGuid",
        }
    }

    /// The family of a concrete index name, if it is one of the five.
    pub fn of_index(index: &str) -> Option<Family> {
        let family = if index == "micc-contacts" {
            Family::Contacts
        } else if index.starts_with("micc-interactions-message-") {
            Family::Message
        } else if index.starts_with("micc-interactions-voice-") {
            Family::Voice
        } else if index.starts_with("micc-cases-") {
            Family::Cases
        } else if index == "micc-directory-ad" {
            Family::Directory
        } else {
            return None;
        };
        Some(family)
    }

    /// The free-text (`text`) fields, dotted as `match_phrase` takes them.
    pub fn text_fields(self) -> &'static [&'static str] {
        match self {
            Family::Contacts => &["Name", "Notes"],
            Family::Message => &["Subject", "Body", "BodyHtml", "Transcript.Text"],
            Family::Voice | Family::Directory => &[],
            Family::Cases => &["Subject", "Notes.Text"],
        }
    }

    /// The keyword fields that can hold a subject's email, phone or account.
    pub fn identifier_fields(self) -> &'static [&'static str] {
        match self {
            Family::Contacts => &[
                "Email",
                "Emails",
                "Phone",
                "MobilePhone",
                "PhoneNumbers.Number",
                "AccountNumber",
            ],
            Family::Message => &[
                "From",
                "To",
                "Cc",
                "ContactAddress",
                "Variables.PageEmail",
                "Variables.CallbackNumber",
                "Variables.OrderRef",
            ],
            Family::Voice => &[
                "ANI",
                "DigitsDialed",
                "AccountCode",
                "Variables.CallbackNumber",
                "Variables.EnteredAccount",
            ],
            Family::Cases => &["Contacts.Address"],
            Family::Directory => &["Mail", "TelephoneNumber", "Mobile"],
        }
    }

    /// The keyword fields that can hold a person's full name.
    pub fn name_fields(self) -> &'static [&'static str] {
        match self {
            Family::Contacts => &[],
            Family::Message => &["ContactName", "Variables.PageName"],
            Family::Voice => &["CallerName"],
            Family::Cases => &["Contacts.Name"],
            Family::Directory => &["DisplayName"],
        }
    }
}
