//! Matching and redaction on console-file lines (data-map.md A6).

use lethe_connectors::files::{redact_line, DEFAULT_TOKEN};
use lethe_domain::IdentifierKind;
use proptest::prelude::*;

use crate::matcher;

const CONSOLE: &str = r#"2024-03-14 09:02:11.417 INFO  [CallMgr] Incoming call id=4711 ANI=0441632960855 Name="SMITH, JOHN" DNIS=8200 Console=OP1 User=jdoe"#;

#[test]
fn console_log_line_caller_id() {
    let m = matcher();
    let hits = m.find(CONSOLE.as_bytes());
    let got: Vec<(&str, IdentifierKind, usize)> = hits
        .iter()
        .map(|h| (&CONSOLE[h.start..h.end], h.kind, h.subject))
        .collect();
    assert_eq!(
        got,
        [
            ("0441632960855", IdentifierKind::Phone, 0),
            ("SMITH, JOHN", IdentifierKind::Name, 0),
        ]
    );
    let (out, _) = redact_line(&m, CONSOLE.as_bytes(), DEFAULT_TOKEN);
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        r#"2024-03-14 09:02:11.417 INFO  [CallMgr] Incoming call id=4711 ANI=[REDACTED] Name="[REDACTED]" DNIS=8200 Console=OP1 User=jdoe"#
    );
}

#[test]
fn two_subjects_emails_and_phone_shapes() {
    let m = matcher();
    let line = "U-1,Smith,John,JOHN.SMITH@EXAMPLE.COM,01632 960855;Jones,Mary,mjones@example.ORG,(01632) 960-999,+44 1632-960855";
    let (out, hits) = redact_line(&m, line.as_bytes(), DEFAULT_TOKEN);
    let subjects: Vec<usize> = hits.iter().map(|h| h.subject).collect();
    assert_eq!(subjects, [0, 0, 0, 1, 1, 1, 0]);
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        "U-1,[REDACTED],[REDACTED],[REDACTED];[REDACTED],[REDACTED],[REDACTED],[REDACTED]"
    );
}

#[test]
fn longer_digit_runs_and_words_do_not_match() {
    let m = matcher();
    for line in [
        "order 990441632960855001 shipped",
        "iban GB00 BANK 1201632960855",
        "ref=77701632960999",
        "John Smithers and Mary Joneses",
        "DNIS=8200 id=4711",
    ] {
        assert!(m.find(line.as_bytes()).is_empty(), "{line}");
    }
}

#[test]
fn bytes_outside_hits_are_unchanged() {
    let m = matcher();
    let line = b"\xff\xfe pre 01632 960855 \x00mid\xc3\xa9 john.smith@example.com post\r";
    let (out, hits) = redact_line(&m, line, b"#");
    assert_eq!(hits.len(), 2);
    assert_eq!(&*out, b"\xff\xfe pre # \x00mid\xc3\xa9 # post\r");
}

proptest! {
    #[test]
    fn redaction_never_panics_and_removes_planted_email(
        prefix in proptest::collection::vec(any::<u8>(), 0..200),
        suffix in proptest::collection::vec(any::<u8>(), 0..200),
        local in "[a-z][a-z0-9]{0,10}(\\.[a-z0-9]{1,6})?",
        domain in "[a-z][a-z0-9]{0,11}\\.(com|org|co\\.uk)",
        upper in any::<bool>(),
        noise in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let email = format!("{local}@{domain}");
        let m = lethe_connectors::files::Matcher::for_subjects(&[crate::subject(&[&email], &["01632 960855"], &["John Smith"])]).unwrap();
        let planted = if upper { email.to_uppercase() } else { email.clone() };
        let mut line = prefix.clone();
        line.extend_from_slice(planted.as_bytes());
        line.extend_from_slice(&suffix);
        let (out, hits) = redact_line(&m, &line, DEFAULT_TOKEN);
        prop_assert!(!hits.is_empty());
        let lower = out.to_ascii_lowercase();
        prop_assert!(!lower.windows(email.len()).any(|w| w == email.as_bytes()));
        // Arbitrary bytes never panic either.
        let _ = redact_line(&m, &noise, DEFAULT_TOKEN);
    }
}
