//! [`SqlTarget`]: one table as lethe sees it, whatever the database: its
//! key, which columns hold which identifiers, which hold free text, which
//! columns belong to one person (a "party" of the row), and what erasure
//! does. Shared by the `postgres` connector and, later, `mssql`.

use std::collections::BTreeMap;

use lethe_domain::{IdentifierKind, Replacement, Strategy, TargetInfo};
use serde::Deserialize;

use super::ident::{Ident, TableName};
pub use crate::files::target::{ReplacementName, StrategyName};

/// The token `anonymise_with = "token"` writes unless `token` is set.
pub const ANONYMISE_TOKEN: &str = "[ERASED]";
/// The token `redact` writes over an identifier unless `token` is set.
pub const REDACT_TOKEN: &str = "[REDACTED]";

/// One table target.
///
/// A row is an item. A row matches a subject when a declared column holds
/// one of the subject's identifiers (compared on a normalised form: digits
/// for phones, case-folded for emails, names and accounts) or a free-text
/// column mentions one. It is a *strong* match when any identifier other
/// than a name matched, *weak* when only names did.
///
/// Erasure per strategy, on the rows of each subject (weak rows only when
/// the subject's step includes them):
/// - `anonymise`: every identifier column of each **party** holding a match
///   is overwritten (`anonymise_with`, per column `replace`), and free-text
///   columns are redacted; every other column (times, durations, counters)
///   is left as it was, so reports still add up.
/// - `redact`: only the matching identifier columns become the token, and
///   free-text columns are redacted.
/// - `delete`: the row is deleted.
/// - `retain`: nothing changes; `retain_ground` is reported.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlTarget {
    /// Unique among the connector's targets; part of step keys.
    pub name: String,
    /// The table, `schema.table` or `table`.
    pub table: TableName,
    /// A column that identifies a row (the primary key): updates and
    /// deletes address rows by it.
    pub key: String,
    /// Identifier kinds per column: `{ caller_number = ["phone"] }`.
    #[serde(default)]
    pub columns: BTreeMap<String, Vec<IdentifierKind>>,
    /// Columns of free text, searched for every identifier of the subject
    /// and redacted in place.
    #[serde(default)]
    pub free_text: Vec<String>,
    /// Identifier columns that describe one person of the row (a call has
    /// a caller, a called party, a transfer target, an operator). Anonymise
    /// overwrites the whole party of a matching column and nothing of the
    /// other parties; proposals come from the same party. Columns not
    /// listed are a party of their own; with no `parties` at all, every
    /// identifier column is one party (the whole row is one person).
    #[serde(default)]
    pub parties: Vec<Vec<String>>,
    /// Non-personal columns copied into each exported row so the person
    /// can see what the row was (call times, duration, direction).
    #[serde(default)]
    pub context: Vec<String>,
    /// `anonymise` (default in presets), `redact`, `delete` or `retain`.
    pub strategy: StrategyName,
    /// With `anonymise`: `null` (default), `token` or `pseudonym`.
    #[serde(default)]
    pub anonymise_with: Option<ReplacementName>,
    /// Per-column replacement overriding `anonymise_with`:
    /// `{ operator_login = "pseudonym" }` (for a NOT NULL column, `token`).
    #[serde(default)]
    pub replace: BTreeMap<String, ReplacementName>,
    /// Token for `token` replacements (default `[ERASED]`) and redaction
    /// (default `[REDACTED]`).
    #[serde(default)]
    pub token: Option<String>,
    /// With `retain`: the legal ground, required.
    #[serde(default)]
    pub retain_ground: Option<String>,
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

impl SqlTarget {
    /// The strategy this declaration means, or what is missing from it.
    pub fn strategy(&self) -> Result<Strategy, String> {
        Ok(match self.strategy {
            StrategyName::Delete => Strategy::Delete,
            StrategyName::Redact => Strategy::Redact,
            StrategyName::Anonymise => Strategy::Anonymise {
                with: self.replacement(self.anonymise_with.unwrap_or(ReplacementName::Null)),
            },
            StrategyName::Retain => Strategy::Retain {
                ground: self
                    .retain_ground
                    .clone()
                    .filter(|g| !g.trim().is_empty())
                    .ok_or_else(|| {
                        format!(
                            "table target `{}`: strategy `retain` needs `retain_ground` (the legal ground)",
                            self.name
                        )
                    })?,
            },
        })
    }

