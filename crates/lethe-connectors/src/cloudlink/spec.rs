//! [`CloudLinkTargetSpec`]: a `[[cloudlink]]` table of `lethe.toml` as
//! written, resolved into a [`CloudLinkTarget`]. There is one shape of
//! CloudLink target, so there are no presets: every field has a default
//! except the account and the login.
//!
//! ```toml
//! [[cloudlink]]
//! account_id = "0f1e2d3c-..."          # the CloudLink account
//! username = "lethe@example.com"       # an account administrator
//! password_env = "LETHE_CLOUDLINK_PASSWORD"
//! # base_url = "https://admin.api.mitel.io"   (auth_url defaults to it)
//! # chat_url = "https://chat.api.mitel.io"
//! # strategy = "anonymise"; anonymise_with = "pseudonym"
//! # scan_names = true                  # full listing for name-only matches
//! ```
//!
//! The password is read from the environment variable named in the file,
//! never from the file itself.

use std::time::Duration;

use lethe_domain::{Replacement, Strategy};
use secrecy::SecretString;
use serde::Deserialize;

use super::target::{
    CloudLinkConnection, CloudLinkTarget, DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_CHAT_URL,
    DEFAULT_RETRY_AFTER_CAP_SECS, DEFAULT_TIMEOUT_SECS,
};
use crate::files::target::ReplacementName;
use crate::spec::set;
use crate::sql::ANONYMISE_TOKEN;

/// What erasure does to a matched user (its open conversations are
/// deleted either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloudLinkStrategyName {
    Delete,
    Anonymise,
}

/// A `[[cloudlink]]` table: `account_id`, `username` and `password_env`
/// are required, everything else has a default (see the module docs).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudLinkTargetSpec {
    /// Default `cloudlink-users`.
    pub name: Option<String>,
    /// Admin API, default `https://admin.api.mitel.io`.
    pub base_url: Option<String>,
    /// Token endpoint host, default `base_url`.
    pub auth_url: Option<String>,
    /// Chat API, default `https://chat.api.mitel.io`.
    pub chat_url: Option<String>,
    /// Default `2017-09-01`.
    pub api_version: Option<String>,
    /// Allows `http://` URLs (test servers only).
    pub allow_http: Option<bool>,
    pub account_id: Option<String>,
    pub username: Option<String>,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// `delete` (default) or `anonymise`.
    pub strategy: Option<CloudLinkStrategyName>,
    /// Under `anonymise`, what the name fields become: `token`
    /// (default, `[ERASED]` unless `token` says otherwise), `pseudonym`
    /// or `null`.
    pub anonymise_with: Option<ReplacementName>,
    pub token: Option<String>,
    /// `$top` of every listing, default 100.
    pub page_size: Option<usize>,
    /// Lists every user of the account to find name-only matches;
    /// default false (only emails and user ids are queried).
    pub scan_names: Option<bool>,
    /// Per-request timeout, default 30 s.
    pub timeout_secs: Option<u64>,
    /// Longest `Retry-After` waited out in a call, default 60 s.
    pub retry_after_cap_secs: Option<u64>,
    pub description: Option<String>,
    pub purposes: Option<Vec<String>>,
    pub recipients: Option<Vec<String>>,
    pub retention: Option<String>,
}

