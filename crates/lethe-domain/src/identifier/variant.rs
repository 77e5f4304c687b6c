//! Variants: the searchable shapes of an identifier, and the forms that say
//! how each was derived. A variant's value is as personal as its identifier,
//! so only the form is ever printed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a variant was derived from its identifier. Plans show the forms they
/// searched so an officer can tell "searched `0441632960855` shapes" from
/// "searched E.164 only" without seeing any value.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum VariantForm {
    /// The normalised value itself.
    Normalised,
    /// Phone: E.164, `+441632960855`.
    E164,
    /// Phone: country code and number, digits only, `441632960855`.
    InternationalDigits,
    /// Phone: with the `00` international prefix, `00441632960855`.
    #[serde(rename = "international_00")]
    International00,
    /// Phone: national format, digits only, `01632960855`.
    National,
    /// Phone: national format as written, `01632 960855`.
    NationalFormatted,
    /// Phone: international format as written, `+44 1632 960855` (contact
    /// records and directory entries keep numbers as typed).
    InternationalFormatted,
    /// Phone: PBX outside-line `9` before the national number, `901632960855`.
    #[serde(rename = "trunk_9_national")]
    Trunk9National,
    /// Phone: PBX outside-line `0` before the national number, `001632960855`.
    #[serde(rename = "trunk_0_national")]
    Trunk0National,
    /// Phone: `9` before the international digits, `9441632960855`.
    #[serde(rename = "trunk_9_international")]
    Trunk9International,
    /// Phone: `0` before the international digits, `0441632960855` (console `ANI=`).
    #[serde(rename = "trunk_0_international")]
    Trunk0International,
    /// Phone: outside-line `9`, then the number dialled internationally,
    /// `900441632960855` (SMDR and outbound-trace dialled digits).
    #[serde(rename = "trunk_9_international_00")]
    Trunk9International00,
    /// Phone: outside-line `9` before the `0`-prefixed international form,
    /// `90441632960855` (dialled digits of a PBX that keeps the trunk `0`).
    #[serde(rename = "trunk_9_trunk_0_international")]
    Trunk9Trunk0International,
    /// Phone: last 10 digits, the single-node console DNI matching rule.
    #[serde(rename = "last_10_digits")]
    Last10Digits,
    /// Phone: last 7 digits, the multi-company console DNI matching rule.
    #[serde(rename = "last_7_digits")]
    Last7Digits,
    /// Name: `John Smith`.
    FirstLast,
    /// Name: `Smith, John`.
    LastCommaFirst,
    /// Name: `Smith,John`, the MiVB telephone directory form.
    LastCommaFirstCompact,
    /// Name: `JOHN SMITH`.
    UpperFirstLast,
    /// Name: `SMITH, JOHN`, caller-ID as the console logs it.
    UpperLastCommaFirst,
    /// Name: the compact form cut to 15 characters, what the console shows.
    #[serde(rename = "truncated_15")]
    Truncated15,
    /// Name: the compact form cut to 20 characters, the MiVB directory limit.
    #[serde(rename = "truncated_20")]
    Truncated20,
    /// Directory account: the bare user part of `DOMAIN\user` or a UPN.
    SamAccountName,
}

impl VariantForm {
    /// Every form, in the order variants are generated.
    pub const ALL: [VariantForm; 23] = [
        Self::Normalised,
        Self::E164,
        Self::InternationalDigits,
        Self::International00,
        Self::National,
        Self::NationalFormatted,
        Self::InternationalFormatted,
        Self::Trunk9National,
        Self::Trunk0National,
        Self::Trunk9International,
        Self::Trunk0International,
        Self::Trunk9International00,
        Self::Trunk9Trunk0International,
        Self::Last10Digits,
        Self::Last7Digits,
        Self::FirstLast,
        Self::LastCommaFirst,
        Self::LastCommaFirstCompact,
        Self::UpperFirstLast,
        Self::UpperLastCommaFirst,
        Self::Truncated15,
        Self::Truncated20,
        Self::SamAccountName,
    ];

