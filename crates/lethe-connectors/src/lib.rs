//! lethe's connectors: how one data subject is found and erased in each store
//! of the Mitel estate.
//!
//! For now only the core of the `files` connector lives here: a matcher that
//! finds many subjects' identifiers in one pass over a line, line redaction,
//! and a crash-safe in-place rewrite of (optionally gzipped) text files. The
//! `Connector` trait that ties these to plans and steps comes later.

mod error;
pub mod files;

pub use error::Error;
