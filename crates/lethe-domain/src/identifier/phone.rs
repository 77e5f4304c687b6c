//! Phone numbers: parsed with `phonenumber` (libphonenumber's metadata),
//! normalised to E.164, and expanded into the shapes PBX logs, SMDR, the
//! console's call history and ADF directories store them in (data-map.md,
//! "Identifiers and how they appear", A6.1, A8).

use super::region::{canonical, parse_reason, possible_length, PhoneRegion};
use super::{guarded_hint, redacted_fmt, IdentifierError, IdentifierKind, Variant, VariantForm};
use super::{VariantList, OPAQUE_HINT};
use phonenumber::Mode;

/// Longest raw input considered; anything longer is not a phone number.
const MAX_INPUT_CHARS: usize = 64;
/// More digits than `00` + E.164's 15 + a trunk digit is not a number.
const MAX_DIGITS: usize = 18;
/// The most digits an E.164 number has, country code included (ITU-T E.164).
const MAX_E164_DIGITS: usize = 15;

/// A phone number normalised to E.164.
///
/// Accepted when `phonenumber::is_valid` says so, **or** when the national
/// significant number has a length that some number type of that country
/// can have. `is_valid` alone rejects the Ofcom drama ranges (`01632 960xxx`,
/// `07700 900xxx`) that the fixtures use, and more importantly it rejects
/// numbers that were valid when a caller rang years ago but whose range has
/// since been withdrawn: an erasure must still find them. The length check
/// keeps out digit strings that cannot be a number in that country at all.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    e164: String,
    country_code: u16,
    national_formatted: String,
    international_formatted: String,
}

redacted_fmt!(Phone);

