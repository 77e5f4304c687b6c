//! A small CSV reader and writer for directory and comments files: comma
//! separated, `"` quoting with `""` escapes, quoted fields may span lines.
//! Rows keep their byte span and first physical line, so erasure can edit
//! exactly the physical lines of one row and leave every other byte alone.
//! Lenient where spreadsheets are sloppy (text after a closing quote is
//! kept); strict only about an unclosed quote, which would swallow the rest
//! of the file into one field.

/// One row as found in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// Field values, unquoted, as raw bytes (embedded line breaks kept).
    pub fields: Vec<Vec<u8>>,
    /// Whether each field was quoted, so a rewritten row keeps its style.
    pub quoted: Vec<bool>,
    /// Byte offset of the row's first byte.
    pub start: usize,
    /// Byte offset one past the row's content, before its line terminator.
    pub end: usize,
    /// 0-based physical line on which the row starts.
    pub line: u64,
}

impl Row {
    /// A blank physical line: not an item.
    pub(crate) fn is_blank(&self) -> bool {
        self.fields.len() == 1 && self.fields[0].is_empty() && !self.quoted[0]
    }

    /// The row's physical lines as `rewrite_file` hands them over: split at
    /// `\n`, each without a trailing `\r`.
    pub(crate) fn physical_lines<'b>(&self, buf: &'b [u8]) -> Vec<&'b [u8]> {
        buf[self.start..self.end]
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .collect()
    }
}

/// A quote opened on this 1-based physical line is never closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unclosed {
    pub line: u64,
}

/// Splits `buf` into rows.
pub(crate) fn parse(buf: &[u8]) -> Result<Vec<Row>, Unclosed> {
    let mut rows = Vec::new();
    let (mut at, mut line) = (0, 0u64);
    while at < buf.len() {
        let start = at;
        let start_line = line;
        let mut fields = Vec::new();
        let mut quoted = Vec::new();
        let end = loop {
            let mut field = Vec::new();
            let is_quoted = buf.get(at) == Some(&b'"');
            if is_quoted {
                at += 1;
                loop {
                    let Some(q) = buf[at..].iter().position(|&b| b == b'"') else {
                        return Err(Unclosed {
                            line: start_line + 1,
                        });
                    };
                    field.extend_from_slice(&buf[at..at + q]);
                    line += buf[at..at + q].iter().filter(|&&b| b == b'\n').count() as u64;
                    at += q + 1;
                    if buf.get(at) == Some(&b'"') {
                        field.push(b'"');
                        at += 1;
                    } else {
                        break;
                    }
                }
            }
            // Unquoted text, or anything after a closing quote.
            let stop = buf[at..]
                .iter()
                .position(|&b| b == b',' || b == b'\n')
                .map_or(buf.len(), |p| at + p);
            let mut tail = &buf[at..stop];
            if buf.get(stop) != Some(&b',') {
                tail = tail.strip_suffix(b"\r").unwrap_or(tail);
            }
            field.extend_from_slice(tail);
            fields.push(field);
            quoted.push(is_quoted);
            at = stop;
            match buf.get(at) {
                Some(b',') => at += 1,
                Some(_) => {
                    let end = if at > start && buf[at - 1] == b'\r' {
                        at - 1
                    } else {
                        at
                    };
                    at += 1;
                    line += 1;
                    break end;
                }
                None => break at,
            }
        };
        rows.push(Row {
            fields,
            quoted,
            start,
            end,
            line: start_line,
        });
    }
    Ok(rows)
}

/// One row as CSV text, without a terminator. Fields quoted before stay
/// quoted; others are quoted only when they must be.
pub(crate) fn write_row(fields: &[Vec<u8>], quoted: &[bool]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let must = field
            .iter()
            .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
        if must || quoted.get(i).copied().unwrap_or(false) {
            out.push(b'"');
            for &b in field {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(field);
        }
    }
    out
}

/// The row's values joined by `,` (what the matcher reads, free of quoting)
/// and each field's span in that text.
pub(crate) fn joined(fields: &[Vec<u8>]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut text = Vec::new();
    let mut spans = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        spans.push((text.len(), text.len() + f.len()));
        text.extend_from_slice(f);
    }
    (text, spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escapes_and_multiline_fields() {
        let buf = b"a,b,c\r\n\"Smith,John\",\"say \"\"hi\"\"\",x\n1,\"two\nlines\",3\nlast";
        let rows = parse(buf).unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0].fields,
            vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        assert_eq!(rows[1].fields[0], b"Smith,John");
        assert_eq!(rows[1].fields[1], b"say \"hi\"");
        assert_eq!(rows[1].quoted, vec![true, true, false]);
        assert_eq!(rows[2].fields[1], b"two\nlines");
        assert_eq!((rows[2].line, rows[3].line), (2, 4));
        assert_eq!(
            rows[2].physical_lines(buf),
            vec![&b"1,\"two"[..], b"lines\",3"]
        );
        assert_eq!(&buf[rows[0].start..rows[0].end], b"a,b,c");
        assert_eq!(rows[3].fields, vec![b"last".to_vec()]);
    }

    #[test]
    fn writing_round_trips_and_keeps_quoting() {
        let buf = b"\"Smith,John\",2281,\"q\"\"x\",plain";
        let row = &parse(buf).unwrap()[0];
        assert_eq!(write_row(&row.fields, &row.quoted), buf.to_vec());
        assert_eq!(
            write_row(&[b"a,b".to_vec(), b"c".to_vec()], &[]),
            b"\"a,b\",c"
        );
    }

    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        assert_eq!(parse(b"a,b\n\"open,x\ny\n"), Err(Unclosed { line: 2 }));
    }

    #[test]
    fn blank_lines_are_rows_but_not_items() {
        let rows = parse(b"a\n\nb\n").unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows[1].is_blank() && !rows[0].is_blank());
    }
}
