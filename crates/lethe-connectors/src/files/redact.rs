//! Line redaction: every identifier hit is replaced by one fixed token, and
//! every other byte is left exactly as it was.

use std::borrow::Cow;

use super::matcher::{Hit, Matcher};

/// The token written in place of an identifier unless a caller picks its
/// own. Fixed width and content on purpose: a length-preserving mask would
/// leak the identifier's length and shape.
pub const DEFAULT_TOKEN: &[u8] = b"[REDACTED]";

/// Replaces each hit of `matcher` in `line` with `token`. Returns the line
/// borrowed and unchanged when nothing matched, so callers can tell "no
/// change" without comparing bytes, and the hits for reporting.
pub fn redact_line<'a>(
    matcher: &Matcher,
    line: &'a [u8],
    token: &[u8],
) -> (Cow<'a, [u8]>, Vec<Hit>) {
    let hits = matcher.find(line);
    if hits.is_empty() {
        return (Cow::Borrowed(line), hits);
    }
    let mut out = Vec::with_capacity(line.len() + hits.len() * token.len());
    let mut at = 0;
    for h in &hits {
        out.extend_from_slice(&line[at..h.start]);
        out.extend_from_slice(token);
        at = h.end;
    }
    out.extend_from_slice(&line[at..]);
    (Cow::Owned(out), hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::Pattern;
    use lethe_domain::{IdentifierKind, VariantForm};

    #[test]
    fn replaces_hits_and_keeps_the_rest() {
        let m = Matcher::new(Pattern::new(
            0,
            IdentifierKind::Email,
            VariantForm::Normalised,
            "a@b.example",
        ))
        .unwrap();
        let (out, hits) = redact_line(&m, b"x A@B.example y a@b.example", DEFAULT_TOKEN);
        assert_eq!(hits.len(), 2);
        assert_eq!(&*out, b"x [REDACTED] y [REDACTED]");
        let (out, hits) = redact_line(&m, b"nothing here", DEFAULT_TOKEN);
        assert!(hits.is_empty() && matches!(out, Cow::Borrowed(_)));
    }
}
