//! What each column of a CSV file is: the declared layout, the tags of an
//! ADF mapping file, and the file's own header, resolved into one
//! [`FileLayout`] per file. A declared column missing from the header is an
//! error, not a skip: anonymising the wrong column would leave the data.

use std::io::Read;

use lethe_domain::IdentifierKind;

use super::compiled::{rel_string, Compiled};
use super::csv_rows::{self, Row};
use super::failure;
use super::target::CsvLayout;
use crate::ConnectorError;

/// An ADF mapping file (data-map.md A6.1): five lines, the column names on
/// the fourth and one data tag per column on the fifth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdfMapping {
    pub names: Vec<String>,
    pub tags: Vec<String>,
    /// 1-based line of the data file where records start.
    pub data_starts_on_line: usize,
}

/// Reads the target's mapping file. A missing or invalid mapping is
/// permanent (configuration); an unreadable one is transient.
pub(crate) fn read_mapping(
    target: &Compiled,
    layout: &CsvLayout,
) -> Result<Option<AdfMapping>, ConnectorError> {
    let Some(rel_path) = &layout.adf_mapping else {
        return Ok(None);
    };
    let name = target.name();
    let rel = rel_string(rel_path);
    let mut buf = Vec::new();
    std::fs::File::open(target.target.root.join(rel_path))
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => failure::malformed(
                name,
                &rel,
                "the ADF mapping file does not exist; fix `csv.adf_mapping`",
            ),
            _ => failure::io(name, &rel, &e),
        })?;
    let invalid =
        |what: &str| failure::malformed(name, &rel, &format!("invalid ADF mapping: {what}"));
    let rows = csv_rows::parse(&buf)
        .map_err(|u| invalid(&format!("unclosed quote on line {}", u.line)))?;
    let rows: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| !r.is_blank())
        .map(|r| r.fields.iter().map(|f| text(f)).collect())
        .collect();
    if rows.len() < 5 {
        return Err(invalid(
            "expected five lines (version, data start, prefix digits, column names, data tags)",
        ));
    }
    if !rows[0][0].eq_ignore_ascii_case("File Format Version") {
        return Err(invalid("line 1 is not `File Format Version,<n>`"));
    }
    let data_starts_on_line = rows[1]
        .get(1)
        .filter(|_| rows[1][0].eq_ignore_ascii_case("Data starts on line"))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .ok_or_else(|| invalid("line 2 is not `Data starts on line,<n>` with n >= 1"))?;
    let (names, tags) = (rows[3].clone(), rows[4].clone());
    if names.len() != tags.len() {
        return Err(invalid(&format!(
            "{} column names on line 4 but {} data tags on line 5",
            names.len(),
            tags.len()
        )));
    }
    Ok(Some(AdfMapping {
        names,
        tags,
        data_starts_on_line,
    }))
}

/// The columns of one file.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileLayout {
    pub headers: Vec<String>,
    pub key: Option<usize>,
    /// Identifier kinds per column (empty: not an identifier column).
    pub kinds: Vec<Vec<IdentifierKind>>,
    pub free_text: Vec<bool>,
    /// Rows before the first record (header lines): never items, never
    /// rewritten.
    pub skip_rows: usize,
}

impl FileLayout {
    /// Resolves `layout` against a file's rows. `Err` holds a message free
    /// of file content (it names declared columns only).
    pub(crate) fn resolve(
        layout: &CsvLayout,
        mapping: Option<&AdfMapping>,
        rows: &[Row],
    ) -> Result<Self, String> {
        let mut out = Self::default();
        let mut key_name = layout.key_column.clone();
        if let Some(m) = mapping {
            out.headers = m.names.clone();
            out.skip_rows = m.data_starts_on_line - 1;
            out.kinds = vec![Vec::new(); m.names.len()];
            out.free_text = vec![false; m.names.len()];
            for (i, tag) in m.tags.iter().enumerate() {
                match tag.trim().to_ascii_uppercase().as_str() {
                    "LN" | "FN" | "TDN" => out.kinds[i].push(IdentifierKind::Name),
                    "NUM" => out.kinds[i].push(IdentifierKind::Phone),
                    "EMAIL" => out.kinds[i].push(IdentifierKind::Email),
                    "TEXT" => out.free_text[i] = true,
                    "UID" if key_name.is_none() => key_name = Some(m.names[i].clone()),
                    // DEPT, LOC and tags we do not know: not identifiers.
                    _ => {}
                }
            }
        } else {
            let Some(header) = rows.iter().find(|r| !r.is_blank()) else {
                return Ok(out);
            };
            out.headers = header.fields.iter().map(|f| text(f)).collect();
            let mut sorted = out.headers.clone();
            sorted.sort();
            sorted.dedup();
            if out.headers.iter().any(String::is_empty) || sorted.len() != out.headers.len() {
                return Err(
                    "no header line: the first row has empty or repeated column names".to_owned(),
                );
            }
            out.skip_rows = rows
                .iter()
                .position(|r| std::ptr::eq(r, header))
                .unwrap_or(0)
                + 1;
            out.kinds = vec![Vec::new(); out.headers.len()];
            out.free_text = vec![false; out.headers.len()];
        }
        let column = |name: &str, role: &str| {
            out.headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    format!("{role} `{name}` is not in the header; fix the target's `csv` layout")
                })
        };
        let key = key_name
            .as_deref()
            .map(|k| column(k, "key column"))
            .transpose()?;
        let mut declared = Vec::new();
        for (name, kinds) in &layout.columns {
            declared.push((column(name, "column")?, kinds.clone()));
        }
        let free: Vec<usize> = layout
            .free_text
            .iter()
            .map(|n| column(n, "free-text column"))
            .collect::<Result<_, _>>()?;
        out.key = key;
        for (i, kinds) in declared {
            out.kinds[i].extend(kinds);
        }
        for i in free {
            out.free_text[i] = true;
        }
        Ok(out)
    }

    /// The header of column `i`, or a made-up one for extra fields.
    pub(crate) fn header(&self, i: usize) -> String {
        self.headers
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("column {}", i + 1))
    }
}

/// A field as text (lossy for bytes that are not UTF-8), trimmed.
pub(crate) fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adf_tags_give_kinds_key_and_free_text() {
        let mapping = AdfMapping {
            names: ["Last Name", "Number", "Unique ID", "Licence Plate"]
                .map(String::from)
                .to_vec(),
            tags: ["LN", "NUM", "UID", "TEXT"].map(String::from).to_vec(),
            data_starts_on_line: 2,
        };
        let l = FileLayout::resolve(&CsvLayout::default(), Some(&mapping), &[]).unwrap();
        assert_eq!(l.kinds[0], vec![IdentifierKind::Name]);
        assert_eq!(l.kinds[1], vec![IdentifierKind::Phone]);
        assert_eq!((l.key, l.skip_rows), (Some(2), 1));
        assert!(l.free_text[3]);
    }

    #[test]
    fn missing_key_column_and_bad_header_are_errors() {
        let rows = csv_rows::parse(b"UniqueID,Comment\nU-1,x\n").unwrap();
        let layout = CsvLayout {
            key_column: Some("Key".into()),
            ..CsvLayout::default()
        };
        assert!(FileLayout::resolve(&layout, None, &rows)
            .unwrap_err()
            .contains("`Key`"));
        let rows = csv_rows::parse(b"a,,b\n").unwrap();
        assert!(FileLayout::resolve(&CsvLayout::default(), None, &rows).is_err());
    }
}
