//! The data subject of a request: the raw identifiers a caller sends
//! ([`SubjectInput`]) and the parsed, deduplicated set lethe searches for
//! ([`Subject`]).
//!
//! Parsing reports every bad entry at once, each under a JSON Pointer, so the
//! API can answer one 422 that names every field (SPEC §4, §9) without ever
//! echoing a value.

/// Re-exported here, where the contract first put it.
pub use crate::identifier::ParsedIdentifier;
use crate::identifier::{
    AccountNumber, CloudLinkUserId, DirectoryAccount, Email, Identifier, IdentifierError,
    IdentifierKind, PersonName, Phone, PhoneRegion,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most entries accepted in one identifier list; a request naming more is a
/// mistake or an attempt to use lethe as a bulk search engine.
pub const MAX_PER_LIST: usize = 20;

/// Raw identifiers as received (API body, webhook, CLI). `Debug` shows counts
/// only: every string here is personal data. Unknown fields are refused, so
/// a misspelt list (`"phone"`) never silently drops an identifier.
#[derive(Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"emails": ["jane.doe@example.com"], "phones": ["+44 1632 960855"]}))]
pub struct SubjectInput {
    /// Email addresses, any case.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub emails: Vec<String>,
    /// Phone numbers in any common shape; national ones use the configured region.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub phones: Vec<String>,
    /// Names as `First Last`, `LAST, First` or `Lastname,Firstname`.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub names: Vec<String>,
    /// Account or card numbers; spaces, `-` and `/` are ignored.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub account_numbers: Vec<String>,
    /// CloudLink `userId`s, exactly as CloudLink shows them.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub cloudlink_user_ids: Vec<String>,
    /// Windows accounts: `DOMAIN\user`, `user@domain` or a bare name.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub directory_accounts: Vec<String>,
}

impl std::fmt::Debug for SubjectInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectInput")
            .field("emails", &self.emails.len())
            .field("phones", &self.phones.len())
            .field("names", &self.names.len())
            .field("account_numbers", &self.account_numbers.len())
            .field("cloudlink_user_ids", &self.cloudlink_user_ids.len())
            .field("directory_accounts", &self.directory_accounts.len())
            .finish()
    }
}

/// One input that did not parse. `pointer` is a JSON Pointer relative to the
/// subject (`/phones/1`; `""` for the subject as a whole) and `detail` says
/// why without quoting the value, so both can go into a problem+json body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where, e.g. `/phones/1`.
    pub pointer: String,
    /// Why, e.g. `not a valid phone number: too few digits`.
    pub detail: String,
}

/// A parsed subject: at least one identifier, duplicates (after
/// normalisation) removed, each list in input order. `Debug` shows counts.
#[derive(Clone, Default)]
pub struct Subject {
    /// Email addresses.
    pub emails: Vec<Email>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// Names (weak on their own).
    pub names: Vec<PersonName>,
    /// Account numbers.
    pub account_numbers: Vec<AccountNumber>,
    /// CloudLink user ids.
    pub cloudlink_user_ids: Vec<CloudLinkUserId>,
    /// Directory accounts.
    pub directory_accounts: Vec<DirectoryAccount>,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subject")
            .field("emails", &self.emails.len())
            .field("phones", &self.phones.len())
            .field("names", &self.names.len())
            .field("account_numbers", &self.account_numbers.len())
            .field("cloudlink_user_ids", &self.cloudlink_user_ids.len())
            .field("directory_accounts", &self.directory_accounts.len())
            .finish()
    }
}

