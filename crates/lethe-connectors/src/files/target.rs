//! How an operator declares a file target in `lethe.toml` (`[[files]]`),
//! and the built-in presets for the file stores of the Mitel estate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lethe_domain::{IdentifierKind, Replacement, Strategy};
use serde::Deserialize;

use super::glob::Glob;

/// One file target: a directory tree, which files in it, how they are laid
/// out, and what erasure does to a matching item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTarget {
    /// Unique among file targets; appears in step keys and reports.
    pub name: String,
    /// The directory searched. Places in reports are relative to it.
    pub root: PathBuf,
    /// Globs relative to `root` (`**/*.log`, `**/*.log.gz`); a file matching
    /// any of them is searched unless it matches an `exclude` glob.
    #[serde(default = "everything")]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// How items are laid out in the files.
    pub format: FileFormat,
    /// What erasure does: `redact` (lines, free text; CSV: identifier hits
    /// in the row), `delete` (lines or rows), `anonymise` (CSV: blank or
    /// overwrite the identifier and free-text columns), `retain`.
    pub strategy: StrategyName,
    /// With `anonymise`: `null` (empty field, the default), `token`, or
    /// `pseudonym`.
    #[serde(default)]
    pub anonymise_with: Option<ReplacementName>,
    /// The token for `redact` and for `anonymise_with = "token"`.
    #[serde(default)]
    pub token: Option<String>,
    /// With `retain`: the legal ground, required.
    #[serde(default)]
    pub retain_ground: Option<String>,
    /// CSV layout, for `format = "csv"`.
    #[serde(default)]
    pub csv: Option<CsvLayout>,
    /// Art. 15(1) facts for the access package.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default)]
    pub retention: Option<String>,
}

pub(crate) fn everything() -> Vec<String> {
    vec!["**/*".to_owned()]
}

/// How items are laid out in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// One item per line (logs). `.gz` files are read and written as gzip.
    Lines,
    /// CSV with a header line; an item is a row.
    Csv,
    /// Free text (scratch pad): never parsed, only matched; an item is a line.
    FreeText,
}

/// The strategy as written in configuration; see [`FileTarget::strategy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    Delete,
    Anonymise,
    Redact,
    Retain,
}

/// See [`FileTarget::anonymise_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementName {
    Null,
    Token,
    Pseudonym,
}

/// Columns of a CSV target. Matching always runs over the whole row, so an
/// identifier in an unexpected column is still found; the columns say what
/// `anonymise` overwrites and where discovery looks for identifiers to
/// propose.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvLayout {
    /// Column holding the row's key (ADF `Unique ID`, comments `UniqueID`):
    /// exports name rows by it.
    #[serde(default)]
    pub key_column: Option<String>,
    /// Identifier kinds per column header.
    #[serde(default)]
    pub columns: BTreeMap<String, Vec<IdentifierKind>>,
    /// Columns of free text: redacted, not blanked, under `anonymise`.
    #[serde(default)]
    pub free_text: Vec<String>,
    /// An ADF mapping file (five lines; data tags on the fifth) beside the
    /// data: its tags add to `columns` (`NUM` phone, `EMAIL` email, `LN`/`FN`/
    /// `TDN` name, `TEXT` free text). Relative to `root`.
    #[serde(default)]
    pub adf_mapping: Option<PathBuf>,
}

impl FileTarget {
    /// The strategy this declaration means, or what is missing from it.
    pub fn strategy(&self) -> Result<Strategy, String> {
        let token = || self.token.clone().unwrap_or_else(|| "[ERASED]".to_owned());
        Ok(match self.strategy {
            StrategyName::Delete => Strategy::Delete,
            StrategyName::Redact => Strategy::Redact,
            StrategyName::Anonymise => Strategy::Anonymise {
                with: match self.anonymise_with.unwrap_or(ReplacementName::Null) {
                    ReplacementName::Null => Replacement::Null,
                    ReplacementName::Token => Replacement::Token(token()),
                    ReplacementName::Pseudonym => Replacement::Pseudonym,
                },
            },
            StrategyName::Retain => Strategy::Retain {
                ground: self
                    .retain_ground
                    .clone()
                    .filter(|g| !g.trim().is_empty())
                    .ok_or_else(|| {
                        format!(
                            "file target `{}`: strategy `retain` needs `retain_ground` (the legal ground)",
                            self.name
                        )
                    })?,
            },
        })
    }
}

impl FileTarget {
    /// Checks everything that can be checked without touching the disk, so
    /// a bad declaration stops lethe at startup instead of failing a step
    /// weeks later. Each message names the target and says what to change.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if name.trim().is_empty() || name.contains(|c: char| c.is_whitespace() || c == ':') {
            return Err(format!(
                "file target `{name}`: `name` must be non-empty, without spaces or `:` (it is part of step keys)"
            ));
        }
        if self.include.is_empty() {
            return Err(format!(
                "file target `{name}`: `include` is empty, so no file would be searched"
            ));
        }
        for glob in self.include.iter().chain(&self.exclude) {
            Glob::new(glob).map_err(|e| format!("file target `{name}`: {e}"))?;
        }
        self.strategy()?;
        let is_csv = self.format == FileFormat::Csv;
        if self.strategy == StrategyName::Anonymise && !is_csv {
            return Err(format!(
                "file target `{name}`: strategy `anonymise` overwrites CSV columns; lines and free text have none, use `redact` or `delete`"
            ));
        }
        if self.anonymise_with.is_some() && self.strategy != StrategyName::Anonymise {
            return Err(format!(
                "file target `{name}`: `anonymise_with` only applies to strategy `anonymise`; remove it or change the strategy"
            ));
        }
        if self.csv.is_some() && !is_csv {
            return Err(format!(
                "file target `{name}`: a `csv` layout is given but `format` is not `csv`"
            ));
        }
        if self.token.as_deref().is_some_and(|t| t.is_empty()) {
            return Err(format!(
                "file target `{name}`: `token` is empty; leave it out for the default `[REDACTED]`"
            ));
        }
        let mapping = self.csv.as_ref().and_then(|c| c.adf_mapping.as_ref());
        if mapping.is_some_and(|m| m.is_absolute()) {
            return Err(format!(
                "file target `{name}`: `csv.adf_mapping` must be relative to `root`"
            ));
        }
        Ok(())
    }

    /// The token written over an identifier by `redact` (and inside
    /// free-text columns by `anonymise`).
    pub fn redact_token(&self) -> Vec<u8> {
        self.token
            .as_deref()
            .map_or_else(|| super::DEFAULT_TOKEN.to_vec(), |t| t.as_bytes().to_vec())
    }
}
