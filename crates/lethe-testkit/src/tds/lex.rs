//! A T-SQL tokenizer: just enough to translate names, parameters and
//! paging without touching string literals, and to find SQLite-only syntax.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Whitespace and comments.
    Space,
    /// A bare word: keyword or identifier.
    Word,
    /// A `[bracketed]` or `"quoted"` identifier.
    Quoted,
    /// A string literal, `N` prefix already dropped.
    Str,
    Num,
    /// `@name`.
    Param,
    /// `@@name`.
    Global,
    Punct,
}

/// One token and its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tok {
    pub kind: Kind,
    pub text: String,
}

impl Tok {
    pub(crate) fn new(kind: Kind, text: impl Into<String>) -> Self {
        Tok {
            kind,
            text: text.into(),
        }
    }

    /// A bare word equal to `kw`, ignoring case.
    pub(crate) fn is_word(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    pub(crate) fn is_punct(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }

    /// The identifier a name part stands for, brackets or quotes removed.
    pub(crate) fn ident(&self) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text.clone()),
            Kind::Quoted if self.text.starts_with('[') => {
                Some(self.text[1..self.text.len() - 1].replace("]]", "]"))
            }
            Kind::Quoted => Some(self.text[1..self.text.len() - 1].replace("\"\"", "\"")),
            _ => None,
        }
    }
}

fn scan_until(chars: &[char], mut i: usize, close: char) -> usize {
    // Returns the index just past the closing char; a doubled close is an escape.
    while i < chars.len() {
        if chars[i] == close {
            if chars.get(i + 1) == Some(&close) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

/// Splits T-SQL into tokens; unterminated literals run to the end of input.
pub(crate) fn lex(sql: &str) -> Vec<Tok> {
    let c: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let text = |a: usize, b: usize| c[a..b].iter().collect::<String>();
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        let start = i;
        let kind = if ch.is_whitespace() {
            while i < c.len() && c[i].is_whitespace() {
                i += 1;
            }
            Kind::Space
        } else if ch == '-' && next == Some('-') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
            Kind::Space
        } else if ch == '/' && next == Some('*') {
            i += 2;
            while i < c.len() && !(c[i] == '*' && c.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i = (i + 2).min(c.len());
            Kind::Space
        } else if (ch == 'N' || ch == 'n') && next == Some('\'') {
            i = scan_until(&c, i + 2, '\'');
            out.push(Tok::new(Kind::Str, text(start + 1, i)));
            continue;
        } else if ch == '\'' {
            i = scan_until(&c, i + 1, '\'');
            Kind::Str
        } else if ch == '[' {
            i = scan_until(&c, i + 1, ']');
            Kind::Quoted
        } else if ch == '"' {
            i = scan_until(&c, i + 1, '"');
            Kind::Quoted
        } else if ch == '@' {
            let global = next == Some('@');
            i += if global { 2 } else { 1 };
            while i < c.len()
                && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '#' || c[i] == '$')
            {
                i += 1;
            }
            if global {
                Kind::Global
            } else {
                Kind::Param
            }
        } else if ch == '0' && matches!(next, Some('x' | 'X')) {
            i += 2;
            while i < c.len() && c[i].is_ascii_hexdigit() {
                i += 1;
            }
            // A binary literal: SQLite spells 0xABCD as X'ABCD'.
            out.push(Tok::new(Kind::Num, format!("X'{}'", text(start + 2, i))));
            continue;
        } else if ch.is_ascii_digit() || (ch == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            while i < c.len()
                && (c[i].is_ascii_alphanumeric()
                    || c[i] == '.'
                    || ((c[i] == '+' || c[i] == '-') && matches!(c[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            Kind::Num
        } else if ch.is_alphabetic() || ch == '_' || ch == '#' {
            while i < c.len()
                && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '#' || c[i] == '$')
            {
                i += 1;
            }
            Kind::Word
        } else {
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            i += if ["||", "<=", ">=", "<>", "!=", "!<", "!>", "::"].contains(&two.as_str()) {
                2
            } else {
                1
            };
            Kind::Punct
        };
        out.push(Tok::new(kind, text(start, i)));
    }
    out
}