    /// What `name` means for this target's columns.
    pub fn replacement(&self, name: ReplacementName) -> Replacement {
        match name {
            ReplacementName::Null => Replacement::Null,
            ReplacementName::Token => Replacement::Token(
                self.token
                    .clone()
                    .unwrap_or_else(|| ANONYMISE_TOKEN.to_owned()),
            ),
            ReplacementName::Pseudonym => Replacement::Pseudonym,
        }
    }

    /// The replacement of identifier column `column` under `anonymise`.
    pub fn column_replacement(&self, column: &str) -> Replacement {
        let name = self
            .replace
            .get(column)
            .copied()
            .or(self.anonymise_with)
            .unwrap_or(ReplacementName::Null);
        self.replacement(name)
    }

    /// The token written over identifiers in free text and, under
    /// `redact`, over matching identifier columns.
    pub fn redact_token(&self) -> &str {
        self.token.as_deref().unwrap_or(REDACT_TOKEN)
    }

    /// True when some column is overwritten with keyed pseudonyms.
    pub fn wants_pseudonyms(&self) -> bool {
        self.strategy == StrategyName::Anonymise
            && self
                .columns
                .keys()
                .any(|c| self.column_replacement(c) == Replacement::Pseudonym)
    }

    /// Checks everything that can be checked without the database, so a
    /// bad declaration stops lethe at startup. Each message names the
    /// target and says what to change.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        let err = |what: String| Err(format!("table target `{name}`: {what}"));
        if name.trim().is_empty() || name.contains(|c: char| c.is_whitespace() || c == ':') {
            return err(
                "`name` must be non-empty, without spaces or `:` (it is part of step keys)".into(),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for column in std::iter::once(&self.key)
            .chain(self.columns.keys())
            .chain(&self.free_text)
            .chain(&self.context)
        {
            if let Err(e) = Ident::parse(column) {
                return err(format!("column {e}"));
            }
            if seen.contains(&column.as_str()) {
                return err(format!(
                    "column `{column}` is listed twice (key, columns, free_text and context are distinct)"
                ));
            }
            seen.push(column);
        }
        if self.columns.is_empty() && self.free_text.is_empty() {
            return err(
                "declare at least one identifier column (`columns`) or `free_text` column".into(),
            );
        }
        if self.columns.len() + self.free_text.len() > 63 {
            return err("at most 63 identifier and free-text columns per table".into());
        }
        for (column, kinds) in &self.columns {
            if kinds.is_empty() {
                return err(format!("column `{column}` lists no identifier kind"));
            }
        }
        let mut in_party: Vec<&str> = Vec::new();
        for party in &self.parties {
            for column in party {
                if !self.columns.contains_key(column) {
                    return err(format!(
                        "party column `{column}` is not an identifier column (`columns`)"
                    ));
                }
                if in_party.contains(&column.as_str()) {
                    return err(format!("column `{column}` is in two parties"));
                }
                in_party.push(column);
            }
        }
        for column in self.replace.keys() {
            if !self.columns.contains_key(column) {
                return err(format!(
                    "`replace` names `{column}`, which is not an identifier column (`columns`)"
                ));
            }
        }
        self.strategy()?;
        if self.strategy != StrategyName::Anonymise
            && (self.anonymise_with.is_some() || !self.replace.is_empty())
        {
            return err(
                "`anonymise_with` and `replace` only apply to strategy `anonymise`; remove them or change the strategy"
                    .into(),
            );
        }
        if self.token.as_deref().is_some_and(str::is_empty) {
            return err("`token` is empty; leave it out for the default".into());
        }
        Ok(())
    }

    /// The party index of each identifier column, in `columns` order.
    pub(crate) fn party_of(&self) -> Vec<usize> {
        let whole_row = self.parties.is_empty();
        let mut next = self.parties.len();
        self.columns
            .keys()
            .map(|c| {
                if whole_row {
                    return 0;
                }
                self.parties
                    .iter()
                    .position(|p| p.contains(c))
                    .unwrap_or_else(|| {
                        next += 1;
                        next
                    })
            })
            .collect()
    }

    /// What the planner and the access package say about this target.
    pub fn info(&self, connector: &str, strategy: Strategy) -> TargetInfo {
        TargetInfo {
            connector: connector.to_owned(),
            name: self.name.clone(),
            strategy,
            description: self
                .description
                .clone()
                .unwrap_or_else(|| format!("rows of the database table {}", self.table)),
            purposes: self.purposes.clone(),
            recipients: self.recipients.clone(),
            retention: self
                .retention
                .clone()
                .unwrap_or_else(|| "not stated in the configuration".to_owned()),
            caveats: Vec::new(),
            manual_for: Vec::new(),
        }
    }
}
