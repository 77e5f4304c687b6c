//! [`EsTarget`]: one index pattern and how the subject appears in it.

use std::collections::BTreeMap;

use lethe_domain::{IdentifierKind, Strategy, TargetInfo};

/// A declared Elasticsearch target.
#[derive(Debug, Clone, PartialEq)]
pub struct EsTarget {
    /// Target name, unique within the connector (`micc-contacts`).
    pub name: String,
    /// Index pattern, alias or comma-separated list (`micc-cases-*`).
    pub index: String,
    /// A keyword field unique per document, used to page with
    /// `search_after` (sorting on `_id` is refused by Elasticsearch 8).
    pub id_field: String,
    /// Keyword fields holding identifiers, by dotted path
    /// (`PhoneNumbers.Number`), and the kinds each may hold. Searched with
    /// `terms` on normalised variants.
    pub fields: BTreeMap<String, Vec<IdentifierKind>>,
    /// Analysed text fields (`Notes`, `Transcript.Text`), searched with
    /// `match_phrase` for every variant of every identifier.
    pub free_text: Vec<String>,
    /// What erasure does here.
    pub strategy: Strategy,
    /// Page size of discovery's `search_after` loop.
    pub page_size: usize,
    pub description: String,
    pub purposes: Vec<String>,
    pub recipients: Vec<String>,
    pub retention: String,
}

/// Default page size for `search_after`.
pub const DEFAULT_PAGE_SIZE: usize = 1000;

impl EsTarget {
    /// The target as the planner sees it.
    pub fn info(&self) -> TargetInfo {
        TargetInfo {
            connector: "elasticsearch".to_owned(),
            name: self.name.clone(),
            strategy: self.strategy.clone(),
            description: self.description.clone(),
            purposes: self.purposes.clone(),
            recipients: self.recipients.clone(),
            retention: self.retention.clone(),
        }
    }

    /// Every field whose values are read to attribute a hit: the
    /// structured ones, then the free-text ones.
    pub fn read_fields(&self) -> impl Iterator<Item = &str> {
        self.fields
            .keys()
            .map(String::as_str)
            .chain(self.free_text.iter().map(String::as_str))
    }
}
