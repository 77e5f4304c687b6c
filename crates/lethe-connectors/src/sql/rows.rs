//! Rows the batch's `SELECT` returned, attributed to subjects in Rust: which
//! subject's values each identifier column holds, which identifiers each
//! free-text column mentions, and from that strong and weak matches,
//! places, proposals, export records and the changes erasure makes.

use std::collections::HashSet;

use lethe_domain::{IdentifierHasher, IdentifierKind, Subject};

use super::search::{canonical, Needles};
use super::statement::{Layout, RowChange};
use crate::files::Matcher;
use crate::{Erasure, Export, Finding, Place, Proposal};

/// One returned row: every selected column as text, key first.
#[derive(Clone)]
pub struct Row {
    pub values: Vec<Option<String>>,
}

/// Values are personal data: `Debug` shows how many there are.
impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Row({} columns)", self.values.len())
    }
}

/// An identifier found inside a free-text value, and whose it is.
#[derive(Debug, Clone)]
struct TextHit {
    start: usize,
    end: usize,
    subjects: Vec<usize>,
}

/// One subject's match in one row.
#[derive(Debug, Clone, Default)]
struct SubjectMatch {
    strong: bool,
    /// Indices into `layout.idents` holding the subject's values.
    idents: Vec<usize>,
    /// Indices into `layout.free_text` mentioning the subject.
    texts: Vec<usize>,
}

/// Matches of one row.
#[derive(Debug)]
struct RowMatch {
    row: usize,
    /// (subject, match), subjects ascending.
    subjects: Vec<(usize, SubjectMatch)>,
    /// Per free-text column, its hits.
    hits: Vec<Vec<TextHit>>,
}

/// The attributed result of one `SELECT`.
#[derive(Debug)]
pub(crate) struct Attributed {
    layout: Layout,
    rows: Vec<Row>,
    matches: Vec<RowMatch>,
}

impl Attributed {
    /// Attributes `rows` (in `layout` order) to the batch's subjects.
    pub(crate) fn new(
        layout: Layout,
        rows: Vec<Row>,
        needles: &Needles,
        matcher: Option<&Matcher>,
    ) -> Self {
        let n_idents = layout.idents.len();
        let mut matches = Vec::with_capacity(rows.len());
        for (r, row) in rows.iter().enumerate() {
            let mut found: Vec<(usize, SubjectMatch)> = Vec::new();
            let mut mark =
                |subject: usize, strong: bool, ident: Option<usize>, text: Option<usize>| {
                    let i = match found.iter().position(|(s, _)| *s == subject) {
                        Some(i) => i,
                        None => {
                            found.push((subject, SubjectMatch::default()));
                            found.len() - 1
                        }
                    };
                    let m = &mut found[i].1;
                    m.strong |= strong;
                    if let Some(c) = ident.filter(|c| !m.idents.contains(c)) {
                        m.idents.push(c);
                    }
                    if let Some(c) = text.filter(|c| !m.texts.contains(c)) {
                        m.texts.push(c);
                    }
                };
            for (i, (_, kinds, _)) in layout.idents.iter().enumerate() {
                let Some(value) = &row.values[1 + i] else {
                    continue;
                };
                for kind in kinds {
                    for h in needles.holders_of_raw(*kind, value) {
                        mark(h.subject, *kind != IdentifierKind::Name, Some(i), None);
                    }
                }
            }
            let mut hits = Vec::with_capacity(layout.free_text.len());
            for j in 0..layout.free_text.len() {
                let mut column_hits = Vec::new();
                if let (Some(value), Some(m)) = (&row.values[1 + n_idents + j], matcher) {
                    for hit in m.find(value.as_bytes()) {
                        let text = String::from_utf8_lossy(&value.as_bytes()[hit.start..hit.end]);
                        let mut subjects: Vec<usize> = needles
                            .holders_of_raw(hit.kind, &text)
                            .iter()
                            .map(|h| h.subject)
                            .collect();
                        if !subjects.contains(&hit.subject) {
                            subjects.push(hit.subject);
                        }
                        for &s in &subjects {
                            mark(s, hit.kind != IdentifierKind::Name, None, Some(j));
                        }
                        column_hits.push(TextHit {
                            start: hit.start,
                            end: hit.end,
                            subjects,
                        });
                    }
                }
                hits.push(column_hits);
            }
            if !found.is_empty() {
                found.sort_by_key(|(s, _)| *s);
                matches.push(RowMatch {
                    row: r,
                    subjects: found,
                    hits,
                });
            }
        }
        Self {
            layout,
            rows,
            matches,
        }
    }

