//! Strong and weak: what the hits in one item mean for each subject. A name
//! alone is weak evidence (two people share it); any other identifier is
//! strong. Discovery reports both; erasure touches weak items only when the
//! subject's step allows it.

use lethe_domain::IdentifierKind;

use super::matcher::Hit;

/// How an item matched one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strength {
    /// At least one hit that is not a name.
    Strong,
    /// Only name hits.
    Weak,
}

impl Strength {
    /// The `match` field of an export record.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Strong => "strong",
            Self::Weak => "weak",
        }
    }
}

/// One subject's match in one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    /// Batch index.
    pub subject: usize,
    pub strength: Strength,
}

/// One mark per subject with hits, sorted by subject.
pub(crate) fn marks(hits: &[Hit]) -> Vec<Mark> {
    let mut out: Vec<Mark> = Vec::new();
    for h in hits {
        let strength = if h.kind == IdentifierKind::Name {
            Strength::Weak
        } else {
            Strength::Strong
        };
        match out.iter_mut().find(|m| m.subject == h.subject) {
            Some(m) if strength == Strength::Strong => m.strength = Strength::Strong,
            Some(_) => {}
            None => out.push(Mark {
                subject: h.subject,
                strength,
            }),
        }
    }
    out.sort_by_key(|m| m.subject);
    out
}

/// The subjects whose erasure covers this item: strong marks, and weak
/// marks of subjects whose step includes weak matches.
pub(crate) fn erasable(marks: &[Mark], include_weak: &[bool]) -> Vec<usize> {
    marks
        .iter()
        .filter(|m| m.strength == Strength::Strong || include_weak[m.subject])
        .map(|m| m.subject)
        .collect()
}

/// `text` with each span (sorted by start) replaced by `token`.
pub(crate) fn splice(text: &[u8], spans: &[(usize, usize)], token: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + spans.len() * token.len());
    let mut at = 0;
    for &(start, end) in spans {
        // The same span twice (a hit copied for a second subject) or an
        // overlap: the first replacement already covers it.
        if start < at {
            continue;
        }
        out.extend_from_slice(&text[at..start]);
        out.extend_from_slice(token);
        at = end;
    }
    out.extend_from_slice(&text[at..]);
    out
}

/// The spans of the hits that belong to `who`.
pub(crate) fn spans_of(hits: &[Hit], who: &[usize]) -> Vec<(usize, usize)> {
    hits.iter()
        .filter(|h| who.contains(&h.subject))
        .map(|h| (h.start, h.end))
        .collect()
}
