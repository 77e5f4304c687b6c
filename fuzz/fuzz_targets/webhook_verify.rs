//! Webhook signature verification (`lethe_api::webhooks::verify::verify`)
//! on the raw headers and body, every preset:
//!
//! - arbitrary headers and bodies never panic and never verify: the
//!   secrets are not the fuzzer's to know, so any `Ok` is a forged delivery;
//! - a delivery signed with one of the source's secrets (Standard Webhooks,
//!   or the preset's native scheme) verifies exactly when its timestamp is
//!   within the tolerance, among garbage signatures, with the sender's
//!   delivery id (when it is visible ASCII); the same delivery with one body byte changed does not.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use lethe_api::webhooks::verify::{verify, VerifyError};
use lethe_api::webhooks::Preset;
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

const PRESETS: [Preset; 4] = [
    Preset::Standard,
    Preset::Jira,
    Preset::Zendesk,
    Preset::ServiceNow,
];
const NAMES: [&str; 9] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-hub-signature",
    "x-atlassian-webhook-identifier",
    "x-zendesk-webhook-signature",
    "x-zendesk-webhook-signature-timestamp",
    "x-zendesk-webhook-invocation-id",
    "x-servicenow-signature",
];
/// Raw key of the first secret (given as `whsec_<base64>`), and the second.
const KEY: &[u8] = b"\x8a\x01lethe fuzz key \xff\x00 32 bytes long..";
const PLAIN: &str = "second secret, used as its bytes";
const TOLERANCE: Duration = Duration::from_secs(300);

#[derive(Arbitrary, Debug)]
enum Input {
    /// Headers by name index (or a made-up name) and value.
    Raw {
        preset: u8,
        headers: Vec<(u8, Vec<u8>)>,
        body: Vec<u8>,
        now: i64,
    },
    /// A delivery signed properly, then checked at `now = ts + skew`.
    Signed {
        scheme: u8,
        second_secret: bool,
        id: String,
        ts: i32,
        skew: i32,
        body: Vec<u8>,
        garbage: Vec<String>,
        tamper: Option<u16>,
    },
}

fn secrets() -> Vec<SecretString> {
    vec![
        SecretString::from(format!("whsec_{}", B64.encode(KEY))),
        SecretString::from(PLAIN),
    ]
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) -> bool {
    match HeaderValue::from_str(value) {
        Ok(v) => {
            h.insert(HeaderName::from_static(name), v);
            true
        }
        Err(_) => false,
    }
}

fuzz_target!(|input: Input| match input {
    Input::Raw {
        preset,
        headers,
        body,
        now,
    } => {
        let mut h = HeaderMap::new();
        for (n, value) in headers.iter().take(16) {
            let Ok(value) = HeaderValue::from_bytes(value) else {
                continue;
            };
            let name = match NAMES.get(usize::from(*n)) {
                Some(name) => HeaderName::from_static(name),
                None => HeaderName::from_static("x-other"),
            };
            h.append(name, value);
        }
        let preset = PRESETS[usize::from(preset) % PRESETS.len()];
        let got = verify(preset, &secrets(), TOLERANCE, &h, &body, at(now));
        assert!(got.is_err(), "an unsigned delivery verified: {got:?}");
    }
    Input::Signed {
        scheme,
        second_secret,
        id,
        ts,
        skew,
        body,
        garbage,
        tamper,
    } => {
        // Native schemes use each secret as its bytes, `whsec_...` included.
        let first = format!("whsec_{}", B64.encode(KEY));
        let key: &[u8] = if second_secret {
            PLAIN.as_bytes()
        } else {
            first.as_bytes()
        };
        let ts = i64::from(ts);
        let now = at(ts + i64::from(skew));
        let fresh = u64::from(skew.unsigned_abs()) <= TOLERANCE.as_secs();
        // Ids are read as visible ASCII (`HeaderValue::to_str`), trimmed; an
        // id outside that is not the sender's to rely on.
        let plain_id = !id.is_empty()
            && id.trim() == id
            && id.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        let mut h = HeaderMap::new();
        let preset;
        let mut want_id = None;
        let mut timed = true;
        match scheme % 4 {
            0 => {
                // Standard Webhooks: the raw key is `whsec_` decoded.
                if !plain_id || !set(&mut h, "webhook-id", &id) {
                    return;
                }
                preset = PRESETS[usize::from(scheme / 4) % PRESETS.len()];
                let key = if second_secret { PLAIN.as_bytes() } else { KEY };
                let sig = mac(
                    key,
                    &[id.as_bytes(), b".", ts.to_string().as_bytes(), b".", &body],
                );
                let mut sigs: Vec<String> = garbage
                    .iter()
                    .take(4)
                    .filter(|g| g.bytes().all(|b| b.is_ascii_graphic()))
                    .cloned()
                    .collect();
                sigs.insert(sigs.len() / 2, format!("v1,{}", B64.encode(sig)));
                set(&mut h, "webhook-timestamp", &ts.to_string());
                if !set(&mut h, "webhook-signature", &sigs.join(" ")) {
                    return;
                }
                want_id = Some(id.clone());
            }
            1 => {
                preset = Preset::Jira;
                let sig = mac(key, &[&body]);
                set(
                    &mut h,
                    "x-hub-signature",
                    &format!("sha256={}", hex::encode(sig)),
                );
                if plain_id && set(&mut h, "x-atlassian-webhook-identifier", &id) {
                    want_id = Some(id.clone());
                }
                timed = false;
            }
            2 => {
                preset = Preset::Zendesk;
                let stamp = at(ts).to_rfc3339();
                let sig = mac(key, &[stamp.as_bytes(), &body]);
                set(&mut h, "x-zendesk-webhook-signature", &B64.encode(sig));
                set(&mut h, "x-zendesk-webhook-signature-timestamp", &stamp);
                if plain_id && set(&mut h, "x-zendesk-webhook-invocation-id", &id) {
                    want_id = Some(id.clone());
                }
            }
            _ => {
                preset = Preset::ServiceNow;
                let sig = mac(key, &[&body]);
                set(&mut h, "x-servicenow-signature", &B64.encode(sig));
                timed = false;
            }
        }
        let got = verify(preset, &secrets(), TOLERANCE, &h, &body, now);
        match (&got, fresh || !timed) {
            (Ok(v), true) => {
                if let Some(want) = &want_id {
                    assert_eq!(&v.delivery_id, want, "delivery id is not the sender's");
                }
            }
            (Err(VerifyError::Stale(_)), false) => {}
            _ => panic!("signed delivery (fresh: {fresh}, timed: {timed}) gave {got:?}"),
        }
        if let (Some(i), false) = (tamper, body.is_empty()) {
            let mut changed = body.clone();
            changed[usize::from(i) % body.len()] ^= 1;
            let got = verify(preset, &secrets(), TOLERANCE, &h, &changed, now);
            assert!(
                matches!(got, Err(VerifyError::Signature(_))),
                "a changed body verified: {got:?}"
            );
        }
    }
});
