//! The fast path: which lines can hold a hit at all. Almost no line can, so
//! the automaton runs over whole blocks of lines (not line by line) and
//! only the lines where it fires get the exact per-line search with its
//! boundary checks and merging.
//!
//! Phones are digit-only patterns matched, in the exact search, on a view
//! of the line with separator runs between digits squeezed out. The filter
//! needs no such copy: its walk skips every separator that follows a digit
//! (whatever comes after the run), so it sees the squeezed digits joined up
//! and, for every other pattern, the text unchanged around it, except for
//! patterns that themselves have a separator next to a digit or at either
//! end (`j.1-2@x`, `Unit 4 Smith`). Those few get a second, plain walk.
//! The filter may fire on a line that then has no hit; it never misses a
//! line that has one.
//!
//! The walk is our own loop over the crate's DFA (no prefilter applies to
//! thousands of patterns), branch-free but for a match, and over a block it
//! runs as two walks in lockstep so the CPU overlaps their table lookups.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::Anchored;

use super::engine::{build, Choice, Engine};
use super::Pattern;
use crate::files::linebuf::{line_end, line_start};
use crate::files::squeeze::is_separator;
use crate::Error;

/// Byte classes of the walk: one table load per byte.
const OTHER: u8 = 0;
const DIGIT: u8 = 1;
const SEPARATOR: u8 = 2;
const CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_digit() {
            t[b] = DIGIT;
        } else if is_separator(c) {
            t[b] = SEPARATOR;
        }
        b += 1;
    }
    t
};

/// Which automaton walks which way.
#[derive(Debug)]
pub(super) struct Filter {
    /// The patterns the skipping walk can miss, walked plainly.
    fragile: Option<Engine>,
}

impl Filter {
    pub(super) fn new(patterns: &[Pattern], choice: Choice) -> Result<Self, Error> {
        let fragile: Vec<&[u8]> = patterns
            .iter()
            .map(Pattern::value)
            .filter(|v| skip_breaks(v))
            .collect();
        let fragile = if fragile.is_empty() {
            None
        } else {
            Some(build(&fragile, choice)?)
        };
        Ok(Self { fragile })
    }

    /// Whether `line` may hold a hit of `all` (the matcher's automaton
    /// over all patterns).
    pub(super) fn may_match(&self, all: &Engine, line: &[u8]) -> bool {
        let mut found = false;
        with_engine!(all, a => walk::<_, true>(a, line, Lane::new(a, 0, line.len()), &mut |_| found = true));
        if let (Some(fragile), false) = (&self.fragile, found) {
            with_engine!(fragile, a => walk::<_, false>(a, line, Lane::new(a, 0, line.len()), &mut |_| found = true));
        }
        found
    }

    /// Pushes onto `out` the start (an offset in `block`) of every line of
    /// `block` that may hold a hit, ascending, each once. `block` is whole
    /// lines.
    pub(super) fn candidates(&self, all: &Engine, block: &[u8], out: &mut Vec<usize>) {
        with_engine!(all, a => lanes(a, block, out));
        if let Some(fragile) = &self.fragile {
            let mut hit = |at| out.push(at);
            with_engine!(fragile, a => walk::<_, false>(a, block, Lane::new(a, 0, block.len()), &mut hit));
        }
        out.sort_unstable();
        out.dedup();
    }
}

fn start<A: Automaton>(aut: &A) -> StateID {
    aut.start_state(Anchored::No)
        .expect("matcher automata are built for unanchored search")
}

/// Where one walk is: the next byte, the end of its part of the text, its
/// state, and whether the last byte it took was a digit.
#[derive(Clone, Copy)]
struct Lane {
    at: usize,
    end: usize,
    sid: StateID,
    digit: bool,
}

impl Lane {
    fn new<A: Automaton>(aut: &A, at: usize, end: usize) -> Self {
        Self {
            at,
            end,
            sid: start(aut),
            digit: false,
        }
    }

    /// Takes the next byte of `hay`: the state after it, or the same state
    /// for a separator skipped after a digit (`SKIP`). On a match, calls
    /// `hit` with the line's start and moves to the next line, from the
    /// start state; returns true then.
    #[inline(always)]
    fn step<A: Automaton, const SKIP: bool>(
        &mut self,
        aut: &A,
        start: StateID,
        hay: &[u8],
        hit: &mut impl FnMut(usize),
    ) -> bool {
        let b = hay[self.at];
        let next = aut.next_state(Anchored::No, self.sid, b);
        if SKIP {
            // Branch-free: a skipped byte keeps the state (and `digit`,
            // which is true then).
            let class = CLASS[usize::from(b)];
            let skip = (class == SEPARATOR) & self.digit;
            self.sid = if skip { self.sid } else { next };
            self.digit = skip | (class == DIGIT);
        } else {
            self.sid = next;
        }
        if aut.is_special(self.sid) && aut.is_match(self.sid) {
            hit(line_start(hay, self.at));
            self.at = (line_end(hay, self.at) + 1).min(self.end);
            (self.sid, self.digit) = (start, false);
            return true;
        }
        self.at += 1;
        false
    }
}

/// Walks `lane` to its end, calling `hit(line_start)` once per line where
/// `aut` matches.
fn walk<A: Automaton, const SKIP: bool>(
    aut: &A,
    hay: &[u8],
    mut lane: Lane,
    hit: &mut impl FnMut(usize),
) {
    let start = start(aut);
    while lane.at < lane.end {
        lane.step::<A, SKIP>(aut, start, hay, hit);
    }
}

