//! The "squeezed" view of a line: separators written between digits
//! (`01632 960855`, `+44 1632-960855`, `(01632) 960-855`) are removed so that
//! digit-only phone variants match, and an offset table maps every byte of
//! the view back to the original line.

/// Bytes people and PBXs put between the digits of a phone number.
pub(crate) const fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'(' | b')')
}

/// A line with separator runs between two digits removed.
pub(crate) struct Squeezed {
    /// The view's bytes.
    pub(crate) bytes: Vec<u8>,
    /// `map[i]` is the offset in the original line of `bytes[i]`.
    pub(crate) map: Vec<usize>,
}

impl Squeezed {
    /// Builds the view; `changed` is false when nothing was removed, so the
    /// caller can search the original line once instead of twice.
    pub(crate) fn new(line: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(line.len());
        let mut map = Vec::with_capacity(line.len());
        let mut i = 0;
        while i < line.len() {
            let b = line[i];
            if is_separator(b) && bytes.last().is_some_and(u8::is_ascii_digit) {
                let run_end = line[i..]
                    .iter()
                    .position(|&c| !is_separator(c))
                    .map_or(line.len(), |p| i + p);
                if line.get(run_end).is_some_and(u8::is_ascii_digit) {
                    i = run_end;
                    continue;
                }
            }
            bytes.push(b);
            map.push(i);
            i += 1;
        }
        Self { bytes, map }
    }

    /// True when at least one separator run was removed.
    pub(crate) fn changed(&self) -> bool {
        self.bytes.len() != self.map.last().map_or(0, |&m| m + 1)
    }

    /// Whether a phone hit over `bytes[s..e]` stands alone. A digit next to
    /// the hit in the view rejects it, unless `soft` is set and a separator
    /// was squeezed out at that edge (`... 417 01632 960855 2 ...`): the
    /// writer put a gap there, so the number is not part of a longer run.
    pub(crate) fn phone_boundary(&self, s: usize, e: usize, soft: bool) -> bool {
        let left = s == 0
            || !self.bytes[s - 1].is_ascii_digit()
            || (soft && self.map[s - 1] + 1 != self.map[s]);
        let right = e >= self.bytes.len()
            || !self.bytes[e].is_ascii_digit()
            || (soft && self.map[e - 1] + 1 != self.map[e]);
        left && right
    }

    /// The original byte range of `bytes[s..e]`.
    pub(crate) fn original(&self, s: usize, e: usize) -> (usize, usize) {
        (self.map[s], self.map[e - 1] + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeezes_only_between_digits() {
        let sq = Squeezed::new(b"tel (01632) 960-855. ok - 1");
        assert_eq!(sq.bytes, b"tel (01632960855. ok - 1");
        assert!(sq.changed());
        let (s, e) = sq.original(5, 16);
        assert_eq!(&b"tel (01632) 960-855. ok - 1"[s..e], b"01632) 960-855");
    }

    #[test]
    fn unchanged_line_is_identity() {
        let sq = Squeezed::new(b"ANI=0441632960855 x");
        assert!(!sq.changed());
        assert_eq!(sq.map, (0..19).collect::<Vec<_>>());
    }

    #[test]
    fn soft_boundary_needs_a_squeezed_gap() {
        let sq = Squeezed::new(b"7 01632 960855 2");
        assert_eq!(sq.bytes, b"7016329608552");
        assert!(sq.phone_boundary(1, 12, true));
        assert!(!sq.phone_boundary(1, 12, false));
        let tight = Squeezed::new(b"701632960855");
        assert!(!tight.phone_boundary(1, 12, true));
    }
}