    /// The identifier columns of the parties `m` touches.
    fn party_columns(&self, m: &SubjectMatch) -> Vec<usize> {
        let parties: HashSet<usize> = m.idents.iter().map(|&i| self.layout.idents[i].2).collect();
        (0..self.layout.idents.len())
            .filter(|&i| parties.contains(&self.layout.idents[i].2))
            .collect()
    }

    /// Per subject: counts at `place`, and phones or emails found in the
    /// same party of a strong row that are not the subject's.
    pub(crate) fn findings(
        &self,
        batch: &[Subject],
        needles: &Needles,
        place: &str,
    ) -> Vec<Finding> {
        let mut out = vec![Finding::default(); batch.len()];
        let mut seen: Vec<HashSet<(IdentifierKind, String)>> = vec![HashSet::new(); batch.len()];
        for rm in &self.matches {
            let row = &self.rows[rm.row];
            for (s, m) in &rm.subjects {
                let f = &mut out[*s];
                if !m.strong {
                    f.weak += 1;
                    continue;
                }
                f.matched += 1;
                for i in self.party_columns(m) {
                    let Some(value) = &row.values[1 + i] else {
                        continue;
                    };
                    for kind in &self.layout.idents[i].1 {
                        if !matches!(kind, IdentifierKind::Phone | IdentifierKind::Email) {
                            continue;
                        }
                        let Some(c) = canonical(*kind, value) else {
                            continue;
                        };
                        let theirs = needles.holders(*kind, &c).iter().any(|h| h.subject == *s);
                        if !theirs && seen[*s].insert((*kind, c)) {
                            f.proposed.push(Proposal {
                                kind: *kind,
                                value: value.trim().to_owned(),
                            });
                        }
                    }
                }
            }
        }
        for f in &mut out {
            if f.matched + f.weak > 0 {
                f.places.push(Place {
                    place: place.to_owned(),
                    items: f.matched,
                    weak: f.weak,
                });
            }
        }
        out
    }

    /// Per subject, each matching row as a JSON object: `place`, `match`
    /// (`strong` or `weak`), the key, the identifier columns of the
    /// subject's own parties (not the other people of the row), the
    /// free-text columns mentioning the subject, and the context columns.
    pub(crate) fn exports(&self, batch_len: usize, place: &str) -> Vec<Export> {
        let l = &self.layout;
        let mut out = vec![Export::default(); batch_len];
        let n_idents = l.idents.len();
        let text = |v: &Option<String>| v.clone().map_or(serde_json::Value::Null, Into::into);
        for rm in &self.matches {
            let row = &self.rows[rm.row];
            for (s, m) in &rm.subjects {
                let mut r = serde_json::Map::new();
                r.insert("place".into(), place.into());
                r.insert(
                    "match".into(),
                    if m.strong { "strong" } else { "weak" }.into(),
                );
                let mut put = |name: &str, v: &Option<String>| {
                    let field = if matches!(name, "place" | "match") {
                        format!("column:{name}")
                    } else {
                        name.to_owned()
                    };
                    r.insert(field, text(v));
                };
                put(&l.key, &row.values[0]);
                for i in self.party_columns(m) {
                    put(&l.idents[i].0, &row.values[1 + i]);
                }
                for &j in &m.texts {
                    put(&l.free_text[j], &row.values[1 + n_idents + j]);
                }
                let ctx_at = 1 + n_idents + l.free_text.len();
                for (k, c) in l.context.iter().enumerate() {
                    put(c, &row.values[ctx_at + k]);
                }
                out[*s].records.push(serde_json::Value::Object(r));
            }
        }
        out
    }

    /// The values of `column` (an identifier or free-text column) in the
    /// rows each subject matches: strong rows, and weak ones where
    /// `include_weak[subject]`; `(subject, value)`, empty values left out.
    pub(crate) fn values_of(&self, column: &str, include_weak: &[bool]) -> Vec<(usize, String)> {
        let l = &self.layout;
        let at = match (
            l.idents.iter().position(|(c, _, _)| c == column),
            l.free_text.iter().position(|c| c == column),
        ) {
            (Some(i), _) => 1 + i,
            (None, Some(j)) => 1 + l.idents.len() + j,
            (None, None) => return Vec::new(),
        };
        let mut out = Vec::new();
        for rm in &self.matches {
            let Some(value) = &self.rows[rm.row].values[at] else {
                continue;
            };
            for (s, m) in &rm.subjects {
                if (m.strong || include_weak[*s]) && !value.trim().is_empty() {
                    out.push((*s, value.clone()));
                }
            }
        }
        out
    }

