//! CSV files (ADF directory, comments): an item is a row. The whole file is
//! read once (ADF files are at most 30 MB), lines with a hit point at
//! candidate rows, and each candidate is matched again on its field values.
//! Erasure plans the exact physical lines to change, then rewrites the file
//! once, checking that each planned line is still what the scan saw.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicU64;

use lethe_domain::IdentifierKind;

use super::aliases::Aliases;
use super::call::{Call, FileOutcome, Item, Op};
use super::compiled::Compiled;
use super::csv_edit::{edit_row, Edit, EditRules};
use super::csv_layout::{text, FileLayout};
use super::csv_rows::{self, Row};
use super::failure;
use super::marks::{erasable, marks, Mark, Strength};
use super::matcher::Matcher;
use super::rewrite::{rewrite_file, LineOutcome};
use super::target::{CsvLayout, FileFormat, FileTarget, StrategyName};
use super::walk::FileEntry;
use crate::{ConnectorError, Proposal};

/// Planned outcome per 0-based physical line, with the line as scanned.
type Plan = BTreeMap<u64, (Vec<u8>, LineOutcome)>;

/// Scans one CSV file and, for erasure, rewrites its erasable rows.
pub(crate) fn process(call: &Call<'_>, entry: &FileEntry) -> Result<FileOutcome, ConnectorError> {
    let name = call.target.name();
    let mut buf = Vec::new();
    call.open(&entry.path)
        .and_then(|mut r| r.read_to_end(&mut buf))
        .map_err(|e| failure::io(name, &entry.rel, &e))?;
    let rows = csv_rows::parse(&buf).map_err(|u| {
        let what = format!(
            "malformed CSV: a quote opened on line {} is never closed",
            u.line
        );
        failure::malformed(name, &entry.rel, &what)
    })?;
    let none = CsvLayout::default();
    let declared = call.target.target.csv.as_ref().unwrap_or(&none);
    let layout = FileLayout::resolve(declared, call.mapping, &rows)
        .map_err(|m| failure::malformed(name, &entry.rel, &format!("malformed CSV: {m}")))?;
    let rules = EditRules {
        strategy: &call.target.strategy,
        token: &call.target.token,
        hasher: call.hasher,
    };
    let mut out = FileOutcome::new(&entry.rel, call.batch_len());
    let mut plan = Plan::new();
    for r in candidate_rows(call, &buf, &rows, layout.skip_rows) {
        let row = &rows[r];
        let (text, spans) = csv_rows::joined(&row.fields);
        let hits = call.find(&text);
        let marks = marks(&hits);
        let record = match call.op {
            _ if marks.is_empty() => continue,
            Op::Discover => {
                propose(call, row, &layout, &marks, &mut out.proposals);
                None
            }
            Op::Export => Some(record(&entry.rel, r + 1 - layout.skip_rows, row, &layout)),
            Op::Erase => {
                let who = erasable(&marks, call.include_weak);
                if !who.is_empty() {
                    who.iter().for_each(|&s| out.affected[s] += 1);
                    let edit = edit_row(row, &layout, &spans, &hits, &who, &rules);
                    add_to_plan(&mut plan, row, &buf, edit);
                }
                continue;
            }
        };
        out.items.push(Item { marks, record });
    }
    if !plan.is_empty() {
        apply(call, entry, plan)?;
    }
    Ok(out)
}

/// Erases one CSV file (a header line, then rows) the way an erase call
/// with strategy `redact` does: every data row in which `matcher` finds an
/// identifier of one of `subjects` subjects (names included) is rewritten
/// with `token` over each hit, in place and atomically. Returns how many
/// rows each subject had. The entry point of the CSV fuzz target
/// (`fuzz/fuzz_targets/csv_redact.rs`); the connector itself goes through
/// [`crate::files::FilesConnector`].
pub fn redact_csv_file(
    path: &Path,
    matcher: &Matcher,
    subjects: usize,
    token: &str,
) -> Result<Vec<u64>, ConnectorError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let rel = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let target = FileTarget {
        name: "csv".to_owned(),
        root: dir.to_path_buf(),
        include: vec![rel.clone()],
        exclude: Vec::new(),
        format: FileFormat::Csv,
        strategy: StrategyName::Redact,
        anonymise_with: None,
        token: Some(token.to_owned()),
        retain_ground: None,
        csv: None,
        description: None,
        purposes: Vec::new(),
        recipients: Vec::new(),
        retention: None,
    };
    let compiled = Compiled::new(target).map_err(ConnectorError::permanent)?;
    let include_weak = vec![true; subjects];
    let call = Call {
        target: &compiled,
        matcher,
        aliases: &Aliases::default(),
        include_weak: &include_weak,
        op: Op::Erase,
        scanned: &AtomicU64::new(0),
        hasher: None,
        mapping: None,
    };
    let entry = FileEntry {
        rel,
        path: path.to_path_buf(),
    };
    Ok(process(&call, &entry)?.affected)
}

