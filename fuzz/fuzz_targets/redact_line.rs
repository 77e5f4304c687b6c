//! Line redaction (`files::redact_line` over a `Matcher`) on fuzzer lines
//! with identifiers planted between `|` delimiters:
//!
//! - never panics;
//! - hits are sorted, non-empty, in bounds and do not overlap;
//! - every planted identifier lies inside one hit;
//! - the output is the line with each hit replaced by the token: every byte
//!   outside a hit is unchanged;
//! - the output no longer contains a planted value, unless the filler alone
//!   already held it (inside a longer word, which is not a match);
//! - the block scan (`for_each_matching_line`) finds exactly the hits that
//!   `find` finds, line by line.
#![no_main]

use lethe_connectors::files::{redact_line, DEFAULT_TOKEN};
use lethe_fuzz::{build_line, contains_ci, identifiers, matcher, patterns, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: Input| {
    let ids = identifiers(&input);
    let (patterns, plantable) = patterns(&ids);
    let m = matcher(patterns);
    let (line, planted, filler_only) = build_line(&input.pieces, &plantable, b"\r\n");

    let (out, hits) = redact_line(&m, &line, DEFAULT_TOKEN);
    let mut at = 0;
    let mut expected = Vec::new();
    for h in &hits {
        assert!(h.start < h.end && h.end <= line.len(), "hit out of bounds");
        assert!(h.start >= at, "hits overlap or are unsorted");
        expected.extend_from_slice(&line[at..h.start]);
        expected.extend_from_slice(DEFAULT_TOKEN);
        at = h.end;
    }
    expected.extend_from_slice(&line[at..]);
    assert_eq!(&*out, &expected[..], "bytes outside hits changed");

    for p in &planted {
        assert!(
            hits.iter().any(|h| h.start <= p.start && p.end <= h.end),
            "planted identifier not (wholly) redacted at {}..{}",
            p.start,
            p.end
        );
        if !contains_ci(&filler_only, &p.value) {
            assert!(
                !contains_ci(&out, &p.value),
                "planted identifier left in output"
            );
        }
    }

    // The block scan agrees with `find` on a buffer of several lines.
    let mut buf = Vec::new();
    let mut starts = Vec::new();
    for part in [
        &line[..],
        b"nothing here",
        &line[..line.len() / 2],
        &line[line.len() / 2..],
    ] {
        starts.push(buf.len());
        buf.extend_from_slice(part);
        buf.push(b'\n');
    }
    let mut seen = Vec::new();
    m.for_each_matching_line(&buf, |offset, l, hits| {
        seen.push((offset, l.to_vec(), hits))
    });
    let mut want = Vec::new();
    for (i, &s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(buf.len(), |&n| n) - 1;
        let l = &buf[s..end];
        let hits = m.find(l);
        if !hits.is_empty() {
            want.push((s, l.to_vec(), hits));
        }
    }
    assert_eq!(seen, want, "block scan and find disagree");
});
