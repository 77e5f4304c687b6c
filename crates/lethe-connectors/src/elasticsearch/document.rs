//! One document's `_source` as erasure sees it: the values under dotted
//! paths (through arrays and objects), which subjects they name, and the
//! rewritten fields `anonymise` and `redact` produce.
//!
//! Pure functions over `serde_json::Value`; no IO. A rewrite returns only
//! the top-level fields it changed, which is what a partial `_bulk` update
//! sends (arrays are replaced as a whole there, so a changed
//! `Transcript` goes back complete, untouched lines included).

use lethe_domain::{IdentifierHasher, IdentifierKind, Replacement, Subject};
use serde_json::{Map, Value};

use super::target::EsTarget;
use crate::files::{Hit, Matcher};
use crate::sql::pseudonym;

/// Calls `f` on every scalar under `path` of `v`. A `*` segment is any
/// key; a path ending on an object or array reaches every scalar below.
pub(crate) fn visit<'a>(v: &'a Value, path: &[&str], f: &mut impl FnMut(&'a Value)) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| visit(i, path, f)),
        Value::Object(map) => match path.split_first() {
            Some((&"*", rest)) => map.values().for_each(|c| visit(c, rest, f)),
            Some((head, rest)) => {
                if let Some(child) = map.get(*head) {
                    visit(child, rest, f);
                }
            }
            None => map.values().for_each(|c| visit(c, path, f)),
        },
        _ if !path.is_empty() => {}
        Value::String(_) | Value::Number(_) => f(v),
        _ => {}
    }
}

/// [`visit`] with mutable access, for rewriting.
fn visit_mut(v: &mut Value, path: &[&str], f: &mut impl FnMut(&mut Value)) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| visit_mut(i, path, f)),
        Value::Object(map) => match path.split_first() {
            Some((&"*", rest)) => map.values_mut().for_each(|c| visit_mut(c, rest, f)),
            Some((head, rest)) => {
                if let Some(child) = map.get_mut(*head) {
                    visit_mut(child, rest, f);
                }
            }
            None => map.values_mut().for_each(|c| visit_mut(c, path, f)),
        },
        _ if !path.is_empty() => {}
        Value::String(_) | Value::Number(_) => f(v),
        _ => {}
    }
}

/// A scalar as text (numbers too: a phone stored as a number).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn split(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

/// Every hit in the target's read fields of `source`.
pub(crate) fn hits(target: &EsTarget, matcher: &Matcher, source: &Value) -> Vec<Hit> {
    let mut out = Vec::new();
    for field in target.read_fields() {
        visit(source, &split(field), &mut |v| {
            if let Some(t) = text(v) {
                out.extend(matcher.find(t.as_bytes()));
            }
        });
    }
    out
}

/// What a rewrite needs besides the document.
pub(crate) struct Rewriter<'a> {
    pub target: &'a EsTarget,
    pub matcher: &'a Matcher,
    pub subjects: &'a [Subject],
    pub hasher: Option<&'a IdentifierHasher>,
}

