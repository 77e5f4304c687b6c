//! The access package (SPEC §8, Art. 15): one zip holding `manifest.json`,
//! `index.html` and one `data/<connector>-<target>.json` per source where
//! something was found.
//!
//! The bytes depend on the input only: sources are sorted by key, every
//! entry carries `generated_at` as its timestamp, and nothing reads the
//! clock, so the same evidence gives the same package (and the same hash
//! in the audit log).

mod manifest;
mod page;

use std::collections::BTreeSet;
use std::io::{Cursor, Write as _};

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use lethe_domain::StepStatus;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::evidence::{sorted_targets, PlaceCount, RequestEvidence, TargetEvidence};

/// What the search of one source came to, as the subject is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessResult {
    /// Items with a strong identifier were found (and exported).
    Found,
    /// Searched; nothing with a strong identifier.
    NothingFound,
    /// Discovery or export failed or has not finished: the subject is told
    /// the source is not complete rather than that it holds nothing.
    NotCompleted,
}

/// One target as the package presents it.
pub(crate) struct Source<'a> {
    pub evidence: &'a TargetEvidence,
    pub result: AccessResult,
    /// The data file's path in the zip, when the source has data.
    pub file: Option<String>,
}

impl Source<'_> {
    /// Places holding strong matches; places with name-only matches alone
    /// would list a location that holds nothing the package contains.
    pub(crate) fn places(&self) -> impl Iterator<Item = &PlaceCount> {
        self.evidence.places.iter().filter(|p| p.items > 0)
    }
}

/// Builds the access package of `e` as zip bytes.
///
/// `generated_at` is stated in the manifest and the page and is the
/// timestamp of every zip entry (DOS time, read as UTC; clamped to the
/// 1980–2107 range zip can store). Sources are listed by key whatever the
/// order of `e.targets`.
pub fn access_package(e: &RequestEvidence, generated_at: DateTime<Utc>) -> Vec<u8> {
    let sources = sources(e);
    let manifest = manifest::manifest(e, &sources, generated_at);
    let manifest = serde_json::to_vec_pretty(&manifest).expect("the manifest serialises");
    let index = page::index_html(e, &sources, generated_at);

    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("manifest.json", manifest),
        ("index.html", index.into_bytes()),
    ];
    for s in &sources {
        if let Some(file) = &s.file {
            let data =
                serde_json::to_vec_pretty(&s.evidence.records).expect("JSON values serialise");
            files.push((file, data));
        }
    }
    write_zip(&files, zip_time(generated_at))
}

/// The package's sources in key order, each with its result and a unique
/// data file name.
fn sources(e: &RequestEvidence) -> Vec<Source<'_>> {
    let mut taken = BTreeSet::new();
    sorted_targets(&e.targets)
        .into_iter()
        .map(|t| {
            let result = access_result(t);
            let has_data = t.found > 0 || !t.records.is_empty();
            let file = has_data.then(|| unique_file_name(t, &mut taken));
            Source {
                evidence: t,
                result,
                file,
            }
        })
        .collect()
}

fn access_result(t: &TargetEvidence) -> AccessResult {
    let unfinished = |s: Option<StepStatus>| {
        s.is_some_and(|s| !matches!(s, StepStatus::Succeeded | StepStatus::Skipped))
    };
    if unfinished(t.discover_status) || unfinished(t.export_status) {
        AccessResult::NotCompleted
    } else if t.found > 0 || !t.records.is_empty() {
        AccessResult::Found
    } else {
        AccessResult::NothingFound
    }
}

/// `data/<connector>-<name>.json`, with anything but ASCII letters, digits,
/// `.`, `_` and `-` replaced by `_` (names come from configuration, but a
/// zip path must not climb out of its folder when extracted), and `-2`,
/// `-3`, ... appended if two targets end up with the same name.
fn unique_file_name(t: &TargetEvidence, taken: &mut BTreeSet<String>) -> String {
    let stem = format!(
        "{}-{}",
        safe_component(&t.target.connector),
        safe_component(&t.target.name)
    );
    let mut candidate = format!("data/{stem}.json");
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("data/{stem}-{n}.json");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

fn safe_component(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned
    }
}

/// `generated_at` as a zip (DOS) timestamp; outside 1980–2107 the nearest
/// bound, so the function never fails and stays deterministic.
fn zip_time(at: DateTime<Utc>) -> zip::DateTime {
    let year = at.year();
    if year < 1980 {
        return zip::DateTime::default();
    }
    if year > 2107 {
        return zip::DateTime::from_date_and_time(2107, 12, 31, 23, 59, 58).unwrap_or_default();
    }
    // In range, every component fits its narrower type.
    zip::DateTime::from_date_and_time(
        year as u16,
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
    )
    .unwrap_or_default()
}

/// Writes `files` into a zip in memory, in the given order.
fn write_zip(files: &[(&str, Vec<u8>)], time: zip::DateTime) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(time)
            .unix_permissions(0o644)
            // Zip64 only where a file needs it; then writing into memory
            // cannot fail.
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        zip.start_file(*name, options)
            .expect("starting a zip entry in memory cannot fail");
        zip.write_all(bytes)
            .expect("writing a zip entry to memory cannot fail");
    }
    zip.finish()
        .expect("finishing a zip in memory cannot fail")
        .into_inner()
}

/// Words for a manual step's status, for people.
pub(crate) fn manual_status_words(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Succeeded => "done",
        StepStatus::Skipped => "not done",
        StepStatus::Failed => "could not be done",
        StepStatus::Pending
        | StepStatus::Running
        | StepStatus::Retrying
        | StepStatus::AwaitingManual => "in progress",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_unique() {
        assert_eq!(safe_component("console-logs"), "console-logs");
        assert_eq!(safe_component("../../etc/passwd"), "______etc_passwd");
        assert_eq!(safe_component("a b/ç"), "a_b__");
        assert_eq!(safe_component(""), "_");
    }

    #[test]
    fn zip_time_is_clamped() {
        let t = |s: &str| zip_time(DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        let mid = t("2026-03-04T05:06:07Z");
        assert_eq!(
            (mid.year(), mid.month(), mid.day(), mid.hour(), mid.minute()),
            (2026, 3, 4, 5, 6)
        );
        assert_eq!(t("1970-01-01T00:00:00Z"), zip::DateTime::default());
        assert_eq!(t("2200-01-01T00:00:00Z").year(), 2107);
    }
}
