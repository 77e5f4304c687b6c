//! `index.html`: the access package as a person reads it. One
//! self-contained page: what was searched, every source where something
//! was found with its purposes, recipients, retention, places and records,
//! the sources where nothing was found, and the subject's rights.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::manifest::RIGHTS;
use super::{manual_status_words, AccessResult, Source};
use crate::evidence::RequestEvidence;
use crate::html::{date, escape, list, page};

/// Renders the page. Every value from the evidence is escaped.
pub(crate) fn index_html(
    e: &RequestEvidence,
    sources: &[Source<'_>],
    generated_at: DateTime<Utc>,
) -> String {
    let mut b = String::new();
    let found: Vec<&Source<'_>> = by_result(sources, AccessResult::Found);
    let incomplete = by_result(sources, AccessResult::NotCompleted);
    let nothing = by_result(sources, AccessResult::NothingFound);

    let _ = write!(
        b,
        "<h1>Your personal data</h1>\n<p class=\"muted\">Access request \
         <span class=\"key\">{}</span> · received {} · this copy made {}</p>\n\
         <p>{} {}</p>\n",
        e.request_id,
        date(e.received_at),
        date(generated_at),
        escape(RIGHTS.about),
        escape(RIGHTS.copy),
    );

    b.push_str("<h2>What we searched for</h2>\n");
    if e.identifiers.is_empty() {
        b.push_str("<p>No identifiers are recorded for this request.</p>\n");
    } else {
        b.push_str("<p>We searched for these details of yours (shown masked):</p>\n<ul>");
        for i in &e.identifiers {
            let _ = write!(
                b,
                "<li>{}: <span class=\"key\">{}</span></li>",
                escape(i.kind.describe()),
                escape(&i.hint)
            );
        }
        b.push_str("</ul>\n");
    }
    let _ = writeln!(
        b,
        "<p>We searched {} {} and found data about you in {}.</p>",
        sources.len(),
        plural(sources.len(), "system", "systems"),
        found.len()
    );

    b.push_str("<h2>Where we found data about you</h2>\n");
    if found.is_empty() {
        b.push_str("<p>We found no data about you in the systems we searched.</p>\n");
    }
    for s in &found {
        source_section(&mut b, s);
    }

    if !incomplete.is_empty() {
        b.push_str("<h2>Systems where the search is not complete</h2>\n");
        for s in &incomplete {
            source_section(&mut b, s);
        }
    }

    if !nothing.is_empty() {
        b.push_str("<h2>Systems searched where nothing was found</h2>\n<ul>\n");
        for s in &nothing {
            let t = &s.evidence.target;
            let _ = write!(
                b,
                "<li>{} <span class=\"key\">{}</span>",
                escape(&t.description),
                escape(&t.key())
            );
            name_only_note(&mut b, s.evidence.weak, " — ");
            b.push_str("</li>\n");
        }
        b.push_str("</ul>\n");
    }

    if !e.manual.is_empty() {
        b.push_str(
            "<h2>Systems checked by our staff</h2>\n<p>These systems are checked by hand \
             rather than searched automatically.</p>\n<table><tr><th>System</th>\
             <th>Handled by</th><th>Status</th></tr>\n",
        );
        for m in &e.manual {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&m.description),
                escape(&m.recipient),
                manual_status_words(m.status)
            );
        }
        b.push_str("</table>\n");
    }

    rights_section(&mut b, sources.iter().any(|s| s.evidence.weak > 0));
    page("Your personal data", &b)
}

