//! CSV erasure (`files::redact_csv_file`, the files connector's erase path
//! for `format = "csv"` with strategy `redact`) on fuzzer files: a header
//! line, then rows whose fields are fuzzer bytes (quoted or not, multi-line
//! when quoted) or identifiers planted as `|value|`.
//!
//! - never panics;
//! - a file refused (unclosed quote, no usable header) is left untouched;
//! - otherwise the result is still CSV with the same rows; the header and
//!   every row in which the matcher finds nothing are byte for byte as
//!   before;
//! - no planted identifier is left, unless the filler alone held it.
//!
//! Plants go into data rows only: the first non-blank line is the header,
//! which the connector never searches.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use lethe_connectors::files::redact_csv_file;
use lethe_fuzz::{contains_ci, identifiers, matcher, patterns, Input, Piece, DELIM};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "[REDACTED]";

#[derive(Arbitrary, Debug)]
struct CsvInput {
    base: Input,
    /// Per field: bit 0 quoted, bit 1 ends the row, bit 2 CRLF.
    shape: Vec<u8>,
    /// A header line of the fuzzer's, or `id,name,phone,note`.
    header: Option<Vec<u8>>,
}

/// A directory in memory when the machine has one: rewrites fsync.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::path::Path::new("/dev/shm");
        let t = if base.is_dir() {
            tempfile::tempdir_in(base)
        } else {
            tempfile::tempdir()
        };
        t.expect("temp dir").keep()
    })
}

fn quote(field: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// The rows of a CSV buffer, terminators included: every quote here comes
/// from `quote` or from the connector's writer, so quotes toggle and a
/// `\n` outside quotes ends a row.
fn rows(buf: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                out.push(&buf[start..i + 1]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < buf.len() {
        out.push(&buf[start..]);
    }
    out
}

fuzz_target!(|input: CsvInput| {
    let ids = identifiers(&input.base);
    let (patterns, plantable) = patterns(&ids);
    let m = matcher(patterns);

    // The first non-blank line is the header, never searched: a blank one
    // of the fuzzer's would make the first row of plants the header.
    let header: Option<Vec<u8>> = input
        .header
        .as_ref()
        .map(|h| h.iter().copied().filter(|b| !b"\n\"".contains(b)).collect());
    let mut buf = match header {
        Some(h) if h.iter().any(|&b| b != b'\r') => h,
        _ => b"id,name,phone,note".to_vec(),
    };
    buf.push(b'\n');
    let mut filler_only = buf.clone();
    let mut planted = Vec::new();
    let mut at_row_start = true;
    for (i, piece) in input.base.pieces.iter().take(64).enumerate() {
        let shape = input.shape.get(i).copied().unwrap_or(0);
        if !at_row_start {
            buf.push(b',');
            filler_only.push(b',');
        }
        let quoted = shape & 1 != 0;
        match piece {
            Piece::Filler(bytes) => {
                let field: Vec<u8> = if quoted {
                    quote(bytes)
                } else {
                    bytes
                        .iter()
                        .copied()
                        .filter(|b| !b",\"\r\n".contains(b))
                        .collect()
                };
                buf.extend_from_slice(&field);
                filler_only.extend_from_slice(&field);
            }
            Piece::Plant(_, _) if plantable.is_empty() => {}
            Piece::Plant(a, b) => {
                let value = &plantable[(usize::from(*a) << 8 | usize::from(*b)) % plantable.len()];
                let mut field = vec![DELIM];
                field.extend_from_slice(value);
                field.push(DELIM);
                let field = if quoted { quote(&field) } else { field };
                buf.extend_from_slice(&field);
                filler_only.extend_from_slice(&[DELIM, DELIM]);
                planted.push(value.clone());
            }
        }
        at_row_start = shape & 2 != 0;
        if at_row_start {
            let end: &[u8] = if shape & 4 != 0 { b"\r\n" } else { b"\n" };
            buf.extend_from_slice(end);
            filler_only.extend_from_slice(end);
        }
    }

    let path = dir().join("f.csv");
    std::fs::write(&path, &buf).unwrap();
    let result = redact_csv_file(&path, &m, 3, TOKEN);
    let out = std::fs::read(&path).unwrap();
    let Ok(_affected) = result else {
        assert_eq!(out, buf, "a refused file was changed");
        return;
    };

    let (before, after) = (rows(&buf), rows(&out));
    assert_eq!(before.len(), after.len(), "row count changed");
    assert_eq!(before[0], after[0], "header changed");
    for (b, a) in before.iter().zip(&after).skip(1) {
        if m.find(b).is_empty() {
            assert_eq!(b, a, "a row without any identifier changed");
        }
    }
    for value in &planted {
        if !contains_ci(&filler_only, value) {
            assert!(
                !contains_ci(&out, value),
                "planted identifier left in the file"
            );
        }
    }
});