impl Subject {
    /// Parses every entry of `input` (national phone numbers in `region`),
    /// collecting all errors rather than stopping at the first. Requires at
    /// least one entry overall and at most [`MAX_PER_LIST`] per list; drops
    /// entries that normalise to one already seen.
    pub fn parse(input: &SubjectInput, region: PhoneRegion) -> Result<Subject, Vec<FieldError>> {
        let mut errors = Vec::new();
        let subject = Subject {
            emails: parse_list(
                &input.emails,
                IdentifierKind::Email,
                &mut errors,
                Email::parse,
            ),
            phones: parse_list(&input.phones, IdentifierKind::Phone, &mut errors, |s| {
                Phone::parse(s, region)
            }),
            names: parse_list(
                &input.names,
                IdentifierKind::Name,
                &mut errors,
                PersonName::parse,
            ),
            account_numbers: parse_list(
                &input.account_numbers,
                IdentifierKind::AccountNumber,
                &mut errors,
                AccountNumber::parse,
            ),
            cloudlink_user_ids: parse_list(
                &input.cloudlink_user_ids,
                IdentifierKind::CloudlinkUserId,
                &mut errors,
                CloudLinkUserId::parse,
            ),
            directory_accounts: parse_list(
                &input.directory_accounts,
                IdentifierKind::DirectoryAccount,
                &mut errors,
                DirectoryAccount::parse,
            ),
        };
        let given = input.emails.len()
            + input.phones.len()
            + input.names.len()
            + input.account_numbers.len()
            + input.cloudlink_user_ids.len()
            + input.directory_accounts.len();
        if given == 0 {
            errors.push(FieldError {
                pointer: String::new(),
                detail: "name at least one identifier (emails, phones, names, account_numbers, \
                         cloudlink_user_ids, directory_accounts)"
                    .to_owned(),
            });
        }
        if errors.is_empty() {
            Ok(subject)
        } else {
            Err(errors)
        }
    }

    /// One entry per identifier, emails first then in [`IdentifierKind`]
    /// order, each list in input order.
    pub fn identifiers(&self) -> Vec<ParsedIdentifier> {
        let mut out = Vec::with_capacity(self.len());
        out.extend(self.emails.iter().map(ParsedIdentifier::of));
        out.extend(self.phones.iter().map(ParsedIdentifier::of));
        out.extend(self.names.iter().map(ParsedIdentifier::of));
        out.extend(self.account_numbers.iter().map(ParsedIdentifier::of));
        out.extend(self.cloudlink_user_ids.iter().map(ParsedIdentifier::of));
        out.extend(self.directory_accounts.iter().map(ParsedIdentifier::of));
        out
    }

    /// True when names are the only identifiers: every match would then be
    /// "weak" (SPEC §4) and is not erased without policy or an approver.
    pub fn has_only_names(&self) -> bool {
        !self.names.is_empty() && self.len() == self.names.len()
    }

    /// How many identifiers the subject has, over all kinds.
    pub fn len(&self) -> usize {
        self.emails.len()
            + self.phones.len()
            + self.names.len()
            + self.account_numbers.len()
            + self.cloudlink_user_ids.len()
            + self.directory_accounts.len()
    }

