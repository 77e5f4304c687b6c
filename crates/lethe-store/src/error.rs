//! The store's one error type, with variants chosen by what the caller does.

use lethe_domain::{IllegalTransition, RequestStatus};

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No request with that id.
    #[error("request not found")]
    NotFound,
    /// The request has no step with that key.
    #[error("step not found")]
    StepNotFound,
    /// The step's action or status does not allow this (a manual step
    /// already confirmed or declined, a step that is not manual); the text
    /// names the step's current status.
    #[error("{0}")]
    StepConflict(String),
    /// The state machine refused the event.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Four-eyes: the actor created this request and may not decide it.
    #[error("the creator of a request cannot approve or reject it")]
    FourEyes,
    /// The extension is not later than the current due date, or past the
    /// two-month bound.
    #[error("{0}")]
    InvalidExtension(String),
    /// A terminal request cannot be changed.
    #[error("a request that is {0} cannot be changed")]
    Closed(RequestStatus),
    /// The row kept changing under a retried write (another writer that
    /// bypasses the store's lock); the caller may try again.
    #[error("the request changed concurrently; try again")]
    Contended,
    /// Database or migration failure: a 5xx for the API, retried by workers.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row that the code cannot read (corruption or a newer schema).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}