    /// The wire name (same as serde), for plans and audit rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normalised => "normalised",
            Self::E164 => "e164",
            Self::InternationalDigits => "international_digits",
            Self::International00 => "international_00",
            Self::National => "national",
            Self::NationalFormatted => "national_formatted",
            Self::InternationalFormatted => "international_formatted",
            Self::Trunk9National => "trunk_9_national",
            Self::Trunk0National => "trunk_0_national",
            Self::Trunk9International => "trunk_9_international",
            Self::Trunk0International => "trunk_0_international",
            Self::Trunk9International00 => "trunk_9_international_00",
            Self::Trunk9Trunk0International => "trunk_9_trunk_0_international",
            Self::Last10Digits => "last_10_digits",
            Self::Last7Digits => "last_7_digits",
            Self::FirstLast => "first_last",
            Self::LastCommaFirst => "last_comma_first",
            Self::LastCommaFirstCompact => "last_comma_first_compact",
            Self::UpperFirstLast => "upper_first_last",
            Self::UpperLastCommaFirst => "upper_last_comma_first",
            Self::Truncated15 => "truncated_15",
            Self::Truncated20 => "truncated_20",
            Self::SamAccountName => "sam_account_name",
        }
    }

    /// The inverse of [`VariantForm::as_str`]; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// One searchable form of an identifier. `Debug` shows the form only: the
/// value is as personal as the identifier it came from.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variant {
    /// How the value was derived.
    pub form: VariantForm,
    value: String,
}

impl Variant {
    /// A variant of `form` with `value`; connectors and tests build their own
    /// when a store needs a shape this module does not produce.
    pub fn new(form: VariantForm, value: impl Into<String>) -> Self {
        Self {
            form,
            value: value.into(),
        }
    }

    /// The value to search for. Personal data: bind it as a query parameter,
    /// never log it.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("form", &self.form)
            .field("value", &format_args!("<redacted>"))
            .finish()
    }
}

/// Builds a variant list in order, dropping empty values and any value equal
/// to one already listed (the first form wins), so connectors never search
/// the same string twice.
#[derive(Default)]
pub(crate) struct VariantList(Vec<Variant>);

impl VariantList {
    /// Appends `value` under `form` unless it is empty or already present.
    pub(crate) fn push(&mut self, form: VariantForm, value: impl Into<String>) {
        let value = value.into();
        if !value.is_empty() && !self.0.iter().any(|v| v.value == value) {
            self.0.push(Variant::new(form, value));
        }
    }

    /// The finished list.
    pub(crate) fn finish(self) -> Vec<Variant> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_form_round_trips_through_as_str_and_serde() {
        for form in VariantForm::ALL {
            assert_eq!(VariantForm::parse(form.as_str()), Some(form));
            let json = serde_json::to_string(&form).unwrap();
            assert_eq!(json, format!("\"{}\"", form.as_str()));
            let back: VariantForm = serde_json::from_str(&json).unwrap();
            assert_eq!(back, form);
        }
        assert_eq!(
            VariantForm::Trunk0International.as_str(),
            "trunk_0_international"
        );
        assert_eq!(VariantForm::International00.as_str(), "international_00");
    }

    #[test]
    fn variant_debug_hides_value() {
        let v = Variant::new(VariantForm::E164, "+441632960855");
        let dbg = format!("{v:?}");
        assert!(dbg.contains("E164"));
        assert!(!dbg.contains("1632"));
        assert_eq!(v.value(), "+441632960855");
    }

    #[test]
    fn variant_list_drops_duplicates_and_empties() {
        let mut l = VariantList::default();
        l.push(VariantForm::E164, "a");
        l.push(VariantForm::National, "a");
        l.push(VariantForm::Last7Digits, "");
        l.push(VariantForm::Last10Digits, "b");
        let forms: Vec<_> = l.finish().into_iter().map(|v| v.form).collect();
        assert_eq!(forms, [VariantForm::E164, VariantForm::Last10Digits]);
    }
}
