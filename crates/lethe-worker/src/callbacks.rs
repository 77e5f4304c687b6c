//! The callback dispatcher: posts the outbox's status events to the
//! ticketing systems, signed with Standard Webhooks.
//!
//! Each round claims due events with a short lease (at most one per
//! request: the store holds an event back while an earlier one of the same
//! request is pending, so a receiver sees a request's changes in order),
//! posts them with no transaction open, and records the try. A failed try
//! is retried with capped exponential backoff and jitter until
//! `give_up_after` has passed since the change; then the event is given up
//! and the request's next event may go. The event id is the `webhook-id`
//! of every try, so a receiver drops duplicates (a try whose answer was
//! lost is sent again).
//!
//! SSRF: the URL was checked when it was accepted, and is checked again
//! here, and every address its host resolves to is checked at connect time
//! by [`GuardedResolver`] (a name re-pointed at an internal address after
//! it was accepted — DNS rebinding — is refused). Redirects are not
//! followed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::Utc;
use hmac::{Hmac, Mac};
use lethe_domain::callback::{check_ip, check_url, UrlError, UrlPolicy};
use lethe_store::{CallbackOutcome, ClaimedCallback, StoreError};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::Engine;

/// How callbacks are signed and retried (`[callbacks]`, `[[webhooks]]`).
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    /// Per webhook source: its first secret and its URL rules.
    pub sources: BTreeMap<String, CallbackSigner>,
    /// For URLs given with a request: `[callbacks] secret_env` and rules.
    pub default: Option<CallbackSigner>,
    /// An event is retried until this long after the change, then given up.
    pub give_up_after: Duration,
    /// Retry delay: `base · 2^(tries-1)`, capped, ±20 % jitter.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Per try, connect and answer included.
    pub timeout: Duration,
    /// How long a claimed event is this dispatcher's.
    pub lease: Duration,
    /// Prefix of `report_url` (e.g. `https://lethe.example.com`); without
    /// it the receiver gets the path.
    pub public_url: Option<String>,
    /// Events claimed per round at most.
    pub batch: u32,
}

impl Default for CallbackConfig {
    fn default() -> Self {
        Self {
            sources: BTreeMap::new(),
            default: None,
            give_up_after: Duration::from_secs(24 * 3600),
            backoff_base: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            public_url: None,
            batch: 50,
        }
    }
}

/// A signing secret (Standard Webhooks: `whsec_<base64>` is decoded, any
/// other secret is used as its bytes) and the URL rules that go with it.
#[derive(Debug, Clone)]
pub struct CallbackSigner {
    pub secret: SecretString,
    pub policy: UrlPolicy,
}

/// The `webhook-signature` value for one delivery.
pub fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &[u8]) -> String {
    let s = secret.expose_secret();
    let key = match s.strip_prefix("whsec_").map(|b| B64.decode(b)) {
        Some(Ok(key)) => key,
        _ => s.as_bytes().to_vec(),
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// Resolves host names and refuses the connection when any address is not
/// allowed by the policy, so the check and the connection use the same
/// answer.
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    policy: UrlPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(Box::new(UrlError::Unresolvable) as _);
            }
            for a in &addrs {
                check_ip(a.ip(), policy).map_err(Box::new)?;
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// HTTP clients, one per private-address rule.
#[derive(Debug)]
pub(crate) struct Clients {
    strict: reqwest::Client,
    private: reqwest::Client,
}

impl Clients {
    fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let build = |allow_private| {
            reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("lethe/", env!("CARGO_PKG_VERSION")))
                .dns_resolver(Arc::new(GuardedResolver {
                    policy: UrlPolicy {
                        allow_http: true,
                        allow_private,
                    },
                }))
                .build()
        };
        Ok(Self {
            strict: build(false)?,
            private: build(true)?,
        })
    }

    fn get(&self, policy: UrlPolicy) -> &reqwest::Client {
        if policy.allow_private {
            &self.private
        } else {
            &self.strict
        }
    }
}

impl Engine {
    /// Delivers the due callback events; returns how many were delivered.
    pub(crate) async fn dispatch_callbacks(&self) -> Result<usize, StoreError> {
        let Some(cfg) = &self.cfg.callbacks else {
            return Ok(0);
        };
        let clients = match self.clients.get() {
            Some(c) => c,
            None => match Clients::new(cfg.timeout) {
                Ok(c) => self.clients.get_or_init(|| c),
                Err(e) => {
                    tracing::error!(error = %e, "cannot build the callback HTTP client");
                    return Ok(0);
                }
            },
        };
        let claimed = self
            .store
            .claim_callbacks(&self.cfg.name, cfg.lease, cfg.batch)
            .await?;
        let tries = claimed.into_iter().map(|c| self.deliver(cfg, clients, c));
        let delivered = futures_util::future::join_all(tries)
            .await
            .into_iter()
            .collect::<Result<Vec<bool>, StoreError>>()?;
        Ok(delivered.into_iter().filter(|d| *d).count())
    }

