//! The CREATE TABLE / CREATE INDEX rewrites the fixtures' DDL needs:
//! `IDENTITY` columns as SQLite rowids (keeping the declared type), and
//! index names qualified the way SQLite wants them.

use super::lex::{Kind, Tok};
use super::tokens::{next_sig, take_until};
use super::translate::Identity;

/// Turns `id bigint IDENTITY(1,1)` into `id INTEGER` (SQLite's
/// auto-numbered rowid, made the primary key when the table declares none)
/// and returns the declared types it replaced.
pub(super) fn identity_columns(out: &mut Vec<Tok>) -> Vec<Identity> {
    let (schema, table) = match out
        .iter()
        .position(|t| t.is_word("TABLE"))
        .and_then(|at| next_sig(out, at + 1))
    {
        Some(n) if out.get(n + 1).is_some_and(|t| t.is_punct(".")) => (
            out[n].ident().map(|s| {
                if out[n].kind == Kind::Word {
                    s
                } else {
                    out[n].text.clone()
                }
            }),
            out.get(n + 2).and_then(Tok::ident).unwrap_or_default(),
        ),
        Some(n) => (None, out[n].ident().unwrap_or_default()),
        None => return Vec::new(),
    };
    let has_primary_key = out.iter().any(|t| t.is_word("PRIMARY"));
    let mut found = Vec::new();
    while let Some(at) = out.iter().position(|t| t.is_word("IDENTITY")) {
        // Remove IDENTITY and its (seed, increment).
        let mut end = at + 1;
        if let Some(p) = next_sig(out, end).filter(|p| out[*p].is_punct("(")) {
            end = take_until(out, p + 1, &[]).1 + 1;
        }
        let key = if has_primary_key { "" } else { " PRIMARY KEY" };
        out.splice(at..end.min(out.len()), [Tok::new(Kind::Space, key)]);
        // The column definition starts after the last `(` or `,` before it.
        let mut depth = 0;
        let mut start = at;
        while start > 0 {
            start -= 1;
            let t = &out[start];
            if t.is_punct(")") {
                depth += 1;
            } else if t.is_punct("(") {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            } else if t.is_punct(",") && depth == 0 {
                break;
            }
        }
        let sig: Vec<usize> = (start + 1..at)
            .filter(|i| out[*i].kind != Kind::Space)
            .collect();
        if let [name, ty, ..] = sig[..] {
            found.push(Identity {
                schema: schema.clone(),
                table: table.clone(),
                column: out[name].ident().unwrap_or_default(),
                declared: out[ty].text.clone(),
            });
            out[ty] = Tok::new(Kind::Word, "INTEGER");
        }
    }
    found
}

/// Whether the last significant tokens are `(` or `,` and a column name:
/// the next word is that column's type.
pub(super) fn follows_column_name(out: &[Tok]) -> bool {
    let mut sig = out.iter().rev().filter(|t| t.kind != Kind::Space);
    let name = sig
        .next()
        .is_some_and(|t| matches!(t.kind, Kind::Word | Kind::Quoted));
    name && sig
        .next()
        .is_some_and(|t| t.is_punct("(") || t.is_punct(","))
}

/// `CREATE INDEX ix ON main.t (c)` is `CREATE INDEX main.ix ON t (c)` in SQLite.
pub(super) fn move_index_schema(out: &mut Vec<Tok>) {
    let Some(on) = out.iter().position(|t| t.is_word("ON")) else {
        return;
    };
    let Some(name_at) = out[..on]
        .iter()
        .rposition(|t| t.kind == Kind::Word || t.kind == Kind::Quoted)
    else {
        return;
    };
    let Some(s) = next_sig(out, on + 1) else {
        return;
    };
    if out.get(s + 1).is_some_and(|t| t.is_punct("."))
        && matches!(out[s].kind, Kind::Quoted | Kind::Word)
    {
        let schema = out[s].clone();
        out.drain(s..s + 2);
        out.insert(name_at, Tok::new(Kind::Punct, "."));
        out.insert(name_at, schema);
    }
}
