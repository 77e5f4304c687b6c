//! Integration tests of the files connector core, on real temp files.

mod append_race;
mod cloudlink;
mod es;
mod es_tls;
mod files_config;
mod files_connector;
mod files_csv;
mod files_errors;
mod matching;
mod mssql;
mod mssql_recordings;
mod pg;
mod pg_call_history;
mod pg_errors;
mod pg_free_text;
mod pg_outage;
mod pg_tls;
mod pg_types;
mod rewrite;

use lethe_connectors::files::Matcher;
use lethe_domain::{PhoneRegion, Subject, SubjectInput};

/// The fixture subject of data-map.md A6: John Smith, 01632 960855.
pub fn john() -> Subject {
    subject(
        &["john.smith@example.com"],
        &["01632 960855"],
        &["John Smith"],
    )
}

/// A parsed GB subject from raw strings.
pub fn subject(emails: &[&str], phones: &[&str], names: &[&str]) -> Subject {
    let input = SubjectInput {
        emails: emails.iter().map(|s| s.to_string()).collect(),
        phones: phones.iter().map(|s| s.to_string()).collect(),
        names: names.iter().map(|s| s.to_string()).collect(),
        ..SubjectInput::default()
    };
    Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
}

/// A matcher for John Smith and Mary Jones.
pub fn matcher() -> Matcher {
    let mary = subject(
        &["MJones@Example.org"],
        &["+44 1632 960999"],
        &["Mary Jones"],
    );
    Matcher::for_subjects(&[john(), mary]).unwrap()
}
