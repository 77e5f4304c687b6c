//! The erasure report as one self-contained HTML page: a summary, a table
//! of targets with their counts, the details that need words (legal
//! grounds, places, errors), and the manual steps.

use std::fmt::Write as _;

use lethe_domain::Replacement;

use super::{ErasureReport, StrategySummary, TargetOutcome, TargetReport, VerifyOutcome};
use crate::html::{date, escape, page};

/// Renders `r` as a complete HTML page (inline CSS, no scripts, no
/// external resources). Every value from the report is escaped.
pub fn render_report_html(r: &ErasureReport) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Erasure report</h1>\n<dl>\n<dt>Request</dt><dd class=\"key\">{}</dd>\n\
         <dt>Status</dt><dd>{}</dd>\n<dt>Received</dt><dd>{}</dd>\n<dt>Due</dt><dd>{}</dd>\n",
        r.request_id,
        escape(r.status.as_str()),
        date(r.received_at),
        date(r.due_at),
    );
    if let Some(done) = r.completed_at {
        let _ = writeln!(b, "<dt>Completed</dt><dd>{}</dd>", date(done));
    }
    let _ = writeln!(
        b,
        "<dt>Report made</dt><dd>{}</dd>\n</dl>",
        date(r.generated_at)
    );

    b.push_str("<h2>Identifiers searched</h2>\n");
    if r.identifiers.is_empty() {
        b.push_str("<p class=\"muted\">None recorded.</p>\n");
    } else {
        b.push_str("<ul>");
        for i in &r.identifiers {
            let _ = write!(
                b,
                "<li>{}: <span class=\"key\">{}</span></li>",
                escape(i.kind.describe()),
                escape(&i.hint)
            );
        }
        b.push_str("</ul>\n");
    }

    if let Some(reminder) = &r.reminder {
        let _ = writeln!(b, "<p class=\"bad\">{}</p>", escape(reminder));
    }
    let t = &r.totals;
    let o = &t.outcomes;
    let _ = write!(
        b,
        "<h2>Summary</h2>\n<table>\n<tr><th>Targets</th><th class=\"num\">Found</th>\
         <th class=\"num\">Name-only</th><th class=\"num\">Erased</th>\
         <th class=\"num\">Remaining</th><th class=\"num\">Retained</th></tr>\n\
         <tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n\
         </table>\n<p>Targets erased: {}; nothing found: {}; retained: {}; failed: {}; \
         pending: {}.</p>\n",
        t.targets,
        t.found,
        t.weak,
        t.erased,
        t.remaining,
        t.retained,
        o.erased,
        o.nothing_found,
        o.retained,
        o.failed,
        o.pending,
    );

    b.push_str(
        "<h2>Targets</h2>\n<div class=\"scroll\"><table>\n<tr><th>Target</th>\
         <th>Strategy</th><th class=\"num\">Found</th><th class=\"num\">Name-only</th>\
         <th class=\"num\">Erased</th><th class=\"num\">Remaining</th>\
         <th class=\"num\">Retained</th><th>Outcome</th><th>Verification</th></tr>\n",
    );
    for target in &r.targets {
        target_row(&mut b, target);
    }
    b.push_str("</table></div>\n");

    let detailed: Vec<&TargetReport> = r
        .targets
        .iter()
        .filter(|t| {
            !t.retained.is_empty()
                || t.error.is_some()
                || !t.places.is_empty()
                || !t.caveats.is_empty()
        })
        .collect();
    if !detailed.is_empty() {
        b.push_str("<h2>Details</h2>\n");
        for target in detailed {
            target_details(&mut b, target);
        }
    }

    if !r.manual.is_empty() {
        b.push_str(
            "<h2>Manual steps</h2>\n<div class=\"scroll\"><table>\n<tr><th>Step</th>\
             <th>What</th><th>Recipient</th><th>Status</th><th>Note</th></tr>\n",
        );
        for m in &r.manual {
            let _ = writeln!(
                b,
                "<tr><td class=\"key\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&m.name),
                escape(&m.description),
                escape(&m.recipient),
                escape(m.status.as_str()),
                escape(m.note.as_deref().unwrap_or("")),
            );
        }
        b.push_str("</table></div>\n");
    }

    page(&format!("Erasure report {}", r.request_id), &b)
}

fn target_row(b: &mut String, t: &TargetReport) {
    let retained: u64 = t.retained.iter().map(|r| r.items).sum();
    let remaining = t
        .remaining
        .map_or_else(|| "–".to_owned(), |n| n.to_string());
    let _ = writeln!(
        b,
        "<tr><td>{}<br><span class=\"key\">{}</span></td><td>{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
        escape(&t.description),
        escape(&t.key),
        strategy_words(&t.strategy),
        t.found,
        t.weak,
        if t.weak > 0 && t.include_weak {
            " (included)"
        } else {
            ""
        },
        t.erased,
        remaining,
        retained,
        outcome_badge(t.outcome),
        verify_badge(t.verify),
    );
}

fn target_details(b: &mut String, t: &TargetReport) {
    let _ = writeln!(
        b,
        "<section class=\"target\">\n<h3>{} <span class=\"key\">{}</span></h3>",
        escape(&t.description),
        escape(&t.key)
    );
    if let Some(error) = &t.error {
        let _ = writeln!(b, "<p class=\"bad\">Error: {}</p>", escape(error));
    }
    for c in &t.caveats {
        let _ = writeln!(b, "<p class=\"caveat\">Not reached: {}</p>", escape(c));
    }
    if !t.retained.is_empty() {
        b.push_str("<p>Retained:</p>\n<ul>");
        for r in &t.retained {
            let _ = write!(
                b,
                "<li>{} {}: {}</li>",
                r.items,
                if r.items == 1 { "item" } else { "items" },
                escape(&r.reason)
            );
        }
        b.push_str("</ul>\n");
    }
    if !t.places.is_empty() {
        b.push_str(
            "<div class=\"scroll\"><table><tr><th>Where</th><th class=\"num\">Found</th>\
             <th class=\"num\">Name-only</th></tr>\n",
        );
        for p in &t.places {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&p.place),
                p.items,
                p.weak
            );
        }
        b.push_str("</table></div>\n");
    }
    b.push_str("</section>\n");
}

/// `delete`, `anonymise (token "[ERASED]")`, `retain: <ground>`, escaped.
fn strategy_words(s: &StrategySummary) -> String {
    let mut words = escape(&s.name);
    match (&s.replacement, &s.ground) {
        (Some(Replacement::Null), _) => words.push_str(" (null)"),
        (Some(Replacement::Pseudonym), _) => words.push_str(" (keyed pseudonym)"),
        (Some(Replacement::Token(token)), _) => {
            let _ = write!(words, " (token &quot;{}&quot;)", escape(token));
        }
        (None, Some(ground)) => {
            let _ = write!(words, ": {}", escape(ground));
        }
        (None, None) => {}
    }
    words
}

fn outcome_badge(o: TargetOutcome) -> String {
    let class = match o {
        TargetOutcome::Erased | TargetOutcome::NothingFound => "ok",
        TargetOutcome::Retained | TargetOutcome::Pending => "warn",
        TargetOutcome::Failed => "bad",
    };
    format!("<span class=\"{class}\">{}</span>", o.as_str())
}

fn verify_badge(v: VerifyOutcome) -> String {
    let class = match v {
        VerifyOutcome::Passed => "ok",
        VerifyOutcome::Failed => "bad",
        VerifyOutcome::NotRun => "muted",
    };
    format!("<span class=\"{class}\">{}</span>", v.as_str())
}