/// The skipping walk over `hay` (whole lines) as two walks in lockstep,
/// over its halves (cut at a line boundary): two independent table lookups
/// per step, which the CPU overlaps. Pushes matching line starts onto
/// `out` in no particular order. (Measured: two lanes beat one by about a
/// tenth; four, kept in an array, lose to one.)
fn lanes<A: Automaton>(aut: &A, hay: &[u8], out: &mut Vec<usize>) {
    let start = start(aut);
    let len = hay.len();
    let mid = if len < 2 {
        0
    } else {
        (line_end(hay, len / 2 - 1) + 1).min(len)
    };
    let (mut a, ea, mut b, eb) = (0usize, mid, mid, len);
    let (mut sa, mut sb) = (start, start);
    let (mut da, mut db) = (false, false);
    loop {
        let n = (ea - a).min(eb - b);
        if n == 0 {
            break;
        }
        let mut k = 0;
        let (ha, hb) = (&hay[a..a + n], &hay[b..b + n]);
        while k < n {
            let (xa, xb) = (ha[k], hb[k]);
            let na = aut.next_state(Anchored::No, sa, xa);
            let nb = aut.next_state(Anchored::No, sb, xb);
            let (ca, cb) = (CLASS[usize::from(xa)], CLASS[usize::from(xb)]);
            let ska = (ca == SEPARATOR) & da;
            let skb = (cb == SEPARATOR) & db;
            sa = if ska { sa } else { na };
            sb = if skb { sb } else { nb };
            da = ska | (ca == DIGIT);
            db = skb | (cb == DIGIT);
            if aut.is_match(sa) | aut.is_match(sb) {
                break;
            }
            k += 1;
        }
        if k == n {
            a += n;
            b += n;
            continue;
        }
        let (pa, pb) = (a + k, b + k);
        a = pa + 1;
        b = pb + 1;
        if aut.is_match(sa) {
            out.push(line_start(hay, pa));
            a = (line_end(hay, pa) + 1).min(ea);
            (sa, da) = (start, false);
        }
        if aut.is_match(sb) {
            out.push(line_start(hay, pb));
            b = (line_end(hay, pb) + 1).min(eb);
            (sb, db) = (start, false);
        }
    }
    let mut hit = |at| out.push(at);
    // What is left of the longer half, from where each walk is.
    let lane = |at, end, sid, digit| Lane {
        at,
        end,
        sid,
        digit,
    };
    walk::<A, true>(aut, hay, lane(a, ea, sa, da), &mut hit);
    walk::<A, true>(aut, hay, lane(b, eb, sb, db), &mut hit);
}

/// Whether the skipping walk can miss `v`: it has a separator next to a
/// digit or at either end (or is all separators).
fn skip_breaks(v: &[u8]) -> bool {
    v.first().is_some_and(|&b| is_separator(b))
        || v.last().is_some_and(|&b| is_separator(b))
        || v.windows(2).any(|w| {
            (w[0].is_ascii_digit() && is_separator(w[1]))
                || (is_separator(w[0]) && w[1].is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_separators_at_digits_or_ends_are_fragile() {
        assert!(skip_breaks(b"j.1-2@example.com"));
        assert!(skip_breaks(b"unit 4 smith"));
        assert!(skip_breaks(b"(bob) smith"));
        assert!(skip_breaks(b"smith j."));
        assert!(!skip_breaks(b"441632960855"));
        assert!(!skip_breaks(b"Smith, John"));
        assert!(!skip_breaks(b"j.smith2@example.com"));
    }

    #[test]
    fn lanes_find_every_matching_line_once() {
        let Engine::Dfa(dfa) = build(&[&b"needle"[..], b"2960855"], Choice::BySize).unwrap() else {
            panic!("two patterns make a DFA")
        };
        for lines in [0, 1, 2, 3, 5, 17, 100] {
            let mut hay = Vec::new();
            let mut want = Vec::new();
            for i in 0..lines {
                if i % 3 == 1 {
                    want.push(hay.len());
                    hay.extend_from_slice(b"x NEEDLE and 296-08 55\n");
                } else {
                    hay.extend_from_slice(format!("line {i} 296 x 0855\n").as_bytes());
                }
            }
            let mut got = Vec::new();
            lanes(&dfa, &hay, &mut got);
            got.sort_unstable();
            assert_eq!(got, want, "{lines} lines");
        }
        let mut got = Vec::new();
        lanes(&dfa, b"no newline at all: (296) 0855", &mut got);
        assert_eq!(got, [0]);
    }

    #[test]
    fn a_lane_left_alone_keeps_its_state() {
        // The first lane matches at its sixth byte and is done; the second
        // has read `ab 296` by then and must go on from there.
        let Engine::Dfa(dfa) = build(&[&b"needle"[..], b"2960855"], Choice::BySize).unwrap() else {
            panic!("two patterns make a DFA")
        };
        let hay = format!("needle{}\nab 2960855 z\n", "y".repeat(20));
        let mut got = Vec::new();
        lanes(&dfa, hay.as_bytes(), &mut got);
        got.sort_unstable();
        assert_eq!(got, [0, 27]);
    }
}
