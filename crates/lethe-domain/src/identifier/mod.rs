//! Identifiers that name a data subject: parsed once at the edge, normalised,
//! expanded into the shapes the estate stores them in, and never printed.
//!
//! Each kind is a newtype with a private value and three views:
//! - `normalised()`: the one canonical form, which is what gets hashed
//!   ([`crate::hash::IdentifierHasher`]) and compared for duplicates;
//! - `variants()`: every shape a connector should search for, because the
//!   stores write the same phone number or name in many ways (data-map.md,
//!   "Identifiers and how they appear");
//! - `hint()`: a masked form an officer may see in API responses, too little
//!   to identify anyone.
//!
//! `Debug` and `Display` print only the type name, like
//! `secrecy::SecretString`, so an identifier that slips into a log line or an
//! error message leaks nothing. [`IdentifierError`] never quotes its input for
//! the same reason.

mod email;
mod name;
mod other;
mod parsed;
mod phone;
mod region;
mod variant;

#[cfg(test)]
mod proptests;

pub use email::Email;
pub use name::PersonName;
pub use other::{AccountNumber, CloudLinkUserId, DirectoryAccount};
pub use parsed::ParsedIdentifier;
pub use phone::Phone;
pub use region::PhoneRegion;
pub(crate) use variant::VariantList;
pub use variant::{Variant, VariantForm};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kinds of identifier a subject can carry (SPEC §4). The order is the
/// order in which identifiers are listed in plans and API responses.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// An email address; compared case-insensitively.
    Email,
    /// A phone number, normalised to E.164.
    Phone,
    /// A person's name; weak on its own (SPEC §4).
    Name,
    /// An account or card number captured in workflow variables or SMDR account codes.
    AccountNumber,
    /// A Mitel CloudLink `userId`: opaque, case preserved.
    CloudlinkUserId,
    /// A Windows directory account (`DOMAIN\user`, UPN or sAMAccountName), e.g. an agent's login.
    DirectoryAccount,
}

impl IdentifierKind {
    /// Every kind, in display order, so callers can iterate without missing one.
    pub const ALL: [IdentifierKind; 6] = [
        Self::Email,
        Self::Phone,
        Self::Name,
        Self::AccountNumber,
        Self::CloudlinkUserId,
        Self::DirectoryAccount,
    ];

    /// The wire name (same as serde), used in hashes, audit rows and plans;
    /// changing one would change every stored hash.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Name => "name",
            Self::AccountNumber => "account_number",
            Self::CloudlinkUserId => "cloudlink_user_id",
            Self::DirectoryAccount => "directory_account",
        }
    }

    /// The inverse of [`IdentifierKind::as_str`], for query parameters and
    /// stored rows; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The field of a subject that holds this kind (`emails`, `phones`, ...),
    /// so error pointers and messages name what the caller actually sent.
    pub fn field(self) -> &'static str {
        match self {
            Self::Email => "emails",
            Self::Phone => "phones",
            Self::Name => "names",
            Self::AccountNumber => "account_numbers",
            Self::CloudlinkUserId => "cloudlink_user_ids",
            Self::DirectoryAccount => "directory_accounts",
        }
    }

    /// What the kind is called in a sentence ("not a valid phone number: ...").
    pub fn describe(self) -> &'static str {
        match self {
            Self::Email => "email address",
            Self::Phone => "phone number",
            Self::Name => "name",
            Self::AccountNumber => "account number",
            Self::CloudlinkUserId => "CloudLink user id",
            Self::DirectoryAccount => "directory account",
        }
    }
}

/// Why an input is not a valid identifier. Never contains the input, so it
/// can go into a 422 body and a log line as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {what}: {reason}")]
pub struct IdentifierError {
    /// Which kind of identifier was being parsed.
    pub kind: IdentifierKind,
    /// The kind in words, e.g. "phone number".
    pub what: &'static str,
    /// Why, in words fixed at compile time (so never the input).
    pub reason: &'static str,
}

