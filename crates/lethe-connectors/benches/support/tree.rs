//! The generated log tree of the files benches: console-log-like lines
//! full of timestamps, numbers, names and addresses of fake people, with
//! up to 1,000 subjects planted sparsely (one line each for an email, a
//! phone in one of seven shapes and a name in one of three). Deterministic.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use lethe_connectors::files::{FileTarget, Pattern};
use lethe_connectors::BatchSubject;
use lethe_domain::{PhoneRegion, Subject, SubjectInput};

const FILE_BYTES: usize = 1 << 20;

/// `target/` of the workspace (or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The target as an operator would declare it.
pub fn target(root: &Path) -> FileTarget {
    serde_json::from_value(serde_json::json!({
        "name": "bench",
        "root": root,
        "format": "lines",
        "strategy": "redact",
    }))
    .unwrap()
}

/// Reads every file once, so each measurement starts from a warm cache.
pub fn warm(tree: &Path) {
    let mut buf = vec![0; 1 << 20];
    for path in files(tree) {
        let mut f = File::open(path).unwrap();
        while f.read(&mut buf).unwrap() > 0 {}
    }
}

pub fn files(tree: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in fs::read_dir(tree).unwrap() {
        for f in fs::read_dir(dir.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out.sort();
    out
}

pub fn tree_bytes(tree: &Path) -> u64 {
    files(tree)
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

/// SplitMix64: deterministic and fast; quality is beside the point.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const FIRST: &[&str] = &[
    "Mary", "John", "Aisha", "Tom", "Priya", "Liam", "Chloe", "Omar", "Grace", "Wei", "Sofia",
    "James", "Emma", "Noah", "Olivia", "Jack", "Amelia", "Harry", "Isla", "Oscar",
];
/// Family names of the background people: never a subject's.
const NOISE_LAST: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke",
];
const SYLLABLES: &[&str] = &[
    "kel", "vor", "ani", "bra", "zed", "mol", "tri", "quo", "sen", "dax", "lum", "pir", "gos",
    "haf", "nub", "wex", "rin", "cal", "fod", "jut",
];
const DOMAINS: &[&str] = &[
    "contoso.test",
    "fabrikam.test",
    "example.org",
    "northwind.test",
];

/// One batch of `subjects`, weak matches included (a bench counts all).
pub fn batch(subjects: &[Subject]) -> Vec<BatchSubject> {
    subjects
        .iter()
        .map(|s| BatchSubject {
            subject: s.clone(),
            include_weak: true,
        })
        .collect()
}

/// `n` (at most 1,000) subjects with unique synthetic family names,
/// addresses and numbers in the 01632 960xxx drama range.
pub fn subjects(n: usize) -> Vec<Subject> {
    assert!(
        n <= 1_000,
        "numbers are 01632 960000-960999: at most 1,000 subjects"
    );
    let mut rng = Rng(7);
    let mut taken = std::collections::HashSet::new();
    (0..n)
        .map(|k| {
            let family = loop {
                let s: String = (0..3).map(|_| rng.pick(SYLLABLES)).collect();
                let mut c = s.chars();
                let s = c
                    .next()
                    .unwrap()
                    .to_uppercase()
                    .chain(c)
                    .collect::<String>();
                if taken.insert(s.clone()) {
                    break s;
                }
            };
            let given = rng.pick(FIRST);
            let input = SubjectInput {
                emails: vec![format!(
                    "{}.{}{k}@{}",
                    given.to_lowercase(),
                    family.to_lowercase(),
                    rng.pick(DOMAINS)
                )],
                phones: vec![format!("01632 960{k:03}")],
                names: vec![format!("{given} {family}")],
                ..SubjectInput::default()
            };
            Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
        })
        .collect()
}

/// Writes every variant string of every subject, one per line; returns
/// how many.
pub fn write_patterns(path: &Path, subjects: &[Subject]) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in subjects.iter().enumerate() {
        for p in Pattern::for_subject(i, s) {
            seen.insert(p.value().to_vec());
        }
    }
    let mut w = BufWriter::new(File::create(path).unwrap());
    for v in &seen {
        w.write_all(v).unwrap();
        w.write_all(b"\n").unwrap();
    }
    seen.len()
}