impl Rewriter<'_> {
    /// The hits of `who` in `value`.
    fn hits_of(&self, value: &str, who: &[usize]) -> Vec<Hit> {
        self.matcher
            .find(value.as_bytes())
            .into_iter()
            .filter(|h| who.contains(&h.subject))
            .collect()
    }

    /// `value` with each hit of `who` replaced by the target's token, or
    /// `None` when nothing matched. Cuts only at char boundaries.
    fn redact(&self, value: &str, who: &[usize]) -> Option<String> {
        let hits = self.hits_of(value, who);
        if hits.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(value.len());
        let mut at = 0;
        for h in &hits {
            if h.start < at {
                continue;
            }
            let (Some(before), Some(_)) = (value.get(at..h.start), value.get(h.start..h.end))
            else {
                continue;
            };
            out.push_str(before);
            out.push_str(&self.target.token);
            at = h.end;
        }
        out.push_str(&value[at..]);
        (out != value).then_some(out)
    }

    /// What `anonymise` writes over `value`.
    fn replace(&self, with: &Replacement, value: &str, who: &[usize]) -> Value {
        match with {
            Replacement::Null => Value::Null,
            Replacement::Token(t) => Value::String(t.clone()),
            Replacement::Pseudonym => {
                let hasher = self.hasher.expect("checked when the connector was built");
                let (kind, normalised) = self
                    .hits_of(value, who)
                    .first()
                    .and_then(|h| self.identifier_for(h, value))
                    .unwrap_or_else(|| (IdentifierKind::Name, value.trim().to_uppercase()));
                Value::String(pseudonym(hasher, kind, &normalised))
            }
        }
    }

    /// The normalised identifier of the hit's subject that `value` holds.
    fn identifier_for(&self, hit: &Hit, value: &str) -> Option<(IdentifierKind, String)> {
        let matched = value.get(hit.start..hit.end)?;
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let ids = self.subjects.get(hit.subject)?.identifiers();
        let of_kind: Vec<_> = ids.iter().filter(|i| i.kind == hit.kind).collect();
        let exact = of_kind.iter().find(|id| {
            id.variants.iter().any(|v| {
                v.value().eq_ignore_ascii_case(matched)
                    || (hit.kind == IdentifierKind::Phone
                        && !digits(matched).is_empty()
                        && digits(v.value()) == digits(matched))
            })
        });
        exact
            .or(of_kind.first())
            .map(|id| (id.kind, id.normalised.clone()))
    }

    /// The top-level fields of `source` that erasing `who` changes, with
    /// their new values; empty when the document needs no change.
    pub(crate) fn rewrite(&self, source: &Value, who: &[usize]) -> Map<String, Value> {
        let mut doc = source.clone();
        let target = self.target;
        if let Some(with) = target.replacement() {
            let in_party: Vec<&str> = target
                .parties
                .iter()
                .flatten()
                .map(String::as_str)
                .collect();
            for party in &target.parties {
                self.anonymise_party(&mut doc, party, with, who);
            }
            for field in target
                .fields
                .keys()
                .filter(|f| !in_party.contains(&f.as_str()))
            {
                visit_mut(&mut doc, &split(field), &mut |v| {
                    if let Some(t) = text(v) {
                        if !self.hits_of(&t, who).is_empty() {
                            *v = self.replace(with, &t, who);
                        }
                    }
                });
            }
        } else {
            for field in target.fields.keys() {
                self.redact_field(&mut doc, field, who);
            }
        }
        for field in &target.free_text {
            self.redact_field(&mut doc, field, who);
        }
        let (Value::Object(old), Value::Object(new)) = (source, doc) else {
            return Map::new();
        };
        new.into_iter()
            .filter(|(k, v)| old.get(k) != Some(v))
            .collect()
    }

    fn redact_field(&self, doc: &mut Value, field: &str, who: &[usize]) {
        visit_mut(doc, &split(field), &mut |v| {
            if let Some(new) = text(v).and_then(|t| self.redact(&t, who)) {
                *v = Value::String(new);
            }
        });
    }

    /// Overwrites every field of `party` in each element (under the
    /// fields' common parent) where one of them names a subject of `who`.
    fn anonymise_party(
        &self,
        doc: &mut Value,
        party: &[String],
        with: &Replacement,
        who: &[usize],
    ) {
        let paths: Vec<Vec<&str>> = party.iter().map(|p| split(p)).collect();
        let prefix = common_parent(&paths);
        let rel: Vec<&[&str]> = paths.iter().map(|p| &p[prefix.len()..]).collect();
        for_each_element(doc, &prefix, &mut |element| {
            let mut named = false;
            for r in &rel {
                visit(element, r, &mut |v| {
                    if let Some(t) = text(v) {
                        named |= !self.hits_of(&t, who).is_empty();
                    }
                });
            }
            if !named {
                return;
            }
            for r in &rel {
                visit_mut(element, r, &mut |v| {
                    if let Some(t) = text(v) {
                        *v = self.replace(with, &t, who);
                    }
                });
            }
        });
    }
}

