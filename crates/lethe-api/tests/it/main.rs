//! Integration tests of the HTTP API, driven through the router with
//! `oneshot` on a real SQLite store in a temporary directory.

mod estate;
mod harness;

mod auth;
mod authz_matrix;
mod callback_urls;
mod errors;
mod evidence;
mod idempotency;
mod lifecycle;
mod listing;
mod manual;
mod metrics;
mod openapi;
mod pii;
mod plan;
mod results_pii;
mod steps;
mod webhooks;
