//! [`Matcher`]: finds the identifiers of a whole batch of subjects in a line
//! with one Aho-Corasick automaton, so the cost of scanning a file grows with
//! its bytes, not with subjects × bytes.
//!
//! Phone variants are reduced to digits and matched on a squeezed view of the
//! line (separators between digits removed, see `squeeze`), then mapped back
//! to the original bytes. Everything else matches the raw line, ASCII
//! case-insensitively. Boundaries keep a subject's number out of longer digit
//! runs and a name out of longer words (`Smith` in `Smithson`).
//!
//! Scanning is two-staged (see `filter`): the automaton runs over whole
//! blocks of text to find the few lines that may hold a hit, and only
//! those get the exact per-line search.

/// Runs `$body` with `$a` bound to the automaton inside an [`Engine`],
/// monomorphised per kind so the walks stay tight loops.
macro_rules! with_engine {
    ($engine:expr, $a:ident => $body:expr) => {
        match $engine {
            Engine::Dfa($a) => $body,
            Engine::Nfa($a) => $body,
        }
    };
}

mod engine;
mod filter;

use lethe_domain::{IdentifierKind, Subject, VariantForm};

use self::engine::{build, overlapping, Choice, Engine};
use self::filter::Filter;
use super::linebuf::{line_end, trim_cr};
use super::squeeze::Squeezed;
use crate::Error;

/// Fewer digits than this match too much unrelated text (extensions, ids).
const MIN_PHONE_DIGITS: usize = 7;
/// Shorter non-phone values (a two-letter single name) match almost anywhere.
const MIN_TEXT_BYTES: usize = 3;

/// Bytes of whole lines filtered at once by `for_each_matching_line`: big
/// enough that the per-block cost vanishes, small enough that the block
/// stays in the CPU cache while it is walked and its candidates checked.
const BLOCK: usize = 32 * 1024;

/// One byte string to look for, and whose it is. `Debug` omits the value:
/// it is as personal as the identifier it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Pattern {
    /// Index of the subject in the caller's batch; reported back in [`Hit`].
    pub subject: usize,
    /// Which kind of identifier produced the pattern.
    pub kind: IdentifierKind,
    /// Which variant form, so a report can say what matched without the value.
    pub form: VariantForm,
    value: Vec<u8>,
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pattern")
            .field("subject", &self.subject)
            .field("kind", &self.kind)
            .field("form", &self.form)
            .finish_non_exhaustive()
    }
}

impl Pattern {
    /// A pattern for one variant value. Phone values keep their digits only
    /// (`+44 1632 960855` becomes `441632960855`) because separators are
    /// squeezed out of the text instead. `None` when the value is too short
    /// to match safely (fewer than 7 phone digits, fewer than 3 bytes).
    pub fn new(
        subject: usize,
        kind: IdentifierKind,
        form: VariantForm,
        value: &str,
    ) -> Option<Self> {
        let value: Vec<u8> = if kind == IdentifierKind::Phone {
            value.bytes().filter(u8::is_ascii_digit).collect()
        } else {
            value.trim().as_bytes().to_vec()
        };
        let min = if kind == IdentifierKind::Phone {
            MIN_PHONE_DIGITS
        } else {
            MIN_TEXT_BYTES
        };
        (value.len() >= min).then_some(Self {
            subject,
            kind,
            form,
            value,
        })
    }

    /// Every usable pattern of `subject`, tagged with its batch index.
    pub fn for_subject(index: usize, subject: &Subject) -> Vec<Self> {
        subject
            .identifiers()
            .iter()
            .flat_map(|id| {
                id.variants
                    .iter()
                    .filter_map(move |v| Self::new(index, id.kind, v.form, v.value()))
            })
            .collect()
    }

    /// The bytes searched for.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// One identifier found in a line, in the line's original byte coordinates
/// (`line[start..end]`). Hits returned together never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// First byte of the match.
    pub start: usize,
    /// One past the last byte of the match.
    pub end: usize,
    /// Index of the subject in the batch the matcher was built from.
    pub subject: usize,
    /// Kind of identifier matched.
    pub kind: IdentifierKind,
    /// Variant form matched (the longest, when overlapping hits merged).
    pub form: VariantForm,
}

