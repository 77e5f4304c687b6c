//! The Elasticsearch fixture: background documents for every index of the
//! five families, and planted subjects whose documents are counted as they
//! are generated, so tests, the demo and the benchmark can state exact
//! expectations. Deterministic: a seed, no wall clock.
//!
//! Per planted person `i` (0-based) and concrete index, [`Counts`]:
//! `strong` documents hold one of the person's email, phone or account
//! (in a keyword field, inside free text, or both), `free_text_only` of
//! them hold it in free text only, and `weak` documents mention only the
//! person's name. See `docs.rs` for the shapes.

use std::collections::BTreeMap;

use serde_json::Value;

use super::docs::{Ctx, Kind};
use super::Family;

/// What to generate.
#[derive(Debug, Clone)]
pub struct EsConfig {
    pub seed: u64,
    /// Background (unplanted) documents in each concrete index.
    pub background_per_index: usize,
}

impl Default for EsConfig {
    fn default() -> Self {
        Self {
            seed: 0xE5_2026,
            background_per_index: 200,
        }
    }
}

/// One document: its `_id` (also in the family's id field) and source.
#[derive(Debug, Clone, PartialEq)]
pub struct EsDoc {
    pub id: String,
    pub source: Value,
    /// The planted person it is about, or `None` for background.
    pub about: Option<usize>,
}

/// One concrete index and its documents, in load order.
#[derive(Debug, Clone)]
pub struct EsIndex {
    pub name: String,
    pub family: Family,
    pub docs: Vec<EsDoc>,
}

/// Expected documents of one planted person in one index (or family).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Documents holding the email, phone or account anywhere.
    pub strong: usize,
    /// Documents holding only the name.
    pub weak: usize,
    /// The strong documents holding the identifier in free text only.
    pub free_text_only: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Self) {
        self.strong += o.strong;
        self.weak += o.weak;
        self.free_text_only += o.free_text_only;
    }
}

/// A planted subject and where it is.
#[derive(Debug, Clone)]
pub struct PlantedEs {
    pub first: String,
    pub last: String,
    /// Lower case, as keyword fields hold it (free text mixes case).
    pub email: String,
    /// National with a space, `01632 960855`.
    pub national: String,
    pub account: String,
    /// The `Id` of the person's `micc-contacts` record.
    pub contact_id: String,
    /// Concrete index name → counts.
    pub expected: BTreeMap<String, Counts>,
}

impl PlantedEs {
    /// `First Last`.
    pub fn name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }

    /// `01632960855`.
    pub fn national_digits(&self) -> String {
        self.national.chars().filter(char::is_ascii_digit).collect()
    }

    /// `+441632960855`.
    pub fn e164(&self) -> String {
        format!("+44{}", &self.national_digits()[1..])
    }

    /// `+44 1632 960855`.
    pub fn international(&self) -> String {
        format!("+44 {}", &self.national[1..])
    }

    /// Every shape the fixture writes the number in: E.164, national with
    /// spaces, national digits only, international with spaces.
    pub fn phone_shapes(&self) -> [String; 4] {
        [
            self.e164(),
            self.national.clone(),
            self.national_digits(),
            self.international(),
        ]
    }

    /// The counts summed over every index of `family`.
    pub fn family(&self, family: Family) -> Counts {
        let mut sum = Counts::default();
        for (index, c) in &self.expected {
            if Family::of_index(index) == Some(family) {
                sum += *c;
            }
        }
        sum
    }
}

/// The generated indices and planted people.
#[derive(Debug, Clone)]
pub struct EsFixture {
    pub indices: Vec<EsIndex>,
    planted: Vec<PlantedEs>,
}

impl EsFixture {
    /// The planted subjects with their expected counts.
    pub fn planted(&self) -> Vec<PlantedEs> {
        self.planted.clone()
    }

    /// The concrete index called `name`.
    pub fn index(&self, name: &str) -> Option<&EsIndex> {
        self.indices.iter().find(|i| i.name == name)
    }

    /// The concrete index names, comma-separated (for `_refresh`, `_count`).
    pub fn index_list(&self) -> String {
        let names: Vec<&str> = self.indices.iter().map(|i| i.name.as_str()).collect();
        names.join(",")
    }

    pub fn doc_count(&self) -> usize {
        self.indices.iter().map(|i| i.docs.len()).sum()
    }
}

/// The two months interactions and cases are spread over: (year, month).
pub const MONTHS: [(i64, i64); 2] = [(2026, 9), (2026, 10)];

/// The concrete index of `family` for `(year, month)`.
pub fn index_name(family: Family, (y, m): (i64, i64)) -> String {
    match family {
        Family::Message => format!("micc-interactions-message-{y:04}.{m:02}"),
        Family::Voice => format!("micc-interactions-voice-{y:04}.{m:02}"),
        Family::Cases => format!("micc-cases-{m:02}{y:04}"),
        f => f.pattern().to_owned(),
    }
}

