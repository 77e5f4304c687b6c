//! Throughput of the files connector on a generated log tree, against
//! ripgrep counting the same identifier strings over the same files.
//!
//! `cargo bench -p lethe-connectors --bench files` (or `scripts/bench-files`).
//! `LETHE_BENCH_MIB` sets the tree size (default 256); `LETHE_BENCH_LIVE=1`
//! keeps the files' fresh modification times, so every rewrite also waits
//! out the append grace period of a live log (see `rewrite_file`);
//! `LETHE_BENCH_KEEP=1` keeps the tree (redacted) for a look afterwards.
//!
//! The tree is deterministic: console-log-like lines full of timestamps,
//! numbers, names and addresses of fake people, with 1,000 subjects planted
//! sparsely (one line each for an email, a phone in one of seven shapes and
//! a name in one of three). Measured, each on a warm page cache: (a) `rg -F
//! -c -f patterns.txt`, where `patterns.txt` holds every variant string the
//! matcher searches; (b) `FilesConnector::erase` of all 1,000 subjects
//! (redact); (c) `FilesConnector::discover`, the scan alone.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use lethe_connectors::files::{FileTarget, FilesConnector, Matcher, Pattern};
use lethe_connectors::{BatchSubject, Connector};
use lethe_domain::{PhoneRegion, Subject, SubjectInput};

const SUBJECTS: usize = 1_000;
const FILE_BYTES: usize = 1 << 20;

fn main() {
    let mib: usize = std::env::var("LETHE_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let live = std::env::var("LETHE_BENCH_LIVE").is_ok_and(|v| v == "1");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let work = target_dir().join("lethe-bench-files");
    let tree = work.join("tree");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&tree).unwrap();

    let t = Instant::now();
    let subjects = subjects();
    let planted = generate(&tree, mib, &subjects, live);
    let bytes = tree_bytes(&tree);
    let total_mib = bytes as f64 / (1 << 20) as f64;
    println!(
        "tree: {} files, {total_mib:.0} MiB, {planted} planted lines of {SUBJECTS} subjects, generated in {:.1?} ({cores} cores)",
        mib,
        t.elapsed()
    );
    let patterns = work.join("patterns.txt");
    let n_patterns = write_patterns(&patterns, &subjects);
    let t = Instant::now();
    let matcher = Matcher::for_subjects(&subjects).unwrap();
    println!(
        "patterns: {n_patterns} strings in patterns.txt, {} compiled; matcher built in {:.2?}",
        matcher.len(),
        t.elapsed()
    );
    drop(matcher);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let connector = FilesConnector::new(vec![target(&tree)], None).unwrap();
    let batch: Vec<BatchSubject> = subjects
        .iter()
        .map(|s| BatchSubject {
            subject: s.clone(),
            include_weak: true,
        })
        .collect();

    // (a) ripgrep, counting only.
    warm(&tree);
    let rg = ripgrep(&patterns, &tree, cores);
    if let Some((secs, lines)) = rg {
        println!(
            "rg -F -c:          {:>8.1} MiB/s  ({secs:.3} s, {lines} matching lines)",
            total_mib / secs
        );
    }

    // (c) discovery: the scan alone.
    warm(&tree);
    let t = Instant::now();
    let found = rt.block_on(connector.discover("bench", &batch)).unwrap();
    let discover = t.elapsed().as_secs_f64();
    let found_items: u64 = found.iter().map(|f| f.matched + f.weak).sum();
    println!(
        "lethe discover:    {:>8.1} MiB/s  ({discover:.3} s, {found_items} items)",
        total_mib / discover
    );

    // (b) erasure: scan, then rewrite every file with a hit.
    warm(&tree);
    let t = Instant::now();
    let erased = rt.block_on(connector.erase("bench", &batch)).unwrap();
    let erase = t.elapsed().as_secs_f64();
    let affected: u64 = erased.iter().map(|e| e.affected).sum();
    println!(
        "lethe erase:       {:>8.1} MiB/s  ({erase:.3} s, {affected} lines redacted)",
        total_mib / erase
    );
    if let Some((secs, _)) = rg {
        println!(
            "ratio lethe/rg:    erase {:.2}, discover {:.2}",
            secs / erase,
            secs / discover
        );
    }

    let after = rt.block_on(connector.verify("bench", &batch)).unwrap();
    let left: u64 = after.iter().map(|f| f.matched + f.weak).sum();
    let ok = found_items == planted && affected == planted && left == 0;
    println!(
        "sanity: planted {planted}, found {found_items}, redacted {affected}, left after erase {left}: {}",
        if ok { "ok" } else { "MISMATCH" }
    );
    if std::env::var("LETHE_BENCH_KEEP").is_ok_and(|v| v == "1") {
        println!("kept {}", work.display());
    } else {
        let _ = fs::remove_dir_all(&work);
    }
    if !ok {
        std::process::exit(1);
    }
}

/// `target/` of the workspace (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The target as an operator would declare it.
fn target(root: &Path) -> FileTarget {
    serde_json::from_value(serde_json::json!({
        "name": "bench",
        "root": root,
        "format": "lines",
        "strategy": "redact",
    }))
    .unwrap()
}

/// Runs rg the way the goal is stated; `None` when rg is not installed.
fn ripgrep(patterns: &Path, tree: &Path, cores: usize) -> Option<(f64, u64)> {
    let t = Instant::now();
    let out = Command::new("rg")
        .args(["-F", "-c", "-f"])
        .arg(patterns)
        .args(["--no-ignore", "--hidden", "-j", &cores.to_string()])
        .arg(tree)
        .output();
    let secs = t.elapsed().as_secs_f64();
    match out {
        Ok(out) if out.status.success() => {
            let lines = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.rsplit(':').next()?.parse::<u64>().ok())
                .sum();
            Some((secs, lines))
        }
        Ok(out) => {
            println!("rg failed ({}); skipping (a)", out.status);
            None
        }
        Err(e) => {
            println!(
                "rg not available ({e}); skipping (a). Install ripgrep or run scripts/bench-files."
            );
            None
        }
    }
}

/// Reads every file once, so each measurement starts from a warm cache.
fn warm(tree: &Path) {
    let mut buf = vec![0; 1 << 20];
    for path in files(tree) {
        let mut f = File::open(path).unwrap();
        while f.read(&mut buf).unwrap() > 0 {}
    }
}

fn files(tree: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in fs::read_dir(tree).unwrap() {
        for f in fs::read_dir(dir.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out.sort();
    out
}

fn tree_bytes(tree: &Path) -> u64 {
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

/// 1,000 subjects with unique synthetic family names, addresses and
/// numbers in the 01632 960xxx drama range.
fn subjects() -> Vec<Subject> {
    let mut rng = Rng(7);
    let mut taken = std::collections::HashSet::new();
    (0..SUBJECTS)
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
fn write_patterns(path: &Path, subjects: &[Subject]) -> usize {
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
fn generate(tree: &Path, files: usize, subjects: &[Subject], live: bool) -> u64 {
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
