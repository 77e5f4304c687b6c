//! The audit chain: how an event's hash is computed and how a walk over the
//! stored events finds the first break.
//!
//! Each event's hash is an HMAC over its own fields and the previous event's
//! hash, so altering, removing or inserting an event breaks every later link,
//! and nobody without the key can recompute a consistent chain. The database
//! side (reading pages, appending inside a transaction) lives in `backend.rs`.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::model::AuditEvent;

/// The `prev_hash` of the first event: there is nothing before it.
pub(crate) const GENESIS_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The secret key of the audit HMAC. Configured once; rotating it makes every
/// existing event fail verification, so it is kept as long as the log.
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl AuditKey {
    /// Wraps the raw key bytes (from configuration).
    pub fn new(key: &[u8]) -> Self {
        Self(key.to_vec())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

/// The timestamp as it is hashed: microseconds (what PostgreSQL keeps) and
/// `Z`, so a value read back from either backend hashes the same.
pub(crate) fn canonical_time(at: DateTime<Utc>) -> String {
    at.trunc_subsecs(6)
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The hash of one audit event: lowercase hex HMAC-SHA256 over every field,
/// each length-prefixed so no two different events encode the same bytes.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per hashed column keeps the hashed fields explicit"
)]
pub fn chain_hash(
    key: &AuditKey,
    seq: i64,
    at: DateTime<Utc>,
    actor: &str,
    request_id: Option<Uuid>,
    kind: &str,
    data: &str,
    prev_hash: &str,
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC accepts a key of any length");
    let request_id = request_id.map(|id| id.to_string()).unwrap_or_default();
    let fields = [
        "lethe-audit-v1",
        &seq.to_string(),
        &canonical_time(at),
        actor,
        &request_id,
        kind,
        data,
        prev_hash,
    ];
    for field in fields {
        mac.update(field.len().to_string().as_bytes());
        mac.update(b":");
        mac.update(field.as_bytes());
        mac.update(b"\n");
    }
    hex::encode(mac.finalize().into_bytes())
}

/// JSON text with object keys sorted, independent of whether serde_json was
/// built with `preserve_order` (the workspace enables it through utoipa).
pub(crate) fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `audit_data` of a change plus the store's own keys (`from`, `to`), which
/// win over the caller's. A non-object payload is kept under `detail`.
pub(crate) fn merge_data(
    data: serde_json::Value,
    extra: [(&str, serde_json::Value); 2],
) -> serde_json::Value {
    let mut map = match data {
        serde_json::Value::Object(map) => map,
        serde_json::Value::Null => serde_json::Map::new(),
        other => serde_json::Map::from_iter([("detail".to_owned(), other)]),
    };
    for (k, v) in extra {
        map.insert(k.to_owned(), v);
    }
    serde_json::Value::Object(map)
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// How many events were read.
    pub events: u64,
    /// What `audit_head` says the last event is (0 and the genesis hash when empty).
    pub head_seq: i64,
    pub head_hash: String,
    /// The first link that does not hold; `None` means the chain is intact.
    pub first_break: Option<AuditBreak>,
}

/// What kind of break was found, for callers that react differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditBreakKind {
    /// The event's contents do not match its hash.
    Altered,
    /// A sequence number is missing: an event was removed.
    Missing,
    /// `prev_hash` does not name the previous event.
    Relinked,
    /// The end of the chain disagrees with `audit_head`.
    Head,
}

/// The first break in the chain: which event and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditBreak {
    /// The sequence number of the first event that is wrong or missing.
    pub seq: i64,
    pub kind: AuditBreakKind,
    /// Human-readable explanation (no event contents).
    pub reason: String,
}

impl std::fmt::Display for AuditBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            AuditBreakKind::Head => f.write_str(&self.reason),
            _ => write!(f, "event {}: {}", self.seq, self.reason),
        }
    }
}

/// Checks events fed in sequence order; backends page through the table and
/// feed each event, then hand over `audit_head`.
pub(crate) struct ChainWalk<'k> {
    key: &'k AuditKey,
    events: u64,
    last_seq: i64,
    last_hash: String,
    first_break: Option<AuditBreak>,
}

impl<'k> ChainWalk<'k> {
    pub(crate) fn new(key: &'k AuditKey) -> Self {
        Self {
            key,
            events: 0,
            last_seq: 0,
            last_hash: GENESIS_HASH.to_owned(),
            first_break: None,
        }
    }

