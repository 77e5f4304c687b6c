//! The generator checked against an oracle that reads the documents back:
//! counts the fixture claims are counts the documents have.

use std::collections::HashSet;

use serde_json::Value;

use super::*;

/// Every string leaf with its dotted path (array indices dropped).
fn leaves<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((path, s)),
        Value::Array(a) => a.iter().for_each(|x| leaves(x, path.clone(), out)),
        Value::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, p, out);
            }
        }
        _ => {}
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `s` holds one of `p`'s identifiers in any shape.
fn holds_identifier(p: &PlantedEs, s: &str) -> bool {
    let lower = s.to_lowercase();
    lower.contains(&p.email)
        || lower.contains(&p.account.to_lowercase())
        || digits(s).contains(&p.national_digits()[1..])
}

/// (strong, weak, free_text_only) of `p` in `index`, read from the documents.
fn oracle(index: &EsIndex, p: &PlantedEs) -> Counts {
    let text = index.family.text_fields();
    let mut c = Counts::default();
    for d in &index.docs {
        let mut l = Vec::new();
        leaves(&d.source, String::new(), &mut l);
        let in_text = l
            .iter()
            .any(|(f, s)| text.contains(&f.as_str()) && holds_identifier(p, s));
        let in_kw = l
            .iter()
            .any(|(f, s)| !text.contains(&f.as_str()) && holds_identifier(p, s));
        let named = l.iter().any(|(_, s)| s.contains(&p.name()));
        if in_text || in_kw {
            c.strong += 1;
            c.free_text_only += usize::from(!in_kw);
        } else if named {
            c.weak += 1;
        }
    }
    c
}

#[test]
fn claimed_counts_are_in_the_documents() {
    let f = generate(&EsConfig::default());
    assert_eq!(f.indices.len(), 8);
    for p in f.planted() {
        for index in &f.indices {
            let claimed = p.expected[&index.name];
            assert_eq!(oracle(index, &p), claimed, "{} in {}", p.name(), index.name);
        }
    }
}

#[test]
fn background_never_holds_a_planted_identifier_or_name() {
    let f = generate(&EsConfig {
        seed: 7,
        background_per_index: 2_000,
    });
    let planted = f.planted();
    for index in &f.indices {
        for d in index.docs.iter().filter(|d| d.about.is_none()) {
            let mut l = Vec::new();
            leaves(&d.source, String::new(), &mut l);
            for p in &planted {
                for (field, s) in &l {
                    let lower = s.to_lowercase();
                    assert!(
                        !holds_identifier(p, s)
                            && !lower.contains(&p.first.to_lowercase())
                            && !lower.contains(&p.last.to_lowercase()),
                        "{}: background {} {field} = {s:?} names {}",
                        index.name,
                        d.id,
                        p.name()
                    );
                }
            }
        }
    }
}

#[test]
fn deterministic_unique_ids_equal_to_the_id_field() {
    let cfg = EsConfig::default();
    let (a, b) = (generate(&cfg), generate(&cfg));
    let mut seen = HashSet::new();
    for (x, y) in a.indices.iter().zip(&b.indices) {
        assert_eq!(x.docs, y.docs, "{} differs between runs", x.name);
        for d in &x.docs {
            assert!(seen.insert(d.id.clone()), "{} twice", d.id);
            assert_eq!(d.source[x.family.id_field()], d.id.as_str());
        }
    }
    let p = &a.planted()[0];
    for index in [
        "micc-contacts",
        "micc-interactions-message-2026.11",
        "micc-cases-112026",
    ] {
        for d in bulk_matching(index, 500, p) {
            assert!(seen.insert(d.id.clone()), "bulk id {} collides", d.id);
        }
    }
    let bulk = bulk_matching("micc-interactions-voice-2026.11", 3, p);
    assert!(bulk[0].source["StartTime"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-"));
    let contact = &a.index("micc-contacts").unwrap().docs;
    assert!(contact.iter().any(|d| d.id == p.contact_id));
}

#[test]
fn planted_shapes_and_family_sums() {
    let f = generate(&EsConfig::default());
    let john = &f.planted()[0];
    assert_eq!(
        john.phone_shapes(),
        [
            "+441632960855",
            "01632 960855",
            "01632960855",
            "+44 1632 960855"
        ]
    );
    let m = john.family(Family::Message);
    assert_eq!(
        m,
        Counts {
            strong: 5,
            weak: 2,
            free_text_only: 3
        }
    );
}
