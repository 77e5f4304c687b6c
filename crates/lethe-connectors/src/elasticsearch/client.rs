//! [`Client`]: JSON and NDJSON over HTTP(S) to one cluster, with failover
//! between its URLs, credentials on every request, and errors classified
//! for the workers without personal data: Elasticsearch's `reason` texts
//! quote queries and documents, so only the error `type` is kept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::Value;

use super::target::{EsAuth, EsConnection};
use crate::connector::ConnectorError;

/// A request body.
pub(crate) enum Body<'a> {
    None,
    Json(&'a Value),
    /// `_bulk`'s newline-delimited JSON.
    Ndjson(String),
}

/// One cluster's HTTP client.
pub(crate) struct Client {
    http: reqwest::Client,
    urls: Vec<String>,
    auth: Option<HeaderValue>,
    basic: Option<(String, String)>,
    /// Index of the URL that answered last: tried first next time.
    current: AtomicUsize,
}

impl Client {
    /// A client for `conn`; errors say what to fix in the configuration.
    pub(crate) fn new(conn: &EsConnection) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(conn.timeout_secs))
            .connect_timeout(Duration::from_secs(conn.timeout_secs.min(10)));
        if let Some(path) = &conn.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
            let ca = reqwest::Certificate::from_pem(&pem)
                .map_err(|_| format!("ca_file {} is not a PEM certificate", path.display()))?;
            builder = builder.add_root_certificate(ca);
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let header = |scheme: &str, secret: &str| {
            HeaderValue::from_str(&format!("{scheme} {secret}"))
                .map(|mut h| {
                    h.set_sensitive(true);
                    h
                })
                .map_err(|_| format!("the {scheme} credential holds characters a header cannot"))
        };
        let (auth, basic) = match &conn.auth {
            EsAuth::None => (None, None),
            EsAuth::ApiKey(k) => (Some(header("ApiKey", k.expose_secret())?), None),
            EsAuth::Bearer(t) => (Some(header("Bearer", t.expose_secret())?), None),
            EsAuth::Basic { username, password } => (
                None,
                Some((username.clone(), password.expose_secret().to_owned())),
            ),
        };
        Ok(Self {
            http,
            urls: conn
                .urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect(),
            auth,
            basic,
            current: AtomicUsize::new(0),
        })
    }

    /// Sends `body` to `path` (relative, with its query string) and returns
    /// the JSON answer. Unreachable URLs are skipped for the next one;
    /// HTTP errors are classified: 429 and 5xx transient, the rest
    /// permanent unless `allow` lists the status (then its JSON is
    /// returned as a success).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Body<'_>,
        allow: &[u16],
    ) -> Result<Value, ConnectorError> {
        let what = label(path);
        let start = self.current.load(Ordering::Relaxed);
        let mut last = None;
        for k in 0..self.urls.len() {
            let i = (start + k) % self.urls.len();
            let url = format!("{}/{}", self.urls[i], path);
            let mut req = self.http.request(method.clone(), &url);
            if let Some(h) = &self.auth {
                req = req.header(AUTHORIZATION, h.clone());
            }
            if let Some((u, p)) = &self.basic {
                req = req.basic_auth(u, Some(p));
            }
            req = match &body {
                Body::None => req,
                Body::Json(v) => req.json(v),
                Body::Ndjson(s) => req
                    .header(CONTENT_TYPE, "application/x-ndjson")
                    .body(s.clone()),
            };
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let connect = e.is_connect();
                    last = Some(transport_error(&what, &e));
                    if connect {
                        continue;
                    }
                    break;
                }
            };
            self.current.store(i, Ordering::Relaxed);
            let status = resp.status().as_u16();
            let text = resp.text().await.map_err(|e| transport_error(&what, &e))?;
            let json: Option<Value> = serde_json::from_str(&text).ok();
            if (200..300).contains(&status) || allow.contains(&status) {
                return json.ok_or_else(|| {
                    ConnectorError::transient(format!("elasticsearch {what}: answer is not JSON"))
                });
            }
            return Err(http_error(&what, status, json.as_ref()));
        }
        Err(last.unwrap_or_else(|| {
            ConnectorError::permanent("elasticsearch: no URL configured".to_owned())
        }))
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.send(Method::POST, path, Body::Json(body), &[]).await
    }
}

/// The path without its query string, for messages (index names are not
/// personal data; query strings might hold anything).
fn label(path: &str) -> String {
    path.split('?').next().unwrap_or(path).to_owned()
}

fn transport_error(what: &str, e: &reqwest::Error) -> ConnectorError {
    if untrusted_certificate(e) {
        return ConnectorError::permanent(format!(
            "elasticsearch {what}: the server's TLS certificate is not trusted; set `ca_file` to the CA that signed it"
        ));
    }
    let how = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    ConnectorError::transient(format!("elasticsearch {what}: {how}"))
}

/// Whether the TLS handshake failed on the server's certificate: retrying
/// cannot help, the configuration must change.
fn untrusted_certificate(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        if err.to_string().to_lowercase().contains("certificate") {
            return true;
        }
        source = err.source();
    }
    false
}

/// Classifies an HTTP error answer; names the status and the error type,
/// and for the statuses an operator can fix, what to check.
fn http_error(what: &str, status: u16, json: Option<&Value>) -> ConnectorError {
    let kind = json
        .and_then(|v| v["error"]["type"].as_str())
        .unwrap_or("unknown");
    let hint = match status {
        401 => ": check the credentials (`username`/`password_env`, `api_key_env` or `bearer_env`)",
        403 => ": the user lacks a privilege on the index (read, write, delete, refresh)",
        404 => ": the index or alias does not exist",
        _ => "",
    };
    let message = format!("elasticsearch {what}: HTTP {status} ({kind}){hint}");
    if status == 429 || status >= 500 {
        ConnectorError::transient(message)
    } else {
        ConnectorError::permanent(message)
    }
}
