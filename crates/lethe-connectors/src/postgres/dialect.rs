//! PostgreSQL's spelling of the engine's [`Dialect`]: native text and
//! boolean arrays as parameters, `= any($n)`, `unnest` as the row source
//! of set-based writes.

use crate::sql::{Dialect, Elem, Ident};

/// PostgreSQL (9.4 and later: `unnest` of several arrays, `btrim`,
/// `regexp_replace`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn quote(&self, ident: &Ident) -> String {
        // `Ident` holds letters, digits and `_` only: nothing to escape.
        format!("\"{ident}\"")
    }

    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn as_text(&self, expr: &str) -> String {
        format!("({expr})::text")
    }

    fn digits(&self, expr: &str) -> String {
        format!("regexp_replace({expr}, '[^0-9]', '', 'g')")
    }

    fn alnum_upper(&self, expr: &str) -> String {
        format!("upper(regexp_replace({expr}, '[^0-9A-Za-z]', '', 'g'))")
    }

    fn upper_trim(&self, expr: &str) -> String {
        format!("upper(btrim({expr}))")
    }

    fn lower_trim(&self, expr: &str) -> String {
        format!("lower(btrim({expr}))")
    }

    fn trim(&self, expr: &str) -> String {
        format!("btrim({expr})")
    }

    fn any_of(&self, expr: &str, n: usize) -> String {
        format!("{expr} = any(${n}::text[])")
    }

    fn ilike_any(&self, expr: &str, n: usize) -> String {
        format!("{expr} ilike any(${n}::text[])")
    }

    fn like_any(&self, expr: &str, n: usize) -> String {
        format!("{expr} like any(${n}::text[])")
    }

    fn cast(&self, expr: &str, type_name: &str) -> String {
        // `type_name` comes from the catalog (`format_type`), never from
        // configuration or a subject.
        format!("({expr})::{type_name}")
    }

    fn row_set(&self, first: usize, columns: &[(&str, Elem)], alias: &str) -> String {
        let arrays: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, (_, e))| {
                let t = match e {
                    Elem::Text => "text",
                    Elem::Int => "int8",
                };
                format!("${}::{t}[]", first + i)
            })
            .collect();
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        format!(
            "unnest({}) as {alias}({})",
            arrays.join(", "),
            names.join(", ")
        )
    }

    fn update_from(&self, table: &str, alias: &str, set: &str, source: &str, cond: &str) -> String {
        format!("update {table} as {alias} set {set} from {source} where {cond}")
    }

    fn delete_using(&self, table: &str, alias: &str, source: &str, cond: &str) -> String {
        format!("delete from {table} as {alias} using {source} where {cond}")
    }
}
