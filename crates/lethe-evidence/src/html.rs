//! The little HTML both pages need: an escaper, a page shell with inline
//! CSS, and formatting helpers. No templates, no JavaScript, no external
//! resources: the pages open from a zip or an email attachment, offline,
//! and must not phone home.
//!
//! Every piece of text that reaches a page goes through [`escape`], because
//! much of it comes from the estate (log lines, CRM fields, a name typed by
//! a caller) and is as hostile as any other input.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

/// Escapes text for HTML element content and quoted attribute values:
/// `&`, `<`, `>`, `"` and `'`. `&` goes first by construction (one pass),
/// so nothing is escaped twice.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A date as people read it, in UTC so the page says the same everywhere.
pub(crate) fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Inline style shared by the access page and the erasure report: readable
/// on screen and in print, wide tables scroll instead of breaking the page.
const CSS: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
line-height:1.45;color:#1b1b1b;background:#fff;max-width:72rem;margin:0 auto;padding:1.5rem}\
h1{font-size:1.6rem;margin-bottom:.25rem}h2{font-size:1.25rem;margin-top:2rem;\
border-bottom:1px solid #ccc;padding-bottom:.2rem}h3{font-size:1.05rem;margin-bottom:.3rem}\
.muted{color:#555}.key{font-family:ui-monospace,Consolas,monospace;font-size:.9em;color:#555}\
section.target{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem 1rem;margin:1rem 0}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}\
dt{font-weight:600}dd{margin:0}\
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f2f2f2}td.num,th.num{text-align:right}\
td{white-space:pre-wrap;word-break:break-word}\
.ok{color:#11632e;font-weight:600}.bad{color:#a4121b;font-weight:600}.caveat{color:#7a4b00}\
.warn{color:#8a5300;font-weight:600}\
@media print{section.target{break-inside:avoid}.scroll{overflow:visible}}";

/// Wraps `body` (already escaped HTML) in a complete page titled `title`.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{}</title>\n<style>{CSS}</style>\n\
         </head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// `<ul>` of escaped items, or "none stated" when there are none.
pub(crate) fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "<span class=\"muted\">none stated</span>".to_owned();
    }
    let mut out = String::from("<ul>");
    for item in items {
        let _ = write!(out, "<li>{}</li>", escape(item));
    }
    out.push_str("</ul>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_specials() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn hostile_strings_leave_no_markup() {
        let hostile = [
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "'><svg onload=alert(1)>",
            "</td></tr></table><script>",
            "&lt;script&gt;",
            "<!-- comment -->",
            "<![CDATA[x]]>",
        ];
        for h in hostile {
            let e = escape(h);
            for c in ['<', '>', '"', '\''] {
                assert!(!e.contains(c), "{c:?} survived in {e}");
            }
            // Every `&` starts one of our entities: pre-escaped input is
            // escaped again, not passed through.
            for (i, _) in e.match_indices('&') {
                let rest = &e[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                        .iter()
                        .any(|ent| rest.starts_with(ent)),
                    "bare & in {e}"
                );
            }
        }
    }

    #[test]
    fn unescaping_gives_the_input_back() {
        let input = "Ünïcode & <tags> \"double\" 'single' 😀 \u{0}";
        let back = escape(input)
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        assert_eq!(back, input);
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(escape("console-logs 2026/01"), "console-logs 2026/01");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn page_escapes_its_title() {
        let p = page("<script>", "");
        assert!(p.contains("<title>&lt;script&gt;</title>"));
        assert!(!p.contains("<script>"));
    }
}
