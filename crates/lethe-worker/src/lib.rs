//! lethe's workers. An [`Engine`] does two things in a loop:
//!
//! - **orchestrate**: for every active request, ask the pure planner what is
//!   due ([`lethe_planner::advance`]), insert those steps (idempotent on
//!   their keys) and apply the lifecycle event (fenced on the status);
//! - **execute**: claim due steps with a lease in one short transaction,
//!   group them by (connector, target, action) so the pending steps of many
//!   requests on one target run as **one batch** (one scan of a log tree for
//!   all their subjects), call the connector with no database lock held,
//!   heartbeat meanwhile, and complete each step fenced on owner and
//!   attempt.
//!
//! Beside both, it delivers the status callbacks of the outbox (see
//! `callbacks`): signed, in order per request, retried for a day.
//!
//! A worker killed at any point loses nothing: its leases expire, the
//! attempt is closed as `lease_expired`, and the step runs again; connectors
//! are idempotent, so a re-run never applies an erasure twice.

mod callbacks;
mod catalog;
mod engine;
mod execute;
mod expiry;
mod leases;
mod orchestrate;
mod subjects;

pub use callbacks::{sign, CallbackConfig, CallbackSigner};
pub use catalog::{Catalog, CatalogError};
pub use engine::{Engine, EngineConfig};
