//! What a batch of subjects is searched for in a table: each identifier
//! variant reduced to the canonical form both sides compare on (the
//! database through the [`Dialect`](super::Dialect)'s expression, lethe
//! through [`canonical`]), grouped by kind into one parameter each, so one
//! statement serves the whole batch whatever its size.

use std::collections::{BTreeMap, HashMap};

use lethe_domain::{IdentifierKind, Subject, VariantForm};

/// Fewer phone digits than this match unrelated numbers (extensions, ids);
/// the same floor as the files matcher.
const MIN_PHONE_DIGITS: usize = 7;
/// Caller-ID name fields are cut by the PBX; the console shows 15
/// characters, the MiVB directory keeps 20 (data-map.md A6). Every name
/// form is also searched cut at these widths.
const NAME_WIDTHS: [usize; 2] = [15, 20];
/// A shorter name form (a two-letter given name alone) matches too much.
const MIN_TEXT_CHARS: usize = 3;

/// The form a value of `kind` is compared in: digits only for phones,
/// lower case for emails and directory accounts, upper case for names,
/// upper-case letters and digits for account numbers, as is for CloudLink
/// ids; surrounding spaces removed. `None` when nothing comparable is left
/// (a phone with fewer than 7 digits, an empty name).
pub fn canonical(kind: IdentifierKind, value: &str) -> Option<String> {
    let v = value.trim_matches(' ');
    let out = match kind {
        IdentifierKind::Phone => {
            let d: String = v.chars().filter(char::is_ascii_digit).collect();
            return (d.len() >= MIN_PHONE_DIGITS).then_some(d);
        }
        IdentifierKind::Email | IdentifierKind::DirectoryAccount => v.to_lowercase(),
        IdentifierKind::Name => v.to_uppercase(),
        IdentifierKind::AccountNumber => v
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase(),
        IdentifierKind::CloudlinkUserId => v.to_owned(),
    };
    (!out.is_empty()).then_some(out)
}

/// A subject of the batch holding a canonical value, and the identifier's
/// normalised form (what a pseudonym of the value is derived from, so all
/// shapes of one number get one pseudonym).
#[derive(Debug, Clone)]
pub(crate) struct Holder {
    pub subject: usize,
    pub normalised: String,
}

/// Everything one batch searches for.
#[derive(Debug, Default)]
pub(crate) struct Needles {
    /// kind -> canonical value -> the subjects holding it.
    holders: HashMap<IdentifierKind, HashMap<String, Vec<Holder>>>,
    /// Per kind, the values sent as the kind's parameter: each canonical
    /// value, plus its ASCII-case twin where it differs (a database with C
    /// collation folds ASCII letters only).
    pub by_kind: BTreeMap<IdentifierKind, Vec<String>>,
    /// `LIKE` patterns (`%value%`, escaped) of every non-phone variant, for
    /// a case-insensitive search of free text.
    pub text_patterns: Vec<String>,
    /// `LIKE` patterns over the digits of free text: each phone's last
    /// seven digits, which every written shape of the number contains once
    /// separators are dropped. A prefilter: the matcher decides.
    pub digit_patterns: Vec<String>,
}

impl Needles {
    pub(crate) fn new(subjects: &[Subject]) -> Self {
        let mut n = Needles::default();
        for (index, subject) in subjects.iter().enumerate() {
            for id in subject.identifiers() {
                let mut values: Vec<String> = Vec::new();
                for v in &id.variants {
                    values.push(v.value().to_owned());
                    if id.kind == IdentifierKind::Name {
                        let upper = v.value().to_uppercase();
                        for w in NAME_WIDTHS {
                            if upper.chars().count() > w {
                                values.push(upper.chars().take(w).collect());
                            }
                        }
                    }
                    match id.kind {
                        IdentifierKind::Phone if v.form == VariantForm::Last7Digits => n
                            .digit_patterns
                            .push(format!("%{}%", escape_like(v.value()))),
                        IdentifierKind::Phone => {}
                        _ => n
                            .text_patterns
                            .push(format!("%{}%", escape_like(v.value().trim()))),
                    }
                }
                for value in values {
                    let Some(c) = canonical(id.kind, &value) else {
                        continue;
                    };
                    if id.kind != IdentifierKind::Phone && c.chars().count() < MIN_TEXT_CHARS {
                        continue;
                    }
                    n.add(id.kind, c, index, &id.normalised);
                }
            }
        }
        for values in n.by_kind.values_mut() {
            values.sort();
            values.dedup();
        }
        n.text_patterns.sort();
        n.text_patterns.dedup();
        n.digit_patterns.sort();
        n.digit_patterns.dedup();
        n
    }

