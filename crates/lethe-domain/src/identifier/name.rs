//! Person names: split into given and family names, normalised for hashing,
//! and expanded into the shapes the PBX and the console write them in:
//! `John Smith`, `SMITH, JOHN` (caller ID), `Smith,John` (MiVB directory) and
//! that form cut to 15 or 20 characters (data-map.md A6.1, A6.4, A8).
//!
//! A name alone is weak evidence (SPEC §4); this module only makes matching
//! possible, it does not make a name identifying.

use super::{guarded_hint, redacted_fmt, IdentifierError, IdentifierKind, Variant, VariantForm};
use super::{VariantList, OPAQUE_HINT};

/// Longest name accepted, in characters, both as given and once normalised.
const MAX_CHARS: usize = 200;

/// A person's name. Equality compares the parsed parts as well as the
/// normalised value, because `van der Berg, Anna` and `Anna van der Berg`
/// normalise alike but split (and so expand) differently.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName {
    normalised: String,
    /// Given names in display case (input case, or title case if the input
    /// was all upper or all lower case).
    given: String,
    /// Family name in display case; `None` for a single-token name.
    family: Option<String>,
}

redacted_fmt!(PersonName);

impl PersonName {
    /// Accepts `First Last` (the last token is the family name),
    /// `LAST, First` and `Lastname,Firstname` (before the comma is the family
    /// name), or a single token. Whitespace is trimmed and collapsed. Rejects
    /// empty input, more than 200 characters, control characters, more than
    /// one comma, and anything without a letter (a number is not a name).
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let err = |reason| IdentifierError::new(IdentifierKind::Name, reason);
        if input.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err(err("contains control characters"));
        }
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(err("empty"));
        }
        if collapsed.chars().count() > MAX_CHARS {
            return Err(err("longer than 200 characters"));
        }
        if collapsed.chars().all(|c| c.is_ascii_digit() || c == ' ') {
            return Err(err("only digits"));
        }
        if !collapsed.chars().any(char::is_alphabetic) {
            return Err(err("has no letters"));
        }
        let (given, family) = split(&collapsed).map_err(err)?;
        let normalised = match family {
            Some(f) => format!("{given} {f}").to_lowercase(),
            None => given.to_lowercase(),
        };
        if normalised.chars().count() > MAX_CHARS {
            return Err(err("longer than 200 characters"));
        }
        let single_case = !(collapsed.chars().any(char::is_uppercase)
            && collapsed.chars().any(char::is_lowercase));
        let display = |s: &str| {
            if single_case {
                title_case(s)
            } else {
                s.to_owned()
            }
        };
        Ok(Self {
            normalised,
            given: display(given),
            family: family.map(display),
        })
    }

    /// `given family`, lowercased with single spaces: what is hashed and
    /// compared, so `SMITH, JOHN` and `John Smith` are one identifier.
    pub fn normalised(&self) -> &str {
        &self.normalised
    }

    /// The shapes stores write the name in, in a stable order, duplicates
    /// dropped. Mixed-case forms keep the input's capitalisation (`McDonald`);
    /// an all-upper or all-lower input is title-cased first. Comma forms need
    /// a family name; the truncated forms appear only when the compact
    /// `Lastname,Firstname` form is longer than the limit.
    pub fn variants(&self) -> Vec<Variant> {
        let g = &self.given;
        let mut v = VariantList::default();
        let compact = match &self.family {
            Some(f) => {
                v.push(VariantForm::FirstLast, format!("{g} {f}"));
                v.push(VariantForm::LastCommaFirst, format!("{f}, {g}"));
                v.push(VariantForm::LastCommaFirstCompact, format!("{f},{g}"));
                v.push(
                    VariantForm::UpperFirstLast,
                    format!("{g} {f}").to_uppercase(),
                );
                v.push(
                    VariantForm::UpperLastCommaFirst,
                    format!("{f}, {g}").to_uppercase(),
                );
                format!("{f},{g}")
            }
            None => {
                v.push(VariantForm::FirstLast, g.clone());
                v.push(VariantForm::UpperFirstLast, g.to_uppercase());
                g.clone()
            }
        };
        for (form, limit) in [
            (VariantForm::Truncated15, 15),
            (VariantForm::Truncated20, 20),
        ] {
            if compact.chars().count() > limit {
                v.push(form, compact.chars().take(limit).collect::<String>());
            }
        }
        v.finish()
    }

    /// Initials, `J. S.`: lets an officer tell names apart in a list without
    /// showing one.
    pub fn hint(&self) -> String {
        let initials: Vec<String> = self
            .given
            .split(' ')
            .chain(self.family.iter().flat_map(|f| f.split(' ')))
            .filter_map(|token| token.chars().find(|c| c.is_alphabetic()))
            .map(|c| format!("{}.", c.to_uppercase()))
            .collect();
        if initials.is_empty() {
            return OPAQUE_HINT.to_owned();
        }
        guarded_hint(initials.join(" "), &self.normalised, &self.variants())
    }

    /// Whether the family name is known (false for a single-token name), so
    /// callers can tell a full name from a bare first or last name.
    pub fn has_family_name(&self) -> bool {
        self.family.is_some()
    }
}

/// Splits a collapsed name into (given, family): at the single comma
/// (family first), else at the last space; a single token is all given.
fn split(s: &str) -> Result<(&str, Option<&str>), &'static str> {
    match s.split_once(',') {
        Some((_, rest)) if rest.contains(',') => Err("more than one comma"),
        Some((family, given)) => {
            let (family, given) = (family.trim(), given.trim());
            if family.is_empty() || given.is_empty() {
                return Err("a comma must separate a family name from given names");
            }
            if !family.chars().any(char::is_alphabetic) || !given.chars().any(char::is_alphabetic) {
                return Err("a part around the comma has no letters");
            }
            Ok((given, Some(family)))
        }
        None => match s.rsplit_once(' ') {
            Some((given, family)) => Ok((given, Some(family))),
            None => Ok((s, None)),
        },
    }
}

