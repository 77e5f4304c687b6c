//! lethe's own store. One [`Store`] trait, two backends: SQLite (default,
//! one process, zero set-up) and PostgreSQL (several lethe processes).
//!
//! Every status change and its audit event are written in one transaction,
//! so the audit chain never misses a change and never records one that did
//! not happen. Identifiers are stored in clear only so that later discovery
//! can search for them; they are destroyed after the request's retention.

mod audit;
mod backend;
mod callbacks;
mod error;
mod manual;
mod model;
mod postgres;
mod results;
pub mod retry;
mod rows;
mod signal;
mod sql;
mod sqlite;
mod steps;

pub use audit::{chain_hash, AuditBreak, AuditBreakKind, AuditKey, AuditVerification};
pub use error::StoreError;
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use std::time::Duration;

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

    /// Creates a request raised by a webhook delivery, like
    /// `create_request`, remembering `(source, delivery_id)` with the
    /// response in the same transaction: a later delivery with the same id
    /// gets `Replayed` with that response and creates nothing.
    async fn create_webhook_request(
        &self,
        new: NewRequest,
        delivery: DeliveryClaim,
        audit: AuditEntry,
        respond: &(dyn for<'r> Fn(&'r RequestRecord) -> serde_json::Value + Send + Sync),
    ) -> Result<CreateOutcome, StoreError>;

    /// Leases up to `limit` due callback events to `worker` for `lease`,
    /// at most one per request and never one whose earlier event of the
    /// same request is still pending, so each request's events are
    /// delivered in order. A lease that expires (a dispatcher that died)
    /// makes the event claimable again.
    async fn claim_callbacks(
        &self,
        worker: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedCallback>, StoreError>;

    /// Records one try at delivering an event and releases its lease:
    /// delivered, retried at a later time, or given up. Fenced on the
    /// claim: `false` (writing nothing) when `worker` no longer holds it.
    async fn record_callback(
        &self,
        event_id: Uuid,
        worker: &str,
        outcome: CallbackOutcome,
        duration: Duration,
    ) -> Result<bool, StoreError>;

    /// The callback events of a request in order, each with its tries.
    async fn list_callbacks(&self, request_id: Uuid) -> Result<Vec<CallbackRecord>, StoreError>;

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

    /// Inserts the steps of a plan, idempotent on `(request_id, step_key)`:
    /// a planner that runs twice (after a crash, or on re-planning) must not
    /// duplicate work against a live system. An existing step is left as it
    /// is. Returns the stored steps of those keys, in the order given.
    async fn insert_steps(
        &self,
        request_id: Uuid,
        steps: Vec<NewStep>,
    ) -> Result<Vec<StepRecord>, StoreError>;

    /// Leases up to `limit` due steps (oldest `run_at` first, optionally of
    /// one connector) to `worker` for `lease`, in one short transaction so
    /// no lock is held across a connector call.
    ///
    /// First rescues steps whose lease expired (a worker that died): their
    /// open attempt is closed as `lease_expired` and they become `retrying`
    /// (due now), or `failed` when out of attempts. Each claimed step's
    /// `attempt` is incremented and an attempt row is opened, so every try
    /// against a system is on record even if the worker never reports back.
    async fn claim_steps(
        &self,
        worker: &str,
        lease: Duration,
        limit: u32,
        connector: Option<&str>,
    ) -> Result<Vec<ClaimedStep>, StoreError>;

    /// Extends a lease to now + `lease` while `worker` still holds the step
    /// at `attempt`. `false` means the lease was lost (rescued and perhaps
    /// claimed by someone else): the worker should stop and report nothing.
    async fn heartbeat(
        &self,
        step_id: Uuid,
        worker: &str,
        attempt: i32,
        lease: Duration,
    ) -> Result<bool, StoreError>;

    /// `heartbeat` for many steps in one short transaction: a worker holding
    /// a whole round of steps renews them all well within a lease. Fenced
    /// on owner and `running`; returns the ids whose lease `worker` still
    /// held (and now extended); the others were lost.
    async fn heartbeat_steps(
        &self,
        worker: &str,
        step_ids: &[Uuid],
        lease: Duration,
    ) -> Result<Vec<Uuid>, StoreError>;

    /// Records how an attempt ended, fenced on (step, `running`, worker,
    /// attempt) so a worker that lost its lease cannot overwrite the result
    /// of the attempt that replaced it. `false` (writing nothing) when the
    /// fence does not hold.
    ///
    /// Transient errors go to `retrying` at `retry_at` until `max_attempts`,
    /// then `failed`; permanent errors fail at once. The lease is cleared,
    /// the attempt row closed, and a `step.<status>` audit event (keys,
    /// action, attempt and counts only, never the error text) is appended in
    /// the same transaction.
    async fn complete_step(
        &self,
        step_id: Uuid,
        worker: &str,
        attempt: i32,
        outcome: StepOutcome,
    ) -> Result<bool, StoreError>;

    /// Graceful shutdown: `worker`'s running steps go back to `pending`, due
    /// now, so another worker need not wait for the lease to expire. The
    /// attempt row is closed as `released` and the attempt counter is kept,
    /// because the attempt did start (and may have touched the system).
    async fn release_steps(&self, worker: &str) -> Result<u64, StoreError>;

    /// The steps of a request in plan order, each with its attempts.
    async fn list_steps(&self, request_id: Uuid) -> Result<Vec<StepRecord>, StoreError>;

    /// An operator's "try again": the request's failed steps go back to
    /// `pending`, due now. The attempt counter is kept (history is evidence)
    /// and `max_attempts` becomes `attempt + max_attempts`, which grants at
    /// least as many fresh attempts as the step had originally. Each step
    /// gets a `step.retried` audit event. Returns how many steps moved.
    async fn retry_failed_steps(&self, request_id: Uuid) -> Result<u64, StoreError>;

    /// A person finishes a manual step of a request: confirmed (the step
    /// `succeeded`) or declined (`skipped`), in one transaction with a
    /// `step.confirmed` / `step.declined` audit event. The step detail
    /// becomes `{"note", "decided_by", "decision"}`; the audit holds
    /// `finish.audit_data` (a keyed hash of the note, never the note).
    /// Moves the work signal so the orchestrator can close the request.
    ///
    /// `NotFound` for an unknown request, `StepNotFound` for an unknown
    /// key, `Closed` when the request is closed, `StepConflict` (naming
    /// the current status) when the step is not a manual step awaiting a
    /// person: a second confirm changes nothing.
    async fn finish_manual_step(
        &self,
        request_id: Uuid,
        step_key: &str,
        finish: ManualFinish,
    ) -> Result<StepRecord, StoreError>;

    /// The clear values discovery searches: given and accepted identifiers
    /// that were not destroyed, in submission order.
    async fn searched_values(&self, request_id: Uuid) -> Result<Vec<SearchedValue>, StoreError>;

    /// Records identifiers discovery found beside the subject's data, as
    /// proposals. One the request already holds (same hash) is skipped, so
    /// a re-run discovery proposes nothing twice. Returns how many were new.
    async fn propose_identifiers(
        &self,
        request_id: Uuid,
        proposals: Vec<NewProposal>,
    ) -> Result<u64, StoreError>;

    /// An approver accepts proposals by hash: from then on they are
    /// searched. All or nothing: a hash that is not a pending proposal of
    /// this request fails with `StoreError::NotFound` and accepts none.
    async fn accept_identifiers(
        &self,
        request_id: Uuid,
        hashes: &[String],
        actor: &str,
    ) -> Result<RequestRecord, StoreError>;

    /// Exported records of a request: (step key, payload), in plan order.
    async fn step_outputs(
        &self,
        request_id: Uuid,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError>;

    /// Deletes a request's exports (the access package expired). Returns
    /// how many were deleted.
    async fn purge_outputs(&self, request_id: Uuid) -> Result<u64, StoreError>;

    /// Retention (SPEC §8): destroys the clear identifier values of every
    /// request that closed (completed, cancelled or rejected) before
    /// `closed_before`, keeping hashes and hints, with one
    /// `identifiers.destroyed` audit event per request. Returns how many
    /// values were destroyed. A failed request is not closed: it may be
    /// retried, which needs the values.
    async fn destroy_identifiers(
        &self,
        closed_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError>;

    /// A counter that moves whenever work may have become due: a request
    /// created, a status changed, steps planned, retried or released, in
    /// this process or (PostgreSQL, via `LISTEN/NOTIFY`) in any other.
    /// Workers wait on it instead of sleeping; it never replaces polling,
    /// since a signal can be missed (a listener reconnecting).
    fn work_signal(&self) -> tokio::sync::watch::Receiver<u64>;

    /// How many requests and steps are in each status, for `/metrics`.
    async fn status_counts(&self) -> Result<StatusCounts, StoreError>;
}