    /// One try at one event; `true` when delivered.
    async fn deliver(
        &self,
        cfg: &CallbackConfig,
        clients: &Clients,
        event: ClaimedCallback,
    ) -> Result<bool, StoreError> {
        let started = Instant::now();
        let signer = match &event.source {
            Some(source) => cfg.sources.get(source),
            None => cfg.default.as_ref(),
        };
        let outcome = match signer {
            Some(signer) => self.post(cfg, clients, signer, &event).await,
            None => Err((
                None,
                "no signing secret configured for this callback".into(),
            )),
        };
        let outcome = match outcome {
            Ok(code) => CallbackOutcome::Delivered { status_code: code },
            Err((status_code, error)) => {
                let retry_at = retry_at(cfg, &event);
                tracing::warn!(
                    request.id = %event.request_id, callback.event = %event.id,
                    callback.seq = event.seq, error = %error, given_up = retry_at.is_none(),
                    "callback not delivered"
                );
                CallbackOutcome::Failed {
                    status_code,
                    error,
                    retry_at,
                }
            }
        };
        let delivered = matches!(outcome, CallbackOutcome::Delivered { .. });
        if delivered {
            tracing::info!(request.id = %event.request_id, callback.event = %event.id, callback.seq = event.seq, "callback delivered");
        }
        let recorded = self
            .store
            .record_callback(event.id, &self.cfg.name, outcome, started.elapsed())
            .await?;
        Ok(delivered && recorded)
    }

    /// Posts the signed event: the receiver's status, or a status (if it
    /// answered) and an error class.
    async fn post(
        &self,
        cfg: &CallbackConfig,
        clients: &Clients,
        signer: &CallbackSigner,
        event: &ClaimedCallback,
    ) -> Result<u16, (Option<u16>, String)> {
        let url = check_url(&event.url, signer.policy)
            .map_err(|e| (None, format!("refused address: {e}")))?;
        let body = body(cfg, event);
        let id = event.id.to_string();
        let ts = Utc::now().timestamp();
        let res = clients
            .get(signer.policy)
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sign(&signer.secret, &id, ts, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| (None, error_class(&e)))?;
        let code = res.status().as_u16();
        if res.status().is_success() {
            Ok(code)
        } else {
            Err((Some(code), format!("status {code}")))
        }
    }
}

/// The JSON posted: the stored event, with `report_url` made absolute
/// when a public URL is configured.
fn body(cfg: &CallbackConfig, event: &ClaimedCallback) -> Vec<u8> {
    let Some(base) = cfg.public_url.as_deref() else {
        return event.payload.clone().into_bytes();
    };
    let mut v: serde_json::Value =
        serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
    if let Some(path) = v["report_url"].as_str().filter(|p| p.starts_with('/')) {
        v["report_url"] = format!("{}{path}", base.trim_end_matches('/')).into();
    }
    serde_json::to_vec(&v).unwrap_or_default()
}

/// When to try again, or `None` once the event is older than
/// `give_up_after`.
fn retry_at(cfg: &CallbackConfig, event: &ClaimedCallback) -> Option<chrono::DateTime<Utc>> {
    let now = Utc::now();
    let give_up = chrono::TimeDelta::from_std(cfg.give_up_after).unwrap_or(chrono::TimeDelta::MAX);
    if event
        .created_at
        .checked_add_signed(give_up)
        .is_none_or(|t| t <= now)
    {
        return None;
    }
    let tries = u32::try_from(event.attempts + 1).unwrap_or(u32::MAX);
    let jitter = rand::thread_rng().gen_range(0.0..=1.0);
    let delay = lethe_store::retry::backoff(tries, cfg.backoff_base, cfg.backoff_cap, jitter);
    Some(now + chrono::TimeDelta::from_std(delay).unwrap_or(chrono::TimeDelta::MAX))
}

/// A transport error as a class, never its text (which may quote the URL).
/// The resolver's refusal may reach here wrapped in an `io::Error`, whose
/// `source()` skips the inner error, so it is recognised by its message.
fn error_class(e: &reqwest::Error) -> String {
    let refused = UrlError::Private.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(u) = s.downcast_ref::<UrlError>() {
            return format!("refused address: {u}");
        }
        if s.to_string().contains(&refused) {
            return format!("refused address: {refused}");
        }
        source = s.source();
    }
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else {
        "request".into()
    }
}
