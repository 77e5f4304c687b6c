//! [`Client`]: JSON over HTTPS to one account's CloudLink APIs, with a
//! bearer token from the [`Session`] on every call, one renewal after a
//! 401, `Retry-After` honoured on 429, listings paged with `$top`/`$skip`
//! through the list envelope, and errors classified for the workers.
//!
//! Messages name the route as a template (`GET users/{userId}`), never a
//! filter value, an id, a body or a token: CloudLink's own error texts
//! may quote what was sent, so they are dropped.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::httpdate::retry_after;
use super::session::Session;
use super::target::CloudLinkConnection;
use crate::connector::ConnectorError;

/// 429s waited out within one call before it is handed back as transient.
const MAX_RATE_LIMIT_WAITS: u32 = 5;
/// Pages of one listing before lethe assumes the server loops.
const MAX_PAGES: usize = 100_000;
/// Identifies lethe to CloudLink, as the vendor asks apps to.
const MITEL_APP: &str = concat!("lethe/", env!("CARGO_PKG_VERSION"), ";platform=server;");

/// Which API a path belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Api {
    /// Users, on `base_url`.
    Admin,
    /// Conversations, on `chat_url`.
    Chat,
}

/// The HTTP client and the rate-limit policy, shared by API calls and
/// token grants.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    retry_after_cap: Duration,
}

impl Transport {
    /// Sends the request `build` makes, waiting out 429s: `Retry-After`
    /// (seconds or HTTP date) when given, else 1, 2, 4... seconds, plus a
    /// little jitter either way. A wait longer than the cap, or too many,
    /// returns a transient error that says how long the server asked for.
    /// Returns the status and body text of any other answer.
    pub(crate) async fn exchange(
        &self,
        route: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(u16, String), ConnectorError> {
        let mut waits = 0u32;
        loop {
            let resp = build()
                .send()
                .await
                .map_err(|e| transport_error(route, &e))?;
            let status = resp.status().as_u16();
            if status != 429 {
                let text = resp.text().await.map_err(|e| transport_error(route, &e))?;
                return Ok((status, text));
            }
            let asked = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, SystemTime::now()));
            let wait = asked.unwrap_or(Duration::from_secs(1 << waits.min(5)));
            if wait > self.retry_after_cap || waits >= MAX_RATE_LIMIT_WAITS {
                return Err(ConnectorError::transient(format!(
                    "cloudlink {route}: rate limited (HTTP 429); the server asked to retry after {} s",
                    wait.as_secs_f64().ceil() as u64
                )));
            }
            waits += 1;
            tracing::debug!(
                route,
                wait_ms = wait.as_millis() as u64,
                "cloudlink rate limit; waiting as asked"
            );
            tokio::time::sleep(wait + jitter()).await;
        }
    }
}

/// 0 to 99 ms, so clients that were limited together do not return in
/// step. Not random enough for anything else.
fn jitter() -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    Duration::from_millis(u64::from(nanos / 7 % 100))
}

/// An answer with a 2xx (or allowed) status.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) json: Value,
}

/// One target's client.
pub(crate) struct Client {
    transport: Transport,
    session: Session,
    admin: Url,
    chat: Url,
    api_version: String,
}

