//! `manifest.json`: the machine-readable account of an access package. It
//! states what Art. 15(1) asks for (purposes, recipients, retention,
//! source, the subject's rights) per source, and names the data file that
//! holds each source's records.
//!
//! The subject reads this too, so it holds no officer's notes and no error
//! texts: a source that could not be searched says so in words.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{AccessResult, Source};
use crate::evidence::{IdentifierHint, ManualEvidence, RequestEvidence};

/// Names the manifest's format, so a reader can tell versions apart.
pub(crate) const FORMAT: &str = "lethe-access-package/1";

/// The statement of Art. 15(1) and (3) items that do not depend on the
/// source; the per-source ones (purposes, recipients, retention) are in
/// `sources`. Shared by the manifest and `index.html`.
#[derive(Debug, Serialize)]
pub(crate) struct Rights {
    pub about: &'static str,
    pub copy: &'static str,
    pub purposes_recipients_retention: &'static str,
    pub source: &'static str,
    pub name_only_matches: &'static str,
    pub your_rights: [&'static str; 4],
    pub complaint: &'static str,
}

pub(crate) const RIGHTS: Rights = Rights {
    about: "This package answers your request for access under Article 15 of the \
        General Data Protection Regulation (GDPR).",
    copy: "It contains a copy of the personal data about you that we found in the systems \
        listed, and the files in the data folder hold that copy in a structured, commonly \
        used and machine-readable format (JSON).",
    purposes_recipients_retention: "For each system, the package states why we process the \
        data (purposes), who receives it (recipients) and how long it is kept or the \
        criteria used to decide that (retention).",
    source: "The data was collected from the contact-center and console systems listed in \
        this package. These systems record the contacts handled by our contact center (such \
        as calls, chats, emails and callbacks) and the work of the staff who handle them.",
    name_only_matches: "Some systems hold entries that match only your name. A name alone \
        does not show that an entry is about you rather than someone else with the same \
        name, so those entries are counted but not included. If you can tell us more (for \
        example a phone number or email address used in that contact), we will search again.",
    your_rights: [
        "You may ask us to correct personal data about you that is inaccurate or to complete \
         it (right to rectification, Article 16 GDPR).",
        "You may ask us to erase personal data about you (right to erasure, Article 17 GDPR).",
        "You may ask us to restrict the processing of personal data about you (right to \
         restriction of processing, Article 18 GDPR).",
        "You may object to the processing of personal data about you (right to object, \
         Article 21 GDPR).",
    ],
    complaint: "You have the right to lodge a complaint with a supervisory authority, in \
        particular in the Member State of your habitual residence, your place of work or \
        the place of the alleged infringement (Article 77 GDPR).",
};

/// The whole manifest.
#[derive(Serialize)]
pub(crate) struct Manifest<'a> {
    format: &'static str,
    request_id: Uuid,
    generated_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    /// Masked: the package never repeats a clear identifier.
    identifiers_searched: &'a [IdentifierHint],
    rights: &'static Rights,
    sources: Vec<SourceEntry<'a>>,
    manual_sources: Vec<ManualEntry<'a>>,
}

/// One source (target) of the package.
#[derive(Serialize)]
struct SourceEntry<'a> {
    key: String,
    connector: &'a str,
    name: &'a str,
    description: &'a str,
    purposes: &'a [String],
    recipients: &'a [String],
    retention: &'a str,
    /// `found`, `nothing_found` or `not_completed`.
    result: &'static str,
    /// Items found with a strong identifier (the ones in the data file).
    found: u64,
    /// Items matching the name only, counted but not included.
    name_only_matches: u64,
    /// Where the items are, with counts; places with name-only matches
    /// alone are left out.
    places: Vec<PlaceEntry<'a>>,
    /// Records in the data file.
    records: usize,
    /// `data/<connector>-<name>.json`, or `null` when there is no data.
    file: Option<&'a str>,
}

#[derive(Serialize)]
struct PlaceEntry<'a> {
    place: &'a str,
    items: u64,
}

/// A source searched by staff rather than by lethe.
#[derive(Serialize)]
struct ManualEntry<'a> {
    name: &'a str,
    description: &'a str,
    recipient: &'a str,
    status: &'static str,
}

/// Builds the manifest of `e` from the sources in package order.
pub(crate) fn manifest<'a>(
    e: &'a RequestEvidence,
    sources: &'a [Source<'a>],
    generated_at: DateTime<Utc>,
) -> Manifest<'a> {
    Manifest {
        format: FORMAT,
        request_id: e.request_id,
        generated_at,
        received_at: e.received_at,
        identifiers_searched: &e.identifiers,
        rights: &RIGHTS,
        sources: sources.iter().map(source_entry).collect(),
        manual_sources: e.manual.iter().map(manual_entry).collect(),
    }
}

fn source_entry<'a>(s: &'a Source<'a>) -> SourceEntry<'a> {
    let t = s.evidence;
    SourceEntry {
        key: t.target.key(),
        connector: &t.target.connector,
        name: &t.target.name,
        description: &t.target.description,
        purposes: &t.target.purposes,
        recipients: &t.target.recipients,
        retention: &t.target.retention,
        result: s.result.as_str(),
        found: t.found,
        name_only_matches: t.weak,
        places: s
            .places()
            .map(|p| PlaceEntry {
                place: &p.place,
                items: p.items,
            })
            .collect(),
        records: t.records.len(),
        file: s.file.as_deref(),
    }
}

fn manual_entry(m: &ManualEvidence) -> ManualEntry<'_> {
    ManualEntry {
        name: &m.name,
        description: &m.description,
        recipient: &m.recipient,
        status: m.status.as_str(),
    }
}

impl AccessResult {
    /// The manifest's name for the result.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Found => "found",
            Self::NothingFound => "nothing_found",
            Self::NotCompleted => "not_completed",
        }
    }
}
