//! The opaque identifiers: account numbers (workflow variables, SMDR account
//! codes), CloudLink user ids and Windows directory accounts (agent and
//! operator logins). None has a format worth more than a charset and a length
//! check; each keeps exactly the form its stores compare on.

use super::{guarded_hint, last_two_if_long, redacted_fmt, IdentifierError, IdentifierKind};
use super::{Variant, VariantForm, VariantList};

/// IBAN's maximum, the longest account number in common use.
const ACCOUNT_MAX: usize = 34;
/// Generous for a CloudLink `userId` (a UUID in practice).
const CLOUDLINK_MAX: usize = 128;
/// UPNs and `DOMAIN\user` strings are far shorter in practice.
const DIRECTORY_MAX: usize = 256;

/// An account or card number, separators removed and upper-cased: written
/// `12-3456 7`, stored `1234567` in one system and `12-3456 7` in none that
/// matters, so the stripped form is what stores are searched for.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber(String);

redacted_fmt!(AccountNumber);

impl AccountNumber {
    /// Accepts letters and digits with space, `-` or `/` separators; 1 to 34
    /// characters once separators are removed.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let err = |reason| IdentifierError::new(IdentifierKind::AccountNumber, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '/'))
        {
            return Err(err("only letters, digits, spaces, - and / are allowed"));
        }
        let v: String = s
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if v.is_empty() {
            return Err(err("no letters or digits"));
        }
        if v.len() > ACCOUNT_MAX {
            return Err(err("longer than 34 characters without separators"));
        }
        Ok(Self(v))
    }

    /// Upper case, no separators: what is hashed and compared.
    pub fn normalised(&self) -> &str {
        &self.0
    }

    /// Only the normalised form.
    pub fn variants(&self) -> Vec<Variant> {
        vec![Variant::new(VariantForm::Normalised, self.0.clone())]
    }

    /// `****` and the last two characters (none for values under 6
    /// characters), the way card numbers are masked on receipts.
    pub fn hint(&self) -> String {
        let hint = format!("****{}", last_two_if_long(&self.0));
        guarded_hint(hint, &self.0, &self.variants())
    }
}

/// A Mitel CloudLink user id, kept exactly as given: it is opaque, and the
/// CloudLink API compares it byte for byte (data-map.md A7).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CloudLinkUserId(String);

redacted_fmt!(CloudLinkUserId);

