//! From a ticketing system's JSON payload to a request, by JSON Pointer
//! (RFC 6901) per field. Each preset knows its vendor's payload shape;
//! operators override any pointer (and the kind values) in `lethe.toml`.
//!
//! A pointer may name a string, a number (ticket ids) or an array of
//! strings; a missing, null or empty value counts as absent, because
//! ticket templates render unset fields as empty strings.

use std::collections::BTreeMap;

use lethe_domain::{FieldError, RequestKind, SubjectInput};
use serde::Deserialize;
use serde_json::Value;

use super::Preset;

/// Operator overrides of a preset's pointers (`[webhooks.mapping]`). An
/// empty string unmaps a field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingOverrides {
    pub kind: Option<String>,
    pub external_id: Option<String>,
    pub note: Option<String>,
    pub emails: Option<String>,
    pub phones: Option<String>,
    pub names: Option<String>,
    pub account_numbers: Option<String>,
    pub cloudlink_user_ids: Option<String>,
    pub directory_accounts: Option<String>,
    /// Payload values of the kind field (compared case-insensitively) and
    /// the request kind each means; added to the preset's.
    #[serde(default)]
    pub kind_values: BTreeMap<String, RequestKind>,
}

/// The identifier lists of a subject, in `SubjectInput`'s field names.
const IDENTIFIER_FIELDS: [&str; 6] = [
    "emails",
    "phones",
    "names",
    "account_numbers",
    "cloudlink_user_ids",
    "directory_accounts",
];

/// A resolved mapping: a pointer per field (`None`: not mapped).
#[derive(Debug, Clone)]
pub struct Mapping {
    kind: Option<String>,
    external_id: Option<String>,
    note: Option<String>,
    /// Pointers of the identifier lists, in `IDENTIFIER_FIELDS` order.
    identifiers: [Option<String>; 6],
    /// Lower-cased payload value -> kind.
    kind_values: BTreeMap<String, RequestKind>,
}

/// A payload mapped to the fields of `POST /v1/requests`.
#[derive(Debug)]
pub struct Mapped {
    pub kind: RequestKind,
    pub external_id: Option<String>,
    pub note: Option<String>,
    pub subject: SubjectInput,
    /// Request-body pointer (`/subject/emails/0`, `/note`) -> the payload
    /// pointer it came from, so a 422 names the payload's field.
    pub origins: BTreeMap<String, String>,
}

fn p(s: &str) -> Option<String> {
    Some(s.to_owned())
}

impl Mapping {
    /// The preset's pointers with the operator's overrides applied.
    /// Errors name the override that is not a JSON Pointer.
    pub fn new(preset: Preset, overrides: &MappingOverrides) -> Result<Self, String> {
        let mut m = Self::preset(preset);
        let o = overrides;
        let slots: [(&str, &Option<String>, &mut Option<String>); 3] = [
            ("kind", &o.kind, &mut m.kind),
            ("external_id", &o.external_id, &mut m.external_id),
            ("note", &o.note, &mut m.note),
        ];
        for (name, over, slot) in slots {
            apply(name, over, slot)?;
        }
        let overs = [
            &o.emails,
            &o.phones,
            &o.names,
            &o.account_numbers,
            &o.cloudlink_user_ids,
            &o.directory_accounts,
        ];
        for ((name, over), slot) in IDENTIFIER_FIELDS
            .iter()
            .zip(overs)
            .zip(m.identifiers.iter_mut())
        {
            apply(name, over, slot)?;
        }
        for (value, kind) in &o.kind_values {
            m.kind_values.insert(value.to_lowercase(), *kind);
        }
        if m.kind.is_none() {
            return Err("mapping.kind: a source needs a pointer to the request kind".into());
        }
        if m.identifiers.iter().all(Option::is_none) {
            return Err("mapping: map at least one identifier list (emails, phones, names, account_numbers, cloudlink_user_ids, directory_accounts)".into());
        }
        Ok(m)
    }