/// The month a concrete index covers (the first of [`MONTHS`] for the
/// unpartitioned families or an unknown suffix).
fn month_of(index: &str) -> (i64, i64) {
    let digits: String = index
        .rsplit('-')
        .next()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let parsed = match (Family::of_index(index), digits.len()) {
        (Some(Family::Cases), 6) => digits[2..].parse().ok().zip(digits[..2].parse().ok()),
        (Some(Family::Message | Family::Voice), 6) => {
            digits[..4].parse().ok().zip(digits[4..].parse().ok())
        }
        _ => None,
    };
    parsed.unwrap_or(MONTHS[0])
}

/// The standard planted people: (first, last, email, national number,
/// account). The same people as the SQL Server fixture's, so one request
/// finds them across the estate.
const PEOPLE: [(&str, &str, &str, &str, &str); 3] = [
    (
        "John",
        "Smith",
        "john.smith@example.com",
        "01632 960855",
        "AC5500855",
    ),
    (
        "Maximilian",
        "Featherstonehaugh",
        "m.featherstonehaugh@example.org",
        "020 7946 0123",
        "AC5500123",
    ),
    (
        "Mary",
        "Jones",
        "mary.jones@example.org",
        "01632 960999",
        "AC5500999",
    ),
];

/// How many documents of each kind person `i` gets in an index of `family`
/// whose month is number `month` (0 or 1): (structured strong,
/// free-text-only strong, weak).
fn plan(family: Family, i: usize, month: usize) -> (usize, usize, usize) {
    match family {
        Family::Contacts => (1 + i % 2, 1, 1),
        Family::Message => (1 + i, 1 + usize::from(i == 0 && month == 0), 1),
        Family::Voice => (1 + i, 0, 1),
        Family::Cases => (1, 1, 1),
        Family::Directory => (1, 0, usize::from(i == 0)),
    }
}

/// Generates the fixture.
pub fn generate(cfg: &EsConfig) -> EsFixture {
    let mut ctx = Ctx::new(cfg.seed, 0);
    let mut planted: Vec<PlantedEs> = PEOPLE
        .iter()
        .map(|(f, l, e, n, a)| PlantedEs {
            first: (*f).to_owned(),
            last: (*l).to_owned(),
            email: (*e).to_owned(),
            national: (*n).to_owned(),
            account: (*a).to_owned(),
            contact_id: ctx.guid(),
            expected: BTreeMap::new(),
        })
        .collect();
    ctx.reserve(&planted);
    let mut indices = Vec::new();
    for family in Family::ALL {
        let months: &[(i64, i64)] = match family {
            Family::Message | Family::Voice | Family::Cases => &MONTHS,
            _ => &MONTHS[..1],
        };
        for (mi, &month) in months.iter().enumerate() {
            let name = index_name(family, month);
            ctx.month = month;
            let mut planted_docs = Vec::new();
            for (i, p) in planted.iter_mut().enumerate() {
                let (s, f, w) = plan(family, i, mi);
                let kinds = (0..s)
                    .map(|k| Kind::Strong(k + mi))
                    .chain((0..f).map(|k| Kind::FreeText(k + mi + i)))
                    .chain((0..w).map(|k| Kind::Weak(k + mi)));
                for kind in kinds {
                    planted_docs.push(ctx.planted(family, i, p, kind));
                }
                p.expected.insert(
                    name.clone(),
                    Counts {
                        strong: s + f,
                        weak: w,
                        free_text_only: f,
                    },
                );
            }
            let mut docs: Vec<EsDoc> = (0..cfg.background_per_index)
                .map(|_| ctx.background(family))
                .collect();
            // Planted documents spread evenly through the background ones.
            let n = planted_docs.len();
            for (j, d) in planted_docs.into_iter().enumerate() {
                let at = (j * (docs.len() + 1) / n.max(1)).min(docs.len());
                docs.insert(at, d);
            }
            indices.push(EsIndex { name, family, docs });
        }
    }
    EsFixture { indices, planted }
}

/// `n` structured strong documents about `plant` for the concrete index
/// `index` (any of the five families; dates in the index's month), for the
/// benchmark and the "more than 10,000 matches" tests. Their ids never
/// collide with [`generate`]'s (nor does any take the person's main
/// contact id).
pub fn bulk_matching(index: &str, n: usize, plant: &PlantedEs) -> Vec<EsDoc> {
    let family = Family::of_index(index).unwrap_or_else(|| panic!("{index}: not a micc index"));
    let seed = index.bytes().fold(0xB01C_u64, |h, b| {
        h.wrapping_mul(0x100_0000_01B3) ^ u64::from(b)
    });
    let mut ctx = Ctx::new(seed, 1 << 40);
    ctx.reserve(std::slice::from_ref(plant));
    ctx.month = month_of(index);
    (0..n)
        .map(|k| ctx.planted(family, 0, plant, Kind::Strong(k + 1)))
        .collect()
}

#[cfg(test)]
#[path = "fixture_tests.rs"]
mod tests;
