//! The "squeezed" view of a line: separators written between digits
//! (`01632 960855`, `+44 1632-960855`, `(01632) 960-855`) are removed so that
//! digit-only phone variants match, and an offset table maps every byte of
//! the view back to the original line.

/// Bytes people and PBXs put between the digits of a phone number.
pub(crate) fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'(' | b')')
}

/// Byte classes for [`squeeze_into`]'s inner loop: one table load per byte.
const DIGIT: u8 = 1;
const SEPARATOR: u8 = 2;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if (b as u8).is_ascii_digit() {
            DIGIT
        } else if matches!(b as u8, b' ' | b'-' | b'.' | b'(' | b')') {
            SEPARATOR
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The bytes of [`Squeezed::new`] for `src` (a whole block of lines: `\n`
/// is never squeezed, so line k of the view is line k of `src`), written
/// into `out` without an offset map. Returns false, leaving `out` empty,
/// when nothing was removed: the caller then searches `src` itself.
pub(crate) fn squeeze_into(src: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut copied = 0;
    let mut i = 1;
    while i < src.len() {
        if CLASS[src[i] as usize] != SEPARATOR || CLASS[src[i - 1] as usize] != DIGIT {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < src.len() && CLASS[src[j] as usize] == SEPARATOR {
            j += 1;
        }
        if j < src.len() && CLASS[src[j] as usize] == DIGIT {
            if copied == 0 {
                out.reserve(src.len());
            }
            out.extend_from_slice(&src[copied..i]);
            copied = j;
        }
        i = j + 1;
    }
    if copied == 0 {
        return false;
    }
    out.extend_from_slice(&src[copied..]);
    true
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
    fn squeeze_into_matches_the_mapped_view() {
        let mut out = Vec::new();
        for line in [
            &b"tel (01632) 960-855. ok - 1"[..],
            b"2024-03-14 09:02:11.417 ANI=0441632960855",
            b"1 - - 2\n3 4\r\n5 .a 6  ",
            b"no digits here",
            b"",
            b"7",
        ] {
            let changed = squeeze_into(line, &mut out);
            let sq = Squeezed::new(line);
            assert_eq!(changed, sq.changed(), "{line:?}");
            let view = if changed { &out[..] } else { line };
            assert_eq!(view, &sq.bytes[..], "{line:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn squeeze_into_agrees_with_squeezed(line in proptest::collection::vec(
            proptest::sample::select(&b"0123456789 -.()\nab"[..]), 0..64)) {
            let mut out = Vec::new();
            let changed = squeeze_into(&line, &mut out);
            let sq = Squeezed::new(&line);
            proptest::prop_assert_eq!(changed, sq.changed());
            proptest::prop_assert_eq!(if changed { &out[..] } else { &line[..] }, &sq.bytes[..]);
        }
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