    /// The seq after which the next page starts.
    pub(crate) fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub(crate) fn feed(&mut self, event: &AuditEvent) {
        let expected = self.last_seq + 1;
        let found = if event.seq != expected {
            Some(AuditBreak {
                seq: expected.min(event.seq),
                kind: AuditBreakKind::Missing,
                reason: format!(
                    "missing (sequence jumps from {} to {})",
                    self.last_seq, event.seq
                ),
            })
        } else if event.prev_hash != self.last_hash {
            let reason = if self.last_seq == 0 {
                "prev_hash is not the genesis hash".to_owned()
            } else {
                format!("prev_hash does not match event {}", self.last_seq)
            };
            Some(AuditBreak {
                seq: event.seq,
                kind: AuditBreakKind::Relinked,
                reason,
            })
        } else {
            let recomputed = chain_hash(
                self.key,
                event.seq,
                event.at,
                &event.actor,
                event.request_id,
                &event.kind,
                &event.data,
                &event.prev_hash,
            );
            (recomputed != event.hash).then(|| AuditBreak {
                seq: event.seq,
                kind: AuditBreakKind::Altered,
                reason: "hash does not match its contents (altered)".to_owned(),
            })
        };
        if self.first_break.is_none() {
            self.first_break = found;
        }
        self.events += 1;
        self.last_seq = event.seq;
        self.last_hash = event.hash.clone();
    }

    /// Compares the end of the chain with `audit_head` (absent: empty log).
    pub(crate) fn finish(mut self, head: Option<(i64, String)>) -> AuditVerification {
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
        if self.first_break.is_none() && (head_seq, &head_hash) != (self.last_seq, &self.last_hash)
        {
            // Name the last event itself when only its hash disagrees, else
            // the first event that is missing or the first one past the head.
            let (seq, reason) = if head_seq == self.last_seq {
                (
                    head_seq,
                    format!("head hash does not match event {head_seq}"),
                )
            } else {
                let reason = format!(
                    "head says {head_seq} events but the chain ends at {}",
                    self.last_seq
                );
                (head_seq.min(self.last_seq) + 1, reason)
            };
            self.first_break = Some(AuditBreak {
                seq,
                kind: AuditBreakKind::Head,
                reason,
            });
        }
        AuditVerification {
            events: self.events,
            head_seq,
            head_hash,
            first_break: self.first_break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"z": [1, {"y": "x", "c": null}], "d": true}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"d":true,"z":[1,{"c":null,"y":"x"}]},"b":1}"#
        );
    }

    #[test]
    fn hash_depends_on_every_field() {
        let key = AuditKey::new(b"k");
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00.1234567Z")
            .unwrap()
            .to_utc();
        let base = chain_hash(&key, 1, at, "a", None, "k", "{}", GENESIS_HASH);
        assert_eq!(base.len(), 64);
        // Sub-microsecond digits are not part of the hash.
        let at_micros = at.trunc_subsecs(6);
        assert_eq!(
            base,
            chain_hash(&key, 1, at_micros, "a", None, "k", "{}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            chain_hash(&key, 2, at, "a", None, "k", "{}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            chain_hash(&key, 1, at, "b", None, "k", "{}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            chain_hash(&key, 1, at, "a", Some(Uuid::nil()), "k", "{}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            chain_hash(&key, 1, at, "a", None, "k", "[]", GENESIS_HASH)
        );
        assert_ne!(
            base,
            chain_hash(
                &AuditKey::new(b"other"),
                1,
                at,
                "a",
                None,
                "k",
                "{}",
                GENESIS_HASH
            )
        );
    }

    #[test]
    fn key_is_not_printed() {
        assert_eq!(
            format!("{:?}", AuditKey::new(b"secret")),
            "AuditKey(<redacted>)"
        );
    }

    #[test]
    fn break_messages() {
        let b = AuditBreak {
            seq: 5,
            kind: AuditBreakKind::Missing,
            reason: "missing (sequence jumps from 4 to 6)".into(),
        };
        assert_eq!(
            b.to_string(),
            "event 5: missing (sequence jumps from 4 to 6)"
        );
        let h = AuditBreak {
            seq: 12,
            kind: AuditBreakKind::Head,
            reason: "head says 12 events but the chain ends at 11".into(),
        };
        assert_eq!(
            h.to_string(),
            "head says 12 events but the chain ends at 11"
        );
    }
}
