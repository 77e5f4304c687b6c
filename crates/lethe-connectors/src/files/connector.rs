//! [`FilesConnector`]: the [`Connector`] for directory trees of logs, CSVs
//! and free-text notes. Every call builds one matcher for the whole batch
//! and reads each selected file once, on tokio's blocking pool, with the
//! files of the call spread over scoped threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use lethe_domain::{IdentifierHasher, Replacement, Strategy, Subject, TargetInfo};

use super::aliases::Aliases;
use super::call::{self, Call, FileOutcome, Op};
use super::compiled::Compiled;
use super::csv_layout::read_mapping;
use super::matcher::Matcher;
use super::target::{FileFormat, FileTarget};
use super::{csv_file, line_file, pool, walk};
use crate::{BatchSubject, Connector, ConnectorError, Erasure, Export, Finding};

/// The `files` connector: one instance serves every `[[files]]` target.
/// Cheap to clone; clones share the `files_scanned` counter.
#[derive(Debug, Clone)]
pub struct FilesConnector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    targets: Vec<Compiled>,
    hasher: Option<IdentifierHasher>,
    scanned: AtomicU64,
}

impl FilesConnector {
    /// Checks every declaration (unique names, globs, strategies) so that a
    /// bad `lethe.toml` stops lethe at startup. `pseudonym` is the keyed
    /// hasher used by `anonymise_with = "pseudonym"`; a target asking for
    /// pseudonyms without one is refused.
    pub fn new(
        targets: Vec<FileTarget>,
        pseudonym: Option<IdentifierHasher>,
    ) -> Result<Self, String> {
        let mut compiled: Vec<Compiled> = Vec::with_capacity(targets.len());
        for target in targets {
            if compiled.iter().any(|c| c.name() == target.name) {
                return Err(format!(
                    "file target `{}` is declared twice; give each `[[files]]` table its own `name`",
                    target.name
                ));
            }
            let c = Compiled::new(target)?;
            let wants_pseudonym = matches!(
                c.strategy,
                Strategy::Anonymise {
                    with: Replacement::Pseudonym
                }
            );
            if wants_pseudonym && pseudonym.is_none() {
                return Err(format!(
                    "file target `{}`: `anonymise_with = \"pseudonym\"` needs the pseudonym key, which is not configured",
                    c.name()
                ));
            }
            compiled.push(c);
        }
        Ok(Self {
            inner: Arc::new(Inner {
                targets: compiled,
                hasher: pseudonym,
                scanned: AtomicU64::new(0),
            }),
        })
    }

    /// Files opened for a scan since this connector was built (by any
    /// call). Each call reads each selected file once whatever the batch
    /// size; erasure's rewrite pass over changed files is not counted, nor
    /// is an ADF mapping file (configuration, read once per call).
    pub fn files_scanned(&self) -> u64 {
        self.inner.scanned.load(Ordering::Relaxed)
    }

    /// Runs `op` for `batch` on `target` off the async runtime.
    async fn run(
        &self,
        target: &str,
        batch: &[BatchSubject],
        op: Op,
    ) -> Result<Vec<FileOutcome>, ConnectorError> {
        let index = self
            .inner
            .targets
            .iter()
            .position(|t| t.name() == target)
            .ok_or_else(|| {
                let known: Vec<&str> = self.inner.targets.iter().map(Compiled::name).collect();
                ConnectorError::permanent(format!(
                    "the files connector has no target `{target}` (known: {})",
                    known.join(", ")
                ))
            })?;
        let inner = Arc::clone(&self.inner);
        let subjects = BatchSubject::subjects(batch);
        let include_weak: Vec<bool> = batch.iter().map(|b| b.include_weak).collect();
        tokio::task::spawn_blocking(move || inner.execute(index, &subjects, &include_weak, op))
            .await
            .map_err(|e| {
                let what = if e.is_panic() {
                    "panicked"
                } else {
                    "was cancelled"
                };
                let message = format!("files target `{target}`: the scan {what}");
                if e.is_panic() {
                    ConnectorError::permanent(message)
                } else {
                    ConnectorError::transient(message)
                }
            })?
    }
}

impl Inner {
    fn execute(
        &self,
        index: usize,
        subjects: &[Subject],
        include_weak: &[bool],
        op: Op,
    ) -> Result<Vec<FileOutcome>, ConnectorError> {
        let target = &self.targets[index];
        if op == Op::Erase && target.strategy.is_retain() {
            return Ok(Vec::new());
        }
        let matcher = Matcher::for_subjects(subjects).map_err(|e| {
            ConnectorError::permanent(format!("files target `{}`: {e}", target.name()))
        })?;
        if matcher.is_empty() {
            return Ok(Vec::new());
        }
        let mapping = match (&target.target.format, &target.target.csv) {
            (FileFormat::Csv, Some(layout)) => read_mapping(target, layout)?,
            _ => None,
        };
        let files = walk::select(target)?;
        let aliases = Aliases::new(subjects);
        let call = Call {
            target,
            matcher: &matcher,
            aliases: &aliases,
            include_weak,
            op,
            scanned: &self.scanned,
            hasher: self.hasher.as_ref(),
            mapping: mapping.as_ref(),
        };
        pool::map(files.len(), |i| match target.target.format {
            FileFormat::Csv => csv_file::process(&call, &files[i]),
            FileFormat::Lines | FileFormat::FreeText => line_file::process(&call, &files[i]),
        })
    }
}

#[async_trait]
impl Connector for FilesConnector {
    fn kind(&self) -> &'static str {
        "files"
    }

    fn targets(&self) -> Vec<TargetInfo> {
        self.inner.targets.iter().map(Compiled::info).collect()
    }

    async fn discover(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        let files = self.run(target, batch, Op::Discover).await?;
        Ok(call::findings(batch.len(), &files))
    }

    async fn export(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        let files = self.run(target, batch, Op::Export).await?;
        Ok(call::exports(batch.len(), files))
    }

    async fn erase(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        let files = self.run(target, batch, Op::Erase).await?;
        Ok(call::erasures(batch.len(), &files))
    }
}
