//! Moving about a token stream: significant tokens, a balanced run up to a
//! stop word, the arguments of a call, and back to text.

use super::lex::{Kind, Tok};

pub(super) fn significant(toks: &[Tok]) -> Vec<&Tok> {
    toks.iter().filter(|t| t.kind != Kind::Space).collect()
}

pub(super) fn render(toks: &[Tok]) -> String {
    toks.iter().map(|t| t.text.as_str()).collect()
}

/// Index of the next significant token at or after `i`.
pub(super) fn next_sig(toks: &[Tok], mut i: usize) -> Option<usize> {
    while i < toks.len() {
        if toks[i].kind != Kind::Space {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Index of the last significant token already emitted.
pub(super) fn last_sig(out: &[Tok]) -> Option<&Tok> {
    out.iter().rev().find(|t| t.kind != Kind::Space)
}

/// Collects tokens from `i` up to (not including) a word in `stops` at paren depth 0.
pub(super) fn take_until(toks: &[Tok], mut i: usize, stops: &[&str]) -> (Vec<Tok>, usize) {
    let mut depth = 0i32;
    let mut taken = Vec::new();
    while i < toks.len() {
        let t = &toks[i];
        if depth == 0 && stops.iter().any(|s| t.is_word(s)) {
            break;
        }
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
        taken.push(t.clone());
        i += 1;
    }
    (taken, i)
}

/// The arguments of a call whose `(` is at `open - 1`, split at top-level
/// commas, and the index of its closing `)`.
pub(super) fn call_args(toks: &[Tok], open: usize) -> (Vec<Vec<Tok>>, usize) {
    let (mut args, mut cur, mut depth, mut i) = (Vec::new(), Vec::new(), 0i32, open);
    while i < toks.len() {
        let t = &toks[i];
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if depth == 0 && t.is_punct(",") {
            args.push(std::mem::take(&mut cur));
            i += 1;
            continue;
        }
        cur.push(t.clone());
        i += 1;
    }
    args.push(cur);
    (args, i)
}
