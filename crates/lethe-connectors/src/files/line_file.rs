//! Line files (logs, scratch pads): an item is a line. Read in large chunks
//! cut after a newline and handed to [`Matcher::for_each_matching_line`], so
//! lines without a hit cost no allocation; erasure rewrites only files whose
//! scan found an erasable line.

use std::io::{self, Read};

use lethe_domain::Strategy;

use super::call::{Call, FileOutcome, Item, Op};
use super::failure;
use super::marks::{erasable, marks, spans_of, splice};
use super::matcher::{Hit, Matcher};
use super::rewrite::{rewrite_file, LineOutcome};
use super::walk::FileEntry;
use crate::ConnectorError;

/// Bytes read per chunk; a longer line grows the buffer.
const CHUNK: usize = 1 << 20;

/// Scans one line file and, for erasure, rewrites it.
pub(crate) fn process(call: &Call<'_>, entry: &FileEntry) -> Result<FileOutcome, ConnectorError> {
    let name = call.target.name();
    let mut out = FileOutcome::new(&entry.rel, call.batch_len());
    let mut must_rewrite = false;
    let reader = call
        .open(&entry.path)
        .map_err(|e| failure::io(name, &entry.rel, &e))?;
    scan(reader, call.matcher, |number, line, hits| {
        let marks = marks(&call.aliases.expand(line, hits));
        if call.op == Op::Erase {
            must_rewrite |= !erasable(&marks, call.include_weak).is_empty();
            return;
        }
        let record = (call.op == Op::Export).then(|| {
            let mut r = serde_json::Map::new();
            r.insert("place".to_owned(), entry.rel.clone().into());
            r.insert("line".to_owned(), number.into());
            let content = String::from_utf8_lossy(line).into_owned();
            r.insert("content".to_owned(), content.into());
            r
        });
        out.items.push(Item { marks, record });
    })
    .map_err(|e| failure::io(name, &entry.rel, &e))?;
    if must_rewrite {
        erase(call, entry, &mut out.affected)?;
    }
    Ok(out)
}

/// Rewrites the file, deciding line by line again (lines appended since
/// the scan are handled too). A line is touched when it is erasable for at
/// least one subject; redaction then replaces the hits of those subjects
/// only, names included, and leaves other subjects' identifiers alone.
fn erase(call: &Call<'_>, entry: &FileEntry, affected: &mut [u64]) -> Result<(), ConnectorError> {
    let delete = call.target.strategy == Strategy::Delete;
    let token = &call.target.token;
    rewrite_file(&entry.path, |line| {
        let hits = call.find(line);
        if hits.is_empty() {
            return LineOutcome::Keep;
        }
        let who = erasable(&marks(&hits), call.include_weak);
        if who.is_empty() {
            return LineOutcome::Keep;
        }
        for &s in &who {
            affected[s] += 1;
        }
        if delete {
            LineOutcome::Delete
        } else {
            LineOutcome::Replace(splice(line, &spans_of(&hits, &who), token))
        }
    })
    .map_err(|e| failure::io(call.target.name(), &entry.rel, &e))?;
    Ok(())
}

/// Calls `f(line_number, line, hits)` (1-based, line without terminator)
/// for every line of `reader` with a hit.
pub(crate) fn scan(
    mut reader: impl Read,
    matcher: &Matcher,
    mut f: impl FnMut(u64, &[u8], Vec<Hit>),
) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0;
    let mut lines_before = 0u64;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += n;
        let eof = n == 0;
        let cut = if eof {
            filled
        } else {
            match buf[..filled].iter().rposition(|&b| b == b'\n') {
                Some(p) => p + 1,
                None => continue,
            }
        };
        let chunk = &buf[..cut];
        let (mut counted_to, mut number) = (0, lines_before);
        matcher.for_each_matching_line(chunk, |offset, line, hits| {
            number += newlines(&chunk[counted_to..offset]);
            counted_to = offset;
            f(number + 1, line, hits);
        });
        lines_before += newlines(chunk);
        if eof {
            return Ok(());
        }
        buf.copy_within(cut..filled, 0);
        filled -= cut;
    }
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
