//! Keyed hashes: the only form an identifier takes in logs, metrics and audit.
//!
//! HMAC-SHA256 with a secret from configuration, so a hash cannot be
//! reversed by hashing a phone book, yet the same person hashes the same way
//! across requests (an officer can correlate without seeing the value).

use crate::identifier::IdentifierKind;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 keyed hasher. `Debug` hides the key.
#[derive(Clone)]
pub struct IdentifierHasher {
    key: Vec<u8>,
}

impl std::fmt::Debug for IdentifierHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentifierHasher(<key redacted>)")
    }
}

/// A lowercase hex HMAC-SHA256 (64 characters). Safe to log.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct KeyedHash(pub String);

impl KeyedHash {
    /// The hex string, for SQL parameters and log fields.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyedHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl IdentifierHasher {
    /// A hasher with `key` (at least 16 bytes in production; any length works).
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    /// Hash of an identifier's normalised value, domain-separated by kind:
    /// HMAC(key, "<kind>\0<normalised>"). The kind prefix keeps an account
    /// number and a phone number with the same digits apart.
    pub fn hash(&self, kind: IdentifierKind, normalised: &str) -> KeyedHash {
        self.mac(&[kind.as_str().as_bytes(), b"\0", normalised.as_bytes()])
    }

    /// HMAC of free text with a label, HMAC(key, "text:<label>\0<text>"), for
    /// notes and reasons that audit rows reference but must not hold in
    /// clear. The `text:` prefix keeps these apart from identifier hashes.
    pub fn hash_text(&self, label: &str, text: &str) -> KeyedHash {
        self.mac(&[b"text:", label.as_bytes(), b"\0", text.as_bytes()])
    }

    fn mac(&self, parts: &[&[u8]]) -> KeyedHash {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        for part in parts {
            mac.update(part);
        }
        KeyedHash(hex::encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc_4231_test_case_2() {
        // RFC 4231 case 2: key "Jefe", data "what do ya want for nothing?".
        // hash_text("", x) is HMAC("text:\0" + x), so check the raw MAC here.
        let h = IdentifierHasher::new(b"Jefe");
        assert_eq!(
            h.mac(&[b"what do ya want ", b"for nothing?"]).0,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hash_is_keyed_domain_separated_and_hex() {
        let a = IdentifierHasher::new(b"0123456789abcdef");
        let b = IdentifierHasher::new(b"fedcba9876543210");
        let h = a.hash(IdentifierKind::Phone, "+441632960855");
        assert_eq!(h.0.len(), 64);
        assert!(h
            .0
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(h, a.hash(IdentifierKind::Phone, "+441632960855"));
        assert_ne!(h, b.hash(IdentifierKind::Phone, "+441632960855"));
        assert_ne!(
            a.hash(IdentifierKind::AccountNumber, "123"),
            a.hash(IdentifierKind::Phone, "123")
        );
        assert_ne!(
            a.hash_text("phone", "123"),
            a.hash(IdentifierKind::Phone, "123")
        );
        assert_eq!(
            a.hash(IdentifierKind::Phone, "x"),
            KeyedHash(hex::encode(
                HmacSha256::new_from_slice(b"0123456789abcdef")
                    .unwrap()
                    .chain_update(b"phone\0x")
                    .finalize()
                    .into_bytes()
            ))
        );
        assert_eq!(
            a.hash_text("note", "hello"),
            KeyedHash(hex::encode(
                HmacSha256::new_from_slice(b"0123456789abcdef")
                    .unwrap()
                    .chain_update(b"text:note\0hello")
                    .finalize()
                    .into_bytes()
            ))
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let a = IdentifierHasher::new(b"super-secret-key");
        assert!(!format!("{a:?}").contains("super"));
    }
}
