//! The `elasticsearch` connector: documents in Elasticsearch 7/8 and
//! OpenSearch over the REST API (reqwest on rustls), first of all the
//! MiCC-B archive indices of data-map.md A3.
//!
//! Groundwork for issue 7: target declarations ([`EsTarget`]) and
//! discovery. Export and erasure are not implemented yet and answer a
//! permanent error.
//!
//! Discovery runs one `_search` per target (index pattern) per batch: a
//! `bool.should` of `terms` on the keyword identifier fields (normalised
//! variants) and `match_phrase` on the free-text fields for each variant,
//! paged with `search_after` on the target's keyword id field (never
//! `_id`, which Elasticsearch 8 refuses to sort on). Hits are attributed to
//! subjects in Rust with the files [`Matcher`](crate::files::Matcher) over
//! the document's declared field values, so a match is strong only when an
//! identifier other than a name really appears.

mod connector;
pub mod presets;
mod target;

pub use connector::ElasticsearchConnector;
pub use target::EsTarget;
