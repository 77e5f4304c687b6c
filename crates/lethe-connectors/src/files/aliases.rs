//! Subjects of one batch that share an identifier (an access and an erasure
//! request from the same person, two people on one shared line). The matcher
//! reports each piece of text once, for one subject; this restores a copy of
//! the hit for every other subject with the same identifier value, so each
//! subject's findings are what they would be in a batch of its own.

use std::collections::HashMap;

use lethe_domain::{IdentifierKind, Subject};

use super::matcher::{Hit, Pattern};

/// Identifier values held by more than one subject of the batch.
#[derive(Debug, Default)]
pub(crate) struct Aliases {
    /// (kind, value as the matcher compares it) -> subjects holding it.
    shared: HashMap<(IdentifierKind, Vec<u8>), Vec<usize>>,
}

impl Aliases {
    pub(crate) fn new(subjects: &[Subject]) -> Self {
        let mut all: HashMap<(IdentifierKind, Vec<u8>), Vec<usize>> = HashMap::new();
        for (i, s) in subjects.iter().enumerate() {
            for p in Pattern::for_subject(i, s) {
                let holders = all
                    .entry((p.kind, p.value().to_ascii_lowercase()))
                    .or_default();
                if !holders.contains(&i) {
                    holders.push(i);
                }
            }
        }
        all.retain(|_, holders| holders.len() > 1);
        Self { shared: all }
    }

    /// `hits` of `line`, plus a copy of each hit on a shared value for every
    /// other subject holding it (same span, so redaction is unchanged).
    pub(crate) fn expand(&self, line: &[u8], hits: Vec<Hit>) -> Vec<Hit> {
        if self.shared.is_empty() {
            return hits;
        }
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            let text = &line[h.start..h.end];
            let value: Vec<u8> = if h.kind == IdentifierKind::Phone {
                text.iter().copied().filter(u8::is_ascii_digit).collect()
            } else {
                text.to_ascii_lowercase()
            };
            out.push(h);
            if let Some(holders) = self.shared.get(&(h.kind, value)) {
                out.extend(
                    holders
                        .iter()
                        .filter(|&&s| s != h.subject)
                        .map(|&subject| Hit { subject, ..h }),
                );
            }
        }
        out
    }
}