impl IdentifierError {
    /// An error for `kind` with a fixed reason; `what` follows from the kind.
    pub fn new(kind: IdentifierKind, reason: &'static str) -> Self {
        Self {
            kind,
            what: kind.describe(),
            reason,
        }
    }
}

/// The hint shown when a specific one would give too much away.
pub(crate) const OPAQUE_HINT: &str = "***";

/// Returns `hint` unless it contains (case-insensitively) the normalised value
/// or any variant of 7 characters or more, in which case [`OPAQUE_HINT`]. The
/// per-kind hint rules already avoid this; the guard makes it an invariant
/// rather than an argument about every short or odd input.
pub(crate) fn guarded_hint(hint: String, normalised: &str, variants: &[Variant]) -> String {
    let lower = hint.to_lowercase();
    let leaks = |v: &str| !v.is_empty() && lower.contains(&v.to_lowercase());
    if leaks(normalised)
        || variants
            .iter()
            .any(|v| v.value().chars().count() >= 7 && leaks(v.value()))
    {
        OPAQUE_HINT.to_owned()
    } else {
        hint
    }
}

/// The last two characters of `value` when it is long enough (6 or more) that
/// two of them identify nobody; otherwise nothing.
pub(crate) fn last_two_if_long(value: &str) -> String {
    let n = value.chars().count();
    if n >= 6 {
        value.chars().skip(n - 2).collect()
    } else {
        String::new()
    }
}

/// Implements `Debug` and `Display` as `Type(<redacted>)` for identifier
/// newtypes: deriving either would print personal data.
macro_rules! redacted_fmt {
    ($($t:ident),* $(,)?) => { $(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), "(<redacted>)"))
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), "(<redacted>)"))
            }
        }
    )* };
}
pub(crate) use redacted_fmt;

/// What every identifier newtype offers, so [`crate::subject`] can treat the
/// six kinds alike without a `match` per call site.
pub(crate) trait Identifier {
    /// The kind this type holds.
    const KIND: IdentifierKind;
    /// See the inherent `normalised`.
    fn normalised(&self) -> &str;
    /// See the inherent `variants`.
    fn variants(&self) -> Vec<Variant>;
    /// See the inherent `hint`.
    fn hint(&self) -> String;
}

/// Implements [`Identifier`] by delegating to the inherent methods.
macro_rules! impl_identifier {
    ($($t:ident => $kind:ident),* $(,)?) => { $(
        impl Identifier for $t {
            const KIND: IdentifierKind = IdentifierKind::$kind;
            fn normalised(&self) -> &str { $t::normalised(self) }
            fn variants(&self) -> Vec<Variant> { $t::variants(self) }
            fn hint(&self) -> String { $t::hint(self) }
        }
    )* };
}
impl_identifier!(
    Email => Email,
    Phone => Phone,
    PersonName => Name,
    AccountNumber => AccountNumber,
    CloudLinkUserId => CloudlinkUserId,
    DirectoryAccount => DirectoryAccount,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_round_trips_through_as_str_and_serde() {
        for kind in IdentifierKind::ALL {
            assert_eq!(IdentifierKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(IdentifierKind::parse("Email"), None);
        assert_eq!(IdentifierKind::parse(""), None);
        assert_eq!(
            IdentifierKind::CloudlinkUserId.as_str(),
            "cloudlink_user_id"
        );
    }

    #[test]
    fn error_message_names_kind_and_reason_only() {
        let e = IdentifierError::new(IdentifierKind::Phone, "too few digits");
        assert_eq!(e.to_string(), "not a valid phone number: too few digits");
    }

    #[test]
    fn guard_replaces_leaky_hints() {
        let vs = [Variant::new(VariantForm::Last7Digits, "2960855")];
        assert_eq!(guarded_hint("x2960855".into(), "zz", &vs), OPAQUE_HINT);
        assert_eq!(guarded_hint("J.".into(), "j", &[]), OPAQUE_HINT);
        assert_eq!(guarded_hint("J. S.".into(), "j s", &[]), "J. S.");
        assert_eq!(last_two_if_long("abcdef"), "ef");
        assert_eq!(last_two_if_long("abcde"), "");
    }
}
