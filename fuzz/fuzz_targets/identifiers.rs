//! Identifier parsing and variant generation: any UTF-8 string, parsed as
//! every kind, never panics; what parses holds the domain's promises.
//!
//! - the normalised value is a fixed point (parsing it again gives it back,
//!   and, but for names, the same variants up to case);
//! - variants are non-empty, distinct, and the first is the normalised form
//!   (phones: E.164);
//! - a phone's variants are consistent with each other: each digit form is
//!   derived from the E.164 or the national digits as its form says, the
//!   formatted forms carry exactly those digits, and the international
//!   formatted form parses back to the same number;
//! - the hint never contains the normalised value (any case), nor any
//!   variant of 7 or more characters.
#![no_main]

use lethe_domain::{IdentifierKind, ParsedIdentifier, Phone, PhoneRegion, Variant, VariantForm};
use libfuzzer_sys::fuzz_target;

/// Regions the first input byte picks from: the estate's and a few whose
/// numbering plans differ (trunk prefixes kept or not, short numbers).
const REGIONS: [&str; 8] = ["GB", "US", "IT", "DE", "FR", "IE", "AR", "JP"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    let region = PhoneRegion::parse(REGIONS[usize::from(pick) % REGIONS.len()]).unwrap();
    for kind in IdentifierKind::ALL {
        if let Ok(p) = ParsedIdentifier::parse(kind, s, region) {
            check(&p, region);
        }
    }
});

fn check(p: &ParsedIdentifier, region: PhoneRegion) {
    let again = ParsedIdentifier::parse(p.kind, &p.normalised, region)
        .unwrap_or_else(|e| panic!("{:?}: normalised value does not parse again: {e}", p.kind));
    assert_eq!(
        again.normalised, p.normalised,
        "{:?}: not a fixed point",
        p.kind
    );
    // A name's normalised form forgets where the family name began (`van
    // der Berg, Anna` and `Anna van der Berg` normalise alike), so only the
    // other kinds must expand alike again; equal values are listed once, so
    // compare the sets of values, up to case.
    if p.kind != IdentifierKind::Name {
        let fold = |v: &[Variant]| -> std::collections::BTreeSet<String> {
            v.iter().map(|v| v.value().to_lowercase()).collect()
        };
        assert_eq!(
            fold(&again.variants),
            fold(&p.variants),
            "{:?}: variants differ on re-parse",
            p.kind
        );
    }

    assert!(!p.variants.is_empty(), "{:?}: no variants", p.kind);
    for (i, v) in p.variants.iter().enumerate() {
        assert!(!v.value().is_empty(), "{:?}: empty {:?}", p.kind, v.form);
        assert!(
            p.variants[..i].iter().all(|w| w.value() != v.value()),
            "{:?}: {:?} repeats an earlier variant",
            p.kind,
            v.form
        );
    }

    let hint = p.hint.to_lowercase();
    assert!(
        !hint.contains(&p.normalised.to_lowercase()),
        "{:?}: hint contains the value",
        p.kind
    );
    for v in &p.variants {
        if v.value().chars().count() >= 7 {
            assert!(
                !hint.contains(&v.value().to_lowercase()),
                "{:?}: hint contains {:?}",
                p.kind,
                v.form
            );
        }
    }

    if p.kind == IdentifierKind::Phone {
        check_phone(p, region);
    }
}

fn value(p: &ParsedIdentifier, form: VariantForm) -> Option<&str> {
    p.variants
        .iter()
        .find(|v| v.form == form)
        .map(Variant::value)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn check_phone(p: &ParsedIdentifier, region: PhoneRegion) {
    let e164 = &p.normalised;
    assert_eq!(p.variants[0].form, VariantForm::E164);
    assert_eq!(p.variants[0].value(), e164);
    let intl = e164.strip_prefix('+').expect("E.164 starts with +");
    assert!(
        !intl.is_empty() && intl.bytes().all(|b| b.is_ascii_digit()),
        "E.164 is + and digits"
    );
    // Forms are listed once under the first form that produced the value,
    // so a missing form must equal an earlier one.
    let derived = |form: VariantForm, want: String| {
        let listed = value(p, form).map(str::to_owned);
        match listed {
            Some(got) => assert_eq!(got, want, "{form:?} is not derived as documented"),
            None => assert!(
                want.is_empty() || p.variants.iter().any(|v| v.value() == want),
                "{form:?} missing although its value is new"
            ),
        }
    };
    derived(VariantForm::InternationalDigits, intl.to_owned());
    derived(VariantForm::International00, format!("00{intl}"));
    derived(VariantForm::Trunk9International, format!("9{intl}"));
    derived(VariantForm::Trunk0International, format!("0{intl}"));
    derived(
        VariantForm::Last10Digits,
        intl[intl.len().saturating_sub(10)..].to_owned(),
    );
    derived(
        VariantForm::Last7Digits,
        intl[intl.len().saturating_sub(7)..].to_owned(),
    );

    // The national digits: listed, or equal to an earlier variant.
    let national_formatted = p
        .variants
        .iter()
        .find(|v| v.form == VariantForm::NationalFormatted)
        .map(|v| v.value().to_owned());
    if let Some(national) = value(p, VariantForm::National) {
        assert!(
            national.bytes().all(|b| b.is_ascii_digit()),
            "National is digits"
        );
        derived(VariantForm::Trunk9National, format!("9{national}"));
        derived(VariantForm::Trunk0National, format!("0{national}"));
        if let Some(f) = &national_formatted {
            assert_eq!(
                digits(f),
                national,
                "NationalFormatted digits differ from National"
            );
        }
    }
    if let Some(f) = value(p, VariantForm::InternationalFormatted) {
        assert_eq!(
            digits(f),
            intl,
            "InternationalFormatted digits differ from E.164"
        );
        let back = Phone::parse(f, region).expect("InternationalFormatted parses");
        assert_eq!(
            back.normalised(),
            e164,
            "InternationalFormatted is another number"
        );
    }
    for v in &p.variants {
        if !matches!(
            v.form,
            VariantForm::NationalFormatted | VariantForm::InternationalFormatted
        ) {
            let rest = v.value().strip_prefix('+').unwrap_or(v.value());
            assert!(
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()),
                "{:?} is not digits with at most a leading +",
                v.form
            );
        }
    }
}
