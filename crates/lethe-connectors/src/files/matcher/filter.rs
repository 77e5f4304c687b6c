//! The fast path: which lines can hold a hit at all. Almost no line can, so
//! the automaton runs over whole blocks of lines (not line by line) and
//! only the lines where it fires get the exact per-line search with its
//! boundary checks and merging.
//!
//! With phones in the batch, a block is searched once on its squeezed view
//! (separators between digits removed, `squeeze_into`), where digit-only
//! phone patterns find `01632 960855` and every other pattern occurs
//! exactly where it occurs in the raw text, unless the pattern itself has a
//! digit next to a separator (`j.1-2@x`) or is all separators: those few
//! are searched again on the raw block. The filter may fire on a line that
//! then has no hit; it never misses a line that has one.

use std::cell::RefCell;

use aho_corasick::{AhoCorasick, Input};

use super::{build, Pattern};
use crate::files::linebuf::{count_newlines, find_newline, line_end, line_start};
use crate::files::squeeze::{is_separator, squeeze_into};
use crate::Error;

thread_local! {
    /// The squeezed view of the line being filtered by `Matcher::find`:
    /// reused, so filtering a line never allocates.
    static LINE_VIEW: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Which automata run over which view.
#[derive(Debug)]
pub(super) struct Filter {
    /// Search the squeezed view with the main automaton (phones present);
    /// otherwise the raw text.
    squeeze: bool,
    /// The patterns a squeeze can break, searched on the raw text; only
    /// when `squeeze` and such patterns exist.
    raw: Option<AhoCorasick>,
}

impl Filter {
    pub(super) fn new(patterns: &[Pattern], has_phones: bool) -> Result<Self, Error> {
        let fragile: Vec<&[u8]> = patterns
            .iter()
            .map(Pattern::value)
            .filter(|v| squeeze_breaks(v))
            .collect();
        let raw = if has_phones && !fragile.is_empty() {
            Some(build(&fragile)?)
        } else {
            None
        };
        Ok(Self {
            squeeze: has_phones,
            raw,
        })
    }

    /// Whether `line` may hold a hit of `ac` (the matcher's automaton over
    /// all patterns).
    pub(super) fn may_match(&self, ac: &AhoCorasick, line: &[u8]) -> bool {
        if self.raw.as_ref().is_some_and(|raw| raw.is_match(line)) {
            return true;
        }
        if !self.squeeze {
            return ac.is_match(line);
        }
        LINE_VIEW.with_borrow_mut(|view| {
            if squeeze_into(line, view) {
                ac.is_match(view.as_slice())
            } else {
                ac.is_match(line)
            }
        })
    }

    /// Pushes onto `out` the start (an offset in `block`) of every line of
    /// `block` that may hold a hit, ascending, each once. `block` is whole
    /// lines; `view` is scratch space for its squeezed copy.
    pub(super) fn candidates(
        &self,
        ac: &AhoCorasick,
        block: &[u8],
        view: &mut Vec<u8>,
        out: &mut Vec<usize>,
    ) {
        let squeezed = self.squeeze && squeeze_into(block, view);
        if squeezed {
            // Line k of the view is line k of the block: walk both in step.
            let (mut in_view, mut in_block) = (0, 0);
            search(ac, view, |start| {
                for _ in 0..count_newlines(&view[in_view..start]) {
                    in_block += find_newline(&block[in_block..]).map_or(0, |i| i + 1);
                }
                in_view = start;
                out.push(in_block);
            });
        } else {
            search(ac, block, |start| out.push(start));
        }
        if let Some(raw) = &self.raw {
            let before = out.len();
            search(raw, block, |start| out.push(start));
            if out.len() > before {
                out.sort_unstable();
                out.dedup();
            }
        }
    }
}

/// Calls `f` with the start of each line of `hay` where `ac` matches, once
/// per line, in order: after a match the search resumes on the next line.
fn search(ac: &AhoCorasick, hay: &[u8], mut f: impl FnMut(usize)) {
    let mut at = 0;
    while at < hay.len() {
        let Some(m) = ac.find(Input::new(hay).range(at..)) else {
            return;
        };
        f(at + line_start(&hay[at..], m.start() - at));
        at = line_end(hay, m.start()) + 1;
    }
}

/// Whether squeezing the text around an occurrence of `v` can remove bytes
/// of it: `v` has a digit next to a separator, or is all separators.
fn squeeze_breaks(v: &[u8]) -> bool {
    v.iter().all(|&b| is_separator(b))
        || v.windows(2).any(|w| {
            (w[0].is_ascii_digit() && is_separator(w[1]))
                || (is_separator(w[0]) && w[1].is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digit_separator_edges_are_fragile() {
        assert!(squeeze_breaks(b"j.1-2@example.com"));
        assert!(squeeze_breaks(b"unit 4 smith"));
        assert!(squeeze_breaks(b"- -"));
        assert!(!squeeze_breaks(b"441632960855"));
        assert!(!squeeze_breaks(b"Smith, John"));
        assert!(!squeeze_breaks(b"j.smith2@example.com"));
    }
}
