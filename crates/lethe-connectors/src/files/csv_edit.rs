//! What erasure does to one CSV row, per strategy. Work happens on field
//! values, never on the raw line, so commas and quotes stay intact; a hit
//! that runs across fields (`Smith,John` over a last-name and a first-name
//! column) erases its part of each field it covers.

use lethe_domain::{IdentifierHasher, Replacement, Strategy};

use super::csv_layout::FileLayout;
use super::csv_rows::{self, Row};
use super::marks::splice;
use super::matcher::Hit;

/// The rewritten row, or its removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    Delete,
    /// The row's new text, without a terminator.
    Replace(Vec<u8>),
}

/// Everything besides the row that decides an edit.
pub(crate) struct EditRules<'a> {
    pub strategy: &'a Strategy,
    /// Written over hits (`redact`, free-text columns under `anonymise`).
    pub token: &'a [u8],
    pub hasher: Option<&'a IdentifierHasher>,
}

/// The edit for `row`, whose joined text (see [`csv_rows::joined`]) has
/// field spans `spans` and `hits`, for the erasable subjects `who`.
pub(crate) fn edit_row(
    row: &Row,
    layout: &FileLayout,
    spans: &[(usize, usize)],
    hits: &[Hit],
    who: &[usize],
    rules: &EditRules<'_>,
) -> Edit {
    let per_field = field_hits(spans, hits, who);
    let fields: Vec<Vec<u8>> = match rules.strategy {
        Strategy::Delete => return Edit::Delete,
        // Validation keeps `retain` away from erasure; if it ever gets
        // here, keeping the row is the safe reading.
        Strategy::Retain { .. } => row.fields.clone(),
        Strategy::Redact => row
            .fields
            .iter()
            .zip(&per_field)
            .map(|(f, h)| splice(f, h, rules.token))
            .collect(),
        Strategy::Anonymise { with } => row
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let h = &per_field[i];
                let identifier = layout.kinds.get(i).is_some_and(|k| !k.is_empty());
                if layout.free_text.get(i).copied().unwrap_or(false) {
                    splice(f, h, rules.token)
                } else if (identifier || !h.is_empty()) && !f.is_empty() {
                    replacement(with, f, rules.hasher)
                } else {
                    f.clone()
                }
            })
            .collect(),
    };
    Edit::Replace(csv_rows::write_row(&fields, &row.quoted))
}

/// For each field, the parts of `who`'s hits inside it, in field-local
/// byte offsets.
fn field_hits(spans: &[(usize, usize)], hits: &[Hit], who: &[usize]) -> Vec<Vec<(usize, usize)>> {
    spans
        .iter()
        .map(|&(fs, fe)| {
            hits.iter()
                .filter(|h| who.contains(&h.subject))
                .filter_map(|h| {
                    let (a, b) = (h.start.max(fs), h.end.min(fe));
                    (a < b).then(|| (a - fs, b - fs))
                })
                .collect()
        })
        .collect()
}

/// What an anonymised field becomes. A pseudonym is the keyed hash of the
/// value, shortened: the same person's rows still group together.
fn replacement(with: &Replacement, value: &[u8], hasher: Option<&IdentifierHasher>) -> Vec<u8> {
    match (with, hasher) {
        (Replacement::Null, _) => Vec::new(),
        (Replacement::Token(t), _) => t.as_bytes().to_vec(),
        (Replacement::Pseudonym, Some(h)) => {
            let hash = h.hash_text("pseudonym", &String::from_utf8_lossy(value));
            format!("anon-{}", &hash.as_str()[..16]).into_bytes()
        }
        // The connector refuses `pseudonym` without a hasher at startup.
        (Replacement::Pseudonym, None) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lethe_domain::{IdentifierKind, VariantForm};

    fn hit(start: usize, end: usize, subject: usize) -> Hit {
        Hit {
            start,
            end,
            subject,
            kind: IdentifierKind::Name,
            form: VariantForm::LastCommaFirstCompact,
        }
    }

    #[test]
    fn a_hit_across_fields_erases_both_parts() {
        let row = &csv_rows::parse(b"Smith,John,2281").unwrap()[0];
        let (_, spans) = csv_rows::joined(&row.fields);
        let layout = FileLayout::default();
        let rules = EditRules {
            strategy: &Strategy::Redact,
            token: b"[R]",
            hasher: None,
        };
        let edit = edit_row(row, &layout, &spans, &[hit(0, 10, 0)], &[0], &rules);
        assert_eq!(edit, Edit::Replace(b"[R],[R],2281".to_vec()));
        // Another subject's hit is not touched.
        let edit = edit_row(row, &layout, &spans, &[hit(0, 10, 1)], &[0], &rules);
        assert_eq!(edit, Edit::Replace(b"Smith,John,2281".to_vec()));
    }

    #[test]
    fn anonymise_blanks_identifier_columns_and_redacts_free_text() {
        let row = &csv_rows::parse(b"U-1,\"Smith, John\",\"call Smith, John\"").unwrap()[0];
        let (_, spans) = csv_rows::joined(&row.fields);
        let layout = FileLayout {
            kinds: vec![vec![], vec![IdentifierKind::Name], vec![]],
            free_text: vec![false, false, true],
            ..FileLayout::default()
        };
        let hits = [hit(4, 15, 0), hit(21, 32, 0)];
        let h = IdentifierHasher::new(b"k");
        let rules = EditRules {
            strategy: &Strategy::Anonymise {
                with: Replacement::Pseudonym,
            },
            token: b"[R]",
            hasher: Some(&h),
        };
        let Edit::Replace(out) = edit_row(row, &layout, &spans, &hits, &[0], &rules) else {
            panic!("expected a replacement");
        };
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("U-1,\"anon-"), "{out}");
        assert!(out.ends_with(",\"call [R]\""), "{out}");
    }
}
