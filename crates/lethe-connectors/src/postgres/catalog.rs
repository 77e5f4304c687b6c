//! What PostgreSQL's catalog says about a target's table: its columns'
//! types, which are NOT NULL, and whether the key leads an index.

use tokio_postgres::Client;

use super::dialect::Postgres;
use crate::sql::{ColumnTypes, Dialect, SqlTarget};

/// The table's columns, or `None` when the table does not exist (or the
/// role cannot see it). Types come without their length (`character
/// varying`, `bpchar`): a cast to `varchar(50)` would silently cut a longer
/// value, while the assignment to the column refuses it (SQLSTATE 22001).
pub(crate) async fn read(
    client: &Client,
    t: &SqlTarget,
) -> Result<Option<ColumnTypes>, tokio_postgres::Error> {
    let regclass = Postgres.table(&t.table);
    let rows = client
        .query(
            "select a.attname::text, format_type(a.atttypid, -1), a.attnotnull, \
             exists (select 1 from pg_index i where i.indrelid = a.attrelid and i.indkey[0] = a.attnum) \
             from pg_attribute a where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped",
            &[&regclass],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut types = ColumnTypes::default();
    for r in &rows {
        let name: String = r.get(0);
        if r.get::<_, bool>(2) {
            types.not_null.push(name.clone());
        }
        if r.get::<_, bool>(3) && name == t.key {
            types.key_indexed = true;
        }
        types.types.insert(name, r.get(1));
    }
    Ok(Some(types))
}
