//! Targets and strategies (SPEC §5): what a connector holds and what erasure
//! means for it. Plain data shared by the catalog, the planner, the workers
//! and the evidence; no IO.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::RequestKind;

/// What erasure does to a target's matching items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Strategy {
    /// Remove the row, document, line or file entry.
    Delete,
    /// Overwrite the personal fields, keeping the item so reports add up.
    Anonymise {
        /// What the personal fields become.
        with: Replacement,
    },
    /// Replace matched identifiers inside free text or log lines with a token.
    Redact,
    /// Keep, for a documented legal ground (e.g. "billing records, 6 years,
    /// HMRC"). Nothing is erased; the report says why.
    Retain {
        /// The legal ground, shown in the plan and the erasure report.
        ground: String,
    },
}

impl Strategy {
    /// The strategy's name as it appears in configuration and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Anonymise { .. } => "anonymise",
            Self::Redact => "redact",
            Self::Retain { .. } => "retain",
        }
    }

    /// True when erasure changes nothing (the target is kept on purpose).
    pub fn is_retain(&self) -> bool {
        matches!(self, Self::Retain { .. })
    }
}

/// What an anonymised field is overwritten with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Replacement {
    /// SQL NULL, an absent JSON field, an empty CSV field.
    Null,
    /// A fixed token such as `[ERASED]`.
    Token(String),
    /// A keyed pseudonym of the value (HMAC), so rows of one person still
    /// group together in reports without naming them.
    Pseudonym,
}

/// A target as the planner and the evidence see it: where, how it is
/// erased, and the Art. 15(1) facts an access package must state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TargetInfo {
    /// Connector kind: `files`, `postgres`, `mssql`, `elasticsearch`, ...
    pub connector: String,
    /// Target name, unique within its connector (`console-logs`).
    pub name: String,
    /// What erasure does here.
    pub strategy: Strategy,
    /// What the store is, in words a data subject understands.
    pub description: String,
    /// Why the data is processed (Art. 15(1)(a)).
    pub purposes: Vec<String>,
    /// Who receives it (Art. 15(1)(c)).
    pub recipients: Vec<String>,
    /// How long it is kept, or the criteria (Art. 15(1)(d)).
    pub retention: String,
    /// What erasure here cannot reach (snapshots, replicas, copies kept
    /// elsewhere), stated in every plan and erasure report so nobody
    /// mistakes "verified" for "gone everywhere".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<String>,
    /// Request kinds for which this target is a step done by a person
    /// (empty: an automated target). Some stores have no API (a bot
    /// vendor's history, backups, a third party's copy): lethe plans a
    /// `manual` step there instead of discover/export/erase, and an
    /// approver confirms or declines it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual_for: Vec<RequestKind>,
}

impl TargetInfo {
    /// True when a person does the work here for some request kind; such
    /// a target is never discovered, exported or erased by a worker.
    pub fn is_manual(&self) -> bool {
        !self.manual_for.is_empty()
    }

    /// `connector:name`, the target's key in step keys and reports.
    pub fn key(&self) -> String {
        format!("{}:{}", self.connector, self.name)
    }
}
