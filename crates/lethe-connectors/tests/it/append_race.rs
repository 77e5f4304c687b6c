//! The append race of `rewrite_file`: a writer appending to a log while it
//! is redacted loses no line. Writers here append the way log4net's
//! `MinimalLock` does: open with `O_APPEND`, write one line, close.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use lethe_connectors::files::{redact_line, rewrite_file, LineOutcome, Matcher, DEFAULT_TOKEN};

use crate::matcher;

const PLANTED: &str = "john.smith@example.com";
/// Redactions run while the writer writes.
const ROUNDS: usize = 6;

/// The line callback a redacting step uses.
fn redactor(m: &Matcher) -> impl FnMut(&[u8]) -> LineOutcome + '_ {
    |line| match redact_line(m, line, DEFAULT_TOKEN) {
        (_, hits) if hits.is_empty() => LineOutcome::Keep,
        (out, _) => LineOutcome::Replace(out.into_owned()),
    }
}

/// Line `n` as the writer writes it: every seventh holds the email.
fn numbered(n: u64) -> String {
    if n % 7 == 3 {
        format!("{n} caller {PLANTED} queued\n")
    } else {
        format!("{n} idle agent=2281 padding text\n")
    }
}

/// Line `n` as it must end up after a redaction.
fn redacted(n: u64) -> String {
    numbered(n).replace(PLANTED, "[REDACTED]")
}

/// Appends one line in one `write` on a fresh `O_APPEND` descriptor.
fn append_line(path: &Path, line: &str) {
    let mut f = OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(line.as_bytes()).unwrap();
}

#[test]
fn concurrent_appender_loses_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("MiVBConsole.log");
    let seed: String = (0..2_000)
        .map(|i| format!("seed {i} caller {PLANTED}\n"))
        .collect();
    fs::write(&path, &seed).unwrap();
    let m = matcher();
    let stop = AtomicBool::new(false);
    let written = thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                append_line(&path, &numbered(n));
                n += 1;
            }
            n
        });
        for _ in 0..ROUNDS {
            let stats = rewrite_file(&path, redactor(&m)).unwrap();
            assert!(stats.rewritten, "each round finds planted lines");
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap()
    });
    // Lines written after the last concurrent round still hold the email.
    rewrite_file(&path, redactor(&m)).unwrap();

    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains(PLANTED), "a planted email survived");
    assert!(text.ends_with('\n'), "no line was cut");
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut seeds = 0;
    for line in text.lines() {
        if line.starts_with("seed ") {
            seeds += 1;
            assert!(line.ends_with(" caller [REDACTED]"), "{line}");
            continue;
        }
        let n: u64 = line
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not a numbered line: {line:?}"));
        assert_eq!(format!("{line}\n"), redacted(n), "line {n} mangled");
        *seen.entry(n).or_default() += 1;
    }
    assert_eq!(seeds, 2_000);
    let missing: Vec<u64> = (0..written).filter(|n| !seen.contains_key(n)).collect();
    let doubled: Vec<u64> = seen
        .iter()
        .filter(|(_, &c)| c > 1)
        .map(|(&n, _)| n)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {written} lines lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(doubled.is_empty(), "lines duplicated: {doubled:?}");
    assert_eq!(seen.len() as u64, written);
    assert!(written > 0);
}

/// The deterministic half of the race: a writer opened the file before the
/// rename and writes after it, into the old inode. The line is read from
/// there, redacted and appended to the new file.
#[test]
fn write_into_the_old_inode_after_the_rename_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("MiVBConsole.log");
    fs::write(&path, "0 caller john.smith@example.com\n1 idle\n").unwrap();
    let old_ino = fs::metadata(&path).unwrap().ino();
    let held: File = OpenOptions::new().append(true).open(&path).unwrap();
    let m = matcher();
    let stats = thread::scope(|s| {
        s.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while fs::metadata(&path).map(|md| md.ino()).unwrap_or(old_ino) == old_ino {
                assert!(Instant::now() < deadline, "the file was never replaced");
                thread::sleep(Duration::from_millis(1));
            }
            let mut held = held;
            held.write_all(b"2 late caller john.smith@example.com\n3 late idle\n")
                .unwrap();
        });
        rewrite_file(&path, redactor(&m)).unwrap()
    });
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "0 caller [REDACTED]\n1 idle\n2 late caller [REDACTED]\n3 late idle\n"
    );
    assert_eq!((stats.lines, stats.lines_changed), (4, 2));
    assert!(stats.rewritten);
}