impl CloudLinkTargetSpec {
    /// The target this table means, validated. Errors name the table and
    /// say what to fix.
    pub fn resolve(self) -> Result<CloudLinkTarget, String> {
        let label = self
            .name
            .clone()
            .unwrap_or_else(|| super::target::DEFAULT_NAME.to_owned());
        let missing: Vec<&str> = [
            ("account_id", self.account_id.is_none()),
            ("username", self.username.is_none()),
            ("password_env", self.password_env.is_none()),
        ]
        .iter()
        .filter_map(|(k, absent)| absent.then_some(*k))
        .collect();
        if !missing.is_empty() {
            return Err(format!(
                "cloudlink target `{label}`: a `[[cloudlink]]` table needs `account_id`, `username` and `password_env`; missing: {}",
                missing.join(", ")
            ));
        }
        let var = self.password_env.clone().unwrap_or_default();
        let password = std::env::var(&var).map(SecretString::from).map_err(|_| {
            format!("cloudlink target `{label}`: environment variable `{var}` (`password_env`) is not set")
        })?;
        let base_url = self
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let trim = |u: Option<String>, default: &str| {
            u.unwrap_or_else(|| default.to_owned())
                .trim_end_matches('/')
                .to_owned()
        };
        let connection = CloudLinkConnection {
            auth_url: trim(self.auth_url.clone(), &base_url),
            chat_url: trim(self.chat_url.clone(), DEFAULT_CHAT_URL),
            base_url,
            api_version: self
                .api_version
                .clone()
                .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned()),
            account_id: self.account_id.clone().unwrap_or_default(),
            username: self.username.clone().unwrap_or_default(),
            password,
            allow_http: self.allow_http.unwrap_or(false),
            timeout: Duration::from_secs(self.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS)),
            retry_after_cap: Duration::from_secs(
                self.retry_after_cap_secs
                    .unwrap_or(DEFAULT_RETRY_AFTER_CAP_SECS),
            ),
        };
        let mut t = CloudLinkTarget::new(connection);
        set(&mut t.name, self.name);
        set(&mut t.page_size, self.page_size);
        set(&mut t.scan_names, self.scan_names);
        set(&mut t.description, self.description);
        set(&mut t.purposes, self.purposes);
        set(&mut t.recipients, self.recipients);
        set(&mut t.retention, self.retention);
        t.strategy = match self.strategy {
            None | Some(CloudLinkStrategyName::Delete) => {
                if self.anonymise_with.is_some() {
                    return Err(format!(
                        "cloudlink target `{label}`: `anonymise_with` needs `strategy = \"anonymise\"`"
                    ));
                }
                Strategy::Delete
            }
            Some(CloudLinkStrategyName::Anonymise) => Strategy::Anonymise {
                with: match self.anonymise_with.unwrap_or(ReplacementName::Token) {
                    ReplacementName::Null => Replacement::Null,
                    ReplacementName::Token => {
                        Replacement::Token(self.token.unwrap_or_else(|| ANONYMISE_TOKEN.to_owned()))
                    }
                    ReplacementName::Pseudonym => Replacement::Pseudonym,
                },
            },
        };
        t.validate()?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAR: &str = "LETHE_TEST_CLOUDLINK_SPEC_PASSWORD";

    fn spec(extra: &str) -> CloudLinkTargetSpec {
        toml::from_str(&format!(
            "account_id = \"acc-1\"\nusername = \"lethe@example.com\"\npassword_env = \"{VAR}\"\n{extra}"
        ))
        .unwrap()
    }

    fn with_password() {
        // Every test sets the same value, so parallel tests agree.
        std::env::set_var(VAR, "secret");
    }

    #[test]
    fn defaults_and_overrides() {
        with_password();
        let t = spec("").resolve().unwrap();
        assert_eq!(t.name, "cloudlink-users");
        assert_eq!(t.connection.base_url, "https://admin.api.mitel.io");
        assert_eq!(t.connection.auth_url, "https://admin.api.mitel.io");
        assert_eq!(t.connection.chat_url, "https://chat.api.mitel.io");
        assert_eq!(t.connection.api_version, "2017-09-01");
        assert_eq!(t.strategy, Strategy::Delete);
        assert_eq!(t.page_size, 100);
        assert!(!t.scan_names);
        assert!(!format!("{t:?}").contains("secret"));
        let t = spec(
            "name = \"cl-eu\"\nbase_url = \"http://127.0.0.1:1/\"\nchat_url = \"http://127.0.0.1:1\"\nallow_http = true\nstrategy = \"anonymise\"\nanonymise_with = \"pseudonym\"\npage_size = 5\nscan_names = true",
        )
        .resolve()
        .unwrap();
        assert_eq!(t.name, "cl-eu");
        assert_eq!(t.connection.auth_url, "http://127.0.0.1:1");
        assert_eq!(
            t.strategy,
            Strategy::Anonymise {
                with: Replacement::Pseudonym
            }
        );
        assert_eq!(t.info().connector, "cloudlink");
        assert!(t.info().caveats[0].contains("Closed chat"));
        let t = spec("strategy = \"anonymise\"").resolve().unwrap();
        assert_eq!(
            t.strategy,
            Strategy::Anonymise {
                with: Replacement::Token("[ERASED]".into())
            }
        );
    }

    #[test]
    fn mistakes_say_what_to_fix() {
        with_password();
        let err = |s: &str| spec(s).resolve().unwrap_err();
        assert!(err("base_url = \"http://x\"").contains("allow_http"));
        assert!(err("page_size = 0").contains("page_size"));
        assert!(err("anonymise_with = \"null\"").contains("strategy = \"anonymise\""));
        let e = toml::from_str::<CloudLinkTargetSpec>(&format!(
            "account_id = \"a/b\"\nusername = \"u\"\npassword_env = \"{VAR}\""
        ))
        .unwrap()
        .resolve()
        .unwrap_err();
        assert!(e.contains("`account_id`"), "{e}");
        let e = toml::from_str::<CloudLinkTargetSpec>("username = \"u\"")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(e.contains("missing: account_id, password_env"), "{e}");
        let e = toml::from_str::<CloudLinkTargetSpec>(
            "account_id = \"a\"\nusername = \"u\"\npassword_env = \"LETHE_TEST_UNSET_VAR_92\"",
        )
        .unwrap()
        .resolve()
        .unwrap_err();
        assert!(e.contains("is not set"), "{e}");
        assert!(toml::from_str::<CloudLinkTargetSpec>("strategy = \"redact\"").is_err());
        assert!(toml::from_str::<CloudLinkTargetSpec>("bogus = 1").is_err());
    }
}
