//! Rebuilding a request's subject from the store's clear values, for one
//! step. Values were normalised when stored, so they parse again.

use lethe_domain::{IdentifierKind, PhoneRegion, Subject, SubjectInput};
use lethe_store::SearchedValue;

/// The subject to search for, or why the stored values are unusable
/// (destroyed after retention, or no longer valid): no personal data.
pub(crate) fn subject_of(values: &[SearchedValue], region: PhoneRegion) -> Result<Subject, String> {
    let mut input = SubjectInput::default();
    for v in values {
        let list = match v.kind {
            IdentifierKind::Email => &mut input.emails,
            IdentifierKind::Phone => &mut input.phones,
            IdentifierKind::Name => &mut input.names,
            IdentifierKind::AccountNumber => &mut input.account_numbers,
            IdentifierKind::CloudlinkUserId => &mut input.cloudlink_user_ids,
            IdentifierKind::DirectoryAccount => &mut input.directory_accounts,
        };
        list.push(v.value.clone());
    }
    if values.is_empty() {
        return Err(
            "the request has no identifiers left to search (destroyed after retention?)".into(),
        );
    }
    Subject::parse(&input, region).map_err(|errors| {
        let fields: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        format!("stored identifiers no longer parse: {}", fields.join(", "))
    })
}
