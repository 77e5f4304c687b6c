//! The call-history table, created in a chosen schema.

use tokio_postgres::Client;

/// `fixtures/call_history.sql`: the table without a schema name.
pub const CALL_HISTORY_SQL: &str = include_str!("../fixtures/call_history.sql");

/// Creates `schema` (if needed) and `schema.call_history` in it, in one
/// transaction. `schema` must be a plain name (letters, digits, `_`).
pub async fn create_call_history(
    client: &Client,
    schema: &str,
) -> Result<(), tokio_postgres::Error> {
    let schema = quoted(schema);
    client
        .batch_execute(&format!(
            "begin; create schema if not exists {schema}; set local search_path to {schema}; {CALL_HISTORY_SQL}; commit;"
        ))
        .await
}

/// `"schema"`, after checking it needs no escaping.
pub(crate) fn quoted(schema: &str) -> String {
    assert!(
        !schema.is_empty()
            && schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !schema.starts_with(|c: char| c.is_ascii_digit()),
        "schema names in fixtures are plain names"
    );
    format!("\"{schema}\"")
}
