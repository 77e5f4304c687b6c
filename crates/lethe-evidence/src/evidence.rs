//! What the evidence is built from: one request, its targets and manual
//! steps, as plain data the caller collects from the store.
//!
//! Export records are personal data, and so may be an officer's note, so
//! `Debug` here prints counts and statuses only: an evidence value that
//! slips into a log line or a panic message leaks nothing.

use std::fmt;

use chrono::{DateTime, Utc};
use lethe_domain::{IdentifierKind, RequestKind, RequestStatus, StepStatus, TargetInfo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Matches in one place of a target. The label names a file path relative
/// to the target's root, a table or an index: never the content, so it is
/// safe to show to officers and to the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlaceCount {
    /// Where, without personal data (`2026/01/console.log`, `dbo.Contacts`).
    pub place: String,
    /// Items with a strong match (email, phone, account number, user id,
    /// directory account).
    pub items: u64,
    /// Items matched by a name only.
    pub weak: u64,
}

/// Everything known about one target of a request: what discovery found,
/// what erasure did, and (for access) the exported records.
///
/// Counts follow the connectors' convention: `found` strong items and
/// `weak` name-only items are disjoint, and erasure removes the strong ones
/// plus the weak ones when `include_weak` is set.
#[derive(Clone, PartialEq)]
pub struct TargetEvidence {
    /// The target and its Art. 15(1) facts (purposes, recipients, retention).
    pub target: TargetInfo,
    /// Status of the target's discovery step; `None` when not known (the
    /// counts are then taken as they are).
    pub discover_status: Option<StepStatus>,
    /// Items with a strong match found by discovery.
    pub found: u64,
    /// Items matched by a name only.
    pub weak: u64,
    /// Where the matches are, with counts (no personal data).
    pub places: Vec<PlaceCount>,
    /// Status of the export step (access requests).
    pub export_status: Option<StepStatus>,
    /// Status of the erase step (erasure requests).
    pub erase_status: Option<StepStatus>,
    /// Status of the verify step (erasure requests).
    pub verify_status: Option<StepStatus>,
    /// Items still there after erasure, as counted by the verify step, in
    /// the scope erasure worked on (strong items, plus weak ones when
    /// included). `None` until a verification has run.
    pub remaining: Option<u64>,
    /// Whether weak (name-only) items were erased too.
    pub include_weak: bool,
    /// The error of a failed step. Connector errors name places, never
    /// content, so this is shown to officers; it never goes into the
    /// subject's access package.
    pub error: Option<String>,
    /// Access: the exported records of this target, one JSON value per
    /// item (normally an object). Personal data.
    pub records: Vec<serde_json::Value>,
}

impl TargetEvidence {
    /// Evidence for `target` with nothing found and no step run yet; set
    /// the fields that are known.
    pub fn new(target: TargetInfo) -> Self {
        Self {
            target,
            discover_status: None,
            found: 0,
            weak: 0,
            places: Vec::new(),
            export_status: None,
            erase_status: None,
            verify_status: None,
            remaining: None,
            include_weak: false,
            error: None,
            records: Vec::new(),
        }
    }
}

impl fmt::Debug for TargetEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TargetEvidence")
            .field("target", &self.target.key())
            .field("discover_status", &self.discover_status)
            .field("found", &self.found)
            .field("weak", &self.weak)
            .field("places", &self.places.len())
            .field("export_status", &self.export_status)
            .field("erase_status", &self.erase_status)
            .field("verify_status", &self.verify_status)
            .field("remaining", &self.remaining)
            .field("include_weak", &self.include_weak)
            .field("error", &self.error.is_some())
            .field("records", &self.records.len())
            .finish()
    }
}

/// A masked identifier the request searched for, as officers see it
/// (`j***@***.com`): enough to tell two apart, never the clear value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IdentifierHint {
    /// What kind of identifier it is.
    pub kind: IdentifierKind,
    /// The masked form produced by the identifier's `hint()`.
    pub hint: String,
}

impl fmt::Debug for IdentifierHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentifierHint")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A manual step: work a person does outside lethe (asking a vendor to
/// purge call recordings, say), confirmed or declined through the API.
#[derive(Clone, PartialEq, Eq)]
pub struct ManualEvidence {
    /// The step's name (`recording-vendor`).
    pub name: String,
    /// What has to be done, in words.
    pub description: String,
    /// Who does it or receives the instruction (a vendor, a team).
    pub recipient: String,
    /// Where the step stands.
    pub status: StepStatus,
    /// The confirming or declining officer's note. Free text, so treated
    /// as personal data: shown in the erasure report, never in `Debug`
    /// and never in the subject's access package.
    pub note: Option<String>,
}

impl fmt::Debug for ManualEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualEvidence")
            .field("name", &self.name)
            .field("recipient", &self.recipient)
            .field("status", &self.status)
            .field("note", &self.note.is_some())
            .finish_non_exhaustive()
    }
}

/// One request with everything the access package or the erasure report
/// states about it.
#[derive(Clone, PartialEq)]
pub struct RequestEvidence {
    /// The request's id.
    pub request_id: Uuid,
    /// Access or erasure.
    pub kind: RequestKind,
    /// Where the request stands now.
    pub status: RequestStatus,
    /// When the request was received (the Art. 12(3) clock starts here).
    pub received_at: DateTime<Utc>,
    /// When the answer is due, extensions included.
    pub due_at: DateTime<Utc>,
    /// When the request reached a terminal status, if it has.
    pub completed_at: Option<DateTime<Utc>>,
    /// The identifiers searched, masked.
    pub identifiers: Vec<IdentifierHint>,
    /// Every target of the plan, found or not. Output lists them sorted by
    /// key, so the caller's order does not matter.
    pub targets: Vec<TargetEvidence>,
    /// The plan's manual steps.
    pub manual: Vec<ManualEvidence>,
}

impl fmt::Debug for RequestEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestEvidence")
            .field("request_id", &self.request_id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("received_at", &self.received_at)
            .field("due_at", &self.due_at)
            .field("completed_at", &self.completed_at)
            .field("identifiers", &self.identifiers.len())
            .field("targets", &self.targets)
            .field("manual", &self.manual)
            .finish()
    }
}

/// The targets sorted by key (stable, so equal keys keep the caller's
/// order): every output lists them in this order, which makes the bytes
/// depend on the content only.
pub(crate) fn sorted_targets(targets: &[TargetEvidence]) -> Vec<&TargetEvidence> {
    let mut sorted: Vec<&TargetEvidence> = targets.iter().collect();
    sorted.sort_by_cached_key(|t| t.target.key());
    sorted
}
