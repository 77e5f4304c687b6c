//! The query that finds a batch of subjects in one target, and how a big
//! batch is cut into slices that each stay under the cluster's clause
//! limit.
//!
//! The query is a wide net; attribution in Rust (the files
//! [`Matcher`](crate::files::Matcher) over the returned fields) decides
//! whose a document is and how strongly. So the query may over-match
//! (a phrase split differently by the analyser) but must never
//! under-match a shape the matcher would accept.

use std::ops::Range;

use lethe_domain::{IdentifierKind, Subject};
use serde_json::{json, Value};

use super::target::EsTarget;

/// Values searched for in a keyword field of `kinds`: every variant.
/// Emails are searched case-insensitively with one `term` each (a keyword
/// keeps the case it was typed in); everything else with one `terms`.
fn keyword_values(subjects: &[Subject], kinds: &[IdentifierKind]) -> (Vec<String>, Vec<String>) {
    let mut exact = Vec::new();
    let mut emails = Vec::new();
    for s in subjects {
        for id in s.identifiers() {
            if !kinds.contains(&id.kind) {
                continue;
            }
            if id.kind == IdentifierKind::Email {
                emails.push(id.normalised.clone());
                continue;
            }
            for v in &id.variants {
                exact.push(v.value().to_owned());
            }
        }
    }
    for list in [&mut exact, &mut emails] {
        list.sort();
        list.dedup();
    }
    (exact, emails)
}

/// Every distinct variant of every identifier: the phrases searched in
/// free text.
fn phrases(subjects: &[Subject]) -> Vec<String> {
    let mut out: Vec<String> = subjects
        .iter()
        .flat_map(|s| s.identifiers())
        .flat_map(|id| id.variants.into_iter().map(|v| v.value().to_owned()))
        .filter(|v| !v.trim().is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The batch's query: per keyword field one `terms` (plus a
/// case-insensitive `term` per email), and one phrase query per variant
/// over all free-text fields at once. `None` when no identifier of the
/// batch can appear in any declared field: an empty `should` would match
/// every document.
pub(crate) fn batch_query(target: &EsTarget, subjects: &[Subject]) -> Option<Value> {
    let mut should = Vec::new();
    for (field, kinds) in &target.fields {
        let (exact, emails) = keyword_values(subjects, kinds);
        if !exact.is_empty() {
            should.push(json!({ "terms": { field.as_str(): exact } }));
        }
        for e in emails {
            should.push(
                json!({ "term": { field.as_str(): { "value": e, "case_insensitive": true } } }),
            );
        }
    }
    if !target.free_text.is_empty() {
        for p in phrases(subjects) {
            // `lenient`: a wildcard such as `Variables.*` may reach a date
            // or number field, which would refuse a text query.
            should.push(json!({ "multi_match": {
                "query": p, "type": "phrase", "fields": target.free_text, "lenient": true
            }}));
        }
    }
    if should.is_empty() {
        return None;
    }
    Some(json!({ "bool": { "should": should, "minimum_should_match": 1 } }))
}

/// Clauses one subject adds to a query: its emails per email field, and
/// each phrase once per free-text field (the cluster expands a
/// multi-field query per field).
fn cost(target: &EsTarget, subject: &Subject) -> usize {
    let ids = subject.identifiers();
    let emails = ids
        .iter()
        .filter(|i| i.kind == IdentifierKind::Email)
        .count();
    let email_fields = target
        .fields
        .values()
        .filter(|k| k.contains(&IdentifierKind::Email))
        .count();
    let variants: usize = ids.iter().map(|i| i.variants.len()).sum();
    emails * email_fields + variants * target.free_text.len().max(1)
}

/// Cuts `subjects` into consecutive slices whose queries stay within the
/// target's clause budget (the `terms` clauses, one per field, are
/// counted once per slice). A subject too big for any slice gets one of
/// its own.
pub(crate) fn slices(target: &EsTarget, subjects: &[Subject]) -> Vec<Range<usize>> {
    let fixed = target.fields.len();
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = fixed;
    for (i, s) in subjects.iter().enumerate() {
        let c = cost(target, s);
        if i > start && used + c > target.max_clauses {
            out.push(start..i);
            start = i;
            used = fixed;
        }
        used += c;
    }
    if start < subjects.len() {
        out.push(start..subjects.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elasticsearch::presets;
    use lethe_domain::{PhoneRegion, SubjectInput};

    fn person(i: usize) -> Subject {
        let input = SubjectInput {
            emails: vec![format!("p{i}@example.com")],
            phones: vec![format!("01632 960{:03}", i % 1000)],
            names: vec![format!("Pat Number{i}")],
            ..SubjectInput::default()
        };
        Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
    }

    #[test]
    fn big_batches_are_sliced_under_the_clause_budget() {
        let target = presets::micc_interactions_message();
        let subjects: Vec<Subject> = (0..200).map(person).collect();
        let slices = slices(&target, &subjects);
        assert!(slices.len() > 1);
        assert_eq!(slices.first().unwrap().start, 0);
        assert_eq!(slices.last().unwrap().end, 200);
        for w in slices.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        for r in &slices {
            let q = batch_query(&target, &subjects[r.clone()]).unwrap();
            let clauses = q["bool"]["should"].as_array().unwrap().len();
            let phrase = q["bool"]["should"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c.get("multi_match").is_some())
                .count();
            let expanded = clauses - phrase + phrase * target.free_text.len();
            assert!(expanded <= target.max_clauses, "{expanded} clauses");
        }
    }

    #[test]
    fn nothing_to_search_is_no_query_not_match_all() {
        let target = presets::micc_directory_ad();
        let input = SubjectInput {
            account_numbers: vec!["AC5500855".into()],
            ..SubjectInput::default()
        };
        let s = Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap();
        assert!(batch_query(&target, &[s]).is_none());
        assert!(batch_query(&target, &[person(1)]).is_some());
    }
}
