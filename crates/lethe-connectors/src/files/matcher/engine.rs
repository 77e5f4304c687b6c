//! The automata of a matcher: how they are compiled, and the choice
//! between a DFA (fastest, large) and a contiguous NFA (for batches whose
//! DFA would be too large).

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Input, MatchKind, StartKind};

use crate::Error;

/// Above this estimated DFA table size a batch gets a contiguous NFA
/// instead: a few times slower per byte, a small fraction of the memory.
/// A DFA for 1,000 subjects (13,000 patterns) takes about 30 MB.
const DFA_LIMIT: usize = 256 << 20;

/// A compiled automaton of a matcher.
#[derive(Debug)]
pub(super) enum Engine {
    Dfa(DFA),
    Nfa(NFA),
}

/// Which automaton [`build`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Choice {
    /// A DFA unless it would exceed [`DFA_LIMIT`].
    BySize,
    /// Always the contiguous NFA (tests of that path).
    #[cfg_attr(not(test), expect(dead_code))]
    Nfa,
}

/// Compiles patterns the way every automaton of a matcher is compiled:
/// ASCII case-insensitive, overlapping-capable (`Standard`), unanchored,
/// and as a DFA unless that would exceed [`DFA_LIMIT`]: one table lookup
/// per byte, the fastest walk, paid for with build time and memory (about
/// 30 MB and 80 ms for 1,000 subjects). No prefilter: with thousands of
/// patterns none applies, and without one the start state is not special,
/// so the walk never leaves its tight loop.
pub(super) fn build<P: AsRef<[u8]>>(patterns: &[P], choice: Choice) -> Result<Engine, Error> {
    let failed = |e: aho_corasick::BuildError| Error::MatcherBuild(e.to_string());
    if choice == Choice::BySize && dfa_bytes(patterns) <= DFA_LIMIT {
        aho_corasick::dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(patterns)
            .map(Engine::Dfa)
            .map_err(failed)
    } else {
        aho_corasick::nfa::contiguous::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(patterns)
            .map(Engine::Nfa)
            .map_err(failed)
    }
}

/// The DFA table size for `patterns`, estimated before building it: a row
/// of 4-byte entries per trie node (distinct case-folded prefix), as wide
/// as the byte classes rounded up to a power of two. Byte classes are runs
/// of bytes no pattern tells apart, so each byte used (in both cases)
/// splits the byte range on both of its sides.
pub(super) fn dfa_bytes<P: AsRef<[u8]>>(patterns: &[P]) -> usize {
    let mut folded: Vec<Vec<u8>> = patterns
        .iter()
        .map(|p| p.as_ref().to_ascii_lowercase())
        .collect();
    folded.sort_unstable();
    let mut nodes = 1;
    let mut splits = [false; 256];
    let mut prev: &[u8] = &[];
    for p in &folded {
        let shared = p.iter().zip(prev).take_while(|(a, b)| a == b).count();
        nodes += p.len() - shared;
        prev = p;
        for &b in p {
            for b in [b, b.to_ascii_uppercase()] {
                splits[usize::from(b)] = true;
                splits[usize::from(b.saturating_sub(1))] = true;
            }
        }
    }
    let classes = splits.iter().filter(|&&s| s).count() + 1;
    nodes
        .saturating_mul(classes.next_power_of_two())
        .saturating_mul(4)
}

/// Every match of `engine` in `hay`, overlapping ones included.
pub(super) fn overlapping(engine: &Engine, hay: &[u8]) -> Vec<aho_corasick::Match> {
    let all = "matcher automata are Standard and unanchored";
    with_engine!(engine, a => a.try_find_overlapping_iter(Input::new(hay)).expect(all).collect())
}
