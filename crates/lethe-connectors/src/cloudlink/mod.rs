//! The `cloudlink` connector: the Mitel CloudLink users of one account
//! (supervisors and chat agents of "Contact Center Messenger") and the
//! open chat conversations they take part in, over CloudLink's REST APIs
//! (data-map.md A7) with reqwest on rustls.
//!
//! - [`CloudLinkTarget`]: where the APIs are, the account and the admin
//!   user lethe logs in as, and what erasure does (`delete` the user, or
//!   `anonymise` it in place); [`CloudLinkTargetSpec`] is its
//!   `[[cloudlink]]` table.
//! - Tokens: an OAuth2 password grant with the account id, refreshed
//!   with the refresh token before expiry and after a 401, and obtained
//!   afresh with the password when the refresh token is refused. Tokens
//!   live in `SecretString`s and appear in no log, error or `Debug`.
//! - Discovery: one `$filter=email eq '…'` listing per email, one `GET`
//!   per CloudLink user id, and a full listing only for name matching
//!   when `scan_names` is on; then the conversations of each user found.
//! - Erasure: the user's **open** conversations are deleted first, then
//!   the user is deleted or anonymised. Closed conversations are left:
//!   their transcripts were moved to the suite's server when the chat
//!   ended (data-map.md "CloudLink"), and are erased there.
//! - Rate limits: a 429's `Retry-After` (seconds or an HTTP date) is
//!   waited out up to a cap, then the step is handed back as transient.

mod client;
mod connector;
mod httpdate;
mod scan;
mod session;
mod spec;
mod target;
mod users;

pub use connector::CloudLinkConnector;
pub use spec::CloudLinkTargetSpec;
pub use target::{CloudLinkConnection, CloudLinkTarget};
