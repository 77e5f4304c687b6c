//! The `files` connector core: console logs, ADF directory CSVs, comments
//! files and scratch pads (data-map.md A6) hold identifiers in free text, so
//! they are searched by identifier match, never parsed.
//!
//! - [`matcher`]: one Aho-Corasick automaton over every variant of every
//!   subject in a batch, with phone separators and word boundaries handled.
//! - [`redact`]: replace each hit in a line with a fixed token.
//! - [`rewrite`]: stream a file line by line and replace it atomically,
//!   keeping line endings, permissions, gzip, and lines appended meanwhile.

pub mod matcher;
pub mod redact;
pub mod rewrite;
mod squeeze;
pub mod target;

pub use matcher::{Hit, Matcher, Pattern};
pub use redact::{redact_line, DEFAULT_TOKEN};
pub use rewrite::{rewrite_file, LineOutcome, RewriteStats};
pub use target::{CsvLayout, FileFormat, FileTarget, ReplacementName, StrategyName};