/// The compiled identifiers of a batch of subjects. Build once per batch
/// and share: [`Matcher::find`] takes `&self`.
#[derive(Debug)]
pub struct Matcher {
    engine: Option<Engine>,
    filter: Filter,
    patterns: Vec<Pattern>,
    has_phones: bool,
}

impl Matcher {
    /// Compiles `patterns` into one automaton. Duplicates (same subject,
    /// kind and value up to ASCII case) are dropped, keeping the first form.
    /// Overlapping search (`MatchKind::Standard`) is used rather than
    /// leftmost-longest so that a candidate rejected by a boundary check
    /// cannot hide a valid one that overlaps it.
    pub fn new(patterns: impl IntoIterator<Item = Pattern>) -> Result<Self, Error> {
        Self::compile(patterns, Choice::BySize)
    }

    /// [`Matcher::new`] with the automaton kind chosen by the caller.
    fn compile(patterns: impl IntoIterator<Item = Pattern>, choice: Choice) -> Result<Self, Error> {
        let mut seen = std::collections::HashSet::new();
        let patterns: Vec<Pattern> = patterns
            .into_iter()
            .filter(|p| seen.insert((p.subject, p.kind, p.value.to_ascii_lowercase())))
            .collect();
        let has_phones = patterns.iter().any(|p| p.kind == IdentifierKind::Phone);
        let engine = if patterns.is_empty() {
            None
        } else {
            let values: Vec<&[u8]> = patterns.iter().map(Pattern::value).collect();
            Some(build(&values, choice)?)
        };
        Ok(Self {
            engine,
            filter: Filter::new(&patterns, choice)?,
            patterns,
            has_phones,
        })
    }

    /// A matcher for a batch of parsed subjects; hits name a subject by its
    /// index in `subjects`.
    pub fn for_subjects(subjects: &[Subject]) -> Result<Self, Error> {
        Self::new(
            subjects
                .iter()
                .enumerate()
                .flat_map(|(i, s)| Pattern::for_subject(i, s)),
        )
    }

    /// Number of distinct patterns compiled, for plans and metrics.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True when no subject yielded a usable pattern: nothing can ever match.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Calls `f(offset, line, hits)` for every line of `buf` that holds at
    /// least one hit, in order. `buf` is a run of whole lines (a chunk of a
    /// file cut after a `\n`); `line` excludes its `\n` or `\r\n`, and
    /// `offset` is where it starts in `buf`. Lines without hits cost no
    /// allocation: this is the scan path for discovery and for deciding
    /// whether a file needs rewriting at all. The automaton runs over
    /// blocks of lines, not line by line; a line it fires on gets the
    /// exact search of [`Matcher::find`].
    pub fn for_each_matching_line(&self, buf: &[u8], mut f: impl FnMut(usize, &[u8], Vec<Hit>)) {
        let Some(engine) = &self.engine else {
            return;
        };
        let mut starts = Vec::new();
        let mut at = 0;
        while at < buf.len() {
            let cut = (at + BLOCK).min(buf.len());
            let end = (line_end(buf, cut - 1) + 1).min(buf.len());
            starts.clear();
            self.filter.candidates(engine, &buf[at..end], &mut starts);
            for &start in &starts {
                let start = at + start;
                let line = trim_cr(&buf[start..line_end(buf, start)]);
                let hits = self.find_exact(engine, line);
                if !hits.is_empty() {
                    f(start, line, hits);
                }
            }
            at = end;
        }
    }

    /// Every identifier in `line`, sorted, non-overlapping, in the line's
    /// byte coordinates. Overlapping candidates merge into one hit spanning
    /// all of them (so redaction leaves no fragment) and carry the subject,
    /// kind and form of the longest. A line without any costs one pass of
    /// the automaton and no allocation.
    pub fn find(&self, line: &[u8]) -> Vec<Hit> {
        match &self.engine {
            Some(engine) if self.filter.may_match(engine, line) => self.find_exact(engine, line),
            _ => Vec::new(),
        }
    }