fn by_result<'s, 'a>(sources: &'s [Source<'a>], result: AccessResult) -> Vec<&'s Source<'a>> {
    sources.iter().filter(|s| s.result == result).collect()
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// One source in full: Art. 15(1) facts, places and records.
fn source_section(b: &mut String, s: &Source<'_>) {
    let t = s.evidence;
    let info = &t.target;
    let _ = write!(
        b,
        "<section class=\"target\">\n<h3>{}</h3>\n<p class=\"key\">{}</p>\n",
        escape(&info.description),
        escape(&info.key())
    );
    if s.result == AccessResult::NotCompleted {
        b.push_str(
            "<p class=\"warn\">The search of this system has not completed. What is shown \
             here may be incomplete; we will send you the rest when it is done.</p>\n",
        );
    }
    let _ = write!(
        b,
        "<dl>\n<dt>Purposes</dt><dd>{}</dd>\n<dt>Recipients</dt><dd>{}</dd>\n\
         <dt>Retention</dt><dd>{}</dd>\n<dt>Items found</dt><dd>{}",
        list(&info.purposes),
        list(&info.recipients),
        escape(&info.retention),
        t.found,
    );
    name_only_note(b, t.weak, "; ");
    b.push_str("</dd>\n");
    if let Some(file) = &s.file {
        let _ = writeln!(
            b,
            "<dt>Data file</dt><dd class=\"key\">{}</dd>",
            escape(file)
        );
    }
    b.push_str("</dl>\n");

    let places: Vec<_> = s.places().collect();
    if !places.is_empty() {
        b.push_str(
            "<div class=\"scroll\"><table><tr><th>Where</th><th class=\"num\">Items</th></tr>\n",
        );
        for p in places {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                escape(&p.place),
                p.items
            );
        }
        b.push_str("</table></div>\n");
    }
    records_table(b, &t.records);
    b.push_str("</section>\n");
}

fn name_only_note(b: &mut String, weak: u64, sep: &str) {
    if weak > 0 {
        let _ = write!(
            b,
            "{sep}{weak} {} matching your name only, not included (see below)",
            if weak == 1 { "entry" } else { "entries" }
        );
    }
}

/// The records as a table: one column per field, in the order fields
/// first appear; a record that is not an object gets a `value` column.
fn records_table(b: &mut String, records: &[Value]) {
    if records.is_empty() {
        b.push_str("<p class=\"muted\">No records were copied from this system.</p>\n");
        return;
    }
    let mut columns: Vec<&str> = Vec::new();
    let mut has_plain = false;
    for r in records {
        match r {
            Value::Object(map) => {
                for k in map.keys() {
                    if !columns.contains(&k.as_str()) {
                        columns.push(k);
                    }
                }
            }
            _ => has_plain = true,
        }
    }
    let _ = write!(
        b,
        "<div class=\"scroll\"><table>\n<caption class=\"muted\">{} {}</caption>\n<tr>",
        records.len(),
        plural(records.len(), "record", "records")
    );
    for c in &columns {
        let _ = write!(b, "<th>{}</th>", escape(c));
    }
    if has_plain {
        b.push_str("<th>value</th>");
    }
    b.push_str("</tr>\n");
    for r in records {
        b.push_str("<tr>");
        for c in &columns {
            let cell = r.as_object().and_then(|m| m.get(*c)).map(cell_text);
            let _ = write!(b, "<td>{}</td>", escape(&cell.unwrap_or_default()));
        }
        if has_plain {
            let cell = if r.is_object() {
                String::new()
            } else {
                cell_text(r)
            };
            let _ = write!(b, "<td>{}</td>", escape(&cell));
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table></div>\n");
}

/// A value as a cell shows it: strings as they are, `null` as nothing,
/// anything else as compact JSON.
fn cell_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn rights_section(b: &mut String, any_name_only: bool) {
    b.push_str("<h2>Where the data comes from, and your rights</h2>\n");
    let _ = writeln!(
        b,
        "<p>{}</p>\n<p>{}</p>",
        escape(RIGHTS.source),
        escape(RIGHTS.purposes_recipients_retention)
    );
    if any_name_only {
        let _ = writeln!(b, "<p>{}</p>", escape(RIGHTS.name_only_matches));
    }
    b.push_str("<ul>\n");
    for r in RIGHTS.your_rights {
        let _ = writeln!(b, "<li>{}</li>", escape(r));
    }
    let _ = writeln!(b, "</ul>\n<p>{}</p>", escape(RIGHTS.complaint));
}