impl Client {
    /// A client for `conn`; errors say what to fix in the configuration.
    pub(crate) fn new(conn: &CloudLinkConnection) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(conn.timeout)
            .connect_timeout(conn.timeout.min(Duration::from_secs(10)))
            .https_only(!conn.allow_http)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let parse = |key: &str, s: &str| {
            Url::parse(s.trim_end_matches('/'))
                .ok()
                .filter(|u| !u.cannot_be_a_base())
                .ok_or_else(|| format!("`{key}` is not a URL"))
        };
        let auth = parse("auth_url", &conn.auth_url)?;
        let token_url = join(&auth, &[&conn.api_version, "token"])
            .map_err(|_| "`auth_url` cannot take a path".to_owned())?;
        Ok(Self {
            transport: Transport {
                http,
                retry_after_cap: conn.retry_after_cap,
            },
            session: Session::new(
                token_url,
                &conn.account_id,
                &conn.username,
                conn.password.clone(),
            ),
            admin: parse("base_url", &conn.base_url)?,
            chat: parse("chat_url", &conn.chat_url)?,
            api_version: conn.api_version.clone(),
        })
    }

    /// Calls `segments` (after the API version) of `api`. A 401 renews
    /// the token once and repeats the call; statuses in `allow` come back
    /// as replies (their body may not be JSON); other errors are
    /// classified.
    pub(crate) async fn call(
        &self,
        method: Method,
        api: Api,
        segments: &[&str],
        body: Option<&Value>,
        route: &str,
        allow: &[u16],
    ) -> Result<Reply, ConnectorError> {
        let url = self.url(api, segments, route)?;
        self.send(method, url, body, route, allow).await
    }

    /// The URL of `segments` (after the API version) of `api`.
    fn url(&self, api: Api, segments: &[&str], route: &str) -> Result<Url, ConnectorError> {
        let base = match api {
            Api::Admin => &self.admin,
            Api::Chat => &self.chat,
        };
        let mut all = vec![self.api_version.as_str()];
        all.extend_from_slice(segments);
        join(base, &all).map_err(|_| {
            ConnectorError::permanent(format!(
                "cloudlink {route}: an id is not usable in a URL path"
            ))
        })
    }

    /// See [`Client::call`].
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        route: &str,
        allow: &[u16],
    ) -> Result<Reply, ConnectorError> {
        let mut renewed = false;
        loop {
            let token = self.session.bearer(&self.transport).await?;
            let auth = bearer(&token, route)?;
            let (status, text) = self
                .transport
                .exchange(route, || {
                    let r = self
                        .transport
                        .http
                        .request(method.clone(), url.clone())
                        .header(AUTHORIZATION, auth.clone())
                        .header("X-Mitel-App", MITEL_APP);
                    match body {
                        Some(b) => r.json(b),
                        None => r,
                    }
                })
                .await?;
            if status == 401 && !renewed {
                renewed = true;
                self.session.renew(&self.transport, &token).await?;
                continue;
            }
            if (200..300).contains(&status) || allow.contains(&status) {
                let json = if text.trim().is_empty() {
                    Value::Null
                } else {
                    match serde_json::from_str(&text) {
                        Ok(v) => v,
                        Err(_) if allow.contains(&status) || status == 204 => Value::Null,
                        Err(_) => {
                            return Err(ConnectorError::transient(format!(
                                "cloudlink {route}: the answer is not JSON"
                            )))
                        }
                    }
                };
                return Ok(Reply { status, json });
            }
            return Err(http_error(route, status));
        }
    }

    /// Every item of a listing, page by page (`$top` = `page_size`,
    /// `$skip` advanced by what came back) while the envelope has a
    /// `next` link. The link itself is not followed: the token is only
    /// ever sent to the configured hosts.
    pub(crate) async fn list(
        &self,
        api: Api,
        segments: &[&str],
        filter: Option<String>,
        page_size: usize,
        route: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut all = Vec::new();
        let mut skip = 0usize;
        for _ in 0..MAX_PAGES {
            let mut url = self.url(api, segments, route)?;
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("$top", &page_size.to_string());
                q.append_pair("$skip", &skip.to_string());
                if let Some(f) = &filter {
                    q.append_pair("$filter", f);
                }
            }
            let reply = self.send(Method::GET, url, None, route, &[]).await?;
            let items = match &reply.json["_embedded"]["items"] {
                Value::Array(a) => a.clone(),
                Value::Null => Vec::new(),
                _ => {
                    return Err(ConnectorError::transient(format!(
                        "cloudlink {route}: the answer is not a list envelope"
                    )))
                }
            };
            let more = !reply.json["_links"]["next"].is_null() && !items.is_empty();
            skip += items.len();
            all.extend(items);
            if !more {
                return Ok(all);
            }
        }
        Err(ConnectorError::transient(format!(
            "cloudlink {route}: the listing did not end after {MAX_PAGES} pages"
        )))
    }
}

/// `base` with `segments` appended, each percent-encoded as one segment;
/// `Err` for a segment that would climb or be empty (`.`, `..`, ``).
fn join(base: &Url, segments: &[&str]) -> Result<Url, ()> {
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(());
    }
    let mut url = base.clone();
    url.path_segments_mut()?.pop_if_empty().extend(segments);
    Ok(url)
}

fn bearer(token: &SecretString, route: &str) -> Result<HeaderValue, ConnectorError> {
    let mut h =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            ConnectorError::permanent(format!(
                "cloudlink {route}: the access token holds characters a header cannot"
            ))
        })?;
    h.set_sensitive(true);
    Ok(h)
}

fn transport_error(route: &str, e: &reqwest::Error) -> ConnectorError {
    let how = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    ConnectorError::transient(format!("cloudlink {route}: {how}"))
}

/// Classifies an HTTP error status; says what to check for the ones an
/// operator can fix.
pub(crate) fn http_error(route: &str, status: u16) -> ConnectorError {
    let hint = match status {
        401 => ": refused even with a fresh token; check `username`, `password_env` and `account_id`",
        403 => ": the CloudLink user lacks the role for this route (reading, changing and deleting users needs an account administrator)",
        404 => ": not found; check `base_url`, `chat_url`, `api_version` and `account_id`",
        409 => ": changed concurrently; will retry",
        _ => "",
    };
    let message = format!("cloudlink {route}: HTTP {status}{hint}");
    if status == 408 || status == 409 || status == 429 || status >= 500 {
        ConnectorError::transient(message)
    } else {
        ConnectorError::permanent(message)
    }
}