/// Upper-cases the first letter of each word (after a space, hyphen or
/// apostrophe) and lower-cases the rest: `O'BRIEN-SMITH` -> `O'Brien-Smith`.
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, ' ' | '-' | '\'' | '\u{2019}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(input: &str) -> Vec<(&'static str, String)> {
        PersonName::parse(input)
            .unwrap()
            .variants()
            .into_iter()
            .map(|v| (v.form.as_str(), v.value().to_owned()))
            .collect()
    }

    #[test]
    fn john_smith_in_every_input_shape_gives_the_same_variants() {
        let want: Vec<(&str, String)> = [
            ("first_last", "John Smith"),
            ("last_comma_first", "Smith, John"),
            ("last_comma_first_compact", "Smith,John"),
            ("upper_first_last", "JOHN SMITH"),
            ("upper_last_comma_first", "SMITH, JOHN"),
        ]
        .iter()
        .map(|(f, v)| (*f, v.to_string()))
        .collect();
        for input in [
            "SMITH, JOHN",
            "John Smith",
            "Smith,John",
            "  john   smith ",
            "smith,john",
        ] {
            assert_eq!(forms(input), want, "{input:?}");
            let n = PersonName::parse(input).unwrap();
            assert_eq!(n.normalised(), "john smith");
            assert_eq!(n.hint(), "J. S.");
        }
    }

    #[test]
    fn long_names_get_truncated_forms() {
        let got = forms("Montgomery-Smythe, Alexandra");
        let get = |f: &str| got.iter().find(|(k, _)| *k == f).map(|(_, v)| v.as_str());
        assert_eq!(
            get("last_comma_first_compact"),
            Some("Montgomery-Smythe,Alexandra")
        );
        assert_eq!(get("truncated_15"), Some("Montgomery-Smyt"));
        assert_eq!(get("truncated_20"), Some("Montgomery-Smythe,Al"));
        // exactly 15 characters: no truncated form
        let got = forms("Abcdefgh,Abcdef");
        assert!(got.iter().all(|(f, _)| !f.starts_with("truncated")));
        // truncation is char-boundary safe
        let got = forms("Ååååååååååååå, Øøøøøøø");
        let t15 = got.iter().find(|(k, _)| *k == "truncated_15").unwrap();
        assert_eq!(t15.1.chars().count(), 15);
    }

    #[test]
    fn keeps_mixed_case_and_title_cases_single_case() {
        let got = forms("Mary McDonald");
        assert_eq!(got[0], ("first_last", "Mary McDonald".to_owned()));
        let got = forms("O'BRIEN-SMITH, MARY ANNE");
        assert_eq!(got[0], ("first_last", "Mary Anne O'Brien-Smith".to_owned()));
        let n = PersonName::parse("van der Berg, Anna").unwrap();
        assert_eq!(n.normalised(), "anna van der berg");
        assert_eq!(n.variants()[1].value(), "van der Berg, Anna");
        assert_eq!(n.hint(), "A. V. D. B.");
        let n = PersonName::parse("Élodie Ñúñez").unwrap();
        assert_eq!(n.normalised(), "élodie ñúñez");
        assert_eq!(n.variants()[3].value(), "ÉLODIE ÑÚÑEZ");
    }

    #[test]
    fn single_token_names() {
        let n = PersonName::parse("Madonna").unwrap();
        assert!(!n.has_family_name());
        assert_eq!(n.normalised(), "madonna");
        let got = forms("Madonna");
        assert_eq!(
            got,
            [
                ("first_last", "Madonna".to_owned()),
                ("upper_first_last", "MADONNA".to_owned())
            ]
        );
        assert_eq!(n.hint(), "M.");
        // a one-letter name cannot have a hint that is not the name
        assert_eq!(PersonName::parse("J").unwrap().hint(), OPAQUE_HINT);
    }

    #[test]
    fn rejects_bad_shapes_with_reasons() {
        let reason = |s: &str| PersonName::parse(s).unwrap_err().reason;
        assert_eq!(reason(""), "empty");
        assert_eq!(reason(" \t "), "empty");
        assert_eq!(reason("12345"), "only digits");
        assert_eq!(reason("12 34"), "only digits");
        assert_eq!(reason("#!?"), "has no letters");
        assert_eq!(reason("John\u{0}Smith"), "contains control characters");
        assert_eq!(reason("Smith, John, Jr"), "more than one comma");
        assert_eq!(
            reason("Smith,"),
            "a comma must separate a family name from given names"
        );
        assert_eq!(
            reason(", John"),
            "a comma must separate a family name from given names"
        );
        assert_eq!(
            reason("123, John"),
            "a part around the comma has no letters"
        );
        assert_eq!(reason(&"a".repeat(201)), "longer than 200 characters");
        assert!(PersonName::parse(&"a".repeat(200)).is_ok());
        assert!(PersonName::parse("John\tSmith\n").is_ok());
    }

    #[test]
    fn formatting_and_errors_never_show_the_value() {
        let n = PersonName::parse("Smith, John").unwrap();
        assert_eq!(format!("{n:?}"), "PersonName(<redacted>)");
        assert_eq!(format!("{n}"), "PersonName(<redacted>)");
        let e = PersonName::parse("Smith, John, Jr").unwrap_err();
        assert!(!e.to_string().contains("Smith"));
    }
}
