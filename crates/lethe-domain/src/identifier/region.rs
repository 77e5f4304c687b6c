//! Numbering plans: the configured [`PhoneRegion`] and the few calls into
//! `phonenumber` that turn raw digits into one number, with workarounds for
//! that crate's region handling kept in one place.

use phonenumber::{country::Id, metadata::DATABASE, PhoneNumber, Type};

/// The country whose numbering plan applies to a number written without a
/// country code (`01632 960855` means +44 only in GB). Deployment config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneRegion(pub phonenumber::country::Id);

impl PhoneRegion {
    /// The United Kingdom, the region of the fixtures and the default example.
    pub const GB: PhoneRegion = PhoneRegion(Id::GB);

    /// An ISO 3166-1 alpha-2 code, case-insensitive (`"GB"`, `"gb"`); `None`
    /// for anything else, including codes libphonenumber has no plan for.
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim();
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let upper = code.to_ascii_uppercase();
        DATABASE.by_id(upper.as_str())?;
        upper.parse::<Id>().ok().map(Self)
    }

    /// The upper-case alpha-2 code, for config echoes and plans.
    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

impl std::fmt::Display for PhoneRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Parses `s` the way libphonenumber means to. `phonenumber` 0.3 applies
/// the *configured* region's national-prefix rules even to a number that
/// carries its own country code, which drops Italy's significant leading
/// zero (`+39 06 ...` with region GB) or turns digits into zeros (`+49 1...`
/// with region US). So a number that names its country (`+`, or the
/// region's international prefix as in `0044 ...`) is parsed again with
/// that country as the region.
pub(super) fn canonical(
    s: &str,
    region: PhoneRegion,
) -> Result<PhoneNumber, phonenumber::ParseError> {
    let Some(intl) = as_international(s, region) else {
        return phonenumber::parse(Some(region.0), s);
    };
    let cc = phonenumber::parse(Some(region.0), &intl)?.code().value();
    phonenumber::parse(main_region(cc), &intl)
}

/// `s` rewritten to start with `+` when it names its country: it already
/// starts with `+`, or its digits start with `region`'s international
/// prefix (`00`, `011`, ...) followed by a country code (never `0`).
fn as_international(s: &str, region: PhoneRegion) -> Option<String> {
    if s.starts_with('+') {
        return Some(s.to_owned());
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let idd = DATABASE.by_id(region.code())?.international_prefix()?;
    let m = idd
        .find(&digits)
        .filter(|m| m.start() == 0 && m.end() > 0)?;
    if !digits[m.end()..].starts_with(|c: char| c.is_ascii_digit() && c != '0') {
        return None;
    }
    // Skip the characters up to and including the prefix's last digit.
    let (cut, _) = s
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .nth(m.end() - 1)?;
    Some(format!("+{}", &s[cut + 1..]))
}

/// The main country of a calling code (GB for +44, US for +1); `None` for
/// non-geographic codes (+800), which then parse without a region.
fn main_region(cc: u16) -> Option<Id> {
    let metas = DATABASE.by_code(&cc)?;
    let main = metas
        .iter()
        .find(|m| m.is_main_country_for_code())
        .or(metas.first())?;
    main.id().parse().ok()
}

/// Whether any diallable number type of any country sharing `cc` has a
/// national significant number of `len` digits (the "possible" test of
/// libphonenumber, which the crate does not expose for a parsed number).
pub(super) fn possible_length(cc: u16, len: usize) -> bool {
    const TYPES: [Type; 10] = [
        Type::FixedLine,
        Type::Mobile,
        Type::TollFree,
        Type::PremiumRate,
        Type::SharedCost,
        Type::PersonalNumber,
        Type::Voip,
        Type::Pager,
        Type::Uan,
        Type::Voicemail,
    ];
    let Ok(len) = u16::try_from(len) else {
        return false;
    };
    DATABASE.by_code(&cc).into_iter().flatten().any(|m| {
        TYPES
            .iter()
            .filter_map(|t| m.descriptors().get(*t))
            .any(|d| d.possible_length().contains(&len))
    })
}

/// A fixed reason for a `phonenumber` parse error (its messages may quote input).
pub(super) fn parse_reason(e: &phonenumber::ParseError) -> &'static str {
    use phonenumber::ParseError as P;
    match e {
        P::NoNumber => "not a number",
        P::InvalidCountryCode => "unknown country code",
        P::TooShortAfterIdd | P::TooShortNsn => "too few digits",
        P::TooLong => "too many digits",
        P::MalformedInteger(_) => "not a number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_parses_alpha2_case_insensitively() {
        assert_eq!(PhoneRegion::parse("GB"), Some(PhoneRegion(Id::GB)));
        assert_eq!(PhoneRegion::parse("gb"), Some(PhoneRegion(Id::GB)));
        assert_eq!(PhoneRegion::parse("De"), Some(PhoneRegion(Id::DE)));
        assert_eq!(PhoneRegion::GB.to_string(), "GB");
        for bad in ["", "G", "GBR", "UK", "12", "g1", "ÄÄ", "001"] {
            assert_eq!(PhoneRegion::parse(bad), None, "{bad:?}");
        }
    }
}
