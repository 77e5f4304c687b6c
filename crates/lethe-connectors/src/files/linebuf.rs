//! Line plumbing shared by the scan and rewrite paths: a fast newline search
//! and a buffered reader that hands out whole lines as slices of its own
//! buffer, so a line that needs no change costs no allocation and no copy.

use std::io::{self, BufRead, Read};

/// Index of the first `\n` in `hay`. `BufRead::skip_until` on a byte slice
/// is std's `memchr` (libc's on Unix), many times faster than a byte loop;
/// this reaches it without a dependency.
pub(crate) fn find_newline(hay: &[u8]) -> Option<usize> {
    let mut rest = hay;
    let skipped = rest.skip_until(b'\n').unwrap_or(0);
    (skipped > 0 && hay[skipped - 1] == b'\n').then(|| skipped - 1)
}

/// Where the line holding `hay[at]` starts: one past the previous `\n`.
/// Lines are short, so a backward byte loop is enough.
pub(crate) fn line_start(hay: &[u8], at: usize) -> usize {
    hay[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Where the line holding `hay[at]` ends: the index of its `\n`, or
/// `hay.len()` for a last line without one.
pub(crate) fn line_end(hay: &[u8], at: usize) -> usize {
    find_newline(&hay[at..]).map_or(hay.len(), |i| at + i)
}

/// `hay` without a trailing `\r`: the content of a line cut before its `\n`.
pub(crate) fn trim_cr(hay: &[u8]) -> &[u8] {
    hay.strip_suffix(b"\r").unwrap_or(hay)
}

/// The next line waiting in a [`LineReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peeked {
    /// A line of this many bytes, its `\n` included.
    Complete(usize),
    /// The source is at its end (for now) inside a line without `\n`.
    Partial(usize),
    /// Nothing left (for now).
    End,
}

/// A reader that keeps whole lines in one buffer. A line longer than the
/// buffer grows it; nothing else allocates.
pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Start of the bytes not consumed yet.
    pos: usize,
    /// End of the bytes read.
    filled: usize,
    /// `buf[pos..scanned]` is known to hold no `\n`.
    scanned: usize,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn with_capacity(capacity: usize, inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; capacity.max(64)],
            pos: 0,
            filled: 0,
            scanned: 0,
        }
    }

    /// The source, for a caller that needs its metadata.
    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Looks at the next line without consuming it, reading more when the
    /// buffer holds no whole line. After `Partial` or `End`, a later call
    /// reads again: a file that grew meanwhile yields its new bytes.
    pub(crate) fn peek(&mut self) -> io::Result<Peeked> {
        loop {
            if let Some(i) = find_newline(&self.buf[self.scanned..self.filled]) {
                return Ok(Peeked::Complete(self.scanned + i + 1 - self.pos));
            }
            self.scanned = self.filled;
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.filled, 0);
                self.filled -= self.pos;
                self.scanned = self.filled;
                self.pos = 0;
            }
            if self.filled == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = match self.inner.read(&mut self.buf[self.filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                let left = self.filled - self.pos;
                return Ok(if left == 0 {
                    Peeked::End
                } else {
                    Peeked::Partial(left)
                });
            }
            self.filled += n;
        }
    }

    /// The next `len` bytes, as returned by [`LineReader::peek`].
    pub(crate) fn line(&self, len: usize) -> &[u8] {
        &self.buf[self.pos..self.pos + len]
    }

    /// Drops the next `len` bytes (a line returned by `peek`).
    pub(crate) fn consume(&mut self, len: usize) {
        self.pos += len;
        self.scanned = self.scanned.max(self.pos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_helpers() {
        assert_eq!(find_newline(b"ab\ncd\n"), Some(2));
        assert_eq!(find_newline(b"abcd"), None);
        assert_eq!(find_newline(b""), None);
        let hay = b"one\ntwo\r\nthree";
        assert_eq!((line_start(hay, 5), line_end(hay, 5)), (4, 8));
        assert_eq!((line_start(hay, 10), line_end(hay, 10)), (9, 14));
        assert_eq!(trim_cr(&hay[4..8]), b"two");
    }

    #[test]
    fn reader_yields_lines_across_refills_and_long_lines() {
        let long = "x".repeat(300);
        let text = format!("a\n{long}\nb\r\nlast");
        let mut r = LineReader::with_capacity(16, text.as_bytes());
        let mut got = Vec::new();
        while let Peeked::Complete(n) | Peeked::Partial(n) = r.peek().unwrap() {
            got.push(String::from_utf8(r.line(n).to_vec()).unwrap());
            r.consume(n);
        }
        assert_eq!(got, ["a\n", &format!("{long}\n"), "b\r\n", "last"]);
    }
}
