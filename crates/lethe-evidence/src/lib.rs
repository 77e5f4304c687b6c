//! What lethe hands over when a request is done (SPEC §8): the **access
//! package** (a zip with `manifest.json`, one JSON file per source and an
//! `index.html` a person can read) and the **erasure report** (JSON and
//! HTML, per target, with counts).
//!
//! Pure: the caller collects a [`RequestEvidence`] from the store and gets
//! bytes or values back; nothing here reads the clock, a file or the
//! network. The same evidence and `generated_at` always give the same
//! output, so a package's hash in the audit log can be checked later.
//!
//! Export records and officers' notes are personal data: `Debug` on the
//! input types prints counts, never them. Everything that reaches HTML is
//! escaped, because estate content is untrusted input.

mod access;
mod evidence;
mod html;
mod report;

pub use access::access_package;
pub use evidence::{IdentifierHint, ManualEvidence, PlaceCount, RequestEvidence, TargetEvidence};
pub use report::{
    erasure_report, render_report_html, ErasureReport, ErasureTotals, ManualReport, OutcomeCounts,
    Retained, RetainedBecause, StrategySummary, TargetOutcome, TargetReport, VerifyOutcome,
    NAME_ONLY_REASON,
};