    /// The rows erasure changes and, per subject, how many of its rows
    /// that is. A row changes when a subject of the batch matches it
    /// strongly, or weakly with `include_weak[subject]`.
    pub(crate) fn plan(
        &self,
        include_weak: &[bool],
        how: &Rewrite<'_>,
    ) -> (Vec<RowChange>, Vec<Erasure>) {
        let l = &self.layout;
        let n_personal = l.idents.len() + l.free_text.len();
        let mut affected = vec![Erasure::default(); include_weak.len()];
        let mut changes = Vec::new();
        for rm in &self.matches {
            let erasable: Vec<&(usize, SubjectMatch)> = rm
                .subjects
                .iter()
                .filter(|(s, m)| m.strong || include_weak[*s])
                .collect();
            if erasable.is_empty() {
                continue;
            }
            let row = &self.rows[rm.row];
            let old: Vec<Option<String>> = row.values[1..=n_personal].to_vec();
            let mut new: Vec<Option<Option<String>>> = vec![None; n_personal];
            if let Rewrite::Columns {
                whole_party,
                replace,
                ..
            } = how
            {
                for (_, m) in &erasable {
                    let columns = if *whole_party {
                        self.party_columns(m)
                    } else {
                        m.idents.clone()
                    };
                    // An empty column stays empty: nothing of anyone is in it.
                    for i in columns.into_iter().filter(|&i| old[i].is_some()) {
                        let value = replace(i, old[i].as_deref());
                        if value != old[i] {
                            new[i] = Some(value);
                        }
                    }
                }
            }
            if let Rewrite::Columns { .. } = how {
                let subjects: Vec<usize> = erasable.iter().map(|(s, _)| *s).collect();
                for (j, hits) in rm.hits.iter().enumerate() {
                    let i = l.idents.len() + j;
                    let (Some(value), true) = (&old[i], !hits.is_empty()) else {
                        continue;
                    };
                    if let Some(redacted) = redact(value, hits, &subjects, how.token()) {
                        new[i] = Some(Some(redacted));
                    }
                }
            }
            if matches!(how, Rewrite::Columns { .. }) && new.iter().all(Option::is_none) {
                continue;
            }
            for (s, _) in &erasable {
                affected[*s].affected += 1;
            }
            changes.push(RowChange {
                key: row.values[0].clone().unwrap_or_default(),
                old,
                new,
            });
        }
        (changes, affected)
    }
}

/// How erasure rewrites a row.
pub(crate) enum Rewrite<'a> {
    /// Delete the row.
    Delete,
    /// Overwrite identifier columns and redact free text.
    Columns {
        /// `anonymise`: every column of a matching party; `redact`: only
        /// the matching columns.
        whole_party: bool,
        /// The new value of identifier column `i` given its old value
        /// (`None`: SQL NULL).
        replace: &'a (dyn Fn(usize, Option<&str>) -> Option<String> + Sync),
        /// Written over identifiers in free text.
        token: &'a str,
    },
}

impl Rewrite<'_> {
    fn token(&self) -> &str {
        match self {
            Rewrite::Columns { token, .. } => token,
            Rewrite::Delete => "",
        }
    }
}

/// `value` with every hit of one of `subjects` replaced by `token`, or
/// `None` when no such hit is in it.
fn redact(value: &str, hits: &[TextHit], subjects: &[usize], token: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut at = 0;
    let mut changed = false;
    for h in hits {
        if !h.subjects.iter().any(|s| subjects.contains(s)) {
            continue;
        }
        // Hits sit on byte offsets of the matcher; keep them on char
        // boundaries so non-ASCII text stays valid.
        let (Some(before), Some(_)) = (value.get(at..h.start), value.get(h.start..h.end)) else {
            continue;
        };
        out.push_str(before);
        out.push_str(token);
        at = h.end;
        changed = true;
    }
    out.push_str(&value[at..]);
    changed.then_some(out)
}

/// A keyed pseudonym of an identifier: `anon-` and 12 hex digits of an
/// HMAC of its kind and normalised value, so every shape of one number
/// (and the same number in another column or table) gets the same one.
pub fn pseudonym(hasher: &IdentifierHasher, kind: IdentifierKind, normalised: &str) -> String {
    let h = hasher.hash_text(&format!("pseudonym:{}", kind.as_str()), normalised);
    format!("anon-{}", &h.as_str()[..12])
}

/// The pseudonym of `value` in a column of `kinds`: the subject's
/// normalised identifier when a subject of the batch holds it, else the
/// canonical form of the value.
pub(crate) fn pseudonym_of(
    hasher: &IdentifierHasher,
    needles: &Needles,
    kinds: &[IdentifierKind],
    value: &str,
) -> String {
    for kind in kinds {
        if let Some(h) = needles.holders_of_raw(*kind, value).first() {
            return pseudonym(hasher, *kind, &h.normalised);
        }
    }
    let kind = kinds.first().copied().unwrap_or(IdentifierKind::Name);
    let c = canonical(kind, value).unwrap_or_else(|| value.trim().to_owned());
    pseudonym(hasher, kind, &c)
}
