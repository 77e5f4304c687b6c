//! lethe's own store. One [`Store`] trait, two backends: SQLite (default,
//! one process, zero set-up) and PostgreSQL (several lethe processes).
//!
//! Every status change and its audit event are written in one transaction,
//! so the audit chain never misses a change and never records one that did
//! not happen. Identifiers are stored in clear only so that later discovery
//! can search for them; they are destroyed after the request's retention.

mod audit;
mod backend;
mod error;
mod model;
mod postgres;
mod rows;
mod sql;
mod sqlite;

pub use audit::{chain_hash, AuditBreak, AuditBreakKind, AuditKey, AuditVerification};
pub use error::StoreError;
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use uuid::Uuid;

/// The operations the API, the CLI and (later) the workers need from the store.
///
/// Held as `Arc<dyn Store>` in the application state.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is ("sqlite" or "postgres"), for `/readyz` and logs.
    fn backend(&self) -> &'static str;

    /// Cheap liveness query for `/readyz`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Creates a request with its identifiers and its `request.created` audit
    /// event in one transaction.
    ///
    /// With an idempotency claim: the first call with a key creates the request
    /// and stores `respond(&record)` as the response; a later call with the same
    /// (actor, key) and the same fingerprint gets `Replayed` with that stored
    /// response and creates nothing; the same key with another fingerprint gets
    /// `KeyReused`. Concurrent duplicates are serialised by the key's uniqueness.
    async fn create_request(
        &self,
        new: NewRequest,
        idempotency: Option<IdempotencyClaim>,
        audit: AuditEntry,
        // `for<'r>` is spelled out because `#[async_trait]` would otherwise
        // name the elided lifetime as a method parameter, and no
        // implementation could call `respond` with a record of its own.
        respond: &(dyn for<'r> Fn(&'r RequestRecord) -> serde_json::Value + Send + Sync),
    ) -> Result<CreateOutcome, StoreError>;

    /// One request with its identifiers (hashes, hints) and step counts.
    async fn get_request(&self, id: Uuid) -> Result<Option<RequestRecord>, StoreError>;

    /// A page of requests, newest first, filtered.
    async fn list_requests(
        &self,
        filter: &RequestFilter,
    ) -> Result<Page<RequestRecord>, StoreError>;

    /// Applies a lifecycle event through the domain state machine, atomically
    /// with its audit event. Fails with `StoreError::NotFound` or
    /// `StoreError::Illegal` (the domain's `IllegalTransition`), writing nothing.
    async fn transition(&self, id: Uuid, change: StatusChange)
        -> Result<RequestRecord, StoreError>;

    /// Moves `due_at` later (Art. 12(3)), bounded by the original due date
    /// plus two months; records the reason and an audit event.
    async fn extend(&self, id: Uuid, extension: Extension) -> Result<RequestRecord, StoreError>;

    /// Audit events in sequence order, optionally for one request.
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError>;

    /// Walks the whole chain and checks every link; the first break is named.
    async fn verify_audit(&self) -> Result<AuditVerification, StoreError>;
}
