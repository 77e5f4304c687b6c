//! A Mitel CloudLink test server: the admin (users) and chat
//! (conversations) APIs of data-map.md A7 as their documented shapes
//! describe them, base path `/2017-09-01`, served by axum on 127.0.0.1
//! port 0 inside the test's own tokio runtime.
//!
//! The vendor gives no sandbox we could run in CI, so the connector is
//! tested against this instead. It keeps to what is documented (token
//! grants, the list envelope, OData `$filter`/`$top`/`$skip`, bearer
//! tokens on every route) and adds what a test needs to provoke the
//! failures a real tenant produces: tokens that expire mid-run
//! ([`CloudLinkServer::expire_all_tokens`]), rate limits with both
//! `Retry-After` forms and server errors ([`CloudLinkServer::fail_next`]),
//! and a log of every request with its time, to check that waits were
//! honoured.
//!
//! - [`fixture`]: planted employees (John Smith, Mary Jones, Maximilian
//!   Featherstonehaugh) among background users, with open and closed
//!   conversations whose counts are known;
//! - [`server`]: the HTTP side and the knobs a test turns.

pub mod fixture;
mod routes;
pub mod server;
mod state;

pub use fixture::{generate, CloudLinkFixture, Conversation, Message, PlantedEmployee};
pub use server::{CloudLinkConfig, CloudLinkServer, RetryAfter, Seen, API_VERSION};
