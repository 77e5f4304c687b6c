//! Table and column names from configuration. They are the only text that
//! goes into SQL other than the engine's own keywords, so they are checked
//! against a strict shape when the configuration is read and always quoted
//! by the [`Dialect`](super::Dialect) when a statement is built.

use std::fmt;

use serde::Deserialize;

/// Longest identifier accepted: PostgreSQL truncates at 63 bytes, SQL
/// Server allows 128 characters; 63 fits both.
const MAX_LEN: usize = 63;

/// A column, table or schema name: an ASCII letter or `_`, then ASCII
/// letters, digits or `_`; at most 63 characters. Used exactly as written
/// (it is always quoted), so write it as the database's catalog stores it:
/// lower case for PostgreSQL tables created without quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(String);

impl Ident {
    /// Checks `s` against the shape above; the error says what is wrong
    /// with it, quoting it (a name from configuration is not personal data).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut chars = s.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`{s}` is not a plain SQL name (a letter or `_`, then letters, digits or `_`)"
            ));
        }
        if s.len() > MAX_LEN {
            return Err(format!("`{s}` is longer than {MAX_LEN} characters"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A table, optionally schema-qualified: `call_history` or
/// `public.call_history`. Written `schema.table` in configuration, reports
/// and error messages; quoted part by part in SQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct TableName {
    /// The schema, when given; otherwise the connection's search path (or
    /// default schema) decides.
    pub schema: Option<Ident>,
    /// The table itself.
    pub table: Ident,
}

impl TableName {
    /// Parses `ident(.ident)?`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('.').collect();
        let bad = |e: String| format!("table `{s}`: {e}; write `schema.table` or `table`");
        match parts.as_slice() {
            [table] => Ok(Self {
                schema: None,
                table: Ident::parse(table).map_err(bad)?,
            }),
            [schema, table] => Ok(Self {
                schema: Some(Ident::parse(schema).map_err(bad)?),
                table: Ident::parse(table).map_err(bad)?,
            }),
            _ => Err(bad("more than one `.`".to_owned())),
        }
    }
}

impl TryFrom<String> for TableName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.table),
            None => f.write_str(self.table.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names_only() {
        for ok in ["call_history", "_x", "tblData_CA_Trace", "a1"] {
            assert_eq!(Ident::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "1a",
            "a-b",
            "a b",
            "a\"b",
            "a;drop",
            "é",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(Ident::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tables_take_an_optional_schema() {
        let t = TableName::parse("public.call_history").unwrap();
        assert_eq!(t.schema.as_ref().unwrap().as_str(), "public");
        assert_eq!(t.to_string(), "public.call_history");
        assert!(TableName::parse("call_history").unwrap().schema.is_none());
        for bad in ["a.b.c", ".a", "a.", "a.\"b\""] {
            assert!(TableName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
