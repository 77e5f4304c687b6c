//! A [`FileTarget`] checked and compiled once, when the connector is built:
//! its globs, its strategy and the Art. 15 facts the planner shows.

use lethe_domain::{Strategy, TargetInfo};

use super::glob::Glob;
use super::target::{FileFormat, FileTarget};

/// A declaration ready to drive scans. Built only by [`Compiled::new`], so
/// every instance has passed [`FileTarget::validate`].
#[derive(Debug)]
pub(crate) struct Compiled {
    pub target: FileTarget,
    pub strategy: Strategy,
    pub token: Vec<u8>,
    include: Vec<Glob>,
    exclude: Vec<Glob>,
    /// The ADF mapping file, relative, `/`-separated: never an item file.
    mapping_rel: Option<String>,
}

impl Compiled {
    pub(crate) fn new(target: FileTarget) -> Result<Self, String> {
        target.validate()?;
        let compile = |globs: &[String]| {
            globs
                .iter()
                .map(|g| Glob::new(g))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            strategy: target.strategy()?,
            token: target.redact_token(),
            include: compile(&target.include)?,
            exclude: compile(&target.exclude)?,
            mapping_rel: target
                .csv
                .as_ref()
                .and_then(|c| c.adf_mapping.as_ref())
                .map(|p| rel_string(p)),
            target,
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.target.name
    }

    /// Whether the file at `rel` is one of this target's item files.
    pub(crate) fn selects(&self, rel: &str) -> bool {
        self.mapping_rel.as_deref() != Some(rel)
            && self.include.iter().any(|g| g.matches(rel))
            && !self.exclude.iter().any(|g| g.matches(rel))
    }

    /// What the planner and the access package say about this target.
    pub(crate) fn info(&self) -> TargetInfo {
        let t = &self.target;
        let what = match t.format {
            FileFormat::Lines => "log files",
            FileFormat::Csv => "CSV files",
            FileFormat::FreeText => "free-text notes",
        };
        TargetInfo {
            connector: "files".to_owned(),
            name: t.name.clone(),
            strategy: self.strategy.clone(),
            description: t
                .description
                .clone()
                .unwrap_or_else(|| format!("{what} kept in a folder ({})", t.name)),
            purposes: t.purposes.clone(),
            recipients: t.recipients.clone(),
            retention: t
                .retention
                .clone()
                .unwrap_or_else(|| "not stated in the configuration".to_owned()),
            caveats: Vec::new(),
            manual_for: Vec::new(),
        }
    }
}

/// A relative path as globs and reports see it: components joined by `/`.
pub(crate) fn rel_string(path: &std::path::Path) -> String {
    path.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}
