//! [`ParsedIdentifier`]: any identifier seen uniformly, for plans, hashing
//! and API responses that list identifiers without caring about their kind.

use super::{
    AccountNumber, CloudLinkUserId, DirectoryAccount, Email, Identifier, IdentifierError,
    IdentifierKind, PersonName, Phone, PhoneRegion, Variant,
};

/// A parsed identifier seen uniformly, for plans, hashing and API responses
/// that list identifiers without caring about their kind. `Debug` shows the
/// kind, the hint and the variant forms only.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedIdentifier {
    /// Which kind.
    pub kind: IdentifierKind,
    /// The normalised value (personal data: hash it before logging).
    pub normalised: String,
    /// The masked form safe to show an officer.
    pub hint: String,
    /// Every form to search for.
    pub variants: Vec<Variant>,
}

impl std::fmt::Debug for ParsedIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedIdentifier")
            .field("kind", &self.kind)
            .field("hint", &self.hint)
            .field("variants", &self.variants)
            .finish_non_exhaustive()
    }
}

impl ParsedIdentifier {
    /// Parses one raw value of `kind`, for identifiers that arrive one at a
    /// time (an approver accepting an identifier discovery proposed).
    pub fn parse(
        kind: IdentifierKind,
        input: &str,
        region: PhoneRegion,
    ) -> Result<Self, IdentifierError> {
        Ok(match kind {
            IdentifierKind::Email => Self::of(&Email::parse(input)?),
            IdentifierKind::Phone => Self::of(&Phone::parse(input, region)?),
            IdentifierKind::Name => Self::of(&PersonName::parse(input)?),
            IdentifierKind::AccountNumber => Self::of(&AccountNumber::parse(input)?),
            IdentifierKind::CloudlinkUserId => Self::of(&CloudLinkUserId::parse(input)?),
            IdentifierKind::DirectoryAccount => Self::of(&DirectoryAccount::parse(input)?),
        })
    }

    /// The uniform view of any identifier newtype.
    pub(crate) fn of<T: Identifier>(id: &T) -> Self {
        Self {
            kind: T::KIND,
            normalised: id.normalised().to_owned(),
            hint: id.hint(),
            variants: id.variants(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_identifier_parses_by_kind() {
        let p = ParsedIdentifier::parse(IdentifierKind::Phone, "01632 960855", PhoneRegion::GB)
            .unwrap();
        assert_eq!(p.normalised, "+441632960855");
        let e = ParsedIdentifier::parse(IdentifierKind::Email, "x", PhoneRegion::GB).unwrap_err();
        assert_eq!(e.kind, IdentifierKind::Email);
    }

    #[test]
    fn debug_shows_kind_hint_and_forms_only() {
        let p =
            ParsedIdentifier::parse(IdentifierKind::Name, "SMITH, JOHN", PhoneRegion::GB).unwrap();
        let dbg = format!("{p:?}");
        assert!(dbg.contains("J. S.") && dbg.contains("UpperLastCommaFirst"));
        assert!(!dbg.to_lowercase().contains("smith"));
    }
}
