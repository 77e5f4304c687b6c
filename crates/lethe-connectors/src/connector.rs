//! The [`Connector`] trait: how the workers drive any store. Every call takes
//! a **batch** of subjects for one target, because the expensive part of
//! every store is the scan (a log tree, a table, an index) and one scan can
//! serve many requests (SPEC §7).
//!
//! Results come back in batch order, one per subject. Nothing returned here
//! goes to logs or audit as is: [`Finding::places`] and counts are safe to
//! show; [`Proposal`] values and [`Export::records`] are personal data and
//! are stored only where the subject's own identifiers are stored.

use async_trait::async_trait;
use lethe_domain::{IdentifierKind, Subject, TargetInfo};

/// One subject of a batch and what the step may do with weak matches.
#[derive(Debug, Clone)]
pub struct BatchSubject {
    /// The identifiers to search (given and accepted ones).
    pub subject: Subject,
    /// Whether items matched by a name only are erased too (policy, or an
    /// approver said so). Discovery always reports them, as `weak`.
    pub include_weak: bool,
}

impl BatchSubject {
    /// The subjects of a batch, in batch order.
    pub fn subjects(batch: &[BatchSubject]) -> Vec<Subject> {
        batch.iter().map(|b| b.subject.clone()).collect()
    }
}

/// What discovery (and verification, which re-runs it) found for one subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finding {
    /// Items (lines, rows, documents) with a strong match: an email, phone,
    /// account number, user id or directory account of the subject.
    pub matched: u64,
    /// Items matched by a name only: reported, not erased unless allowed.
    pub weak: u64,
    /// Where, without personal data: a relative file path, a table, an index.
    pub places: Vec<Place>,
    /// Identifiers found next to the subject's that the subject did not
    /// give (a second phone in the same directory row).
    pub proposed: Vec<Proposal>,
    /// Work only a person can do, found beside the matches (a recording
    /// stored where lethe may not delete it). Erasure plans a manual step
    /// for them.
    pub follow_ups: Vec<FollowUp>,
}

/// One thing a person must do, in words for that person. Personal data (a
/// recording's path holds the caller's number): stored with the request's
/// step results like export records, never logged; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct FollowUp(pub String);

impl std::fmt::Debug for FollowUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FollowUp(..)")
    }
}

impl Finding {
    /// Items that erasure must remove for this subject: the strong ones,
    /// plus the weak ones when they are included.
    pub fn to_erase(&self, include_weak: bool) -> u64 {
        self.matched + if include_weak { self.weak } else { 0 }
    }
}

/// Matches in one place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Place {
    /// A label that holds no personal data (file path relative to the
    /// target's root, table name, index name).
    pub place: String,
    /// Items with a strong match.
    pub items: u64,
    /// Items with a name-only match.
    pub weak: u64,
}

/// An identifier discovery suggests adding to the subject. `Debug` hides
/// the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Proposal {
    pub kind: IdentifierKind,
    /// Raw value as found (parse it before use).
    pub value: String,
}

impl std::fmt::Debug for Proposal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proposal")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What export found for one subject: the items themselves, each a JSON
/// object naming its place and position (`{"place","line","content"}` for a
/// file). Personal data: goes into the access package only.
#[derive(Clone, Default, PartialEq)]
pub struct Export {
    pub records: Vec<serde_json::Value>,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("records", &self.records.len())
            .finish()
    }
}

/// What erasure did for one subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    /// Items changed by this call (deleted, anonymised or redacted). A
    /// re-run after a crash finds the work done and reports 0: count what
    /// was erased as found minus remaining, not by adding these up.
    pub affected: u64,
}

/// Whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// The store is down, busy, or unreadable for now: retry with backoff.
    Transient,
    /// Bad configuration, a malformed file, refused access: retrying the
    /// same call gives the same result.
    Permanent,
}

/// A connector failure. `message` must hold no personal data: it is stored
/// on the step and shown to officers. Name the place, never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectorError {
    pub class: RetryClass,
    pub message: String,
}

impl ConnectorError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            class: RetryClass::Transient,
            message: message.into(),
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            class: RetryClass::Permanent,
            message: message.into(),
        }
    }
}

/// A store lethe can search, export from and erase in.
///
/// Every method must be idempotent: a worker killed mid-call re-runs it.
/// Erasure in particular must leave the target consistent at every instant
/// (atomic per item) and do nothing the second time.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// The connector kind (`files`); the first half of a target key.
    fn kind(&self) -> &'static str;

    /// The targets this connector instance serves, as the planner sees them.
    fn targets(&self) -> Vec<TargetInfo>;

    /// Finds every subject of `batch` in `target`: one result per subject,
    /// in batch order.
    async fn discover(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError>;

    /// Returns every item of each subject in `target`.
    async fn export(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError>;

    /// Applies the target's strategy to every item of each subject.
    async fn erase(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError>;

    /// Re-runs discovery after erasure. A connector whose discovery reads
    /// through a cache must override this to read the store itself.
    async fn verify(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        self.discover(target, batch).await
    }
}