/// What is planted for subject `k`: its email, phone and name lines.
fn planted_lines(k: usize, subject: &Subject, rng: &mut Rng) -> [String; 3] {
    let find = |kind: lethe_domain::IdentifierKind| {
        subject
            .identifiers()
            .into_iter()
            .find(|i| i.kind == kind)
            .unwrap()
            .variants
            .into_iter()
            .find(|v| {
                matches!(
                    v.form,
                    lethe_domain::VariantForm::Normalised | lethe_domain::VariantForm::FirstLast
                )
            })
            .map(|v| v.value().to_owned())
            .unwrap()
    };
    let email = find(lethe_domain::IdentifierKind::Email);
    // Every fifth address as a console shouts it.
    let email = match k % 5 {
        0 => email.to_uppercase(),
        _ => email,
    };
    let (given, family) = find(lethe_domain::IdentifierKind::Name)
        .split_once(' ')
        .map(|(g, f)| (g.to_owned(), f.to_owned()))
        .unwrap();
    let phone = match k % 7 {
        0 => format!("ANI=0441632960{k:03}"),
        1 => format!("from 01632 960{k:03}"),
        2 => format!("tel +44 1632-960{k:03}"),
        3 => format!("cb (01632) 960-{k:03}"),
        4 => format!("dial 901632960{k:03} ok"),
        5 => format!("cli +441632960{k:03}"),
        _ => format!("dni 2960{k:03};"),
    };
    let name = match k % 3 {
        0 => format!(
            "Name=\"{}, {}\"",
            family.to_uppercase(),
            given.to_uppercase()
        ),
        1 => format!("transferredTo=2281 (\"{family},{given}\")"),
        _ => format!("caller {given} {family} on hold"),
    };
    let ts = stamp(rng);
    [
        format!(
            "{ts} DEBUG [Directory] lookup {email} -> ext {}",
            2000 + rng.below(8000)
        ),
        format!(
            "{ts} INFO  [CallMgr] Incoming call id={} {phone} DNIS=8200",
            rng.below(90_000) + 10_000
        ),
        format!(
            "{ts} INFO  [CallMgr] Call id={} {name}",
            rng.below(90_000) + 10_000
        ),
    ]
}

fn stamp(rng: &mut Rng) -> String {
    format!(
        "2024-03-{:02} {:02}:{:02}:{:02}.{:03}",
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000)
    )
}

/// One background line: timestamps, call ids, extensions, IP addresses,
/// numbers in the 0117 496 0xxx drama range, names and addresses of people
/// who are not subjects.
fn noise(rng: &mut Rng, out: &mut String) {
    use std::fmt::Write as _;
    let ts = stamp(rng);
    let (first, last) = (rng.pick(FIRST), rng.pick(NOISE_LAST));
    let n = rng.below(1000);
    let _ = match rng.below(6) {
        0 => writeln!(
            out,
            "{ts} INFO  [CallMgr] Incoming call id={} ANI=0441174960{n:03} Name=\"{}, {}\" DNIS={} Console=OP{} User=op{}",
            10_000 + rng.below(90_000),
            last.to_uppercase(),
            first.to_uppercase(),
            8000 + rng.below(1000),
            1 + rng.below(9),
            rng.below(100)
        ),
        1 => writeln!(
            out,
            "{ts} INFO  [CallMgr] Call id={} released duration=00:{:02}:{:02} transferredTo={} (\"{last},{first}\")",
            10_000 + rng.below(90_000),
            rng.below(60),
            rng.below(60),
            2000 + rng.below(8000)
        ),
        2 => writeln!(
            out,
            "{ts} DEBUG [Directory] lookup {}.{}@{} -> ext {} tel 0117 496 0{n:03}",
            first.to_lowercase(),
            last.to_lowercase(),
            rng.pick(DOMAINS),
            2000 + rng.below(8000)
        ),
        3 => writeln!(
            out,
            "{ts} INFO  [Queue] agent {} state=Idle queue=Q{} waiting={} longest=00:00:{:02}",
            2000 + rng.below(8000),
            rng.below(40),
            rng.below(20),
            rng.below(60)
        ),
        4 => writeln!(
            out,
            "{ts} WARN  [Trunk] SIP 486 Busy Here from sip:+44117496{n:04}@10.{}.{}.{}:5060",
            rng.below(256),
            rng.below(256),
            rng.below(256)
        ),
        _ => writeln!(
            out,
            "{ts} INFO  [Agent] {first} {last} logged on at console OP{} skill=billing,claims",
            1 + rng.below(9)
        ),
    };
}

/// Writes `files` files of about 1 MiB under `tree/sNN/`, planting each
/// subject's three lines at random places; returns the planted count.
pub fn generate(tree: &Path, files: usize, subjects: &[Subject], live: bool) -> u64 {
    let mut rng = Rng(42);
    let mut plan: Vec<Vec<(usize, String)>> = vec![Vec::new(); files];
    for (k, s) in subjects.iter().enumerate() {
        for line in planted_lines(k, s, &mut rng) {
            plan[rng.below(files)].push((rng.below(6_000), line));
        }
    }
    let old = SystemTime::now() - Duration::from_secs(24 * 3600);
    let mut planted = 0;
    let mut text = String::with_capacity(FILE_BYTES + 4096);
    for (i, mut lines) in plan.into_iter().enumerate() {
        lines.sort();
        let mut lines = lines.into_iter().peekable();
        text.clear();
        let mut n = 0;
        while text.len() < FILE_BYTES || lines.peek().is_some() {
            while let Some((_, line)) = lines.next_if(|(at, _)| *at <= n) {
                text.push_str(&line);
                text.push('\n');
                planted += 1;
            }
            noise(&mut rng, &mut text);
            n += 1;
        }
        let dir = tree.join(format!("s{:02}", i / 32));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("MiVBConsole-{i:04}.log"));
        fs::write(&path, &text).unwrap();
        if !live {
            // Historical logs, as most of an estate is.
            File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
    }
    planted
}
