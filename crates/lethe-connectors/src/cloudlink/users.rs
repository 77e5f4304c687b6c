//! How a CloudLink user object relates to the subjects of a batch, and
//! what anonymising one writes. Pure: no IO.

use lethe_domain::{IdentifierHasher, IdentifierKind, Replacement, Subject};
use serde_json::Value;

use crate::files::Matcher;
use crate::sql::pseudonym;

/// Fields that name the person: replaced by `anonymise`.
pub(crate) const NAME_FIELDS: [&str; 5] =
    ["name", "displayName", "firstName", "lastName", "nickname"];
/// Fields that reach the person: cleared by `anonymise`.
pub(crate) const CONTACT_FIELDS: [&str; 4] = ["email", "phone", "mobile", "extension"];

/// How one item relates to one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strength {
    /// Email, user id or phone number.
    Strong,
    /// A name only.
    Weak,
}

fn text<'a>(user: &'a Value, field: &str) -> &'a str {
    user[field].as_str().unwrap_or("")
}

/// The user's `userId`, if it has one.
pub(crate) fn user_id(user: &Value) -> Option<&str> {
    user["userId"].as_str().filter(|s| !s.is_empty())
}

/// Per subject of the batch: how `user` matches it, if at all.
pub(crate) fn strengths(
    user: &Value,
    subjects: &[Subject],
    matcher: &Matcher,
) -> Vec<Option<Strength>> {
    let n = subjects.len();
    let mut strong = vec![false; n];
    let mut weak = vec![false; n];
    let email = text(user, "email");
    let id = user_id(user).unwrap_or("");
    for (i, s) in subjects.iter().enumerate() {
        strong[i] = (!email.is_empty()
            && s.emails
                .iter()
                .any(|e| e.normalised().eq_ignore_ascii_case(email)))
            || (!id.is_empty() && s.cloudlink_user_ids.iter().any(|u| u.normalised() == id));
    }
    let full = format!("{} {}", text(user, "firstName"), text(user, "lastName"));
    let fields = NAME_FIELDS
        .iter()
        .chain(&CONTACT_FIELDS)
        .map(|f| text(user, f))
        .chain([full.trim()]);
    for value in fields.filter(|v| !v.is_empty()) {
        for hit in matcher.find(value.as_bytes()) {
            if hit.kind == IdentifierKind::Name {
                weak[hit.subject] = true;
            } else {
                strong[hit.subject] = true;
            }
        }
    }
    (0..n)
        .map(|i| {
            if strong[i] {
                Some(Strength::Strong)
            } else if weak[i] {
                Some(Strength::Weak)
            } else {
                None
            }
        })
        .collect()
}

/// What `anonymise` writes into the name fields of the user `id`.
pub(crate) fn replacement_value(
    with: &Replacement,
    id: &str,
    hasher: Option<&IdentifierHasher>,
) -> Value {
    match (with, hasher) {
        (Replacement::Null, _) => Value::Null,
        (Replacement::Token(t), _) => Value::String(t.clone()),
        (Replacement::Pseudonym, Some(h)) => {
            Value::String(pseudonym(h, IdentifierKind::CloudlinkUserId, id))
        }
        // Refused when the connector is built.
        (Replacement::Pseudonym, None) => Value::Null,
    }
}

/// Whether `user` holds nothing personal any more: every contact field
/// empty and every name field empty or the replacement. Such a user is
/// the result of an earlier anonymisation and matches nobody.
pub(crate) fn is_anonymised(
    user: &Value,
    with: &Replacement,
    hasher: Option<&IdentifierHasher>,
) -> bool {
    let Some(id) = user_id(user) else {
        return false;
    };
    let replaced = replacement_value(with, id, hasher);
    CONTACT_FIELDS.iter().all(|f| text(user, f).is_empty())
        && NAME_FIELDS
            .iter()
            .all(|f| text(user, f).is_empty() || user[*f] == replaced)
}

/// The user object `anonymise` writes back with `PUT`: name fields
/// replaced, contact fields cleared, everything else (`userId`, `role`,
/// `accountId`, timestamps) as it was. HAL links are dropped.
pub(crate) fn anonymised(
    user: &Value,
    with: &Replacement,
    hasher: Option<&IdentifierHasher>,
) -> Value {
    let mut out = user.clone();
    let id = user_id(user).unwrap_or("").to_owned();
    if let Value::Object(m) = &mut out {
        m.remove("_links");
        let replaced = replacement_value(with, &id, hasher);
        for f in NAME_FIELDS {
            m.insert(f.to_owned(), replaced.clone());
        }
        for f in CONTACT_FIELDS {
            m.insert(f.to_owned(), Value::Null);
        }
    }
    out
}

/// An OData string literal: quotes around, inner quotes doubled.
pub(crate) fn odata_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lethe_domain::{PhoneRegion, SubjectInput};
    use serde_json::json;

    fn subject(emails: &[&str], phones: &[&str], names: &[&str], ids: &[&str]) -> Subject {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Subject::parse(
            &SubjectInput {
                emails: v(emails),
                phones: v(phones),
                names: v(names),
                cloudlink_user_ids: v(ids),
                ..SubjectInput::default()
            },
            PhoneRegion::parse("GB").unwrap(),
        )
        .unwrap()
    }

    fn john() -> Value {
        json!({"userId": "u-1", "name": "John Smith", "displayName": "John Smith",
            "firstName": "John", "lastName": "Smith", "nickname": "John",
            "email": "John.Smith@Example.com", "phone": "01632 960855",
            "mobile": null, "extension": "2855", "role": "USER"})
    }

    #[test]
    fn email_id_and_phone_are_strong_names_weak() {
        let subjects = [
            subject(&["john.smith@example.com"], &[], &[], &[]),
            subject(&[], &[], &[], &["u-1"]),
            subject(&[], &["+44 1632 960855"], &[], &[]),
            subject(&[], &[], &["John Smith"], &[]),
            subject(&["mary@example.org"], &[], &["Mary Jones"], &["u-2"]),
        ];
        let m = Matcher::for_subjects(&subjects).unwrap();
        use Strength::*;
        assert_eq!(
            strengths(&john(), &subjects, &m),
            vec![Some(Strong), Some(Strong), Some(Strong), Some(Weak), None]
        );
    }

    #[test]
    fn anonymised_users_match_nobody_and_keep_their_id() {
        let with = Replacement::Token("[ERASED]".into());
        let a = anonymised(&john(), &with, None);
        assert_eq!(a["userId"], "u-1");
        assert_eq!(a["role"], "USER");
        assert_eq!(a["name"], "[ERASED]");
        assert!(a["email"].is_null() && a["phone"].is_null());
        assert!(is_anonymised(&a, &with, None));
        assert!(!is_anonymised(&john(), &with, None));
        let h = IdentifierHasher::new(b"0123456789abcdef");
        let p = anonymised(&john(), &Replacement::Pseudonym, Some(&h));
        assert!(p["name"].as_str().unwrap().starts_with("anon-"));
        assert!(is_anonymised(&p, &Replacement::Pseudonym, Some(&h)));
        assert_eq!(odata_literal("o'brien"), "'o''brien'");
    }
}