    fn add(&mut self, kind: IdentifierKind, value: String, subject: usize, normalised: &str) {
        let holders = self
            .holders
            .entry(kind)
            .or_default()
            .entry(value.clone())
            .or_default();
        if holders.iter().any(|h| h.subject == subject) {
            return;
        }
        holders.push(Holder {
            subject,
            normalised: normalised.to_owned(),
        });
        let params = self.by_kind.entry(kind).or_default();
        let twin = match kind {
            IdentifierKind::Name => Some(value.to_ascii_uppercase()),
            IdentifierKind::Email | IdentifierKind::DirectoryAccount => {
                Some(value.to_ascii_lowercase())
            }
            _ => None,
        };
        params.extend(twin.filter(|t| *t != value));
        params.push(value);
    }

    /// The subjects holding `value` (already canonical) of `kind`.
    pub(crate) fn holders(&self, kind: IdentifierKind, value: &str) -> &[Holder] {
        self.holders
            .get(&kind)
            .and_then(|m| m.get(value))
            .map_or(&[], Vec::as_slice)
    }

    /// The subjects holding `raw` as a value of `kind`, canonicalised here.
    pub(crate) fn holders_of_raw(&self, kind: IdentifierKind, raw: &str) -> &[Holder] {
        if !self.holders.contains_key(&kind) {
            return &[];
        }
        canonical(kind, raw).map_or(&[], |c| self.holders(kind, &c))
    }

    /// True when no subject gave anything this batch can search for.
    pub(crate) fn is_empty(&self) -> bool {
        self.holders.is_empty()
    }
}

/// Escapes `\`, `%` and `_` with `\`, the default (PostgreSQL) and the
/// declared (`ESCAPE '\'`) escape character of `LIKE`.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lethe_domain::{PhoneRegion, SubjectInput};

    fn john() -> Subject {
        let input = SubjectInput {
            phones: vec!["01632 960855".into()],
            names: vec!["Maximilian Featherstonehaugh".into()],
            emails: vec!["J.Smith@Example.com".into()],
            ..SubjectInput::default()
        };
        Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
    }

    #[test]
    fn canonical_forms() {
        use IdentifierKind::*;
        assert_eq!(
            canonical(Phone, "+44 (1632) 960-855").unwrap(),
            "441632960855"
        );
        assert_eq!(canonical(Phone, "2281"), None);
        assert_eq!(canonical(Email, " A@B.example ").unwrap(), "a@b.example");
        assert_eq!(canonical(Name, "Smith, John").unwrap(), "SMITH, JOHN");
        assert_eq!(canonical(AccountNumber, "ab-12 3").unwrap(), "AB123");
        assert_eq!(canonical(Name, "   "), None);
    }

    #[test]
    fn every_shape_of_a_phone_lands_on_one_parameter() {
        let n = Needles::new(&[john()]);
        let phones = &n.by_kind[&IdentifierKind::Phone];
        for shape in [
            "+441632960855",
            "01632 960855",
            "0441632960855",
            "901632960855",
            "00441632960855",
        ] {
            let c = canonical(IdentifierKind::Phone, shape).unwrap();
            assert!(phones.contains(&c), "{shape}");
            assert_eq!(
                n.holders(IdentifierKind::Phone, &c)[0].normalised,
                "+441632960855"
            );
        }
        assert_eq!(n.digit_patterns, ["%2960855%"]);
    }

    #[test]
    fn names_are_also_searched_cut_to_the_pbx_widths() {
        let n = Needles::new(&[john()]);
        let names = &n.by_kind[&IdentifierKind::Name];
        // "FEATHERSTONEHAUGH, MAXIMILIAN" as caller ID, cut at 15.
        assert!(names.contains(&"FEATHERSTONEHAU".to_owned()));
        assert!(names.contains(&"MAXIMILIAN FEATHERSTONEHAUGH".to_owned()));
        assert!(n
            .text_patterns
            .contains(&"%j.smith@example.com%".to_owned()));
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like(r"a%b_c\d"), r"a\%b\_c\\d");
    }
}
