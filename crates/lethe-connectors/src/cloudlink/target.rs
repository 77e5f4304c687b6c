//! [`CloudLinkTarget`]: one CloudLink account's users and open
//! conversations, and [`CloudLinkConnection`]: where the APIs are and
//! how lethe logs in.

use std::time::Duration;

use lethe_domain::{Replacement, Strategy, TargetInfo};
use secrecy::SecretString;

/// The vendor's admin API host.
pub const DEFAULT_BASE_URL: &str = "https://admin.api.mitel.io";
/// The vendor's chat API host.
pub const DEFAULT_CHAT_URL: &str = "https://chat.api.mitel.io";
/// The only published API version, the first segment of every path.
pub const DEFAULT_API_VERSION: &str = "2017-09-01";
/// Default `$top` of every listing.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Default per-request timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Longest `Retry-After` waited out inside a call; a longer one hands the
/// step back to the worker as transient, so no worker sleeps for minutes.
pub const DEFAULT_RETRY_AFTER_CAP_SECS: u64 = 60;
/// Default target name.
pub const DEFAULT_NAME: &str = "cloudlink-users";

/// Said in every plan and report of a CloudLink target.
pub const CLOSED_CHATS_CAVEAT: &str = "Closed chat conversations are not deleted in \
CloudLink: once a chat ends its transcript is stored on the contact-center suite's server \
(Elasticsearch interaction records and server files), where those targets erase it. Copies \
Mitel keeps in its own backups of the cloud service are outside lethe's reach.";

/// Where one account's APIs are and the admin user lethe logs in as.
/// `Debug` hides the password.
#[derive(Clone)]
pub struct CloudLinkConnection {
    /// Admin API (users): `https://admin.api.mitel.io`.
    pub base_url: String,
    /// Token endpoint host; the admin host unless set.
    pub auth_url: String,
    /// Chat API (conversations): `https://chat.api.mitel.io`.
    pub chat_url: String,
    /// `2017-09-01`.
    pub api_version: String,
    pub account_id: String,
    pub username: String,
    pub password: SecretString,
    /// Lets the URLs be `http://` (test servers only): tokens and
    /// passwords would otherwise cross the network in clear.
    pub allow_http: bool,
    pub timeout: Duration,
    /// Longest `Retry-After` waited out inside a call (default 60 s); a
    /// longer one hands the step back to the worker as transient.
    pub retry_after_cap: Duration,
}

impl std::fmt::Debug for CloudLinkConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudLinkConnection")
            .field("base_url", &self.base_url)
            .field("auth_url", &self.auth_url)
            .field("chat_url", &self.chat_url)
            .field("api_version", &self.api_version)
            .field("account_id", &self.account_id)
            .field("username", &self.username)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl CloudLinkConnection {
    /// A connection where one host serves tokens, users and chats (a test
    /// server, a proxy): `allow_http` is set when `url` is `http://`.
    pub fn single_host(url: &str, account_id: &str, username: &str, password: &str) -> Self {
        let url = url.trim_end_matches('/').to_owned();
        Self {
            allow_http: url.starts_with("http://"),
            auth_url: url.clone(),
            chat_url: url.clone(),
            base_url: url,
            api_version: DEFAULT_API_VERSION.to_owned(),
            account_id: account_id.to_owned(),
            username: username.to_owned(),
            password: SecretString::from(password.to_owned()),
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            retry_after_cap: Duration::from_secs(DEFAULT_RETRY_AFTER_CAP_SECS),
        }
    }
}

/// One CloudLink account as a target.
///
/// An item is a user, or an open conversation a matched user takes part
/// in. A user matches a subject strongly by email (case-insensitively),
/// by `userId` (the subject's `cloudlink_user_ids`) or by a phone number
/// in `phone`/`mobile`; weakly by a name in `name`, `displayName`,
/// `firstName` + `lastName` or `nickname`.
///
/// Erasure per strategy (weak users only when the step includes them):
/// - `delete`: the user's open conversations are deleted, then the user.
/// - `anonymise`: the open conversations are deleted, then the user is
///   written back with `name`, `displayName`, `firstName`, `lastName` and
///   `nickname` replaced (a keyed pseudonym of the user id, a token such
///   as `[ERASED]`, or null) and `email`, `phone`, `mobile` and
///   `extension` cleared. `userId`, `uniqueUserId`, `accountId`, `role`
///   and the timestamps are kept, so the account's structure and audit
///   trail still add up; none of them names the person once the subject's
///   own records elsewhere are erased.
#[derive(Debug, Clone)]
pub struct CloudLinkTarget {
    /// Unique within the connector (`cloudlink-users`).
    pub name: String,
    pub connection: CloudLinkConnection,
    /// `Delete` or `Anonymise`.
    pub strategy: Strategy,
    /// `$top` of every listing.
    pub page_size: usize,
    /// Whether a subject with names gets a full listing of the account's
    /// users, to find name-only (weak) matches. Off by default: it reads
    /// every user of the account for every batch.
    pub scan_names: bool,
    pub description: String,
    pub purposes: Vec<String>,
    pub recipients: Vec<String>,
    pub retention: String,
}

