//! The statements of the engine, built once per call from the target, the
//! batch's [`Needles`] and a [`Dialect`]: one `SELECT` for the whole batch,
//! and one `UPDATE` or `DELETE` for all rows erasure changes. Names come
//! from validated configuration and are quoted; every value is a parameter.

use std::collections::HashMap;

use lethe_domain::{IdentifierKind, Replacement};

use super::dialect::{Dialect, Elem, Param};
use super::ident::Ident;
use super::search::Needles;
use super::target::{SqlTarget, StrategyName};

/// SQL text and its parameters, `$1` first.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

/// The columns a target's `SELECT` returns, in order: the key, the
/// identifier columns (in `columns` order), the free-text columns, then
/// (for export) the context columns. Every value is read as text.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub key: String,
    /// (name, kinds, party index).
    pub idents: Vec<(String, Vec<IdentifierKind>, usize)>,
    pub free_text: Vec<String>,
    pub context: Vec<String>,
}

impl Layout {
    pub(crate) fn new(t: &SqlTarget, with_context: bool) -> Self {
        let parties = t.party_of();
        Self {
            key: t.key.clone(),
            idents: t
                .columns
                .iter()
                .zip(parties)
                .map(|((c, kinds), p)| (c.clone(), kinds.clone(), p))
                .collect(),
            free_text: t.free_text.clone(),
            context: if with_context {
                t.context.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// Identifier and free-text columns: what erasure may change, and what
    /// it checks is unchanged since it was read.
    pub(crate) fn personal(&self) -> impl Iterator<Item = &str> {
        self.idents
            .iter()
            .map(|(c, _, _)| c.as_str())
            .chain(self.free_text.iter().map(String::as_str))
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.key.as_str())
            .chain(self.personal())
            .chain(self.context.iter().map(String::as_str))
    }
}

/// Column types as the database's catalog names them, for casts from text.
#[derive(Debug, Clone, Default)]
pub struct ColumnTypes {
    /// Column name -> SQL type without length (`bigint`, `text`,
    /// `character varying`), for casts from text.
    pub types: HashMap<String, String>,
    /// Columns declared NOT NULL.
    pub not_null: Vec<String>,
    /// Whether an index leads with the key column, so rows can be
    /// addressed one probe each.
    pub key_indexed: bool,
}

impl ColumnTypes {
    /// Checks the declaration against the table: every declared column
    /// exists, and no NOT NULL column is to be set to NULL. The message
    /// says what to change.
    pub fn check(&self, t: &SqlTarget) -> Result<(), String> {
        let declared = std::iter::once(&t.key)
            .chain(t.columns.keys())
            .chain(&t.free_text)
            .chain(&t.context);
        for column in declared {
            if !self.types.contains_key(column) {
                return Err(format!(
                    "column `{column}` does not exist; fix the target's `key`, `columns`, `free_text` or `context`"
                ));
            }
        }
        if t.strategy == StrategyName::Anonymise {
            for column in t.columns.keys() {
                if self.not_null.contains(column)
                    && t.column_replacement(column) == Replacement::Null
                {
                    return Err(format!(
                        "column `{column}` is NOT NULL and cannot be anonymised with null; set `replace = {{ {column} = \"token\" }}`"
                    ));
                }
            }
        }
        Ok(())
    }

    fn of(&self, column: &str) -> &str {
        self.types.get(column).map_or("text", String::as_str)
    }
}

/// A quoted column of alias `t`.
fn col(d: &dyn Dialect, alias: &str, name: &str) -> String {
    // Names were validated when the target was built.
    let ident = Ident::parse(name).expect("validated column name");
    format!("{alias}.{}", d.quote(&ident))
}

/// The batch's search: one `SELECT` returning the layout's columns of
/// every row where an identifier column holds a searched value or a
/// free-text column may mention one. `None` when the batch searches for
/// nothing this table can hold.
pub(crate) fn select(
    d: &dyn Dialect,
    t: &SqlTarget,
    layout: &Layout,
    needles: &Needles,
) -> Option<Statement> {
    let mut params: Vec<Param> = Vec::new();
    let mut slot: HashMap<IdentifierKind, usize> = HashMap::new();
    let mut conditions: Vec<String> = Vec::new();
    for (name, kinds, _) in &layout.idents {
        for kind in kinds {
            let Some(values) = needles.by_kind.get(kind) else {
                continue;
            };
            let n = *slot.entry(*kind).or_insert_with(|| {
                params.push(Param::Texts(values.clone()));
                params.len()
            });
            let expr = d.canonical(*kind, &d.as_text(&col(d, "t", name)));
            conditions.push(d.any_of(&expr, n));
        }
    }
    let mut text_slot = None;
    let mut digit_slot = None;
    for name in &layout.free_text {
        let c = d.as_text(&col(d, "t", name));
        if !needles.text_patterns.is_empty() {
            let n = *text_slot.get_or_insert_with(|| {
                params.push(Param::Texts(needles.text_patterns.clone()));
                params.len()
            });
            conditions.push(d.ilike_any(&c, n));
        }
        if !needles.digit_patterns.is_empty() {
            let n = *digit_slot.get_or_insert_with(|| {
                params.push(Param::Texts(needles.digit_patterns.clone()));
                params.len()
            });
            conditions.push(d.like_any(&d.digits(&c), n));
        }
    }
    if conditions.is_empty() {
        return None;
    }
    let columns: Vec<String> = layout.all().map(|c| d.as_text(&col(d, "t", c))).collect();
    let sql = format!(
        "select {} from {} as t where {}",
        columns.join(", "),
        d.table(&t.table),
        conditions.join(" or ")
    );
    Some(Statement {
        sql,
        params: d.bind(params),
    })
}

/// One row erasure changes: its key, the personal columns as read, and
/// per personal column the new value (`None`: leave as is).
#[derive(Debug, Clone)]
pub(crate) struct RowChange {
    pub key: String,
    pub old: Vec<Option<String>>,
    pub new: Vec<Option<Option<String>>>,
}

/// The join and guard shared by updates and deletes: rows are addressed by
/// key, and only while every personal column still holds what was read
/// (a row a concurrent writer changed meanwhile is left alone, and the
/// caller sees fewer rows changed than planned).
fn guard(d: &dyn Dialect, t: &SqlTarget, layout: &Layout, types: &ColumnTypes) -> String {
    let key = col(d, "t", &t.key);
    let mut cond = vec![format!("{key} = {}", d.cast("m.k", types.of(&t.key)))];
    for (i, c) in layout.personal().enumerate() {
        cond.push(d.not_distinct(&d.as_text(&col(d, "t", c)), &format!("m.o{i}")));
    }
    cond.join(" and ")
}

/// Old values of the personal columns, one list per column.
fn old_columns(layout: &Layout, rows: &[RowChange]) -> Vec<Param> {
    (0..layout.personal().count())
        .map(|i| Param::NullableTexts(rows.iter().map(|r| r.old[i].clone()).collect()))
        .collect()
}

/// One `UPDATE` writing every change of `rows`. Only columns some row
/// changes appear in `SET`; a per-row bit mask says which of them the row
/// changes, so the others keep their value. A column whose changed rows
/// all get one value (NULL, a token) takes it as one parameter; only
/// per-row values (pseudonyms, redacted text) travel as a list.
pub(crate) fn update(
    d: &dyn Dialect,
    t: &SqlTarget,
    layout: &Layout,
    types: &ColumnTypes,
    rows: &[RowChange],
) -> Statement {
    let personal: Vec<&str> = layout.personal().collect();
    let changed: Vec<usize> = (0..personal.len())
        .filter(|&i| rows.iter().any(|r| r.new[i].is_some()))
        .collect();
    assert!(
        changed.len() <= 63,
        "validated: at most 63 personal columns"
    );
    let mask = |r: &RowChange| {
        changed
            .iter()
            .enumerate()
            .filter(|(_, &i)| r.new[i].is_some())
            .fold(0i64, |m, (bit, _)| m | 1 << bit)
    };
    let mut params = vec![
        Param::Texts(rows.iter().map(|r| r.key.clone()).collect()),
        Param::Ints(rows.iter().map(mask).collect()),
    ];
    let mut columns: Vec<(String, Elem)> = vec![("k".into(), Elem::Text), ("f".into(), Elem::Int)];
    let mut per_row: Vec<Param> = Vec::new();
    let mut scalars: Vec<(usize, Option<String>)> = Vec::new();
    let mut sets: Vec<String> = Vec::new();
    for (bit, &i) in changed.iter().enumerate() {
        let c = personal[i];
        let mut values = rows.iter().filter_map(|r| r.new[i].as_ref());
        let first = values.next().cloned().flatten();
        let value = if values.all(|v| *v == first) {
            scalars.push((bit, first));
            format!("{{scalar{bit}}}")
        } else {
            columns.push((format!("v{i}"), Elem::Text));
            per_row.push(Param::NullableTexts(
                rows.iter().map(|r| r.new[i].clone().flatten()).collect(),
            ));
            format!("m.v{i}")
        };
        let quoted = d.quote(&Ident::parse(c).expect("validated column name"));
        sets.push(format!(
            "{quoted} = case when (m.f & {}) <> 0 then {} else {} end",
            1i64 << bit,
            d.cast(&value, types.of(c)),
            col(d, "t", c)
        ));
    }
    params.extend(per_row);
    params.extend(old_columns(layout, rows));
    columns.extend((0..personal.len()).map(|i| (format!("o{i}"), Elem::Text)));
    let elems: Vec<(&str, Elem)> = columns.iter().map(|(n, e)| (n.as_str(), *e)).collect();
    let source = d.row_set(1, &elems, "m");
    let mut set = sets.join(", ");
    for (bit, value) in scalars {
        params.push(Param::Text(value));
        // Typed text first: the cast to the column's type follows.
        set = set.replace(
            &format!("{{scalar{bit}}}"),
            &d.as_text(&d.placeholder(params.len())),
        );
    }
    let sql = d.update_from(
        &d.table(&t.table),
        "t",
        &set,
        &source,
        &guard(d, t, layout, types),
    );
    Statement {
        sql,
        params: d.bind(params),
    }
}

/// One `DELETE` of every row of `rows` (their `new` is ignored).
pub(crate) fn delete(
    d: &dyn Dialect,
    t: &SqlTarget,
    layout: &Layout,
    types: &ColumnTypes,
    rows: &[RowChange],
) -> Statement {
    let mut params = vec![Param::Texts(rows.iter().map(|r| r.key.clone()).collect())];
    params.extend(old_columns(layout, rows));
    let names: Vec<String> = std::iter::once("k".to_owned())
        .chain((0..layout.personal().count()).map(|i| format!("o{i}")))
        .collect();
    let elems: Vec<(&str, Elem)> = names.iter().map(|n| (n.as_str(), Elem::Text)).collect();
    let source = d.row_set(1, &elems, "m");
    let sql = d.delete_using(
        &d.table(&t.table),
        "t",
        &source,
        &guard(d, t, layout, types),
    );
    Statement {
        sql,
        params: d.bind(params),
    }
}

#[cfg(test)]
mod tests {
    use lethe_domain::{PhoneRegion, Subject, SubjectInput};

    use super::*;
    use crate::postgres::presets::preset;
    use crate::postgres::Postgres;

    fn john() -> Subject {
        let input = SubjectInput {
            phones: vec!["01632 960855".into()],
            names: vec!["John Smith".into()],
            ..SubjectInput::default()
        };
        Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
    }

    #[test]
    fn one_select_with_one_parameter_per_kind() {
        let t = preset("console-call-history").unwrap();
        let layout = Layout::new(&t, false);
        let s = select(&Postgres, &t, &layout, &Needles::new(&[john(), john()])).unwrap();
        assert_eq!(
            s.params.len(),
            2,
            "names, phones; no directory accounts given"
        );
        assert!(s
            .sql
            .starts_with("select (t.\"id\")::text, (t.\"called_name\")::text"));
        assert!(s
            .sql
            .contains("from \"public\".\"call_history\" as t where "));
        assert!(s.sql.contains(
            "regexp_replace((t.\"caller_number\")::text, '[^0-9]', '', 'g') = any($2::text[])"
        ));
        assert!(s
            .sql
            .contains("upper(btrim((t.\"caller_name\")::text)) = any($1::text[])"));
        assert!(
            !s.sql.contains("operator_login\")::text)) ="),
            "nothing to search there"
        );
        let Param::Texts(phones) = &s.params[1] else {
            panic!()
        };
        assert!(
            phones.contains(&"01632960855".to_owned())
                && phones.contains(&"901632960855".to_owned())
        );
    }

    #[test]
    fn updates_address_rows_by_key_and_guard_what_was_read() {
        let t = preset("console-call-history").unwrap();
        let layout = Layout::new(&t, false);
        let n = layout.personal().count();
        let mut types = ColumnTypes::default();
        types.types.insert("id".into(), "bigint".into());
        let row = |key: &str, set: &[usize]| RowChange {
            key: key.into(),
            old: vec![Some("x".into()); n],
            new: (0..n).map(|i| set.contains(&i).then_some(None)).collect(),
        };
        let s = update(
            &Postgres,
            &t,
            &layout,
            &types,
            &[row("1", &[2, 3]), row("2", &[3])],
        );
        assert!(s.sql.starts_with("update \"public\".\"call_history\" as t set \"caller_name\" = case when (m.f & 1) <> 0"));
        assert!(s.sql.contains("where t.\"id\" = (m.k)::bigint and (t.\"called_name\")::text is not distinct from m.o0"));
        assert_eq!(s.params[1], Param::Ints(vec![3, 2]));
        assert_eq!(
            s.params.last(),
            Some(&Param::Text(None)),
            "one NULL for all rows"
        );
        let d = delete(&Postgres, &t, &layout, &types, &[row("1", &[])]);
        assert!(d
            .sql
            .starts_with("delete from \"public\".\"call_history\" as t using unnest($1::text[]"));
    }
}
