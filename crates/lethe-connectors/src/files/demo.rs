//! A small, fake but realistic estate on disk (`lethe demo`, tests): every
//! file store of data-map.md with a few thousand lines of filler, and three
//! planted subjects. John Smith appears in every store in the shapes the
//! estate writes (E.164 with a dash, trunk-prefixed digits, `SMITH, JOHN`,
//! `Smith,John`); Mary Jones in several; Priya Patel also by name alone, to
//! show weak matches.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use lethe_domain::SubjectInput;

use super::demo_stores::{
    scratch_pad, write_adf, write_collector, write_comments, write_console_logs, write_suite,
};
use super::spec::FileTargetSpec;
use super::target::FileTarget;

/// What [`write_demo_estate`] wrote.
#[derive(Debug, Clone)]
pub struct DemoEstate {
    /// The directory holding the estate.
    pub root: PathBuf,
    /// Every preset, rooted at its part of the estate.
    pub targets: Vec<FileTarget>,
    /// The planted subjects.
    pub subjects: Vec<DemoSubject>,
}

/// A planted subject: what a data subject would submit, and the exact
/// strings planted, so a test can count items by plain string search.
#[derive(Debug, Clone)]
pub struct DemoSubject {
    /// `john`, `mary`, `priya`.
    pub label: &'static str,
    pub input: SubjectInput,
    /// Planted shapes of strong identifiers (emails, phones).
    pub strong_forms: Vec<&'static str>,
    /// Planted shapes of the name.
    pub name_forms: Vec<&'static str>,
}

const JOHN_STRONG: [&str; 4] = [
    "john.smith@example.com",
    "01632 960855",
    "+44 1632-960855",
    "0441632960855",
];
const JOHN_NAMES: [&str; 3] = ["SMITH, JOHN", "Smith,John", "John Smith"];
const MARY_STRONG: [&str; 3] = ["mary.jones@example.com", "01632 960912", "01632960912"];
const MARY_NAMES: [&str; 3] = ["Jones,Mary", "MARY JONES", "Mary Jones"];
const PRIYA_STRONG: [&str; 2] = ["01632 960977", "901632960977"];
const PRIYA_NAMES: [&str; 3] = ["PATEL, PRIYA", "Patel,Priya", "Priya Patel"];

/// Writes the estate under `dir` (created if needed) and returns where
/// everything is. Same bytes on every run.
pub fn write_demo_estate(dir: &Path) -> io::Result<DemoEstate> {
    let console = dir.join("console");
    write_console_logs(&console.join("logs"))?;
    write_collector(&dir.join("collector"))?;
    let config = console.join("config");
    write_adf(&config.join("adf"))?;
    write_comments(&config.join("comments"))?;
    write(&config.join("ScratchPad.txt"), &scratch_pad())?;
    write_suite(&dir.join("suite"))?;
    let rooted = [
        ("console-logs", console.join("logs")),
        ("console-log-collector", dir.join("collector")),
        ("adf-directory", config.join("adf")),
        ("console-comments", config.join("comments")),
        ("scratch-pad", config.clone()),
        ("suite-server-logs", dir.join("suite/logs")),
        ("suite-iis-logs", dir.join("suite/iis")),
        ("suite-search-logs", dir.join("suite/search")),
    ];
    let targets = rooted
        .into_iter()
        .map(|(preset, root)| FileTargetSpec::preset(preset, root).resolve())
        .collect::<Result<Vec<_>, _>>()
        .map_err(io::Error::other)?;
    Ok(DemoEstate {
        root: dir.to_path_buf(),
        targets,
        subjects: subjects(),
    })
}

fn subjects() -> Vec<DemoSubject> {
    let input = |emails: &[&str], phones: &[&str], names: &[&str]| SubjectInput {
        emails: emails.iter().map(|s| (*s).to_owned()).collect(),
        phones: phones.iter().map(|s| (*s).to_owned()).collect(),
        names: names.iter().map(|s| (*s).to_owned()).collect(),
        ..SubjectInput::default()
    };
    vec![
        DemoSubject {
            label: "john",
            input: input(
                &["john.smith@example.com"],
                &["+44 1632 960855"],
                &["John Smith"],
            ),
            strong_forms: JOHN_STRONG.to_vec(),
            name_forms: JOHN_NAMES.to_vec(),
        },
        DemoSubject {
            label: "mary",
            input: input(
                &["mary.jones@example.com"],
                &["01632 960912"],
                &["Mary Jones"],
            ),
            strong_forms: MARY_STRONG.to_vec(),
            name_forms: MARY_NAMES.to_vec(),
        },
        DemoSubject {
            label: "priya",
            input: input(&[], &["01632 960977"], &["Priya Patel"]),
            strong_forms: PRIYA_STRONG.to_vec(),
            name_forms: PRIYA_NAMES.to_vec(),
        },
    ]
}

pub(super) fn write(path: &Path, content: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, content)
}

pub(super) fn write_gz(path: &Path, content: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut gz = GzEncoder::new(fs::File::create(path)?, Compression::default());
    gz.write_all(content.as_bytes())?;
    gz.finish()?.sync_all()
}
