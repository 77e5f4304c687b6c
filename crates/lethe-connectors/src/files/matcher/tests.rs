//! Unit tests for the matcher: forms, boundaries, merging.

use super::*;
use aho_corasick::automaton::Automaton;
use lethe_domain::{PhoneRegion, SubjectInput};

use super::engine::dfa_bytes;

fn subject(emails: &[&str], phones: &[&str], names: &[&str]) -> Subject {
    let input = SubjectInput {
        emails: emails.iter().map(|s| s.to_string()).collect(),
        phones: phones.iter().map(|s| s.to_string()).collect(),
        names: names.iter().map(|s| s.to_string()).collect(),
        ..SubjectInput::default()
    };
    Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
}

fn spans(m: &Matcher, line: &str) -> Vec<String> {
    m.find(line.as_bytes())
        .iter()
        .map(|h| line[h.start..h.end].to_string())
        .collect()
}

fn john() -> Matcher {
    Matcher::for_subjects(&[subject(
        &["john.smith@example.com"],
        &["01632 960855"],
        &["John Smith"],
    )])
    .unwrap()
}

#[test]
fn phone_forms_with_separators() {
    let m = john();
    assert_eq!(spans(&m, "ANI=0441632960855 x"), ["0441632960855"]);
    assert_eq!(spans(&m, "tel 01632 960855."), ["01632 960855"]);
    assert_eq!(spans(&m, "tel +44 1632-960855"), ["+44 1632-960855"]);
    assert_eq!(spans(&m, "tel (01632) 960-855"), ["(01632) 960-855"]);
    assert_eq!(spans(&m, "dial 901632960855"), ["901632960855"]);
    assert_eq!(spans(&m, "x 00441632960855"), ["00441632960855"]);
}

#[test]
fn phone_not_inside_longer_digit_runs() {
    let m = john();
    assert!(m.find(b"card 12301632960855999").is_empty());
    assert!(
        m.find(b"ref 5552960855").is_empty(),
        "last 7 inside a longer run"
    );
    assert!(
        m.find(b"id 11632960855").is_empty(),
        "last 10 after a digit"
    );
    assert_eq!(spans(&m, "dni 2960855;"), ["2960855"]);
}

#[test]
fn separated_neighbour_digits_do_not_hide_a_number() {
    let m = john();
    let line = "09:02:11.417 01632 960855 2 rings";
    assert_eq!(spans(&m, line), ["01632 960855"]);
}

#[test]
fn names_need_word_boundaries() {
    let m = john();
    assert_eq!(spans(&m, r#"Name="SMITH, JOHN" DNIS"#), ["SMITH, JOHN"]);
    assert_eq!(spans(&m, "to (\"Smith,John\")"), ["Smith,John"]);
    assert!(m.find(b"John Smithson called").is_empty());
    assert!(m.find(b"LeJohn Smith").is_empty());
}

#[test]
fn emails_case_insensitive() {
    let m = john();
    assert_eq!(
        spans(&m, "mail JOHN.Smith@Example.COM;"),
        ["JOHN.Smith@Example.COM"]
    );
}

#[test]
fn multiple_subjects_in_one_line() {
    let a = subject(&["a.one@example.com"], &[], &["Anna Jones"]);
    let b = subject(&[], &["+44 1632 960999"], &["Mary Jones"]);
    let m = Matcher::for_subjects(&[a, b]).unwrap();
    let line = b"Anna Jones <a.one@example.com> called 01632 960999 for Jones,Mary";
    let hits = m.find(line);
    let who: Vec<(usize, IdentifierKind)> = hits.iter().map(|h| (h.subject, h.kind)).collect();
    assert_eq!(
        who,
        [
            (0, IdentifierKind::Name),
            (0, IdentifierKind::Email),
            (1, IdentifierKind::Phone),
            (1, IdentifierKind::Name),
        ]
    );
}

#[test]
fn overlaps_merge_to_the_union() {
    let hits = merge(vec![
        Hit {
            start: 2,
            end: 6,
            subject: 0,
            kind: IdentifierKind::Name,
            form: VariantForm::FirstLast,
        },
        Hit {
            start: 4,
            end: 12,
            subject: 1,
            kind: IdentifierKind::Phone,
            form: VariantForm::National,
        },
    ]);
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].start, hits[0].end, hits[0].subject), (2, 12, 1));
}

#[test]
fn short_values_are_not_patterns() {
    assert!(Pattern::new(0, IdentifierKind::Phone, VariantForm::E164, "+44 12").is_none());
    assert!(Pattern::new(0, IdentifierKind::Name, VariantForm::FirstLast, "Al").is_none());
    let empty = Matcher::new(Vec::new()).unwrap();
    assert!(empty.is_empty());
    assert!(empty.find(b"anything 01632960855").is_empty());
}

