//! Integration tests of the HTTP API, driven through the router with
//! `oneshot` on a real SQLite store in a temporary directory.

mod harness;

mod auth;
mod errors;
mod idempotency;
mod lifecycle;
mod listing;
mod openapi;
mod pii;
