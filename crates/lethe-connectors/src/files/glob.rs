//! Include/exclude globs over paths relative to a target's root.
//!
//! Written here rather than pulled in (globset brings a regex engine) because
//! the dialect a file target needs is small: `*` and `?` within one path
//! component, `[0-9]`/`[!.]` classes, and `**` as a whole component for any
//! number of directories. Matching is ASCII case-insensitive because the
//! stores are Windows folders (console PCs, the suite's server), where
//! `MiVBConsole.LOG` and `MiVBConsole.log` are the same file.

/// A compiled glob. Paths are given with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`: zero or more whole components.
    AnyDirs,
    /// One component.
    Name(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`
    AnyChar,
    /// `*`
    AnyRun,
    /// `[a-z0-9_]`, `[!.]`
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Glob {
    /// Compiles `pattern`, or says what is wrong with it (without quoting
    /// anything but the pattern, which is configuration).
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        if pattern.is_empty() {
            return Err("a glob is empty".to_owned());
        }
        if pattern.starts_with('/') {
            return Err(format!(
                "glob `{pattern}` is absolute; globs are relative to `root`"
            ));
        }
        if pattern.contains('\\') {
            return Err(format!(
                "glob `{pattern}` uses `\\`; separate directories with `/`"
            ));
        }
        let segments = pattern
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s {
                "**" => Ok(Segment::AnyDirs),
                _ => tokens(s)
                    .map(Segment::Name)
                    .ok_or_else(|| format!("glob `{pattern}` has an unclosed `[`")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { segments })
    }

    /// True when the relative path `rel` (`a/b/c.log`) matches.
    pub(crate) fn matches(&self, rel: &str) -> bool {
        let comps: Vec<Vec<char>> = rel
            .split('/')
            .filter(|c| !c.is_empty())
            .map(|c| c.chars().collect())
            .collect();
        match_segments(&self.segments, &comps)
    }
}

fn tokens(segment: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = segment.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(match c {
            '*' => {
                // `**` inside a component means the same as `*`.
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                Token::AnyRun
            }
            '?' => Token::AnyChar,
            '[' => {
                let negated = matches!(chars.peek(), Some('!' | '^'));
                if negated {
                    chars.next();
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let lo = chars.next()?;
                    if lo == ']' && !first {
                        break;
                    }
                    first = false;
                    let mut ahead = chars.clone();
                    let hi = match (ahead.next(), ahead.next()) {
                        (Some('-'), Some(hi)) if hi != ']' => {
                            chars.next();
                            chars.next();
                            hi
                        }
                        _ => lo,
                    };
                    ranges.push((lo, hi));
                }
                Token::Class { negated, ranges }
            }
            c => Token::Literal(c),
        });
    }
    Some(out)
}

impl Token {
    fn matches_one(&self, c: char) -> bool {
        let (lower, upper) = (c.to_ascii_lowercase(), c.to_ascii_uppercase());
        match self {
            Token::Literal(l) => l.to_ascii_lowercase() == lower,
            Token::AnyChar => true,
            Token::AnyRun => false,
            Token::Class { negated, ranges } => {
                let hit = ranges
                    .iter()
                    .any(|&(lo, hi)| [c, lower, upper].iter().any(|x| (lo..=hi).contains(x)));
                hit != *negated
            }
        }
    }
}

fn match_segments(segments: &[Segment], comps: &[Vec<char>]) -> bool {
    match segments.split_first() {
        None => comps.is_empty(),
        Some((Segment::AnyDirs, rest)) => {
            (0..=comps.len()).any(|i| match_segments(rest, &comps[i..]))
        }
        Some((Segment::Name(tokens), rest)) => match comps.split_first() {
            Some((first, others)) => match_name(tokens, first) && match_segments(rest, others),
            None => false,
        },
    }
}

/// Wildcard match of one component; only `*` backtracks, to the last star.
fn match_name(tokens: &[Token], name: &[char]) -> bool {
    let (mut t, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match tokens.get(t) {
            Some(Token::AnyRun) => {
                star = Some((t, n));
                t += 1;
                continue;
            }
            Some(tok) if tok.matches_one(name[n]) => {
                t += 1;
                n += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((st, sn)) => {
                t = st + 1;
                n = sn + 1;
                star = Some((st, sn + 1));
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|x| *x == Token::AnyRun)
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(pattern: &str, path: &str) -> bool {
        Glob::new(pattern).unwrap().matches(path)
    }

    #[test]
    fn double_star_matches_any_depth_including_none() {
        assert!(m("**/*.log", "MiVBConsole.log"));
        assert!(m("**/*.log", "a/b/MiVBConsole.1.log"));
        assert!(!m("**/*.log", "a/b/MiVBConsole.2.log.gz"));
        assert!(m("**/*.gz", "a/MiVBConsole.2.log.gz"));
        assert!(m("logs/**", "logs/x/y.txt"));
    }

    #[test]
    fn classes_stars_and_case() {
        assert!(m("**/*.log.[0-9]*", "x/app.log.12"));
        assert!(!m("**/*.log.[0-9]*", "x/app.log.old"));
        assert!(m("*.LOG", "console.log"));
        assert!(m("[!.]*", "visible"));
        assert!(!m("[!.]*", ".hidden"));
        assert!(m("u_ex??????.log", "u_ex240314.log"));
        assert!(!m("*.log", "a/b.log"));
    }

    #[test]
    fn bad_globs_are_refused_with_a_reason() {
        assert!(Glob::new("[0-9").unwrap_err().contains("unclosed"));
        assert!(Glob::new("/var/log/*.log")
            .unwrap_err()
            .contains("relative"));
        assert!(Glob::new("logs\\*.log").unwrap_err().contains("/"));
        assert!(Glob::new("").is_err());
    }
}
