//! The `elasticsearch` connector: documents in Elasticsearch 7/8 and
//! OpenSearch over the REST API (reqwest on rustls), first of all the
//! MiCC-B archive indices of data-map.md A3: contacts, message and voice
//! interactions, cases, Active Directory copies.
//!
//! - [`EsTarget`]: one index pattern, its identifier fields (keyword,
//!   dotted paths through arrays of objects), its free-text fields, its
//!   parties and its strategy; [`presets`] for the five index families.
//! - Discovery: one `_search` per slice of a batch, `terms` on keyword
//!   fields and phrase queries over the free text, paged with the scroll
//!   API; hits are attributed to subjects with the files
//!   [`Matcher`](crate::files::Matcher), so "strong" and "weak" mean the
//!   same here as in every other store.
//! - Erasure: `_bulk` `delete` or partial `update`, guarded by
//!   `if_seq_no`/`if_primary_term`, 409s re-read and retried; verify
//!   refreshes, then searches again.
//!
//! Snapshots and ILM keep old copies of documents that no delete reaches;
//! every Elasticsearch target says so in its description, and a target
//! marked `snapshotted` gets a manual purge step in the plan.

mod client;
mod connector;
mod document;
pub mod presets;
mod query;
mod scan;
mod spec;
mod target;

pub use connector::{ElasticsearchConnector, WriteHook};
pub use spec::EsTargetSpec;
pub use target::{EsAuth, EsConnection, EsTarget};