impl Phone {
    /// Parses `+44 1632 960855`, `0044 1632 960855`, `01632 960855` (with
    /// `region` GB) and the like: digits with spaces, dashes, dots, slashes
    /// and parentheses, an optional leading `+`. Letters (vanity numbers),
    /// extensions and anything `phonenumber` cannot place are rejected;
    /// internal PBX extensions are not subject phone numbers.
    pub fn parse(input: &str, region: PhoneRegion) -> Result<Self, IdentifierError> {
        let err = |reason| IdentifierError::new(IdentifierKind::Phone, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.chars().count() > MAX_INPUT_CHARS {
            return Err(err("longer than 64 characters"));
        }
        for (i, c) in s.char_indices() {
            match c {
                '0'..='9' | ' ' | '-' | '(' | ')' | '.' | '/' | '\u{a0}' => {}
                '+' if i == 0 => {}
                '+' => return Err(err("a + may only lead the number")),
                c if c.is_alphabetic() => return Err(err("contains letters")),
                _ => return Err(err("contains characters a phone number cannot hold")),
            }
        }
        let digits = s.bytes().filter(u8::is_ascii_digit).count();
        if digits < 3 {
            return Err(err("too few digits"));
        }
        if digits > MAX_DIGITS {
            return Err(err("too many digits"));
        }
        let cleaned = s.replace('\u{a0}', " ");
        let number = canonical(&cleaned, region).map_err(|e| err(parse_reason(&e)))?;
        if number.extension().is_some() {
            return Err(err("has an extension; give the number without it"));
        }
        let e164 = number.format().mode(Mode::E164).to_string();
        // E.164 has at most 15 digits. `phonenumber` can hand back more for
        // an over-long national number (the fuzz target `identifiers` got
        // `+81` and 17 more digits from 18 digits in region JP), and such a
        // value would not parse again, so `normalised()` would not be a
        // fixed point.
        if e164.len() > 1 + MAX_E164_DIGITS {
            return Err(err("longer than the 15 digits E.164 allows"));
        }
        // Odd digit strings can normalise to an E.164 that itself normalises
        // differently; refusing them keeps `normalised()` a fixed point, which
        // hashing and de-duplication rely on.
        //
        // The rest is read off the number parsed again from its E.164, so the
        // variants depend on the number only, never on how it was typed: a
        // carrier selection code in the input (`0055 025 65 5515 5515`, Brazil)
        // would otherwise stay in the national format (found by the fuzz
        // target `identifiers`).
        let number = match canonical(&e164, region) {
            Ok(again) if again.format().mode(Mode::E164).to_string() == e164 => again,
            _ => return Err(err("does not normalise to one consistent number")),
        };
        let national_len = number.national().to_string().len();
        if !phonenumber::is_valid(&number) && !possible_length(number.code().value(), national_len)
        {
            return Err(err("not a possible length for its country"));
        }
        Ok(Self {
            e164,
            country_code: number.code().value(),
            national_formatted: number.format().mode(Mode::National).to_string(),
            international_formatted: number.format().mode(Mode::International).to_string(),
        })
    }

    /// The E.164 form, `+441632960855`: what is hashed and compared.
    pub fn normalised(&self) -> &str {
        &self.e164
    }

    /// Every shape the estate writes this number in, E.164 first; equal
    /// values appear once, under the first form that produced them. All but
    /// `national_formatted` and `international_formatted` are digits with at most a leading `+`.
    pub fn variants(&self) -> Vec<Variant> {
        let intl = self.e164.trim_start_matches('+');
        let national: String = self
            .national_formatted
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let mut v = VariantList::default();
        v.push(VariantForm::E164, self.e164.clone());
        v.push(VariantForm::InternationalDigits, intl);
        v.push(VariantForm::International00, format!("00{intl}"));
        v.push(VariantForm::National, national.clone());
        v.push(
            VariantForm::NationalFormatted,
            self.national_formatted.clone(),
        );
        v.push(
            VariantForm::InternationalFormatted,
            self.international_formatted.clone(),
        );
        v.push(VariantForm::Trunk9National, format!("9{national}"));
        v.push(VariantForm::Trunk0National, format!("0{national}"));
        v.push(VariantForm::Trunk9International, format!("9{intl}"));
        v.push(VariantForm::Trunk0International, format!("0{intl}"));
        v.push(VariantForm::Trunk9International00, format!("900{intl}"));
        v.push(VariantForm::Trunk9Trunk0International, format!("90{intl}"));
        v.push(VariantForm::Last10Digits, last_n(intl, 10));
        v.push(VariantForm::Last7Digits, last_n(intl, 7));
        v.finish()
    }

    /// `+44*******55`: the country code and the last two digits behind a
    /// fixed-width mask, so the hint does not even reveal the length.
    pub fn hint(&self) -> String {
        let national = self
            .e164
            .strip_prefix(&format!("+{}", self.country_code))
            .unwrap_or("");
        if national.len() < 6 {
            return OPAQUE_HINT.to_owned();
        }
        let hint = format!("+{}*******{}", self.country_code, last_n(national, 2));
        guarded_hint(hint, &self.e164, &self.variants())
    }
}

/// The last `n` characters of an ASCII string (all of it when shorter).
fn last_n(s: &str, n: usize) -> &str {
    &s[s.len().saturating_sub(n)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb(s: &str) -> Result<Phone, IdentifierError> {
        Phone::parse(s, PhoneRegion::GB)
    }

    #[test]
    fn accepts_common_shapes_as_one_e164() {
        for s in [
            "+44 1632 960855",
            "+441632960855",
            "01632 960855",
            "01632960855",
            "0044 1632 960855",
            "00441632960855",
            "(01632) 960-855",
            "01632.960.855",
            "01632/960855",
            "+44 (0) 1632 960855",
            "+44-1632-960-855",
            "  01632\u{a0}960855 ",
        ] {
            assert_eq!(gb(s).unwrap().normalised(), "+441632960855", "{s:?}");
        }
        assert_eq!(gb("07700 900123").unwrap().normalised(), "+447700900123");
        assert_eq!(
            gb("+1 (415) 555-2671").unwrap().normalised(),
            "+14155552671"
        );
        let us = PhoneRegion::parse("US").unwrap();
        let n = Phone::parse("(415) 555-2671", us).unwrap();
        assert_eq!(n.normalised(), "+14155552671");
    }

    #[test]
    fn drama_numbers_fail_is_valid_but_are_accepted() {
        let n = phonenumber::parse(None, "+441632960855").unwrap();
        assert!(
            !phonenumber::is_valid(&n),
            "is_valid changed: revisit Phone docs"
        );
        let n = phonenumber::parse(None, "+447700900123").unwrap();
        assert!(
            !phonenumber::is_valid(&n),
            "is_valid changed: revisit Phone docs"
        );
        assert!(gb("+447700900123").is_ok());
    }

    #[test]
    fn keeps_italian_leading_zero_whatever_the_region() {
        for s in ["+39 06 1234 5678", "0039 06 1234 5678"] {
            assert_eq!(gb(s).unwrap().normalised(), "+390612345678", "{s:?}");
        }
        let it = PhoneRegion::parse("IT").unwrap();
        assert_eq!(
            Phone::parse("06 1234 5678", it).unwrap().normalised(),
            "+390612345678"
        );
    }

    #[test]
    fn international_numbers_follow_their_own_country_rules() {
        let us = PhoneRegion::parse("US").unwrap();
        for s in ["+44 (0) 1632 960855", "011 44 1632 960855", "+441632960855"] {
            assert_eq!(
                Phone::parse(s, us).unwrap().normalised(),
                "+441632960855",
                "{s:?}"
            );
        }
        assert_eq!(
            Phone::parse("+49 30 123456", us).unwrap().normalised(),
            "+4930123456"
        );
        // a national number that merely starts with 0 is not an IDD
        assert_eq!(
            gb("00 0 1632 960855").unwrap_err().kind,
            IdentifierKind::Phone
        );
    }

    /// Found by the fuzz target `identifiers`: in its build, 18 digits in
    /// region JP normalised to `+81` and 17 digits, which do not parse
    /// again. Whatever `phonenumber` makes of such input, nothing longer
    /// than E.164's 15 digits is accepted, and what is accepted re-parses.
    #[test]
    fn nothing_longer_than_e164_is_accepted() {
        let jp = PhoneRegion::parse("JP").unwrap();
        for s in [
            "444444444444444000",
            "4444444444444000",
            "+81 44444444444444000",
        ] {
            match Phone::parse(s, jp) {
                Ok(p) => {
                    assert!(p.normalised().len() <= 16, "{s:?}");
                    assert_eq!(Phone::parse(p.normalised(), jp).unwrap(), p);
                }
                Err(e) => assert!(!e.reason.is_empty()),
            }
        }
    }

    /// Found by the fuzz target `identifiers`: the carrier code typed in a
    /// Brazilian number stayed in its national forms, so the same number
    /// typed two ways was searched for in different shapes.
    #[test]
    fn variants_depend_on_the_number_not_on_how_it_was_typed() {
        let typed = gb("0055 025 65 5515 5515").unwrap();
        let plain = gb("+55 65 5515-5515").unwrap();
        assert_eq!(typed.normalised(), plain.normalised());
        assert_eq!(typed.variants(), plain.variants());
        assert_eq!(typed.hint(), plain.hint());
    }

    #[test]
    fn rejects_bad_shapes_with_reasons() {
        let reason = |s: &str| gb(s).unwrap_err().reason;
        assert_eq!(reason(""), "empty");
        assert_eq!(reason("  "), "empty");
        assert_eq!(reason("12"), "too few digits");
        assert_eq!(reason("0800-FLOWERS"), "contains letters");
        assert_eq!(reason("01632 960855 ext 12"), "contains letters");
        assert_eq!(reason("44+1632960855"), "a + may only lead the number");
        assert_eq!(
            reason("01632#960855"),
            "contains characters a phone number cannot hold"
        );
        assert_eq!(reason("+999 1234567"), "unknown country code");
        assert_eq!(reason("1234567890123456789"), "too many digits");
        assert_eq!(reason("2281"), "not a possible length for its country");
        assert_eq!(
            reason("9441632960855"),
            "not a possible length for its country"
        );
        assert_eq!(reason("123"), "not a possible length for its country");
    }

    #[test]
    fn gb_variants_in_order() {
        let got: Vec<(&str, String)> = gb("+441632960855")
            .unwrap()
            .variants()
            .into_iter()
            .map(|v| (v.form.as_str(), v.value().to_owned()))
            .collect();
        let want = [
            ("e164", "+441632960855"),
            ("international_digits", "441632960855"),
            ("international_00", "00441632960855"),
            ("national", "01632960855"),
            ("national_formatted", "01632 960855"),
            ("international_formatted", "+44 1632 960855"),
            ("trunk_9_national", "901632960855"),
            ("trunk_0_national", "001632960855"),
            ("trunk_9_international", "9441632960855"),
            ("trunk_0_international", "0441632960855"),
            ("trunk_9_international_00", "900441632960855"),
            ("trunk_9_trunk_0_international", "90441632960855"),
            ("last_10_digits", "1632960855"),
            ("last_7_digits", "2960855"),
        ];
        let want: Vec<(&str, String)> = want.iter().map(|(f, v)| (*f, v.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn short_numbers_drop_duplicate_variants() {
        // +44 800 1111 (7-digit freephone): international digits are 10 long,
        // so last_10_digits equals international_digits and is dropped.
        let forms: Vec<_> = gb("0800 1111")
            .unwrap()
            .variants()
            .iter()
            .map(|v| v.form)
            .collect();
        assert!(!forms.contains(&VariantForm::Last10Digits));
        assert!(forms.contains(&VariantForm::Last7Digits));
    }

    #[test]
    fn hint_masks_all_but_country_and_last_two() {
        assert_eq!(gb("+441632960855").unwrap().hint(), "+44*******55");
        assert_eq!(gb("+1 415 555 2671").unwrap().hint(), "+1*******71");
    }

    #[test]
    fn formatting_and_errors_never_show_the_value() {
        let p = gb("+441632960855").unwrap();
        assert_eq!(format!("{p:?}"), "Phone(<redacted>)");
        assert_eq!(format!("{p}"), "Phone(<redacted>)");
        for v in p.variants() {
            assert!(!format!("{v:?}").contains("960855"));
        }
        let e = gb("+44 1632 96085X").unwrap_err();
        assert!(!e.to_string().contains("1632"));
        assert!(!format!("{e:?}").contains("1632"));
    }
}
