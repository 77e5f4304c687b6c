//! Integration tests of lethe-evidence: the access package opened with a
//! real zip reader, the erasure report's arithmetic, HTML escaping of
//! hostile estate content, and determinism.

mod access;
mod fixtures;
mod report;
