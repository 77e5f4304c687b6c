//! The `files` connector core: console logs, ADF directory CSVs, comments
//! files and scratch pads (data-map.md A6) hold identifiers in free text, so
//! they are searched by identifier match, never parsed.
//!
//! - [`matcher`]: one Aho-Corasick automaton over every variant of every
//!   subject in a batch, with phone separators and word boundaries handled.
//! - [`redact`]: replace each hit in a line with a fixed token.
//! - [`rewrite`]: stream a file line by line and replace it atomically,
//!   keeping line endings, permissions, gzip, and lines appended meanwhile.

mod aliases;
mod call;
mod compiled;
mod connector;
mod csv_edit;
mod csv_file;
mod csv_layout;
mod csv_rows;
pub mod demo;
mod demo_stores;
mod demo_text;
mod failure;
mod glob;
mod leftovers;
mod line_file;
mod linebuf;
mod marks;
pub mod matcher;
mod pool;
pub mod presets;
pub mod recordings;
pub mod redact;
pub mod rewrite;
mod spec;
mod squeeze;
pub mod target;
mod walk;

pub use connector::FilesConnector;
pub use csv_file::redact_csv_file;
pub use demo::{write_demo_estate, DemoEstate, DemoSubject};
pub use matcher::{Hit, Matcher, Pattern};
pub use redact::{redact_line, DEFAULT_TOKEN};
pub use rewrite::{rewrite_file, LineOutcome, RewriteStats};
pub use spec::FileTargetSpec;
pub use target::{CsvLayout, FileFormat, FileTarget, ReplacementName, StrategyName};
