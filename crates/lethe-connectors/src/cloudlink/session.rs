//! [`Session`]: the OAuth2 tokens of one target. A password grant (with
//! the account id) gets the first pair; the access token is renewed with
//! the refresh token a safety margin before it expires, and again when an
//! API answers 401 with it; when the refresh token is refused, the
//! password grant starts over. One renewal at a time: callers that saw
//! the same token fail wait for the lock, find a new token and use it.

use std::time::{Duration, Instant};

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::client::Transport;
use crate::connector::{ConnectorError, RetryClass};

/// Renewal happens this long before expiry at most...
const MAX_MARGIN: Duration = Duration::from_secs(60);

/// One access token and what renews it. No `Debug`: it is all secret.
struct Tokens {
    access: SecretString,
    refresh: Option<SecretString>,
    /// When to renew without waiting for a 401.
    renew_at: Instant,
}

/// The token state of one target.
pub(crate) struct Session {
    token_url: Url,
    account_id: String,
    username: String,
    password: SecretString,
    tokens: tokio::sync::Mutex<Option<Tokens>>,
}

enum Grant {
    Password,
    Refresh(SecretString),
}

impl Session {
    pub(crate) fn new(
        token_url: Url,
        account_id: &str,
        username: &str,
        password: SecretString,
    ) -> Self {
        Self {
            token_url,
            account_id: account_id.to_owned(),
            username: username.to_owned(),
            password,
            tokens: tokio::sync::Mutex::new(None),
        }
    }

    /// A live access token: the current one, or a renewed one when it is
    /// about to expire.
    pub(crate) async fn bearer(&self, t: &Transport) -> Result<SecretString, ConnectorError> {
        let mut tokens = self.tokens.lock().await;
        if let Some(tok) = tokens.as_ref() {
            if Instant::now() < tok.renew_at {
                return Ok(tok.access.clone());
            }
        }
        let refresh = tokens.as_ref().and_then(|tok| tok.refresh.clone());
        let new = self.obtain(t, refresh).await?;
        let access = new.access.clone();
        *tokens = Some(new);
        Ok(access)
    }

    /// Called after a 401 with `used`: renews unless another caller
    /// already has.
    pub(crate) async fn renew(
        &self,
        t: &Transport,
        used: &SecretString,
    ) -> Result<(), ConnectorError> {
        let mut tokens = self.tokens.lock().await;
        let refresh = match tokens.as_ref() {
            Some(tok) if tok.access.expose_secret() != used.expose_secret() => return Ok(()),
            Some(tok) => tok.refresh.clone(),
            None => None,
        };
        *tokens = Some(self.obtain(t, refresh).await?);
        Ok(())
    }

    /// Refresh when there is a refresh token, else (or when it is
    /// refused) log in with the password.
    async fn obtain(
        &self,
        t: &Transport,
        refresh: Option<SecretString>,
    ) -> Result<Tokens, ConnectorError> {
        if let Some(rt) = refresh {
            match self.grant(t, Grant::Refresh(rt)).await {
                Ok(tokens) => return Ok(tokens),
                Err(e) if e.class == RetryClass::Permanent => {
                    tracing::debug!("cloudlink refresh token refused; logging in again");
                }
                Err(e) => return Err(e),
            }
        }
        self.grant(t, Grant::Password).await
    }

    async fn grant(&self, t: &Transport, grant: Grant) -> Result<Tokens, ConnectorError> {
        const ROUTE: &str = "POST token";
        let (body, refused) = match &grant {
            Grant::Password => (
                json!({
                    "grant_type": "password",
                    "username": self.username,
                    "password": self.password.expose_secret(),
                    "account_id": self.account_id,
                }),
                "the password grant was refused: check `username`, `password_env` and `account_id`",
            ),
            Grant::Refresh(rt) => (
                json!({"grant_type": "refresh_token", "refresh_token": rt.expose_secret()}),
                "the refresh token was refused",
            ),
        };
        let (status, text) = t
            .exchange(ROUTE, || t.http.post(self.token_url.clone()).json(&body))
            .await?;
        match status {
            200..=299 => {}
            400 | 401 | 403 => {
                return Err(ConnectorError::permanent(format!(
                    "cloudlink {ROUTE}: HTTP {status}: {refused}"
                )))
            }
            _ => return Err(super::client::http_error(ROUTE, status)),
        }
        let v: Value = serde_json::from_str(&text).map_err(|_| {
            ConnectorError::transient(format!("cloudlink {ROUTE}: the answer is not JSON"))
        })?;
        let access = v["access_token"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ConnectorError::transient(format!(
                    "cloudlink {ROUTE}: the answer has no access_token"
                ))
            })?;
        let lifetime = Duration::from_secs(v["expires_in"].as_u64().unwrap_or(3600));
        let margin = (lifetime / 4).min(MAX_MARGIN);
        Ok(Tokens {
            access: SecretString::from(access.to_owned()),
            refresh: v["refresh_token"]
                .as_str()
                .map(|s| SecretString::from(s.to_owned())),
            renew_at: Instant::now() + lifetime - margin,
        })
    }
}
