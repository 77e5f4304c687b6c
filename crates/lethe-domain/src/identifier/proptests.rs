//! Property tests over every identifier parser: no input panics, the
//! normalised form is a fixed point, phone variants are dialable digit
//! strings, and hints never give the value away.

use super::*;
use proptest::prelude::*;

/// Phone-ish strings: the characters phone parsing accepts, so the properties
/// reach past the character filter into `phonenumber` itself.
fn phoneish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+]?[0-9 ().\\-/]{0,24}",
        "(\\+|00)?(44|1|39|49|33|353)[ ]?[0-9]{6,12}",
        "0[1-9][0-9 ]{8,12}",
    ]
}

/// Name-ish strings: letters of several scripts, commas, spaces, digits.
fn nameish() -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ÿİıßŁ李 ,'\\-0-9]{0,40}"
}

/// Parses `s` as every kind (phones with a few regions), keeping successes.
fn parse_all(s: &str) -> Vec<ParsedIdentifier> {
    let mut out = Vec::new();
    for kind in IdentifierKind::ALL {
        let regions: &[&str] = if kind == IdentifierKind::Phone {
            &["GB", "US", "IT", "DE"]
        } else {
            &["GB"]
        };
        for region in regions {
            let region = PhoneRegion::parse(region).unwrap();
            out.extend(ParsedIdentifier::parse(kind, s, region).ok());
        }
    }
    out
}

/// Re-parses a normalised value as `kind` (phones: the E.164 in GB).
fn reparse(kind: IdentifierKind, normalised: &str) -> Result<String, IdentifierError> {
    ParsedIdentifier::parse(kind, normalised, PhoneRegion::GB).map(|p| p.normalised)
}

/// Checks the four properties for one input.
fn check(s: &str) -> Result<(), TestCaseError> {
    for ParsedIdentifier {
        kind,
        normalised,
        hint,
        variants,
    } in parse_all(s)
    {
        // (2) idempotent normalisation (phones re-parse their E.164)
        let again = reparse(kind, &normalised);
        prop_assert_eq!(again.as_deref(), Ok(normalised.as_str()), "kind {:?}", kind);
        // (4) hints never contain the normalised value, in any case
        prop_assert!(!hint.contains(&normalised), "hint leaks {:?}", kind);
        prop_assert!(!hint.to_lowercase().contains(&normalised.to_lowercase()));
        for v in &variants {
            if v.value().chars().count() >= 7 {
                prop_assert!(!hint.contains(v.value()), "hint leaks {:?}", v.form);
            }
        }
        // (3) phone variants are digits with at most a leading '+'
        if kind == IdentifierKind::Phone {
            prop_assert_eq!(variants[0].form, VariantForm::E164);
            for v in &variants {
                let digits = v.value().trim_start_matches('+');
                if v.form == VariantForm::NationalFormatted {
                    // the one display form: same digits as `national`
                    let national = variants.iter().find(|x| x.form == VariantForm::National);
                    let plain: String = v.value().chars().filter(char::is_ascii_digit).collect();
                    prop_assert_eq!(Some(plain.as_str()), national.map(Variant::value));
                } else if v.form == VariantForm::InternationalFormatted {
                    let intl = variants
                        .iter()
                        .find(|x| x.form == VariantForm::InternationalDigits);
                    let plain: String = v.value().chars().filter(char::is_ascii_digit).collect();
                    prop_assert_eq!(Some(plain.as_str()), intl.map(Variant::value));
                } else {
                    prop_assert!(!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()));
                    prop_assert!(!v.value()[1..].contains('+'));
                }
            }
        }
        // a variant's Debug depends on its form only, never its value
        let blank: Vec<Variant> = variants.iter().map(|v| Variant::new(v.form, "")).collect();
        prop_assert_eq!(format!("{variants:?}"), format!("{blank:?}"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (1) + properties on printable strings.
    #[test]
    fn printable_strings(s in "\\PC*") {
        check(&s)?;
    }

    /// (1) + properties on any string, control characters included.
    #[test]
    fn arbitrary_strings(s in any::<String>()) {
        check(&s)?;
    }

    /// Properties on inputs shaped like phone numbers, most of which parse.
    #[test]
    fn phone_like_strings(s in phoneish()) {
        check(&s)?;
    }

    /// Properties on inputs shaped like names, most of which parse.
    #[test]
    fn name_like_strings(s in nameish()) {
        check(&s)?;
    }

    /// Properties on inputs shaped like emails and accounts.
    #[test]
    fn email_and_account_like_strings(
        s in "[A-Za-z0-9._%+\\-]{1,12}@[A-Za-z0-9\\-]{1,10}(\\.[A-Za-z]{2,4}){1,2}|[A-Za-z]{1,8}\\\\[A-Za-z0-9.]{1,12}|[A-Z0-9 /\\-]{1,40}"
    ) {
        check(&s)?;
    }
}

/// Shapes the generators rarely hit, pinned down.
#[test]
fn known_tricky_inputs_hold_the_properties() {
    for s in [
        "İİİ",
        "ß",
        "J",
        "a@b.co",
        "+39 06 1234 5678",
        "0039 06 1234 5678",
        "+800 1234 5678",
        "+44 (0) 1632 960855",
        "Smith,John",
        "aaaaaa",
        "+1 201 555 0123",
        "000",
        "+0",
        "+",
        "0 0 0 0 0 0",
        "+44 0000000000",
        "0800 1111",
        "+49100001",
        "+4900001",
    ] {
        check(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
    }
}

/// Debug and Display of every type never contain the value.
#[test]
fn formatting_never_shows_values() {
    let region = PhoneRegion::GB;
    let cases: Vec<(String, String, &str)> = vec![
        {
            let x = Email::parse("john.smith@example.com").unwrap();
            (format!("{x:?}"), format!("{x}"), "john.smith@example.com")
        },
        {
            let x = Phone::parse("01632 960855", region).unwrap();
            (format!("{x:?}"), format!("{x}"), "1632960855")
        },
        {
            let x = PersonName::parse("SMITH, JOHN").unwrap();
            (format!("{x:?}"), format!("{x}"), "mith")
        },
        {
            let x = AccountNumber::parse("AB12CDE").unwrap();
            (format!("{x:?}"), format!("{x}"), "AB12CDE")
        },
        {
            let x = CloudLinkUserId::parse("user-000123").unwrap();
            (format!("{x:?}"), format!("{x}"), "000123")
        },
        {
            let x = DirectoryAccount::parse("corp\\jsmith").unwrap();
            (format!("{x:?}"), format!("{x}"), "jsmith")
        },
    ];
    for (debug, display, secret) in cases {
        assert!(!debug.to_lowercase().contains(secret), "{debug}");
        assert!(!display.to_lowercase().contains(secret), "{display}");
        assert!(debug.ends_with("(<redacted>)"), "{debug}");
    }
    let v = Phone::parse("01632 960855", region).unwrap().variants();
    assert!(!format!("{v:?}").contains("960855"));
}