impl CloudLinkTarget {
    /// A `delete` target with the defaults of a `[[cloudlink]]` table.
    pub fn new(connection: CloudLinkConnection) -> Self {
        Self {
            name: DEFAULT_NAME.to_owned(),
            connection,
            strategy: Strategy::Delete,
            page_size: DEFAULT_PAGE_SIZE,
            scan_names: false,
            description: "Mitel CloudLink users (supervisors and chat agents of Contact Center \
                Messenger: name, nickname, email, phone, extension) and the chat conversations \
                they take part in while the chat is active"
                .to_owned(),
            purposes: vec![
                "Web chat between customers and contact-center agents".to_owned(),
                "User accounts for the contact-center's cloud services".to_owned(),
            ],
            recipients: vec!["Mitel Networks (CloudLink, processor)".to_owned()],
            retention: "While the employee has a chat or supervisor role; conversations until \
                the chat ends"
                .to_owned(),
        }
    }

    /// The target as the planner sees it.
    pub fn info(&self) -> TargetInfo {
        TargetInfo {
            connector: "cloudlink".to_owned(),
            name: self.name.clone(),
            strategy: self.strategy.clone(),
            description: self.description.clone(),
            purposes: self.purposes.clone(),
            recipients: self.recipients.clone(),
            retention: self.retention.clone(),
            caveats: vec![CLOSED_CHATS_CAVEAT.to_owned()],
            manual_for: Vec::new(),
        }
    }

    /// The replacement of name fields, if the strategy is `anonymise`.
    pub(crate) fn replacement(&self) -> Option<&Replacement> {
        match &self.strategy {
            Strategy::Anonymise { with } => Some(with),
            _ => None,
        }
    }

    /// Checks what a configuration can get wrong; errors name the target
    /// and say what to fix.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if name.trim().is_empty() {
            return Err("a cloudlink target has an empty name".to_owned());
        }
        let c = &self.connection;
        for (key, url) in [
            ("base_url", &c.base_url),
            ("auth_url", &c.auth_url),
            ("chat_url", &c.chat_url),
        ] {
            let https = url.starts_with("https://");
            if !(https || c.allow_http && url.starts_with("http://")) {
                return Err(format!(
                    "cloudlink target `{name}`: `{key}` must start with https:// (set `allow_http = true` only for a test server)"
                ));
            }
            if url.contains(['?', '#']) {
                return Err(format!(
                    "cloudlink target `{name}`: `{key}` must be a plain base URL, without `?` or `#`"
                ));
            }
        }
        let segment = |s: &str| {
            !s.trim().is_empty() && s != "." && s != ".." && !s.contains(['/', '?', '#', '%'])
        };
        if !segment(&c.api_version) {
            return Err(format!(
                "cloudlink target `{name}`: `api_version` is one path segment such as `2017-09-01`"
            ));
        }
        if !segment(&c.account_id) {
            return Err(format!(
                "cloudlink target `{name}`: `account_id` must be the CloudLink account id (one path segment)"
            ));
        }
        if c.username.trim().is_empty() {
            return Err(format!("cloudlink target `{name}`: `username` is empty"));
        }
        match &self.strategy {
            Strategy::Delete | Strategy::Anonymise { .. } => {}
            other => {
                return Err(format!(
                    "cloudlink target `{name}`: strategy `{}` is not supported; use `delete` or `anonymise`",
                    other.name()
                ))
            }
        }
        if self.page_size == 0 || self.page_size > 1000 {
            return Err(format!(
                "cloudlink target `{name}`: `page_size` must be between 1 and 1000"
            ));
        }
        Ok(())
    }
}
