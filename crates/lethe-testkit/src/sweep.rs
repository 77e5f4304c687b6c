//! The personal-data sweep: after the whole suite, every log line, audit
//! row, metrics scrape, error body and step error the tests left in
//! `LETHE_TEST_SWEEP_DIR` is searched for the identifiers of every person
//! the fixtures plant, in every shape they are written. One hit fails the
//! run: lethe promises keyed hashes only in those places.
//!
//! Test harnesses write there through [`sweep_file`] (append-only, one
//! file per process); the `lethe` binary through `LETHE_LOG_FILE`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use lethe_domain::{PhoneRegion, Subject, SubjectInput, VariantForm};

/// Where tests leave what the sweep reads.
pub const SWEEP_DIR_ENV: &str = "LETHE_TEST_SWEEP_DIR";

/// Every person the fixtures plant (demo estate, call history, CCM
/// databases, Elasticsearch, CloudLink, webhook tests).
pub fn planted_people() -> Vec<SubjectInput> {
    let p = |emails: &[&str], phones: &[&str], names: &[&str], accounts: &[&str]| SubjectInput {
        emails: emails.iter().map(|s| (*s).to_owned()).collect(),
        phones: phones.iter().map(|s| (*s).to_owned()).collect(),
        names: names.iter().map(|s| (*s).to_owned()).collect(),
        account_numbers: accounts.iter().map(|s| (*s).to_owned()).collect(),
        ..SubjectInput::default()
    };
    vec![
        p(
            &["john.smith@example.com"],
            &["01632 960855"],
            &["John Smith"],
            &["AC5500855"],
        ),
        p(
            &[
                "mary.jones@example.com",
                "mary.jones@example.org",
                "mjones@example.org",
            ],
            &["01632 960912", "01632 960999"],
            &["Mary Jones"],
            &["AC5500999"],
        ),
        p(&[], &["01632 960977"], &["Priya Patel"], &[]),
        p(
            &["m.featherstonehaugh@example.org"],
            &["020 7946 0123", "07700 900123"],
            &[
                "Maximilian Featherstonehaugh",
                "Maximilian Wolfeschlegelstein",
            ],
            &["AC5500123"],
        ),
        p(&[], &[], &["John Featherstone", "Anna Quennell"], &[]),
    ]
}

/// The shapes searched for: every email, account and full name shape,
/// and the phone shapes long enough not to occur by chance in ids and
/// hashes (E.164, national, international, with and without spaces).
pub fn needles(people: &[SubjectInput]) -> Vec<(String, String)> {
    let region = PhoneRegion::parse("GB").expect("GB");
    let mut out = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let subject = Subject::parse(person, region).expect("fixture people parse");
        for id in subject.identifiers() {
            for v in &id.variants {
                let keep = !matches!(
                    v.form,
                    VariantForm::Last7Digits
                        | VariantForm::Last10Digits
                        | VariantForm::Trunk9National
                        | VariantForm::Trunk0National
                        | VariantForm::Trunk9International
                        | VariantForm::Trunk0International
                        | VariantForm::Trunk9International00
                        | VariantForm::Trunk9Trunk0International
                        | VariantForm::Truncated15
                        | VariantForm::Truncated20
                );
                if keep && v.value().len() >= 6 {
                    let label = format!("person {i} {} ({})", id.kind.as_str(), v.form.as_str());
                    out.push((label, v.value().to_lowercase()));
                }
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

/// Hits in `text`: `(line number, label)`. Case-insensitive; a digit
/// shape counts only where it is not part of a longer digit run.
pub fn scan(text: &str, needles: &[(String, String)]) -> Vec<(usize, String)> {
    let mut hits = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let lower = line.to_lowercase();
        for (label, needle) in needles {
            let digits = needle
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'+' || b == b' ');
            let mut from = 0;
            while let Some(at) = lower[from..].find(needle.as_str()) {
                let start = from + at;
                let end = start + needle.len();
                let bytes = lower.as_bytes();
                let alone = !digits
                    || ((start == 0 || !bytes[start - 1].is_ascii_digit())
                        && (end == bytes.len() || !bytes[end].is_ascii_digit()));
                if alone {
                    hits.push((n + 1, label.clone()));
                    break;
                }
                from = start + 1;
            }
        }
    }
    hits
}

/// Every hit under `dir`, as `file:line label` (no values).
pub fn sweep_dir(dir: &Path) -> std::io::Result<(usize, Vec<String>)> {
    let needles = needles(&planted_people());
    let mut files = 0;
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let text = String::from_utf8_lossy(&std::fs::read(&path)?).into_owned();
            for (line, label) in scan(&text, &needles) {
                found.push(format!("{}:{line} {label}", path.display()));
            }
        }
    }
    Ok((files, found))
}

/// This process's file in the sweep directory for `what` (`logs`,
/// `audit`, `errors`, ...), when the suite collects (else `None`).
pub fn sweep_file(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(SWEEP_DIR_ENV)?;
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join(format!("{what}-{}.txt", std::process::id())))
}

/// Appends `text` (and a newline) to this process's `what` file; files
/// stay open for the life of the process (log writers call this often).
pub fn record(what: &str, text: &str) {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FILES: OnceLock<Mutex<HashMap<String, std::fs::File>>> = OnceLock::new();
    if std::env::var_os(SWEEP_DIR_ENV).is_none() {
        return;
    }
    let mut files = FILES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if !files.contains_key(what) {
        let Some(path) = sweep_file(what) else { return };
        let Ok(f) = OpenOptions::new().create(true).append(true).open(path) else {
            return;
        };
        files.insert(what.to_owned(), f);
    }
    if let Some(f) = files.get_mut(what) {
        let _ = writeln!(f, "{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_identifier_in_a_log_line_is_found_and_ids_are_not() {
        let n = needles(&planted_people());
        let clean =
            "2026-11-24T10:00:00Z INFO request.id=0194f3a1-2960-7855-a1b2-c3d4e5f60718 steps=3 \
                     hash=6f1c0441632960855 duration_ms=1632960855123\n";
        assert!(scan(clean, &n).is_empty(), "{:?}", scan(clean, &n));
        for leak in [
            "WARN matched caller +441632960855 in console.log",
            "DEBUG row: ANI=01632 960855",
            "error: John.Smith@Example.com refused",
            "note: spoke to JOHN SMITH",
            "account AC5500855 closed",
        ] {
            assert!(!scan(leak, &n).is_empty(), "{leak}");
        }
    }
}