/// Data rows with at least one hit on one of their physical lines.
fn candidate_rows(call: &Call<'_>, buf: &[u8], rows: &[Row], skip: usize) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    call.matcher.for_each_matching_line(buf, |offset, _, _| {
        let r = rows
            .partition_point(|row| row.start <= offset)
            .saturating_sub(1);
        if r >= skip && rows.get(r).is_some_and(|row| !row.is_blank()) {
            out.insert(r);
        }
    });
    out
}

/// Phone and email values in a strong row of a subject that are not the
/// subject's own: a second number the subject did not give us.
fn propose(
    call: &Call<'_>,
    row: &Row,
    layout: &FileLayout,
    marks: &[Mark],
    out: &mut Vec<(usize, Proposal)>,
) {
    for mark in marks.iter().filter(|m| m.strength == Strength::Strong) {
        for (i, field) in row.fields.iter().enumerate() {
            let kinds = layout.kinds.get(i).map_or(&[][..], Vec::as_slice);
            let Some(kind) = kinds
                .iter()
                .copied()
                .find(|k| matches!(k, IdentifierKind::Phone | IdentifierKind::Email))
            else {
                continue;
            };
            let value = text(field);
            let own = call.find(field).iter().any(|h| h.subject == mark.subject);
            if !value.is_empty() && !own {
                out.push((mark.subject, Proposal { kind, value }));
            }
        }
    }
}

fn record(
    rel: &str,
    number: usize,
    row: &Row,
    layout: &FileLayout,
) -> serde_json::Map<String, serde_json::Value> {
    let fields: serde_json::Map<String, serde_json::Value> = row
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                layout.header(i),
                String::from_utf8_lossy(f).into_owned().into(),
            )
        })
        .collect();
    let key = layout
        .key
        .and_then(|k| row.fields.get(k))
        .map_or(serde_json::Value::Null, |f| text(f).into());
    let mut r = serde_json::Map::new();
    r.insert("place".to_owned(), rel.into());
    r.insert("row".to_owned(), number.into());
    r.insert("key".to_owned(), key);
    r.insert("fields".to_owned(), fields.into());
    r
}

/// The row's first physical line becomes the new row (or goes); the rest
/// of its lines go.
fn add_to_plan(plan: &mut Plan, row: &Row, buf: &[u8], edit: Edit) {
    for (i, line) in row.physical_lines(buf).into_iter().enumerate() {
        let outcome = match (&edit, i) {
            (Edit::Replace(new), 0) => LineOutcome::Replace(new.clone()),
            _ => LineOutcome::Delete,
        };
        plan.insert(row.line + i as u64, (line.to_vec(), outcome));
    }
}

/// Rewrites the file by plan. If a planned line no longer reads as scanned
/// (the file was edited meanwhile), everything from there on is kept and
/// the call fails as transient: the retry scans again.
fn apply(call: &Call<'_>, entry: &FileEntry, plan: Plan) -> Result<(), ConnectorError> {
    let name = call.target.name();
    let mut index = 0u64;
    let mut diverged = false;
    rewrite_file(&entry.path, |line| {
        let i = index;
        index += 1;
        match plan.get(&i) {
            _ if diverged => LineOutcome::Keep,
            None => LineOutcome::Keep,
            Some((expected, outcome)) if expected == line => outcome.clone(),
            Some(_) => {
                diverged = true;
                LineOutcome::Keep
            }
        }
    })
    .map_err(|e| failure::io(name, &entry.rel, &e))?;
    if diverged {
        return Err(ConnectorError::transient(format!(
            "files target `{name}`: `{}` changed while it was being erased; retry",
            entry.rel
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::Pattern;
    use lethe_domain::{IdentifierKind, VariantForm};

    #[test]
    fn redact_csv_file_redacts_matching_rows_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dir.csv");
        let before = "Name,Phone,Note\r\n\"Smith, John\",01632 960855,\"call back\"\r\nDoe,0161 496 0000,x\r\n";
        std::fs::write(&path, before).unwrap();
        let m = Matcher::new(Pattern::new(
            0,
            IdentifierKind::Phone,
            VariantForm::National,
            "01632960855",
        ))
        .unwrap();
        assert_eq!(redact_csv_file(&path, &m, 1, "[R]").unwrap(), [1]);
        let after = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            after,
            "Name,Phone,Note\r\n\"Smith, John\",[R],\"call back\"\r\nDoe,0161 496 0000,x\r\n"
        );
    }
}
