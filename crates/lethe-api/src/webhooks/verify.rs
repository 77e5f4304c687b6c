//! Signature verification of inbound webhooks, on the raw body before any
//! parsing: a payload nobody signed is never looked at.
//!
//! Every source accepts [Standard Webhooks](https://www.standardwebhooks.com/):
//! `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` (several
//! space-separated signatures allowed; a secret `whsec_<base64>` is
//! decoded, any other secret is used as its bytes). A preset also accepts
//! its vendor's native scheme, documented on [`Preset`]. Every secret of
//! the source is tried (rotation); MACs are compared in constant time
//! (`hmac`'s `verify_slice`).

use std::time::Duration;

use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::Preset;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery was refused. Texts name the headers, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// No signature, or none that verifies; the text says what is expected.
    Signature(String),
    /// Signed, but the timestamp is outside the tolerance window.
    Stale(String),
}

/// A delivery whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// What makes this delivery unique for replay detection: the sender's
    /// delivery id, or a hash of signature and timestamp when the scheme
    /// has no id.
    pub delivery_id: String,
}

/// Verifies `body` as sent by a source with `preset`, `secrets` and
/// `tolerance`, at `now`.
pub fn verify(
    preset: Preset,
    secrets: &[SecretString],
    tolerance: Duration,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, VerifyError> {
    if headers.contains_key("webhook-signature") {
        return standard(secrets, tolerance, headers, body, now);
    }
    match preset {
        Preset::Jira if headers.contains_key("x-hub-signature") => jira(secrets, headers, body),
        Preset::Zendesk if headers.contains_key("x-zendesk-webhook-signature") => {
            zendesk(secrets, tolerance, headers, body, now)
        }
        Preset::ServiceNow if headers.contains_key("x-servicenow-signature") => {
            servicenow(secrets, headers, body)
        }
        _ => Err(VerifyError::Signature(format!(
            "no signature: send {}",
            expected(preset)
        ))),
    }
}

/// The headers a source of `preset` may sign with, for error texts.
pub fn expected(preset: Preset) -> &'static str {
    match preset {
        Preset::Standard => "the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature",
        Preset::Jira => "X-Hub-Signature (sha256=<hex HMAC-SHA256 of the body>) or the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature",
        Preset::Zendesk => "X-Zendesk-Webhook-Signature with X-Zendesk-Webhook-Signature-Timestamp, or the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature",
        Preset::ServiceNow => "X-ServiceNow-Signature (base64 HMAC-SHA256 of the body) or the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature",
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, VerifyError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| VerifyError::Signature(format!("header {name} is missing or empty")))
}

/// A Standard Webhooks key: `whsec_` + base64, else the secret's bytes.
fn standard_key(secret: &SecretString) -> Vec<u8> {
    let s = secret.expose_secret();
    match s.strip_prefix("whsec_").map(|b| B64.decode(b)) {
        Some(Ok(key)) => key,
        _ => s.as_bytes().to_vec(),
    }
}

/// Whether any secret's MAC over `parts` equals `sig`, in constant time.
fn any_matches(keys: impl Iterator<Item = Vec<u8>>, parts: &[&[u8]], sig: &[u8]) -> bool {
    keys.into_iter().any(|key| {
        let Ok(mut mac) = HmacSha256::new_from_slice(&key) else {
            return false;
        };
        for p in parts {
            mac.update(p);
        }
        mac.verify_slice(sig).is_ok()
    })
}

fn bad(what: &str) -> VerifyError {
    VerifyError::Signature(format!(
        "{what} does not verify with any of this source's secrets"
    ))
}

fn check_age(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    tolerance: Duration,
    name: &str,
) -> Result<(), VerifyError> {
    let skew = (now - at).abs().to_std().unwrap_or(Duration::MAX);
    if skew > tolerance {
        return Err(VerifyError::Stale(format!(
            "{name} is more than {} seconds away from lethe's clock; a delivery is accepted within the tolerance window only (send a fresh one)",
            tolerance.as_secs()
        )));
    }
    Ok(())
}

fn standard(
    secrets: &[SecretString],
    tolerance: Duration,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, VerifyError> {
    let id = header(headers, "webhook-id")?;
    let ts = header(headers, "webhook-timestamp")?;
    let signatures = header(headers, "webhook-signature")?;
    let secs: i64 = ts.parse().map_err(|_| {
        VerifyError::Signature("header webhook-timestamp must be Unix seconds".into())
    })?;
    let signed = [id.as_bytes(), b".", ts.as_bytes(), b".", body];
    let verified = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| B64.decode(s).ok())
        .any(|sig| any_matches(secrets.iter().map(standard_key), &signed, &sig));
    if !verified {
        return Err(bad("header webhook-signature (v1,<base64 HMAC-SHA256 of \"{webhook-id}.{webhook-timestamp}.{body}\">)"));
    }
    let at = DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
    check_age(at, now, tolerance, "webhook-timestamp")?;
    Ok(Verified {
        delivery_id: id.to_owned(),
    })
}