impl CloudLinkUserId {
    /// Accepts 1 to 128 characters of `A-Z a-z 0-9 - _ . : @` after trimming.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let err = |reason| IdentifierError::new(IdentifierKind::CloudlinkUserId, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.chars().count() > CLOUDLINK_MAX {
            return Err(err("longer than 128 characters"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@'))
        {
            return Err(err("only letters, digits, -, _, ., : and @ are allowed"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as given (case preserved).
    pub fn normalised(&self) -> &str {
        &self.0
    }

    /// Only the id itself.
    pub fn variants(&self) -> Vec<Variant> {
        vec![Variant::new(VariantForm::Normalised, self.0.clone())]
    }

    /// `***` and the last two characters (none under 6 characters).
    pub fn hint(&self) -> String {
        let hint = format!("***{}", last_two_if_long(&self.0));
        guarded_hint(hint, &self.0, &self.variants())
    }
}

/// A Windows directory account as `DOMAIN\user`, a UPN `user@domain.tld` or
/// a bare sAMAccountName, case-folded because Active Directory compares
/// these case-insensitively. Console logs hold the bare name (`User=jdoe`),
/// so the bare part is searched too.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DirectoryAccount(String);

redacted_fmt!(DirectoryAccount);

/// Characters Active Directory forbids in account names; rejecting them also
/// keeps `*` (the hint mask) and LDAP/shell metacharacters out.
const DIRECTORY_FORBIDDEN: &[char] = &[
    '"', '/', '[', ']', ':', ';', '|', '=', ',', '+', '*', '?', '<', '>',
];

impl DirectoryAccount {
    /// Accepts the three shapes after trimming: at most one `\` or one `@`
    /// (not both), non-empty parts on each side, 1 to 256 characters, no
    /// whitespace, control characters or characters AD forbids.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let err = |reason| IdentifierError::new(IdentifierKind::DirectoryAccount, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.chars().count() > DIRECTORY_MAX {
            return Err(err("longer than 256 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("contains whitespace or control characters"));
        }
        if s.contains(DIRECTORY_FORBIDDEN) {
            return Err(err("contains a character directory accounts cannot hold"));
        }
        let backslashes = s.matches('\\').count();
        let ats = s.matches('@').count();
        if backslashes + ats > 1 {
            return Err(err(
                "use one of DOMAIN\\user, user@domain or a bare account name",
            ));
        }
        if let Some((a, b)) = s.split_once(['\\', '@']) {
            if a.is_empty() || b.is_empty() {
                return Err(err("a part around the separator is empty"));
            }
        }
        Ok(Self(s.to_lowercase()))
    }

    /// The lowercased account: what is hashed and compared.
    pub fn normalised(&self) -> &str {
        &self.0
    }

    /// The bare user part without the domain (`jdoe` for `corp\jdoe` or
    /// `jdoe@corp.example`), the form console logs write.
    pub fn sam_account_name(&self) -> &str {
        match self.0.split_once('\\') {
            Some((_, user)) => user,
            None => self.0.split_once('@').map_or(&self.0, |(user, _)| user),
        }
    }

    /// The normalised account, then the bare user part when it differs.
    pub fn variants(&self) -> Vec<Variant> {
        let mut v = VariantList::default();
        v.push(VariantForm::Normalised, self.0.clone());
        v.push(VariantForm::SamAccountName, self.sam_account_name());
        v.finish()
    }

    /// `***` and the last two characters of the user part (none when it is
    /// under 6 characters); the domain is not shown.
    pub fn hint(&self) -> String {
        let hint = format!("***{}", last_two_if_long(self.sam_account_name()));
        guarded_hint(hint, &self.0, &self.variants())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers() {
        let a = AccountNumber::parse(" ab-12 34/56 ").unwrap();
        assert_eq!(a.normalised(), "AB123456");
        assert_eq!(a.hint(), "****56");
        assert_eq!(a.variants().len(), 1);
        assert_eq!(AccountNumber::parse("7").unwrap().normalised(), "7");
        assert_eq!(AccountNumber::parse("7").unwrap().hint(), "****");
        assert!(AccountNumber::parse(&"1".repeat(34)).is_ok());
        let reason = |s: &str| AccountNumber::parse(s).unwrap_err().reason;
        assert_eq!(reason(""), "empty");
        assert_eq!(reason(" - / "), "no letters or digits");
        assert_eq!(
            reason(&"1".repeat(35)),
            "longer than 34 characters without separators"
        );
        for bad in ["12.34", "12_34", "ÄB12", "12\t34", "12#"] {
            assert!(AccountNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cloudlink_user_ids_keep_case() {
        let id = CloudLinkUserId::parse(" 3F2a-9c_x.y:z@w ").unwrap();
        assert_eq!(id.normalised(), "3F2a-9c_x.y:z@w");
        assert_eq!(id.hint(), "***@w");
        assert_eq!(CloudLinkUserId::parse("abc").unwrap().hint(), "***");
        assert!(CloudLinkUserId::parse(&"a".repeat(128)).is_ok());
        for bad in ["", "a b", "a/b", "ä", &"a".repeat(129)] {
            assert!(CloudLinkUserId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn directory_accounts() {
        let d = DirectoryAccount::parse("CORP\\JDoe").unwrap();
        assert_eq!(d.normalised(), "corp\\jdoe");
        let got: Vec<_> = d
            .variants()
            .iter()
            .map(|v| (v.form, v.value().to_owned()))
            .collect();
        assert_eq!(
            got,
            [
                (VariantForm::Normalised, "corp\\jdoe".to_owned()),
                (VariantForm::SamAccountName, "jdoe".to_owned())
            ]
        );
        assert_eq!(d.hint(), "***");
        let upn = DirectoryAccount::parse("Jane.Doe@Corp.Example").unwrap();
        assert_eq!(upn.sam_account_name(), "jane.doe");
        assert_eq!(upn.hint(), "***oe");
        let bare = DirectoryAccount::parse("operator1").unwrap();
        assert_eq!(bare.variants().len(), 1);
        assert_eq!(bare.hint(), "***r1");
        for bad in [
            "",
            "a b",
            "corp\\",
            "\\jdoe",
            "@corp",
            "jdoe@",
            "a\\b\\c",
            "a@b@c",
            "a\\b@c",
            "j*doe",
            "jdoe,x",
            &"a".repeat(257),
        ] {
            assert!(DirectoryAccount::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formatting_and_errors_never_show_the_value() {
        let a = AccountNumber::parse("AB123456").unwrap();
        let c = CloudLinkUserId::parse("user-123456").unwrap();
        let d = DirectoryAccount::parse("corp\\jdoe").unwrap();
        for (s, name) in [
            (format!("{a:?}|{a}"), "AccountNumber"),
            (format!("{c:?}|{c}"), "CloudLinkUserId"),
            (format!("{d:?}|{d}"), "DirectoryAccount"),
        ] {
            assert_eq!(s, format!("{name}(<redacted>)|{name}(<redacted>)"));
        }
        let e = AccountNumber::parse("SECRET#1").unwrap_err();
        assert!(!e.to_string().to_lowercase().contains("secret"));
    }
}
