//! The crate's one error type. Variants are chosen by what the caller can do
//! about them, not by which library raised them.

/// Everything a connector can fail with that is not plain file IO (rewrites
/// return `std::io::Error`, which callers already know how to classify).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The identifier automaton could not be built, e.g. the patterns exceed
    /// the automaton's size limits. Permanent for this batch: split the batch
    /// into fewer subjects and retry.
    #[error("cannot build the identifier matcher: {0}")]
    MatcherBuild(String),
}
