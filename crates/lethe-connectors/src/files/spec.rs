//! [`FileTargetSpec`]: a `[[files]]` table of `lethe.toml` as written, a
//! preset name plus overrides, resolved into a [`FileTarget`].

use std::path::PathBuf;

use serde::Deserialize;

use super::presets::{preset, PRESET_NAMES};
use super::target::{everything, CsvLayout, FileFormat, FileTarget, ReplacementName, StrategyName};
use crate::spec::required_without_preset;

/// A `[[files]]` table: every field optional. With `preset`, the preset's
/// declaration is the starting point and each given field replaces the
/// preset's value (`csv` as a whole); `name` defaults to the preset's name.
/// Without `preset`, `name`, `root`, `format` and `strategy` are required.
/// `root` is always required: no preset knows where the files are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTargetSpec {
    pub preset: Option<String>,
    pub name: Option<String>,
    pub root: Option<PathBuf>,
    pub include: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub format: Option<FileFormat>,
    pub strategy: Option<StrategyName>,
    pub anonymise_with: Option<ReplacementName>,
    pub token: Option<String>,
    pub retain_ground: Option<String>,
    pub csv: Option<CsvLayout>,
    pub description: Option<String>,
    pub purposes: Option<Vec<String>>,
    pub recipients: Option<Vec<String>>,
    pub retention: Option<String>,
}

impl FileTargetSpec {
    /// A spec for `preset` rooted at `root`, nothing overridden.
    pub fn preset(preset: &str, root: impl Into<PathBuf>) -> Self {
        Self {
            preset: Some(preset.to_owned()),
            root: Some(root.into()),
            ..Self::default()
        }
    }

    /// The declaration this table means, validated
    /// ([`FileTarget::validate`]). Errors name the table and say what to fix.
    pub fn resolve(self) -> Result<FileTarget, String> {
        let mut target = match &self.preset {
            Some(p) => preset(p).ok_or_else(|| {
                format!(
                    "unknown file preset `{p}`; known presets: {}",
                    PRESET_NAMES.join(", ")
                )
            })?,
            None => {
                required_without_preset(
                    "files",
                    &[
                        ("name", self.name.is_none()),
                        ("root", self.root.is_none()),
                        ("format", self.format.is_none()),
                        ("strategy", self.strategy.is_none()),
                    ],
                )?;
                FileTarget {
                    name: String::new(),
                    root: PathBuf::new(),
                    include: everything(),
                    exclude: Vec::new(),
                    format: FileFormat::Lines,
                    strategy: StrategyName::Redact,
                    anonymise_with: None,
                    token: None,
                    retain_ground: None,
                    csv: None,
                    description: None,
                    purposes: Vec::new(),
                    recipients: Vec::new(),
                    retention: None,
                }
            }
        };
        let label = self.name.clone().unwrap_or_else(|| target.name.clone());
        let Some(root) = self.root else {
            return Err(format!(
                "file target `{label}`: `root` is required (the folder to search)"
            ));
        };
        target.root = root;
        let csv_given = self.csv.is_some();
        override_with(&mut target.name, self.name);
        override_with(&mut target.include, self.include);
        override_with(&mut target.exclude, self.exclude);
        override_with(&mut target.format, self.format);
        override_with(&mut target.strategy, self.strategy);
        override_with(&mut target.purposes, self.purposes);
        override_with(&mut target.recipients, self.recipients);
        target.anonymise_with = self.anonymise_with.or(target.anonymise_with);
        target.token = self.token.or(target.token);
        target.retain_ground = self.retain_ground.or(target.retain_ground);
        target.csv = self.csv.or(target.csv);
        target.description = self.description.or(target.description);
        target.retention = self.retention.or(target.retention);
        if target.format != FileFormat::Csv && !csv_given {
            // A preset's CSV layout does not apply once the format changes.
            target.csv = None;
        }
        target.validate()?;
        Ok(target)
    }
}

fn override_with<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}
