//! Email addresses: checked for shape only and case-folded, because every
//! store in the estate (CCMData, Elasticsearch, CloudLink, ADF files) compares
//! them case-insensitively and none of them validates them more strictly.

use super::{guarded_hint, redacted_fmt, IdentifierError, IdentifierKind, Variant, VariantForm};

/// RFC 5321's limit on a forward path, the longest address any store can hold.
const MAX_CHARS: usize = 254;

/// An email address, whole address lowercased. Parsed, not validated: lethe
/// never sends mail, it only needs the string the stores hold.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

redacted_fmt!(Email);

impl Email {
    /// Accepts `local@domain.tld` after trimming: exactly one `@`, a non-empty
    /// local part, a domain of dot-separated labels (letters, digits, `-`)
    /// with at least one dot, no whitespace or control characters, at most
    /// 254 characters. Quoted local parts are not supported: no store in the
    /// estate is known to hold them, and rejecting is safer than guessing.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let err = |reason| IdentifierError::new(IdentifierKind::Email, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.chars().count() > MAX_CHARS {
            return Err(err("longer than 254 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("contains whitespace or control characters"));
        }
        let (local, domain) = match s.split_once('@') {
            Some((l, d)) if !d.contains('@') => (l, d),
            Some(_) => return Err(err("more than one @")),
            None => return Err(err("no @")),
        };
        if local.is_empty() {
            return Err(err("nothing before the @"));
        }
        if !domain.contains('.') {
            return Err(err("the domain has no dot"));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if !domain.split('.').all(label_ok) {
            return Err(err("the domain is not a list of dot-separated names"));
        }
        Ok(Self(s.to_lowercase()))
    }

    /// The lowercased address: what is hashed and compared.
    pub fn normalised(&self) -> &str {
        &self.0
    }

    /// Only the normalised address: stores compare emails case-insensitively,
    /// so no other shape is needed.
    pub fn variants(&self) -> Vec<Variant> {
        vec![Variant::new(VariantForm::Normalised, self.0.clone())]
    }

    /// `j***@***.com`: the first character of the local part and the last
    /// domain label, enough for an officer to tell two addresses apart in a
    /// list, not enough to write to anyone.
    pub fn hint(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        let tld = domain.rsplit('.').next().unwrap_or("");
        guarded_hint(format!("{first}***@***.{tld}"), &self.0, &self.variants())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_case_folds() {
        let e = Email::parse("  John.Smith@Example.COM ").unwrap();
        assert_eq!(e.normalised(), "john.smith@example.com");
        let v = e.variants();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].form, VariantForm::Normalised);
        assert_eq!(v[0].value(), "john.smith@example.com");
        assert_eq!(e.hint(), "j***@***.com");
        assert!(Email::parse("a+tag@sub.example.co.uk").is_ok());
        assert!(Email::parse("jörg@bücher.example").is_ok());
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "",
            "   ",
            "john",
            "@example.com",
            "john@",
            "john@example",
            "john@@example.com",
            "john@a@example.com",
            "john smith@example.com",
            "john@exa mple.com",
            "john\u{7}@example.com",
            "john@example..com",
            "john@.example.com",
            "john@example.com.",
            "john@-example.com",
            "john@ex_ample.com",
        ] {
            assert!(Email::parse(bad).is_err(), "accepted {bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn errors_and_formatting_never_show_the_value() {
        let err = Email::parse("john@@secret.com").unwrap_err().to_string();
        assert!(!err.contains("secret"));
        let e = Email::parse("john@secret.com").unwrap();
        for s in [format!("{e:?}"), format!("{e}")] {
            assert_eq!(s, "Email(<redacted>)");
        }
    }
}