    /// [`Matcher::find`] without the filter: overlapping search on the line
    /// and, for phones, on its squeezed view, then boundaries and merging.
    fn find_exact(&self, engine: &Engine, line: &[u8]) -> Vec<Hit> {
        let squeezed =
            (self.has_phones && line.iter().any(u8::is_ascii_digit)).then(|| Squeezed::new(line));
        let separate_phone_pass = squeezed.as_ref().is_some_and(Squeezed::changed);
        let mut found = Vec::new();
        for m in overlapping(engine, line) {
            let p = &self.patterns[m.pattern().as_usize()];
            let (s, e) = (m.start(), m.end());
            if p.kind == IdentifierKind::Phone {
                if let (Some(sq), false) = (&squeezed, separate_phone_pass) {
                    if sq.phone_boundary(s, e, !strict(p.form)) {
                        found.push(hit(p, widen_phone(line, s, e)));
                    }
                }
            } else if text_boundary(line, s, e, p) {
                found.push(hit(p, (s, e)));
            }
        }
        if let (Some(sq), true) = (&squeezed, separate_phone_pass) {
            for m in overlapping(engine, &sq.bytes) {
                let p = &self.patterns[m.pattern().as_usize()];
                let (s, e) = (m.start(), m.end());
                if p.kind == IdentifierKind::Phone && sq.phone_boundary(s, e, !strict(p.form)) {
                    let (os, oe) = sq.original(s, e);
                    found.push(hit(p, widen_phone(line, os, oe)));
                }
            }
        }
        merge(found)
    }
}

fn hit(p: &Pattern, (start, end): (usize, usize)) -> Hit {
    Hit {
        start,
        end,
        subject: p.subject,
        kind: p.kind,
        form: p.form,
    }
}

/// Suffix forms match inside unrelated numbers far more easily, so they need
/// a real non-digit on both sides, not just a squeezed-out separator.
fn strict(form: VariantForm) -> bool {
    matches!(form, VariantForm::Last7Digits | VariantForm::Last10Digits)
}

/// Pulls a leading `+` into a phone hit, and a `(` whose `)` is inside it,
/// so `+44 ...` and `(01632) 960855` redact without a stray fragment.
fn widen_phone(line: &[u8], s: usize, e: usize) -> (usize, usize) {
    let Some(&before) = s.checked_sub(1).and_then(|i| line.get(i)) else {
        return (s, e);
    };
    let span = &line[s..e];
    let plus = before == b'+';
    let paren = before == b'(' && span.contains(&b')') && !span.contains(&b'(');
    if plus || paren {
        (s - 1, e)
    } else {
        (s, e)
    }
}

/// Letters and digits of any script (non-ASCII bytes count as letters), so
/// `Smith` does not match inside `Smithson` or `Smithé`.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Emails match anywhere (an address inside a longer one still contains the
/// subject's address); every other kind needs a word boundary on each side
/// whose pattern edge is itself a word byte (`Smith,` ends in a comma).
fn text_boundary(line: &[u8], s: usize, e: usize, p: &Pattern) -> bool {
    if p.kind == IdentifierKind::Email {
        return true;
    }
    let v = &p.value;
    let left = !is_word(v[0]) || s == 0 || !is_word(line[s - 1]);
    let right = !is_word(v[v.len() - 1]) || e == line.len() || !is_word(line[e]);
    left && right
}

/// Sorts hits and merges overlapping ones into their union, labelled by the
/// longest member.
fn merge(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<(Hit, usize)> = Vec::with_capacity(hits.len());
    for h in hits {
        match out.last_mut() {
            Some((cur, best)) if h.start < cur.end => {
                if h.end - h.start > *best {
                    *best = h.end - h.start;
                    cur.subject = h.subject;
                    cur.kind = h.kind;
                    cur.form = h.form;
                }
                cur.end = cur.end.max(h.end);
            }
            _ => out.push((h, h.end - h.start)),
        }
    }
    out.into_iter().map(|(h, _)| h).collect()
}

#[cfg(test)]
mod tests;