    /// True when the subject has no identifier (only a `Default` one can).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Parses one list: a list over the limit is one error at `/<field>` (its
/// entries are not parsed, so a huge list costs nothing); otherwise each bad
/// entry is an error at `/<field>/<index>`, and duplicates are dropped.
fn parse_list<T: Identifier>(
    raw: &[String],
    kind: IdentifierKind,
    errors: &mut Vec<FieldError>,
    parse: impl Fn(&str) -> Result<T, IdentifierError>,
) -> Vec<T> {
    let field = kind.field();
    if raw.len() > MAX_PER_LIST {
        errors.push(FieldError {
            pointer: format!("/{field}"),
            detail: format!("at most {MAX_PER_LIST} {field} may be given"),
        });
        return Vec::new();
    }
    let mut out: Vec<T> = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match parse(s) {
            Ok(id) if out.iter().any(|o| o.normalised() == id.normalised()) => {}
            Ok(id) => out.push(id),
            Err(e) => errors.push(FieldError {
                pointer: format!("/{field}/{i}"),
                detail: e.to_string(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SubjectInput {
        SubjectInput {
            emails: vec![
                "John.Smith@Example.com".into(),
                "john.smith@example.COM".into(),
            ],
            phones: vec![
                "01632 960855".into(),
                "+44 1632 960855".into(),
                "07700 900123".into(),
            ],
            names: vec!["SMITH, JOHN".into(), "John Smith".into()],
            account_numbers: vec!["AB12 CDE".into()],
            cloudlink_user_ids: vec!["u-000123".into()],
            directory_accounts: vec!["CORP\\jsmith".into()],
        }
    }

    #[test]
    fn parses_and_deduplicates() {
        let s = Subject::parse(&input(), PhoneRegion::GB).unwrap();
        assert_eq!(s.emails.len(), 1);
        assert_eq!(s.phones.len(), 2);
        assert_eq!(s.names.len(), 1);
        assert_eq!(s.len(), 7);
        assert!(!s.has_only_names());
        let ids = s.identifiers();
        let kinds: Vec<_> = ids.iter().map(|i| i.kind).collect();
        use IdentifierKind::*;
        assert_eq!(
            kinds,
            [
                Email,
                Phone,
                Phone,
                Name,
                AccountNumber,
                CloudlinkUserId,
                DirectoryAccount
            ]
        );
        assert_eq!(ids[1].normalised, "+441632960855");
        assert_eq!(ids[1].hint, "+44*******55");
        assert_eq!(ids[1].variants.len(), 14);
        assert_eq!(ids[4].normalised, "AB12CDE");
    }

    #[test]
    fn collects_every_error_with_pointers_and_no_values() {
        let mut inp = input();
        inp.phones = vec!["+44 1632 960855".into(), "12".into(), "call me".into()];
        inp.emails = vec!["nobody".into()];
        inp.names = (0..21).map(|i| format!("Name{i}")).collect();
        let errs = Subject::parse(&inp, PhoneRegion::GB).unwrap_err();
        let got: Vec<(&str, &str)> = errs
            .iter()
            .map(|e| (e.pointer.as_str(), e.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("/emails/0", "not a valid email address: no @"),
                ("/phones/1", "not a valid phone number: too few digits"),
                ("/phones/2", "not a valid phone number: contains letters"),
                ("/names", "at most 20 names may be given"),
            ]
        );
        for e in &errs {
            assert!(!e.detail.contains("nobody") && !e.detail.contains("call me"));
        }
    }

    #[test]
    fn empty_subject_is_one_error_at_the_root() {
        let errs = Subject::parse(&SubjectInput::default(), PhoneRegion::GB).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].pointer, "");
        assert_eq!(
            errs[0].detail,
            "name at least one identifier (emails, phones, names, account_numbers, \
             cloudlink_user_ids, directory_accounts)"
        );
        let ok = Subject::parse(
            &SubjectInput {
                names: vec!["Anna".into()],
                ..Default::default()
            },
            PhoneRegion::GB,
        )
        .unwrap();
        assert!(ok.has_only_names());
        assert!(!Subject::default().has_only_names());
        assert!(Subject::default().is_empty());
    }

    #[test]
    fn twenty_entries_are_allowed() {
        let inp = SubjectInput {
            account_numbers: (0..20).map(|i| format!("A{i}")).collect(),
            ..Default::default()
        };
        assert_eq!(Subject::parse(&inp, PhoneRegion::GB).unwrap().len(), 20);
    }

    #[test]
    fn debug_shows_counts_and_hints_only() {
        let inp = input();
        let s = Subject::parse(&inp, PhoneRegion::GB).unwrap();
        let texts = [
            format!("{inp:?}"),
            format!("{s:?}"),
            format!("{:?}", s.identifiers()),
        ];
        for t in texts {
            for secret in [
                "smith", "SMITH", "Smith", "1632", "960855", "example", "u-000123", "AB12",
            ] {
                assert!(!t.contains(secret), "{secret} in {t}");
            }
        }
        assert_eq!(
            format!("{inp:?}"),
            "SubjectInput { emails: 2, phones: 3, names: 2, account_numbers: 1, \
             cloudlink_user_ids: 1, directory_accounts: 1 }"
        );
    }
}