    /// Each vendor's payload shape; see [`Preset`] for the documented
    /// payloads.
    fn preset(preset: Preset) -> Self {
        let mut kind_values: BTreeMap<String, RequestKind> = [
            ("access", RequestKind::Access),
            ("erasure", RequestKind::Erasure),
            ("right of access", RequestKind::Access),
            ("right to erasure", RequestKind::Erasure),
            ("subject access request", RequestKind::Access),
            ("deletion", RequestKind::Erasure),
            ("delete", RequestKind::Erasure),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let m = |kind, ext, note, ids: [Option<String>; 6]| Self {
            kind: p(kind),
            external_id: p(ext),
            note: p(note),
            identifiers: ids,
            kind_values: BTreeMap::new(),
        };
        let mut out = match preset {
            Preset::Standard => m(
                "/kind",
                "/external_id",
                "/note",
                IDENTIFIER_FIELDS.map(|f| Some(format!("/subject/{f}"))),
            ),
            Preset::Jira => m(
                "/issue/fields/customfield_10050/value",
                "/issue/key",
                "/issue/fields/summary",
                [
                    p("/issue/fields/customfield_10051"),
                    p("/issue/fields/customfield_10052"),
                    p("/issue/fields/customfield_10053"),
                    p("/issue/fields/customfield_10054"),
                    None,
                    None,
                ],
            ),
            Preset::ServiceNow => m(
                "/u_request_type",
                "/number",
                "/short_description",
                [
                    p("/u_subject_email"),
                    p("/u_subject_phone"),
                    p("/u_subject_name"),
                    p("/u_account_number"),
                    None,
                    None,
                ],
            ),
            Preset::Zendesk => m(
                "/ticket/request_type",
                "/ticket/id",
                "/ticket/title",
                [
                    p("/ticket/requester/email"),
                    p("/ticket/requester/phone"),
                    p("/ticket/requester/name"),
                    None,
                    None,
                    None,
                ],
            ),
        };
        if preset == Preset::ServiceNow {
            // ServiceNow choice lists post their stored values.
            kind_values.insert("dsar".into(), RequestKind::Access);
            kind_values.insert("rtbf".into(), RequestKind::Erasure);
        }
        out.kind_values = kind_values;
        out
    }

    /// Maps a payload, or names every field that is missing or wrong (by
    /// its payload pointer, never quoting a value).
    pub fn map(&self, payload: &Value) -> Result<Mapped, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut origins = BTreeMap::new();
        let kind_ptr = self.kind.as_deref().unwrap_or("");
        let kind = match texts(payload, kind_ptr) {
            Ok(v) if v.len() == 1 => {
                let found = self.kind_values.get(&v[0].1.to_lowercase()).copied();
                if found.is_none() {
                    errors.push(field(kind_ptr, format!(
                        "not a known request kind; expected one of {} (map others with mapping.kind_values)",
                        self.kind_values.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    )));
                }
                found
            }
            Ok(v) if v.is_empty() => {
                errors.push(field(
                    kind_ptr,
                    "missing: the request kind (access or erasure) is required",
                ));
                None
            }
            Ok(_) => {
                errors.push(field(kind_ptr, "must be one value, not a list"));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let mut single = |ptr: &Option<String>, name: &str| -> Option<String> {
            let ptr = ptr.as_deref()?;
            match texts(payload, ptr) {
                Ok(v) if v.is_empty() => None,
                Ok(mut v) if v.len() == 1 => {
                    origins.insert(format!("/{name}"), ptr.to_owned());
                    Some(v.remove(0).1)
                }
                Ok(_) => {
                    errors.push(field(ptr, "must be one value, not a list"));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        };
        let external_id = single(&self.external_id, "external_id");
        let note = single(&self.note, "note");
        let mut lists: [Vec<String>; 6] = Default::default();
        for ((name, ptr), list) in IDENTIFIER_FIELDS
            .iter()
            .zip(&self.identifiers)
            .zip(lists.iter_mut())
        {
            let Some(ptr) = ptr else { continue };
            match texts(payload, ptr) {
                Ok(values) => {
                    for (origin, value) in values {
                        origins.insert(format!("/subject/{name}/{}", list.len()), origin);
                        list.push(value);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() && lists.iter().all(Vec::is_empty) {
            let mapped: Vec<&str> = self
                .identifiers
                .iter()
                .flatten()
                .map(String::as_str)
                .collect();
            for ptr in &mapped {
                errors.push(field(ptr, "missing: no identifier of the subject was found at any mapped pointer; at least one is required"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let [emails, phones, names, account_numbers, cloudlink_user_ids, directory_accounts] =
            lists;
        Ok(Mapped {
            kind: kind.expect("no errors means a kind"),
            external_id,
            note,
            subject: SubjectInput {
                emails,
                phones,
                names,
                account_numbers,
                cloudlink_user_ids,
                directory_accounts,
            },
            origins,
        })
    }
}

fn apply(name: &str, over: &Option<String>, slot: &mut Option<String>) -> Result<(), String> {
    match over.as_deref() {
        None => Ok(()),
        Some("") => {
            *slot = None;
            Ok(())
        }
        Some(ptr) if ptr.starts_with('/') => {
            *slot = Some(ptr.to_owned());
            Ok(())
        }
        Some(_) => Err(format!(
            "mapping.{name} must be a JSON Pointer starting with `/` (RFC 6901), e.g. `/issue/key`, or empty to unmap it"
        )),
    }
}

fn field(pointer: &str, detail: impl Into<String>) -> FieldError {
    FieldError {
        pointer: pointer.to_owned(),
        detail: detail.into(),
    }
}

/// The non-empty texts at `ptr` with the pointer of each: a string or
/// number, or an array of them. Absent, null and empty values are none.
fn texts(payload: &Value, ptr: &str) -> Result<Vec<(String, String)>, FieldError> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Null => Ok(None),
        _ => Err(()),
    };
    let wrong = || field(ptr, "must be a string or an array of strings");
    match payload.pointer(ptr) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match scalar(item) {
                    Ok(Some(s)) => out.push((format!("{ptr}/{i}"), s)),
                    Ok(None) => {}
                    Err(()) => return Err(field(&format!("{ptr}/{i}"), "must be a string")),
                }
            }
            Ok(out)
        }
        Some(v) => match scalar(v) {
            Ok(Some(s)) => Ok(vec![(ptr.to_owned(), s)]),
            Ok(None) => Ok(Vec::new()),
            Err(()) => Err(wrong()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zendesk_preset_maps_a_ticket_and_names_missing_fields() {
        let m = Mapping::new(Preset::Zendesk, &MappingOverrides::default()).unwrap();
        let ok = m
            .map(
                &json!({"ticket": {"id": 4711, "title": "Delete me", "request_type": "Erasure",
                "requester": {"email": "a@example.com", "phone": "", "name": "Ann Example"}}}),
            )
            .unwrap();
        assert_eq!(ok.kind, RequestKind::Erasure);
        assert_eq!(ok.external_id.as_deref(), Some("4711"));
        assert_eq!(ok.subject.emails.len(), 1);
        assert!(ok.subject.phones.is_empty());
        assert_eq!(ok.origins["/subject/names/0"], "/ticket/requester/name");
        let errs = m
            .map(&json!({"ticket": {"id": 1, "requester": {"email": "a@example.com"}}}))
            .unwrap_err();
        assert_eq!(errs[0].pointer, "/ticket/request_type");
    }

    #[test]
    fn overrides_must_be_pointers() {
        let o = MappingOverrides {
            emails: Some("ticket.email".into()),
            ..Default::default()
        };
        assert!(Mapping::new(Preset::Zendesk, &o)
            .unwrap_err()
            .contains("mapping.emails"));
    }
}
