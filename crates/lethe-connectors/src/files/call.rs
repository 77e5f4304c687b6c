//! One connector call on one target: what every file's processing needs
//! (the batch's single matcher, the operation, who may be erased weakly),
//! what it gives back, and how files are opened for reading.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use lethe_domain::IdentifierHasher;

use super::aliases::Aliases;
use super::compiled::Compiled;
use super::csv_layout::AdfMapping;
use super::marks::{Mark, Strength};
use super::matcher::{Hit, Matcher};
use crate::{Erasure, Export, Finding, Place, Proposal};

/// What the call does with the items it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Count (discover and verify).
    Discover,
    /// Count and keep the items' content.
    Export,
    /// Scan, then rewrite the files holding erasable items.
    Erase,
}

/// Shared, read-only state of one call, borrowed by every worker thread.
pub(crate) struct Call<'a> {
    pub target: &'a Compiled,
    pub matcher: &'a Matcher,
    /// Identifiers shared by several subjects of the batch.
    pub aliases: &'a Aliases,
    /// Per batch index: whether weak items are erased too.
    pub include_weak: &'a [bool],
    pub op: Op,
    /// The connector's `files_scanned` counter.
    pub scanned: &'a AtomicU64,
    pub hasher: Option<&'a IdentifierHasher>,
    /// The target's ADF mapping, read once per call.
    pub mapping: Option<&'a AdfMapping>,
}

impl Call<'_> {
    /// Opens a file for a scan, decompressing `.gz`, and counts it.
    pub(crate) fn open(&self, path: &Path) -> io::Result<Box<dyn Read>> {
        let file = File::open(path)?;
        self.scanned.fetch_add(1, Ordering::Relaxed);
        let gz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        Ok(if gz {
            Box::new(MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        })
    }

    /// Every hit in `line`, for every subject holding the identifier.
    pub(crate) fn find(&self, line: &[u8]) -> Vec<Hit> {
        self.aliases.expand(line, self.matcher.find(line))
    }

    /// Number of subjects in the batch.
    pub(crate) fn batch_len(&self) -> usize {
        self.include_weak.len()
    }
}

/// One matching item of a file.
#[derive(Debug)]
pub(crate) struct Item {
    pub marks: Vec<Mark>,
    /// The export record without its `match` field (export only).
    pub record: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What processing one file produced.
#[derive(Debug)]
pub(crate) struct FileOutcome {
    pub rel: String,
    pub items: Vec<Item>,
    /// Per batch index: items changed by erasure.
    pub affected: Vec<u64>,
    /// (batch index, proposal), in file order.
    pub proposals: Vec<(usize, Proposal)>,
}

impl FileOutcome {
    pub(crate) fn new(rel: &str, batch_len: usize) -> Self {
        Self {
            rel: rel.to_owned(),
            items: Vec::new(),
            affected: vec![0; batch_len],
            proposals: Vec::new(),
        }
    }
}

/// Per-subject findings over all files, places in path order.
pub(crate) fn findings(batch_len: usize, files: &[FileOutcome]) -> Vec<Finding> {
    let mut out = vec![Finding::default(); batch_len];
    let mut seen: Vec<HashSet<(lethe_domain::IdentifierKind, String)>> =
        vec![HashSet::new(); batch_len];
    for file in files {
        let mut places = vec![(0u64, 0u64); batch_len];
        for mark in file.items.iter().flat_map(|i| &i.marks) {
            let p = &mut places[mark.subject];
            match mark.strength {
                Strength::Strong => p.0 += 1,
                Strength::Weak => p.1 += 1,
            }
        }
        for (s, (items, weak)) in places.into_iter().enumerate() {
            if items + weak > 0 {
                out[s].matched += items;
                out[s].weak += weak;
                out[s].places.push(Place {
                    place: file.rel.clone(),
                    items,
                    weak,
                });
            }
        }
        for (s, p) in &file.proposals {
            if seen[*s].insert((p.kind, p.value.clone())) {
                out[*s].proposed.push(p.clone());
            }
        }
    }
    out
}

/// Per-subject export records, in path and item order.
pub(crate) fn exports(batch_len: usize, files: Vec<FileOutcome>) -> Vec<Export> {
    let mut out = vec![Export::default(); batch_len];
    for item in files.into_iter().flat_map(|f| f.items) {
        let Some(record) = item.record else { continue };
        for mark in &item.marks {
            let mut r = record.clone();
            r.insert("match".to_owned(), mark.strength.as_str().into());
            out[mark.subject].records.push(serde_json::Value::Object(r));
        }
    }
    out
}

/// Per-subject erasure counts.
pub(crate) fn erasures(batch_len: usize, files: &[FileOutcome]) -> Vec<Erasure> {
    (0..batch_len)
        .map(|s| Erasure {
            affected: files.iter().map(|f| f.affected[s]).sum(),
        })
        .collect()
}
