//! What the redaction targets share: identifiers to plant (seeds that parse,
//! or strings the fuzzer makes up), and a line built from fuzzer filler with
//! those identifiers planted between delimiters.

use arbitrary::Arbitrary;
use lethe_connectors::files::{Matcher, Pattern};
use lethe_domain::{IdentifierKind, ParsedIdentifier, PhoneRegion};

/// Identifiers that parse, one list per kind, so most runs plant something
/// real even before the fuzzer learns the grammar.
const SEEDS: [(IdentifierKind, &[&str]); 6] = [
    (
        IdentifierKind::Email,
        &[
            "john.smith@example.com",
            "a+tag@sub.example.co.uk",
            "jörg@bücher.example",
        ],
    ),
    (
        IdentifierKind::Phone,
        &[
            "+44 1632 960855",
            "07700 900123",
            "+1 (415) 555-2671",
            "+39 06 1234 5678",
            "0044 20 7946 0018",
        ],
    ),
    (
        IdentifierKind::Name,
        &[
            "John Smith",
            "SMITH, JOHN",
            "Anna van der Berg",
            "José Álvarez-Núñez",
            "Li",
        ],
    ),
    (
        IdentifierKind::AccountNumber,
        &["AB12CDE", "4000 1234 5678"],
    ),
    (
        IdentifierKind::CloudlinkUserId,
        &["user-000123", "9f1c2d3e"],
    ),
    (
        IdentifierKind::DirectoryAccount,
        &["corp\\jsmith", "j.smith@corp.example"],
    ),
];

/// One identifier: a seed by index, or a raw string of a kind.
#[derive(Arbitrary, Debug)]
pub enum Source {
    Seed(u8, u8),
    Raw(u8, String),
}

/// A piece of the line: fuzzer bytes, or one variant of one identifier.
#[derive(Arbitrary, Debug)]
pub enum Piece {
    Filler(Vec<u8>),
    Plant(u8, u8),
}

/// A target's whole input.
#[derive(Arbitrary, Debug)]
pub struct Input {
    pub region: bool,
    pub ids: Vec<Source>,
    pub pieces: Vec<Piece>,
}

/// Bytes that never appear in a planted value: the delimiter around each
/// plant, the token's brackets, line breaks and CSV syntax.
pub const DELIM: u8 = b'|';
const NEVER_PLANTED: &[u8] = b"|[]\r\n,\"";

/// The identifiers of an input that parsed, each with its subject index.
pub fn identifiers(input: &Input) -> Vec<(usize, ParsedIdentifier)> {
    let region = if input.region {
        PhoneRegion::GB
    } else {
        PhoneRegion::parse("US").unwrap()
    };
    input
        .ids
        .iter()
        .take(8)
        .enumerate()
        .filter_map(|(i, src)| {
            let (kind, raw) = match src {
                Source::Seed(k, n) => {
                    let (kind, list) = SEEDS[usize::from(*k) % SEEDS.len()];
                    (kind, list[usize::from(*n) % list.len()])
                }
                Source::Raw(k, s) => (IdentifierKind::ALL[usize::from(*k) % 6], s.as_str()),
            };
            ParsedIdentifier::parse(kind, raw, region)
                .ok()
                .map(|p| (i % 3, p))
        })
        .collect()
}

/// Every usable pattern of the identifiers, and the plantable values: the
/// variants a matcher can match (long enough), as the estate writes them.
pub fn patterns(ids: &[(usize, ParsedIdentifier)]) -> (Vec<Pattern>, Vec<Vec<u8>>) {
    let mut patterns = Vec::new();
    let mut plantable = Vec::new();
    for (subject, id) in ids {
        for v in &id.variants {
            let Some(p) = Pattern::new(*subject, id.kind, v.form, v.value()) else {
                continue;
            };
            patterns.push(p);
            let value = if id.kind == IdentifierKind::Phone {
                v.value()
            } else {
                v.value().trim()
            };
            if !value.bytes().any(|b| NEVER_PLANTED.contains(&b)) {
                plantable.push(value.as_bytes().to_vec());
            }
        }
    }
    (patterns, plantable)
}

/// A planted value and where it sits in the line.
#[derive(Debug)]
pub struct Planted {
    pub start: usize,
    pub end: usize,
    pub value: Vec<u8>,
}

/// The line built from `pieces`: filler with `forbidden` bytes dropped, each
/// plant written as `|value|`. Also the same line with the plants left out
/// (delimiters kept), to tell whether filler alone holds a value.
pub fn build_line(
    pieces: &[Piece],
    plantable: &[Vec<u8>],
    forbidden: &[u8],
) -> (Vec<u8>, Vec<Planted>, Vec<u8>) {
    let mut line = Vec::new();
    let mut planted = Vec::new();
    let mut filler_only = Vec::new();
    for piece in pieces.iter().take(64) {
        match piece {
            Piece::Filler(bytes) => {
                let kept = bytes.iter().copied().filter(|b| !forbidden.contains(b));
                let kept: Vec<u8> = kept.collect();
                line.extend_from_slice(&kept);
                filler_only.extend_from_slice(&kept);
            }
            Piece::Plant(_, _) if plantable.is_empty() => {}
            Piece::Plant(a, b) => {
                let n = (usize::from(*a) << 8 | usize::from(*b)) % plantable.len();
                let value = &plantable[n];
                line.push(DELIM);
                planted.push(Planted {
                    start: line.len(),
                    end: line.len() + value.len(),
                    value: value.clone(),
                });
                line.extend_from_slice(value);
                line.push(DELIM);
                filler_only.extend_from_slice(&[DELIM, DELIM]);
            }
        }
    }
    (line, planted, filler_only)
}

/// Whether `haystack` contains `needle`, ASCII case-insensitively.
pub fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// A matcher over `patterns`; the fuzzer's patterns always compile.
pub fn matcher(patterns: Vec<Pattern>) -> Matcher {
    Matcher::new(patterns).expect("patterns compile")
}