fn raw_keys(secrets: &[SecretString]) -> impl Iterator<Item = Vec<u8>> + '_ {
    secrets
        .iter()
        .map(|s| s.expose_secret().as_bytes().to_vec())
}

/// A delivery id for a scheme without one: the signature (and timestamp)
/// identify the delivery, since a replay must repeat them exactly.
fn digest_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("sig:{}", hex::encode(h.finalize()))
}

fn jira(
    secrets: &[SecretString],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified, VerifyError> {
    let value = header(headers, "x-hub-signature")?;
    let what = "header X-Hub-Signature (sha256=<hex HMAC-SHA256 of the body>)";
    let sig = value
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| bad(what))?;
    if !any_matches(raw_keys(secrets), &[body], &sig) {
        return Err(bad(what));
    }
    let delivery_id = match header(headers, "x-atlassian-webhook-identifier") {
        Ok(id) => id.to_owned(),
        Err(_) => digest_id(&[value]),
    };
    Ok(Verified { delivery_id })
}

fn zendesk(
    secrets: &[SecretString],
    tolerance: Duration,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, VerifyError> {
    let value = header(headers, "x-zendesk-webhook-signature")?;
    let ts = header(headers, "x-zendesk-webhook-signature-timestamp")?;
    let what = "header X-Zendesk-Webhook-Signature (base64 HMAC-SHA256 of X-Zendesk-Webhook-Signature-Timestamp followed by the body)";
    let sig = B64.decode(value).map_err(|_| bad(what))?;
    if !any_matches(raw_keys(secrets), &[ts.as_bytes(), body], &sig) {
        return Err(bad(what));
    }
    let at = DateTime::parse_from_rfc3339(ts)
        .map(|t| t.to_utc())
        .map_err(|_| {
            VerifyError::Signature(
                "header X-Zendesk-Webhook-Signature-Timestamp must be an ISO 8601 time".into(),
            )
        })?;
    check_age(at, now, tolerance, "X-Zendesk-Webhook-Signature-Timestamp")?;
    let delivery_id = match header(headers, "x-zendesk-webhook-invocation-id") {
        Ok(id) => id.to_owned(),
        Err(_) => digest_id(&[value, ts]),
    };
    Ok(Verified { delivery_id })
}

fn servicenow(
    secrets: &[SecretString],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified, VerifyError> {
    let value = header(headers, "x-servicenow-signature")?;
    let what = "header X-ServiceNow-Signature (base64 HMAC-SHA256 of the body)";
    let sig = B64.decode(value).map_err(|_| bad(what))?;
    if !any_matches(raw_keys(secrets), &[body], &sig) {
        return Err(bad(what));
    }
    Ok(Verified {
        delivery_id: digest_id(&[value]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(key).unwrap();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn standard_webhooks_with_whsec_secret_and_several_signatures() {
        let key = b"0123456789abcdef0123456789abcdef";
        let secret = SecretString::from(format!("whsec_{}", B64.encode(key)));
        let now = Utc::now();
        let ts = now.timestamp().to_string();
        let body = br#"{"a":1}"#;
        let sig = B64.encode(sign(key, &[b"msg_1.", ts.as_bytes(), b".", body]));
        let mut h = HeaderMap::new();
        h.insert("webhook-id", "msg_1".parse().unwrap());
        h.insert("webhook-timestamp", ts.parse().unwrap());
        h.insert(
            "webhook-signature",
            format!("v1,AAAA v1,{sig}").parse().unwrap(),
        );
        let tol = Duration::from_secs(300);
        let ok = verify(
            Preset::Standard,
            std::slice::from_ref(&secret),
            tol,
            &h,
            body,
            now,
        )
        .unwrap();
        assert_eq!(ok.delivery_id, "msg_1");
        let err = verify(
            Preset::Standard,
            std::slice::from_ref(&secret),
            tol,
            &h,
            b"{}",
            now,
        )
        .unwrap_err();
        assert!(matches!(err, VerifyError::Signature(_)));
        let later = now + chrono::TimeDelta::seconds(301);
        let err = verify(Preset::Standard, &[secret], tol, &h, body, later).unwrap_err();
        assert!(matches!(err, VerifyError::Stale(_)));
    }
}