/// Pieces that make lines worth searching: the subjects' values in several
/// shapes, digits, separators, letters, line endings.
fn piece() -> impl proptest::strategy::Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "01632 960855",
        "+44 1632-960855",
        "(01632) 960-855",
        "0441632960855",
        "2960855",
        "j.1-2@example.com",
        "John Smith",
        "SMITH, JOHN",
        "Smithson",
        "Unit 4 Smith",
        "(Bob) Ray",
        "7 - 7a",
        "Bob",
        "john.smith@example.com",
        "2024-03-14 09:02:11.417",
        "0",
        "1",
        "6",
        "9",
        " ",
        "-",
        ".",
        "(",
        ")",
        "a",
        "x",
        "é",
        ",",
        "\n",
        "\r\n",
        "\r",
    ])
}

/// Two subjects plus text patterns the filter's skipping walk could miss
/// (a separator next to a digit or at an end), so both walks are tested.
fn fragile_patterns() -> Vec<Pattern> {
    let subjects = [
        subject(
            &["john.smith@example.com"],
            &["01632 960855"],
            &["John Smith"],
        ),
        subject(&["j.1-2@example.com"], &["+44 1632 960999"], &[]),
    ];
    let extra = [
        (IdentifierKind::Name, "Unit 4 Smith"),
        (IdentifierKind::Name, "(Bob) Ray"),
        (IdentifierKind::AccountNumber, "7 - 7a"),
    ];
    subjects
        .iter()
        .enumerate()
        .flat_map(|(i, s)| Pattern::for_subject(i, s))
        .chain(
            extra
                .iter()
                .filter_map(|&(kind, v)| Pattern::new(2, kind, VariantForm::Normalised, v)),
        )
        .collect()
}

/// The line-by-line scan the block scan replaced, as the reference.
fn naive(m: &Matcher, buf: &[u8]) -> Vec<(usize, Vec<Hit>)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in buf.split(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\r").unwrap_or(line);
        let hits = m.find_exact(m.engine.as_ref().unwrap(), content);
        if !hits.is_empty() {
            out.push((at, hits));
        }
        at += line.len() + 1;
    }
    out
}

proptest::proptest! {
    #[test]
    fn block_scan_and_filter_agree_with_exact_search(
        pieces in proptest::collection::vec(piece(), 0..400),
    ) {
        let buf: Vec<u8> = pieces.concat().into_bytes();
        let dfa = Matcher::compile(fragile_patterns(), Choice::BySize).unwrap();
        let nfa = Matcher::compile(fragile_patterns(), Choice::Nfa).unwrap();
        assert!(matches!(dfa.engine, Some(Engine::Dfa(_))));
        assert!(matches!(nfa.engine, Some(Engine::Nfa(_))));
        let want = naive(&dfa, &buf);
        for m in [&dfa, &nfa] {
            let mut got = Vec::new();
            m.for_each_matching_line(&buf, |at, line, hits| {
                assert_eq!(m.find(line), hits);
                got.push((at, hits));
            });
            proptest::prop_assert_eq!(&got, &want);
            for line in buf.split(|&b| b == b'\n') {
                proptest::prop_assert_eq!(m.find(line), m.find_exact(m.engine.as_ref().unwrap(), line));
            }
        }
    }
}

#[test]
fn block_scan_crosses_block_edges() {
    let m = john();
    let mut buf = Vec::new();
    let mut planted = Vec::new();
    for i in 0..20_000 {
        if i % 997 == 0 {
            planted.push(buf.len());
            buf.extend_from_slice(b"2024-03-14 09:02:11.417 call from 01632 960855 queued\r\n");
        } else {
            buf.extend_from_slice(
                format!("2024-03-14 09:02:11.417 idle {i} 555-0100\n").as_bytes(),
            );
        }
    }
    let mut got = Vec::new();
    m.for_each_matching_line(&buf, |at, line, hits| {
        assert!(line.ends_with(b"queued"));
        assert_eq!(hits.len(), 1);
        got.push(at);
    });
    assert_eq!(got, planted);
}

#[test]
fn dfa_size_is_estimated_before_building() {
    // Trie: root, a, ab, abc, abd: 5 rows. Classes: ..@ A B C D E..` a b
    // c d e..: 11, so rows 16 wide; 4 bytes an entry.
    assert_eq!(dfa_bytes(&["abc", "ABD"]), 5 * 16 * 4);
    let john = Pattern::for_subject(
        0,
        &subject(
            &["john.smith@example.com"],
            &["01632 960855"],
            &["John Smith"],
        ),
    );
    let values: Vec<&[u8]> = john.iter().map(Pattern::value).collect();
    let Engine::Dfa(dfa) = build(&values, Choice::BySize).unwrap() else {
        panic!("one subject makes a DFA")
    };
    let estimate = dfa_bytes(&values);
    let actual = dfa.memory_usage();
    assert!(
        estimate >= actual / 2 && estimate <= actual * 4,
        "{estimate} vs {actual}"
    );
}