/// The longest prefix shared by all paths that is a parent of each (never
/// a whole path).
fn common_parent<'a>(paths: &[Vec<&'a str>]) -> Vec<&'a str> {
    let Some(first) = paths.first() else {
        return Vec::new();
    };
    let mut n = first.len().saturating_sub(1);
    for p in paths {
        n = n.min(p.len().saturating_sub(1));
        n = n.min(first.iter().zip(p).take_while(|(a, b)| a == b).count());
    }
    first[..n].to_vec()
}

/// Calls `f` on every object reached by `prefix` (through arrays): the
/// elements a party is judged in. An empty prefix is the document itself.
fn for_each_element(v: &mut Value, prefix: &[&str], f: &mut impl FnMut(&mut Value)) {
    match (v, prefix.split_first()) {
        (Value::Array(items), _) => items
            .iter_mut()
            .for_each(|i| for_each_element(i, prefix, f)),
        (v @ Value::Object(_), None) => f(v),
        (Value::Object(map), Some((head, rest))) => {
            if let Some(child) = map.get_mut(*head) {
                for_each_element(child, rest, f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elasticsearch::presets;
    use lethe_domain::{PhoneRegion, SubjectInput};
    use serde_json::json;

    fn john() -> Subject {
        let input = SubjectInput {
            emails: vec!["john.smith@example.com".into()],
            phones: vec!["+441632960855".into()],
            names: vec!["John Smith".into()],
            ..SubjectInput::default()
        };
        Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
    }

    fn rewriter_for<'a>(target: &'a EsTarget, m: &'a Matcher, s: &'a [Subject]) -> Rewriter<'a> {
        Rewriter {
            target,
            matcher: m,
            subjects: s,
            hasher: None,
        }
    }

    #[test]
    fn anonymise_overwrites_the_subjects_party_only_and_redacts_text() {
        let mut target = presets::micc_cases();
        target.strategy = lethe_domain::Strategy::Anonymise {
            with: Replacement::Token("[ERASED]".into()),
        };
        let subjects = [john()];
        let m = Matcher::for_subjects(&subjects).unwrap();
        let doc = json!({
            "Id": "case-1", "State": "Open", "Subject": "Refund for john.smith@example.com",
            "Contacts": [
                {"Id": "c-1", "Name": "John Smith", "Address": "+44 1632 960855"},
                {"Id": "c-2", "Name": "Mary Jones", "Address": "mary@example.org"}
            ],
            "Notes": [
                {"Text": "Called 01632 960855, no answer", "CreatedBy": "agent7"},
                {"Text": "Parcel left at depot", "CreatedBy": "agent7"}
            ]
        });
        let w = rewriter_for(&target, &m, &subjects);
        let changed = w.rewrite(&doc, &[0]);
        assert_eq!(changed["Subject"], json!("Refund for [REDACTED]"));
        assert_eq!(changed["Contacts"][0]["Name"], json!("[ERASED]"));
        assert_eq!(changed["Contacts"][0]["Address"], json!("[ERASED]"));
        assert_eq!(changed["Contacts"][1], doc["Contacts"][1]);
        assert_eq!(
            changed["Notes"][0]["Text"],
            json!("Called [REDACTED], no answer")
        );
        assert_eq!(changed["Notes"][1], doc["Notes"][1]);
        assert!(!changed.contains_key("State") && !changed.contains_key("Id"));
        // Nobody's: nothing changes.
        assert!(w.rewrite(&doc, &[]).is_empty());
    }

    #[test]
    fn common_parent_is_a_proper_prefix() {
        let p = |s: &'static str| s.split('.').collect::<Vec<_>>();
        assert_eq!(
            common_parent(&[p("Contacts.Name"), p("Contacts.Address")]),
            vec!["Contacts"]
        );
        assert!(common_parent(&[p("ANI"), p("CallerName")]).is_empty());
        assert!(common_parent(&[p("Contacts.Name")]) == vec!["Contacts"]);
        assert!(common_parent(&[p("A.B"), p("A")]).is_empty());
    }
}
